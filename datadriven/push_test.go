package datadriven

import (
	"testing"
	"time"

	"github.com/almcast/alm/chunk"
	"github.com/almcast/alm/id"
)

// Peer i of a rig has ID (1, i+1): its home substream is (i+1) mod 4.

func TestParentIsShallowestForwarder(t *testing.T) {
	r := newRig(t, DefaultConfig(), 6)
	for _, p := range r.m.partners {
		p.depth = [16]uint8{2, 2, 2, 2}
	}
	r.m.partners[0].depth[1] = 3 // home 1, deep
	r.m.partners[4].depth[1] = 1 // home 1, shallow
	r.m.partners[0].depth[2] = 0 // shallow in 2, but does not forward it
	r.m.parents()
	asked := map[string]uint16{}
	for _, s := range r.h.take() {
		if sub, ok := s.m.(*Subscribe); ok {
			asked[s.to.Addr] = sub.Mask
		}
	}
	if asked["pe"]&(1<<1) == 0 || asked["pa"]&(1<<1) != 0 {
		t.Fatalf("subscriptions %v: substream 1 should go to the shallower forwarder pe", asked)
	}
	if asked["pa"]&(1<<2) != 0 || asked["pb"]&(1<<2) == 0 {
		t.Fatalf("subscriptions %v: substream 2 should go to its forwarder pb", asked)
	}
	for addr, mask := range asked {
		if mask&(1<<0) != 0 && addr != "pd" || mask&(1<<3) != 0 && addr != "pc" {
			t.Fatalf("subscriptions %v: a substream asked of a node that does not forward it", asked)
		}
	}
}

func TestPushDownForwarderTakesLeafSlot(t *testing.T) {
	r := newRig(t, DefaultConfig(), 12)
	h := r.m.home(r.m.e.Self().ID)
	b := uint16(1) << h
	slots := r.m.pushSlots(h)
	if slots != 7 {
		t.Fatalf("2x upload takes %d children in its home substream, want floor(2/(0.25*1.03)) = 7", slots)
	}
	if other := (h + 1) % 4; r.m.pushSlots(other) != 0 {
		t.Fatalf("a viewer takes children outside its home substream")
	}
	var leaves, fwd []*partner
	for _, p := range r.m.partners {
		if r.m.home(p.ref.ID) == h {
			p.depth[h] = 5
			fwd = append(fwd, p)
		} else {
			leaves = append(leaves, p)
		}
	}
	for _, p := range leaves[:slots] {
		r.m.Receive(p.ref, &Subscribe{Mask: b})
	}
	r.h.take()
	r.m.Receive(leaves[slots].ref, &Subscribe{Mask: b})
	for _, s := range r.h.take() {
		a, ok := s.m.(*SubAck)
		if !ok || s.to != leaves[slots].ref {
			continue
		}
		if a.Mask&b != 0 || len(a.Peers) == 0 || r.m.home(a.Peers[0].ID) != h {
			t.Fatalf("a leaf past the slots got %+v: want a refusal naming forwarders of the substream", a)
		}
	}
	r.m.Receive(fwd[0].ref, &Subscribe{Mask: b})
	if fwd[0].subs&b == 0 || r.m.pushUsed(h) != slots {
		t.Fatalf("the forwarder did not take a leaf's slot (children %d)", r.m.pushUsed(h))
	}
	dropped := 0
	for _, s := range r.h.take() {
		if a, ok := s.m.(*SubAck); ok && s.to != fwd[0].ref && a.Mask&b == 0 {
			dropped++
		}
	}
	if dropped != 1 {
		t.Fatalf("%d leaves told they lost the substream, want 1", dropped)
	}
}

func TestLostPushPulledAtOnce(t *testing.T) {
	r := newRig(t, DefaultConfig(), 2)
	p := r.m.partners[0] // home 1
	p.parent = 1 << 1
	r.has(1, 9, 13) // another partner has both chunks of substream 1
	if !r.m.awaitPush(9) {
		t.Fatal("a chunk just heard of should be left to the parent's push")
	}
	r.m.Chunk(p.ref, r.h.chunk(13), true) // the parent pushed 13: 9 was lost
	if r.m.awaitPush(9) {
		t.Fatal("a chunk its parent skipped should be pulled at once")
	}
}

func TestStartChunkAimsAtStartLag(t *testing.T) {
	r := newRig(t, DefaultConfig(), 2)
	r.h.startup = 500 * time.Millisecond
	r.m.dur, r.m.chosen = 0, false
	now := r.m.e.Now()
	// Chunk 100 began 3s ago: for a lag of 2.7s with 0.5s of startup and
	// about 0.15s to fetch, start at the chunk 2.05s old: 104.
	r.m.clock0 = Clock{Seq: 100, Time: int64(now - 3*time.Second), Dur: int64(200 * time.Millisecond)}
	for _, p := range r.m.partners {
		p.next = 105 // playing: no crowd, so no StartBack bound
		for s := uint64(100); s <= 110; s++ {
			p.m.Set(s)
		}
	}
	if !r.m.chooseStart() || r.m.start != 104 {
		t.Fatalf("start %d, want 104", r.m.start)
	}
	// The chunk that old is gone: the oldest one held after it.
	r.m.clock0.Time = int64(now - time.Second)
	r.m.chosen = false
	if !r.m.chooseStart() || r.m.start != 100 {
		t.Fatalf("start %d, want 100", r.m.start)
	}
	// Nothing that young held yet: the newest there is.
	r.m.clock0.Time = int64(now - 10*time.Second)
	r.m.chosen = false
	if !r.m.chooseStart() || r.m.start != 110 {
		t.Fatalf("start %d, want 110", r.m.start)
	}
}

// bigChunk is chunk seq of about 30 KB: 120ms on a 2 Mbit/s uplink.
func (h *fakeHost) bigChunk(seq uint64) *chunk.Chunk {
	c := h.chunk(seq)
	c.Packets = make([][]byte, 30)
	for i := range c.Packets {
		c.Packets[i] = make([]byte, 1000)
	}
	c.Sign(h.key)
	return c
}

// TestPushesPacedForwardersFirst: pushes go through the send queue, one
// chunk on the uplink at a time, children that forward the substream
// first; notices to other partners are not held behind them.
func TestPushesPacedForwardersFirst(t *testing.T) {
	r := newRig(t, DefaultConfig(), 12)
	h := r.m.home(r.m.e.Self().ID)
	b := uint16(1) << h
	fwd := map[string]bool{}
	var leaves []*partner
	for _, p := range r.m.partners {
		if r.m.home(p.ref.ID) == h {
			fwd[p.ref.Addr] = true
		} else {
			leaves = append(leaves, p)
		}
		if len(leaves) <= 3 || r.m.home(p.ref.ID) == h {
			r.m.Receive(p.ref, &Subscribe{Mask: b})
		}
	}
	if len(fwd) == 0 || r.m.pushUsed(h) != len(fwd)+3 {
		t.Fatalf("%d forwarders, %d children", len(fwd), r.m.pushUsed(h))
	}
	r.h.take()
	seq := uint64(h) // a chunk of the home substream
	r.m.hold(r.h.bigChunk(seq), id.Ref{})
	var order []string
	haves := 0
	for _, s := range r.h.take() {
		switch s.m.(type) {
		case *chunk.Chunk:
			order = append(order, s.to.Addr)
		case *Have:
			haves++
		}
	}
	if len(order) != 1 || !fwd[order[0]] {
		t.Fatalf("sent at once %v: want one chunk, to a forwarder", order)
	}
	if haves != 12-r.m.pushUsed(h) {
		t.Fatalf("%d notices sent at once, want one per partner that is not a child", haves)
	}
	for i := 0; i < 40 && len(r.m.queue) > 0; i++ {
		r.nw.RunFor(50 * time.Millisecond)
		for _, s := range r.h.take() {
			if _, ok := s.m.(*chunk.Chunk); ok {
				order = append(order, s.to.Addr)
			}
		}
	}
	if len(order) != len(fwd)+3 {
		t.Fatalf("sent %v, want %d chunks", order, len(fwd)+3)
	}
	for i, a := range order {
		if fwd[a] != (i < len(fwd)) {
			t.Fatalf("order %v: pushes to forwarders should go before those to leaves", order)
		}
	}
}

// TestSendQueueRanks: urgent requests first, then pushes to forwarders,
// then pushes to leaves, then other requests, newest first.
func TestSendQueueRanks(t *testing.T) {
	r := newRig(t, DefaultConfig(), 1)
	p := r.m.partners[0]
	p.subs = 0xf // its pushes are wanted
	for seq := uint64(1); seq <= 6; seq++ {
		r.keep(seq)
	}
	r.m.queue = []pending{{p: p, seq: 1}, {p: p, seq: 2, push: true}, {p: p, seq: 3},
		{p: p, seq: 4, push: true, fwd: true}, {p: p, seq: 5, urgent: true}, {p: p, seq: 6, push: true}}
	var got []uint64
	for len(r.m.queue) > 0 {
		q, ok := r.m.next()
		if !ok {
			t.Fatalf("nothing to send with %d queued", len(r.m.queue))
		}
		got = append(got, q.seq)
	}
	want := []uint64{5, 4, 2, 6, 3, 1}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("served in order %v, want %v", got, want)
		}
	}
}

// TestStarvedRequestsLeaveQueue: ordinary requests go newest first, so
// older ones may wait until they can no longer be sent; they leave the
// queue then, and the queue's length, which refuses requests as busy and
// is told to partners, no longer counts them.
func TestStarvedRequestsLeaveQueue(t *testing.T) {
	r := newRig(t, DefaultConfig(), 2)
	p, q := r.m.partners[0], r.m.partners[1]
	for seq := uint64(1); seq <= 100; seq++ {
		r.m.queue = append(r.m.queue, pending{p: p, seq: seq}) // never held (or gone from the window)
	}
	r.keep(480)
	r.keep(500)
	q.next, q.nextAt = 490, r.m.e.Now() // q's player has passed chunk 480
	r.m.queue = append(r.m.queue, pending{p: q, seq: 480}, pending{p: q, seq: 500}, pending{p: q, seq: 500, push: true})
	if r.m.wait() <= r.m.cfg.MaxQueue {
		t.Fatal("setup: the queue must count as full")
	}
	got, ok := r.m.next()
	if !ok || got.seq != 500 || got.push || len(r.m.queue) != 0 || r.m.stats.Passed != 1 {
		t.Fatalf("next %+v (%v), %d left queued, %d passed; want the request for 500 alone, the push (q is no child) and the rest dropped, 480 counted as passed",
			got, ok, len(r.m.queue), r.m.stats.Passed)
	}
	if _, ok := r.m.next(); ok {
		t.Fatal("an empty queue gave a chunk to send")
	}
	r.m.Receive(p.ref, &Request{Seqs: []uint64{500}})
	if r.m.stats.RefusedBusy != 0 {
		t.Fatal("a request was refused as busy after the dead entries left")
	}
}

// TestClimbAsksGrandparent: a forwarder deep in its home substream asks
// its parent's parent, which its parent named, to be a partner; a full
// node takes such a forwarder beyond MaxPartners, and no one else.
func TestClimbAsksGrandparent(t *testing.T) {
	r := newRig(t, DefaultConfig(), 12)
	h := r.m.home(r.m.e.Self().ID)
	b := uint16(1) << h
	var parent *partner
	for _, p := range r.m.partners {
		if r.m.home(p.ref.ID) == h {
			parent = p
			break
		}
	}
	gp := id.Ref{ID: id.FromUint128(3, uint64(h)), Addr: "gp"}
	if r.m.home(gp.ID) != h {
		t.Fatal("test setup: the grandparent must forward the home substream")
	}
	parent.want = b
	depths := []byte{NoDepth, NoDepth, NoDepth, NoDepth}
	depths[h] = 3
	r.m.Receive(parent.ref, &SubAck{Mask: b, Depths: depths, Peers: []id.Ref{gp}})
	if r.m.depth(h) != 4 || r.m.up != gp {
		t.Fatalf("depth %d, up %v", r.m.depth(h), r.m.up)
	}
	r.h.take()
	r.m.climb()
	asked := false
	for _, s := range r.h.take() {
		if _, ok := s.m.(*Hello); ok && s.to == gp {
			asked = true
		}
	}
	if !asked || r.m.stats.Climbs != 1 {
		t.Fatal("a forwarder at depth 4 did not ask its parent's parent")
	}
	// The grandparent answers: taken beyond MaxPartners, and subscribed
	// to, as it is shallower than the parent.
	gd := []byte{NoDepth, NoDepth, NoDepth, NoDepth}
	gd[h] = 2
	r.m.Receive(gp, &Welcome{Accept: true, Upload: 2_000_000, Depths: gd})
	if r.m.partner(gp.ID) == nil || len(r.m.partners) != 13 {
		t.Fatalf("the grandparent was not taken (%d partners)", len(r.m.partners))
	}
	sub := false
	for _, s := range r.h.take() {
		if m, ok := s.m.(*Subscribe); ok && s.to == gp && m.Mask&b != 0 {
			sub = true
		}
	}
	if !sub {
		t.Fatal("no subscription to the shallower grandparent")
	}
	// Full, it still takes a deeper forwarder of its home substream, and
	// turns down a node that forwards another one.
	deep := id.Ref{ID: id.FromUint128(4, uint64(h)), Addr: "deep"}
	other := id.Ref{ID: id.FromUint128(4, uint64(h+1)), Addr: "other"}
	r.m.Receive(deep, &Hello{Channel: r.h.ch.ID(), Upload: 2_000_000, Depths: []byte{NoDepth, NoDepth, NoDepth, NoDepth}})
	r.m.Receive(other, &Hello{Channel: r.h.ch.ID(), Upload: 2_000_000, Depths: []byte{NoDepth, NoDepth, NoDepth, NoDepth}})
	for _, s := range r.h.take() {
		w, ok := s.m.(*Welcome)
		if !ok {
			continue
		}
		if s.to == deep && !w.Accept || s.to == other && w.Accept {
			t.Fatalf("welcome to %s: accept %v", s.to.Addr, w.Accept)
		}
	}
	// Beyond maxPartners (13 at 2x: Partners + 7 push slots), trim drops
	// the excess that pushes nothing.
	r.nw.RunFor(3 * time.Second)
	if n := len(r.m.partners); n > r.m.maxPartners() {
		t.Fatalf("%d partners after trimming", n)
	}
}
