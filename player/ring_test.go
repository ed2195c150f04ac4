package player

import (
	"testing"

	"github.com/almcast/alm/chunk"
)

// TestRingGrowsAndKeeps: chunks put out of order and far ahead are all
// found again after the ring grows, and take empties their slots.
func TestRingGrowsAndKeeps(t *testing.T) {
	var r ring
	next := uint64(1000)
	seqs := []uint64{1003, 1000, 1040, 1001, 1500, 1017}
	for _, s := range seqs {
		r.put(&chunk.Chunk{Seq: s}, next)
	}
	for _, s := range seqs {
		if c := r.get(s); c == nil || c.Seq != s {
			t.Fatalf("seq %d lost after growth to %d slots", s, len(r.slots))
		}
	}
	if r.get(1002) != nil || r.get(1000+uint64(len(r.slots))) != nil {
		t.Error("a seq never put was found")
	}
	if c := r.take(1000); c == nil || r.get(1000) != nil {
		t.Error("take did not remove the chunk")
	}
	if len(r.slots) < 501 {
		t.Errorf("%d slots cannot span seqs 1000..1500", len(r.slots))
	}
}
