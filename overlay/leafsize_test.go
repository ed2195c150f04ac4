package overlay

import (
	"math/rand/v2"
	"testing"

	"github.com/almcast/alm/id"
)

// TestLeafSetSize: the leaf set's density estimates the overlay's size
// within its expected error, and a small overlay is counted exactly.
func TestLeafSetSize(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	randID := func() id.ID { return id.FromUint128(rng.Uint64(), rng.Uint64()) }
	for _, n := range []int{10, 1000, 10000} {
		ids := make([]id.ID, n)
		for i := range ids {
			ids[i] = randID()
		}
		var sum float64
		samples := min(n, 20)
		for s := 0; s < samples; s++ {
			l := NewLeafSet(ids[s], 24)
			for _, x := range ids {
				if x != ids[s] {
					l.Insert(id.Ref{ID: x})
				}
			}
			sum += l.Size()
		}
		got := sum / float64(samples)
		if n < 24 && got != float64(n) {
			t.Errorf("%d nodes: size %v, want exact", n, got)
		}
		if got < 0.8*float64(n) || got > 1.25*float64(n) {
			t.Errorf("%d nodes: mean estimate %.0f", n, got)
		}
	}
}
