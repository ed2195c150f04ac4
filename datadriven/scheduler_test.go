package datadriven

import (
	"testing"
	"time"

	"github.com/almcast/alm/sim"
)

func TestOrderUrgentThenRarest(t *testing.T) {
	cs := []candidate{
		{seq: 10, suppliers: 3}, {seq: 11, suppliers: 1}, {seq: 12, suppliers: 2},
		{seq: 8, suppliers: 4, urgent: true}, {seq: 7, suppliers: 1, urgent: true}, {seq: 13, suppliers: 1},
	}
	order(cs)
	want := []uint64{7, 8, 11, 13, 12, 10}
	for i, c := range cs {
		if c.seq != want[i] {
			t.Fatalf("order %v, want %v", cs, want)
		}
	}
}

func TestSchedulerRarestFirst(t *testing.T) {
	cfg := DefaultConfig()
	cfg.MaxOutstanding = 1
	r := newRig(t, *noPush(&cfg), 2)
	r.m.start = 10
	r.m.held.Set(9)
	r.h.take()
	// Both hold 10 and 11; only peer 0 holds 12: 12 is the rarest and
	// goes first, to the only partner that has it.
	for _, s := range []uint64{10, 11, 12} {
		r.m.partners[0].m.Set(s)
	}
	r.m.partners[1].m.Set(10)
	r.m.partners[1].m.Set(11)
	r.m.schedule()
	reqs := r.requests()
	if got := reqs["pa"]; len(got) == 0 || got[0] != 12 {
		t.Fatalf("requests %v: peer a should be asked for 12 first", reqs)
	}
	if got := reqs["pb"]; len(got) != 1 || got[0] != 10 && got[0] != 11 {
		t.Fatalf("requests %v: peer b should be asked for 10 or 11", reqs)
	}
}

func TestSchedulerOutstandingBound(t *testing.T) {
	cfg := DefaultConfig()
	r := newRig(t, *noPush(&cfg), 1)
	r.m.start = 0
	var seqs []uint64
	for s := uint64(0); s < 20; s++ {
		seqs = append(seqs, s)
	}
	r.has(0, seqs...)
	n := len(r.requests()["pa"])
	if n != cfg.MaxOutstanding {
		t.Fatalf("%d requests outstanding at one partner, bound %d", n, cfg.MaxOutstanding)
	}
	// A chunk that comes frees a slot: one more request.
	r.m.Chunk(r.ref[0], r.h.chunk(r.m.partners[0].m.Base()), true)
	for _, q := range r.m.reqs {
		r.m.Chunk(r.ref[0], r.h.chunk(q.seq), true)
		break
	}
	if n := len(r.requests()["pa"]); n == 0 {
		t.Fatal("no new request after a chunk came")
	}
}

func TestSchedulerReRequestAfterTimeout(t *testing.T) {
	cfg := DefaultConfig()
	r := newRig(t, *noPush(&cfg), 2)
	r.m.start = 5
	r.m.partners[1].m.Set(5)
	r.m.partners[1].svc = time.Second // slower: peer a is asked first
	r.has(0, 5)
	if got := r.requests()["pa"]; len(got) != 1 || got[0] != 5 {
		t.Fatalf("first request not to peer a: %v", got)
	}
	r.nw.RunFor(cfg.MaxTimeout + 100*time.Millisecond)
	if r.m.stats.Timeouts == 0 {
		t.Fatal("no timeout")
	}
	if got := r.requests()["pb"]; len(got) == 0 || got[0] != 5 {
		t.Fatal("chunk 5 not asked of peer b after the timeout")
	}
}

func TestDeadlineOrderWithPlayer(t *testing.T) {
	// The urgent window puts chunks due soon first even if they are common.
	cs := []candidate{{seq: 20, suppliers: 1}, {seq: 15, suppliers: 5, urgent: true}, {seq: 14, suppliers: 5, urgent: true}}
	order(cs)
	if cs[0].seq != 14 || cs[1].seq != 15 || cs[2].seq != 20 {
		t.Fatalf("deadline order broken: %v", cs)
	}
}

// TestStartBackBoundsCrowdStart: a viewer whose partners are not playing
// yet (a crowd tuning in together) starts at most StartBack chunks behind
// the newest they hold; one joining partners that play starts as far
// back as StartLag asks.
func TestStartBackBoundsCrowdStart(t *testing.T) {
	cfg := DefaultConfig()
	r := newRigWith(t, *noPush(&cfg), 4, func(h *fakeHost) { h.startup = 400 * time.Millisecond })
	now := r.m.e.Now()
	dur := 200 * time.Millisecond
	// Chunk 50 begins now; partners hold 30 to 45.
	r.m.clock0 = Clock{Seq: 50, Time: int64(now), Dur: int64(dur)}
	for _, p := range r.m.partners {
		for s := uint64(30); s <= 45; s++ {
			p.m.Set(s)
		}
	}
	if s, ok := r.m.timedStart(45, 2); !ok || s != 45-uint64(cfg.StartBack) {
		t.Errorf("crowd: start %d (%v), want %d", s, ok, 45-cfg.StartBack)
	}
	for _, p := range r.m.partners[:2] {
		p.next, p.nextAt = 40, now
	}
	// StartLag 2.7s less the startup delay and fetch time: a chunk 2.15s
	// old, 10 chunks back.
	if s, ok := r.m.timedStart(45, 2); !ok || s != 40 {
		t.Errorf("settled: start %d (%v), want 40", s, ok)
	}
}

// TestSchedulerWaitsLongerWhenLate: a node whose event loop runs late
// gives a request twice its lateness longer before asking another
// partner, since the answer is as late as the node is.
func TestSchedulerWaitsLongerWhenLate(t *testing.T) {
	cfg := DefaultConfig()
	const late = time.Second
	r := newRigWith(t, *noPush(&cfg), 2, func(h *fakeHost) { h.e = sim.Lagging(h.e, late) })
	r.m.start = 5
	r.m.partners[1].m.Set(5)
	r.m.partners[1].svc = time.Second
	r.has(0, 5)
	if got := r.requests()["pa"]; len(got) != 1 || got[0] != 5 {
		t.Fatalf("first request not to peer a: %v", got)
	}
	r.nw.RunFor(cfg.MaxTimeout + 100*time.Millisecond)
	if r.m.stats.Timeouts != 0 {
		t.Fatal("gave up on the request as a node on time would")
	}
	r.nw.RunFor(2 * late)
	if r.m.stats.Timeouts == 0 {
		t.Fatal("never gave up on the request")
	}
}
