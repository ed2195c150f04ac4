package lab

import (
	"math/rand/v2"
	"testing"
)

// TestHistogramMatchesPercentile: on random delays the histogram's
// percentiles are the largest value in the exact answer's bucket: no
// less than it and within one bucket (past the buckets, no less).
func TestHistogramMatchesPercentile(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var h Histogram
	var xs []float64
	for range 100_000 {
		x := rng.ExpFloat64() * 800
		if rng.IntN(1000) == 0 {
			x += 200_000 // past the buckets
		}
		h.Add(x)
		xs = append(xs, x)
	}
	for _, p := range []float64{1, 50, 95, 99, 99.95, 100} {
		want := Percentile(xs, p)
		got := h.Percentile(p)
		if got < want || (want < histRange && got-want >= histWidth) {
			t.Errorf("p%v: %v, exact %v", p, got, want)
		}
	}
	if h.Count() != 100_000 {
		t.Errorf("count %d", h.Count())
	}
	var empty Histogram
	if empty.Percentile(50) != 0 {
		t.Error("empty histogram not 0")
	}
}
