package datadriven

import (
	"testing"
	"time"

	"github.com/almcast/alm/chunk"
)

// TestNoChunkPastPartnersPlayout: a partner's requests and notices carry
// its playout point; chunks its player has passed, by then or by the
// chunks played since, are not sent to it, and a node forgets its own
// requests for chunks its player has passed, freeing the partner's slots.
func TestNoChunkPastPartnersPlayout(t *testing.T) {
	r := newRig(t, DefaultConfig(), 2)
	for _, s := range []uint64{10, 20, 30} {
		r.m.Chunk(r.ref[1], r.h.chunk(s), true)
	}
	r.h.take()
	sent := func() []uint64 {
		var out []uint64
		for i := 0; i < 20; i++ {
			r.nw.RunFor(50 * time.Millisecond)
			for _, s := range r.h.take() {
				if c, ok := s.m.(*chunk.Chunk); ok && s.to == r.ref[0] {
					out = append(out, c.Seq)
				}
			}
		}
		return out
	}
	// Partner 0 plays chunk 15 next: 10 has gone by, 20 has not.
	r.m.Receive(r.ref[0], &Request{Seqs: []uint64{10, 20}, Next: 16})
	if got := sent(); len(got) != 1 || got[0] != 20 {
		t.Fatalf("sent %v to a partner playing chunk 15, want [20]", got)
	}
	if r.m.stats.Passed != 1 {
		t.Fatalf("passed %d, want 1", r.m.stats.Passed)
	}
	// A second later (five 200ms chunks on) it plays 20 or later: 30 is
	// sent, 20 would not be.
	r.nw.RunFor(time.Second)
	r.m.Receive(r.ref[0], &Request{Seqs: []uint64{30}})
	r.m.partner(r.ref[0].ID).m.Clear(20)
	r.m.Receive(r.ref[0], &Request{Seqs: []uint64{20}})
	if got := sent(); len(got) != 1 || got[0] != 30 {
		t.Fatalf("sent %v, want [30]: chunk 20 is past its playout point", got)
	}

	// Our own request for a chunk the player has since passed is dropped.
	r.has(1, 40)
	r.m.schedule()
	if _, ok := r.m.reqs[40]; !ok {
		t.Fatal("chunk 40 was not requested")
	}
	out := r.m.partner(r.ref[1].ID).out
	r.m.dropPassed(41)
	if _, ok := r.m.reqs[40]; ok || r.m.partner(r.ref[1].ID).out != out-1 {
		t.Fatalf("a request for a passed chunk is kept (outstanding %d, was %d)", r.m.partner(r.ref[1].ID).out, out)
	}
}

// TestPlayingPoint: a node that is not playing tells no playout point.
func TestPlayingPoint(t *testing.T) {
	r := newRig(t, DefaultConfig(), 1)
	if got := r.m.playing(); got != 0 {
		t.Fatalf("playout point %d before playback, want 0 (unknown)", got)
	}
}
