package datadriven

import (
	"testing"
	"time"
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
