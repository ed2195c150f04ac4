package lab

import "math"

// histRange and histWidth: arrival delays are counted in 1 ms buckets up
// to two minutes, later ones in one overflow bucket.
const (
	histWidth = 1.0 // ms
	histRange = 120_000
)

// Histogram counts values (ms) in fixed buckets, so that a run's millions
// of chunk arrivals cost constant memory; Percentile is within one bucket
// of the exact nearest-rank answer (it returns the largest value seen in
// the bucket holding that rank).
type Histogram struct {
	n      uint64
	counts []uint64
	maxes  []float64
}

// Add counts x; negative values count as 0.
func (h *Histogram) Add(x float64) {
	if h.counts == nil {
		h.counts = make([]uint64, histRange+1)
		h.maxes = make([]float64, histRange+1)
	}
	x = math.Max(x, 0)
	i := int(min(x/histWidth, histRange))
	h.counts[i]++
	h.maxes[i] = math.Max(h.maxes[i], x)
	h.n++
}

// Count is how many values were added.
func (h *Histogram) Count() uint64 { return h.n }

// Percentile returns the p-th percentile (0-100) by the nearest-rank
// method, to within a bucket; 0 for no values.
func (h *Histogram) Percentile(p float64) float64 {
	if h.n == 0 {
		return 0
	}
	rank := uint64(math.Ceil(p / 100 * float64(h.n)))
	rank = min(max(rank, 1), h.n)
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			return h.maxes[i]
		}
	}
	return h.maxes[len(h.maxes)-1]
}
