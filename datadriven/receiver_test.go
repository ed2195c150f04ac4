package datadriven

import (
	"fmt"
	"testing"
	"time"

	"github.com/almcast/alm/id"
	"github.com/almcast/alm/player"
)

// Receiver-only nodes (upload too thin for one push child) are leaves
// everywhere: they get no forwarder's rights in push trees.

func TestReceiverOnlyIsNoForwarder(t *testing.T) {
	r := newRig(t, DefaultConfig(), 12)
	h := r.m.home(r.m.e.Self().ID)
	b := uint16(1) << h
	slots := r.m.pushSlots(h)
	var leaves, home []*partner
	for _, p := range r.m.partners {
		if r.m.home(p.ref.ID) == h {
			home = append(home, p)
		} else {
			leaves = append(leaves, p)
		}
	}
	if len(home) < 2 || len(leaves) < slots {
		t.Fatalf("rig has %d home and %d other partners", len(home), len(leaves))
	}
	// Fill the slots with leaves of different uploads.
	for i, p := range leaves[:slots] {
		p.upload = int64(1_000_000 + i*100_000)
		r.m.Receive(p.ref, &Subscribe{Mask: b})
	}
	r.h.take()
	weak := home[0]
	weak.upload = 16_000 // home substream h, but cannot forward it
	if r.m.forwards(weak, h) || !r.m.forwards(home[1], h) {
		t.Fatal("forwarding should follow upload, not the home substream alone")
	}
	r.m.Receive(weak.ref, &Subscribe{Mask: b})
	if weak.subs&b != 0 {
		t.Fatal("a receiver-only node pushed a leaf down")
	}
	// A forwarder pushes down the leaf with the most upload.
	top := leaves[slots-1]
	r.m.Receive(home[1].ref, &Subscribe{Mask: b})
	if home[1].subs&b == 0 || top.subs&b != 0 {
		t.Fatalf("the forwarder should take the slot of the strongest leaf")
	}
	for _, p := range leaves[:slots-1] {
		if p.subs&b == 0 {
			t.Fatal("a weaker leaf was pushed down")
		}
	}
	// A receiver-only node neither climbs nor is taken beyond the
	// partner bound to climb.
	if r.m.lowers(weak.ref.ID, weak.upload, []byte{NoDepth, NoDepth, NoDepth, NoDepth}) {
		t.Fatal("a receiver-only node would be taken beyond the bound to rise")
	}
}

func TestReceiverOnlyDoesNotClimb(t *testing.T) {
	r := newRig(t, DefaultConfig(), 4)
	r.h.upload = 16_000
	h := r.m.home(r.m.e.Self().ID)
	for _, p := range r.m.partners {
		p.depth = [16]uint8{5, 5, 5, 5}
		p.parent = 0xf
	}
	r.m.up = id.Ref{ID: id.FromUint128(7, 7), Addr: "up"}
	if r.m.depth(h) < climbDepth {
		t.Fatalf("depth %d, want at least %d", r.m.depth(h), climbDepth)
	}
	r.m.climb()
	if r.m.stats.Climbs != 0 {
		t.Fatal("a receiver-only node climbed")
	}
	r.h.upload = 2_000_000
	r.m.climb()
	if r.m.stats.Climbs != 1 {
		t.Fatal("a forwarder did not climb")
	}
}

func TestMaxPartnersFollowsPushSlots(t *testing.T) {
	r := newRig(t, DefaultConfig(), 0)
	cfg := r.m.cfg
	if got := r.m.maxPartners(); got != max(cfg.MaxPartners, cfg.Partners+7) {
		t.Fatalf("2x: max partners %d", got)
	}
	r.h.upload = 4_000_000 // 15 push slots
	if got := r.m.maxPartners(); got != cfg.Partners+15 {
		t.Fatalf("4x: max partners %d, want %d", got, cfg.Partners+15)
	}
	r.h.upload = 16_000
	if got := r.m.maxPartners(); got != cfg.MaxPartners {
		t.Fatalf("receiver-only: max partners %d, want %d", got, cfg.MaxPartners)
	}
}

func TestPullWaitsForPushUntilNearDeadline(t *testing.T) {
	r := newRig(t, DefaultConfig(), 4)
	pl, err := player.New(r.m.e, player.Config{StartupDelay: 2 * time.Second, Window: 600}, nil)
	if err != nil {
		t.Fatal(err)
	}
	r.m.pl = pl
	// Chunk 0 of the rig's clock (source time 0) arrives now: the lag is
	// now + 2s, so chunk seq is due at seq*200ms + now + 2s.
	now := r.m.e.Now()
	pl.Offer(r.h.chunk(0))
	r.m.t0 = 0
	seq := uint64(4) // due at now + 2.8s
	b := r.m.bit(seq)
	for _, p := range r.m.partners {
		if r.m.forwards(p, int(seq%4)) {
			p.parent = b
		}
	}
	r.m.noteHeard(seq)
	r.m.heardAt[seq%uint64(len(r.m.heardAt))] = now - time.Second // heard of a second ago
	if !r.m.awaitPush(seq) {
		t.Fatal("a chunk 2.8s from its deadline was pulled, racing its push")
	}
	r.nw.RunFor(1500 * time.Millisecond) // now 1.3s from the deadline
	if !r.m.awaitPush(seq) {
		t.Fatal("a chunk 1.3s from its deadline (PushWait 1s) was pulled, racing its push")
	}
	r.nw.RunFor(500 * time.Millisecond) // now 0.8s from the deadline
	if r.m.awaitPush(seq) {
		t.Fatal("a chunk within PushWait of its deadline still waits for its push")
	}
	r.m.cfg.PushWait = 0
	r.m.heardAt[seq%uint64(len(r.m.heardAt))] = r.m.e.Now() - time.Second
	if r.m.awaitPush(seq) {
		t.Fatal("push wait 0: PushGrace alone should decide")
	}
}

func TestHelloTimeoutStartsWhenItLeaves(t *testing.T) {
	r := newRig(t, DefaultConfig(), 0)
	x := id.Ref{ID: id.FromUint128(3, 3), Addr: "x"}
	r.m.busy = r.m.e.Now() + 5*time.Second // a long uplink queue
	r.m.hello(x)
	r.nw.RunFor(r.m.cfg.HelloTimeout + 2*r.m.cfg.Tick)
	if _, ok := r.m.hellos[x.ID]; !ok {
		t.Fatal("a hello still queued on the uplink timed out")
	}
	r.nw.RunFor(5 * time.Second)
	if _, ok := r.m.hellos[x.ID]; ok {
		t.Fatal("the hello never timed out")
	}
	// Its late answer is still taken.
	r.m.Receive(x, &Welcome{Accept: true, Upload: 2_000_000, Map: WireMap{}})
	if r.m.partner(x.ID) == nil {
		t.Fatal("a late welcome was not taken")
	}
	// An answer nobody asked for is not.
	y := id.Ref{ID: id.FromUint128(4, 4), Addr: "y"}
	bad := r.m.stats.BadInput
	r.m.Receive(y, &Welcome{Accept: true, Upload: 2_000_000, Map: WireMap{}})
	if r.m.partner(y.ID) != nil || r.m.stats.BadInput != bad+1 {
		t.Fatal("an unasked welcome was taken")
	}
}

func TestRefusalReferralsFollowedTwoAtATime(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Partners = 1 // so that fill sends no hellos of its own
	r := newRig(t, cfg, 0)
	x := id.Ref{ID: id.FromUint128(3, 3), Addr: "x"}
	var refs []id.Ref
	for i := range 8 {
		// Homes 0..3, twice each.
		refs = append(refs, id.Ref{ID: id.FromUint128(9, uint64(i)), Addr: fmt.Sprint("r", i)})
	}
	r.m.hello(x)
	r.h.take()
	r.m.Receive(x, &Welcome{Upload: 2_000_000, Peers: refs})
	hellos := 0
	for _, s := range r.h.take() {
		if _, ok := s.m.(*Hello); ok {
			hellos++
		}
	}
	// Orphaned in every substream, it follows only seekOrphan of the 8.
	if hellos != seekOrphan {
		t.Fatalf("an orphan followed %d referrals, want %d", hellos, seekOrphan)
	}
}

func TestDeepSeekBacksOff(t *testing.T) {
	r := newRig(t, DefaultConfig(), 0)
	tick := r.m.cfg.Tick
	if got := r.m.deepPeriod(0, 5); got != 5*tick {
		t.Fatalf("first wait %v, want 5 ticks", got)
	}
	r.m.soughtDeep(0, 5)
	r.m.soughtDeep(0, 5)
	if got := r.m.deepPeriod(0, 5); got != 10*tick {
		t.Fatalf("wait after a fruitless seek %v, want 10 ticks", got)
	}
	for range 10 {
		r.m.soughtDeep(0, 5)
	}
	if got := r.m.deepPeriod(0, 5); got != maxDeepWait*tick {
		t.Fatalf("wait %v, want the bound of %d ticks", got, maxDeepWait)
	}
	if got := r.m.deepPeriod(0, 4); got != 5*tick {
		t.Fatalf("wait after rising %v, want 5 ticks", got)
	}
	if got := r.m.deepPeriod(1, 5); got != 5*tick {
		t.Fatalf("another substream's wait %v, want 5 ticks", got)
	}
}
