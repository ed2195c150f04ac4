package scribe

import (
	"fmt"
	"time"

	"github.com/almcast/alm/id"
)

// Repair times are kept as a histogram in a viewer's figures, so that the
// lab can merge every viewer's into one distribution.
const (
	repairBucket  = 50 * time.Millisecond
	repairBuckets = 120 // the last one holds everything longer
)

func repairKey(i int) string { return fmt.Sprintf("repair_hist_%03d", i) }

// RepairClock times repairs: from the loss of a parent (its last word,
// or the drop) to the node's having the tree's data again: at once when it
// is re-attached and misses nothing of the tree, else at the next chunk of
// the tree.
type RepairClock struct {
	since   map[id.ID]time.Duration // lost, not yet repaired
	waiting map[id.ID]bool          // attached, waiting for data
	hist    [repairBuckets]uint64
	n       uint64
}

// NewRepairClock returns an idle clock.
func NewRepairClock() *RepairClock {
	return &RepairClock{since: map[id.ID]time.Duration{}, waiting: map[id.ID]bool{}}
}

// Lost notes the loss of the parent in g, last heard at since.
func (r *RepairClock) Lost(g id.ID, since time.Duration) {
	if _, ok := r.since[g]; !ok {
		r.since[g] = since
	}
	delete(r.waiting, g)
}

// Attached notes a new parent; complete says the node misses nothing of
// the tree's data so far (nothing was due meanwhile, or it was repaired),
// which ends the repair at once.
func (r *RepairClock) Attached(g id.ID, now time.Duration, complete bool) {
	if _, ok := r.since[g]; !ok {
		return
	}
	if complete {
		r.done(g, now)
		return
	}
	r.waiting[g] = true
}

// Data notes a new chunk of tree g.
func (r *RepairClock) Data(g id.ID, now time.Duration) {
	if r.waiting[g] {
		r.done(g, now)
	}
}

func (r *RepairClock) done(g id.ID, now time.Duration) {
	d := now - r.since[g]
	delete(r.since, g)
	delete(r.waiting, g)
	i := int(d / repairBucket)
	if i >= repairBuckets {
		i = repairBuckets - 1
	}
	if i < 0 {
		i = 0
	}
	r.hist[i]++
	r.n++
}

// AddTo adds the repair count and histogram to a mode's figures.
func (r *RepairClock) AddTo(out map[string]float64) {
	out["repairs"] = float64(r.n)
	for i, c := range r.hist {
		if c > 0 {
			out[repairKey(i)] = float64(c)
		}
	}
}

// AddStats adds a node's Scribe and relay counters to its figures.
func AddStats(out map[string]float64, s Stats, r RelayStats) {
	out["parent_losses"] = float64(s.ParentLosses)
	out["parent_timeouts"] = float64(s.ParentTimeouts)
	out["push_downs"] = float64(s.PushDowns)
	out["push_ups"] = float64(s.PushUps)
	out["evictions"] = float64(s.Evictions)
	out["promotions"] = float64(s.Promotions)
	out["anycasts"] = float64(s.Anycasts)
	out["joins_sent"] = float64(s.JoinsSent)
	out["routed_joins"] = float64(s.RoutedJoins)
	out["loops"] = float64(s.Loops)
	out["replaced"] = float64(s.Replaced)
	out["shed"] = float64(r.Shed)
	out["forwarded"] = float64(r.Forwarded)
	out["skipped"] = float64(r.Skipped)
	out["nacks"] = float64(r.Nacks)
	out["served"] = float64(r.Served)
	out["repaired"] = float64(r.Repaired)
	out["repair_failed"] = float64(r.RepairFailed)
	out["repairs_deferred"] = float64(r.RepairsDeferred)
}

// Summarize turns every viewer's figures into the lab's: hops_mean (mean
// depth in tree hops from the source over viewers and trees), depth_max,
// orphans (viewers without a parent in some tree), repair_ms_p95 and,
// for a forest, interior_disjoint (the share of viewers interior in at
// most one stripe), and the viewers' totals of their counters (parent
// losses and timeouts, push-downs and -ups, skipped copies, repairs...).
func Summarize(viewers []map[string]float64, forest bool) map[string]float64 {
	out := map[string]float64{}
	var hops, hopsN, depthMax, orphans, disjoint, n float64
	var hist [repairBuckets]float64
	sums := []string{"parent_losses", "parent_timeouts", "push_downs", "push_ups", "skipped", "evictions", "anycasts", "shed", "nacks", "served", "repaired", "repair_failed", "repairs_deferred", "repairs", "loops", "replaced", "joins_sent", "routed_joins"}
	for _, v := range viewers {
		n++
		if v["hops_n"] > 0 {
			hops += v["hops_sum"]
			hopsN += v["hops_n"]
		}
		depthMax = max(depthMax, v["depth_max"])
		if v["orphan"] > 0 {
			orphans++
		}
		if v["interior_stripes"] <= 1 {
			disjoint++
		}
		for i := range hist {
			hist[i] += v[repairKey(i)]
		}
		for _, k := range sums {
			out[k] += v[k]
		}
	}
	if hopsN > 0 {
		out["hops_mean"] = hops / hopsN
	}
	out["depth_max"] = depthMax
	out["orphans"] = orphans
	if forest && n > 0 {
		out["interior_disjoint"] = disjoint / n
	}
	out["repair_ms_p95"] = histPercentile(hist[:], 95)
	return out
}

// histPercentile returns the upper edge, in ms, of the bucket holding the
// p-th percentile (0 for an empty histogram).
func histPercentile(hist []float64, p float64) float64 {
	total := 0.0
	for _, c := range hist {
		total += c
	}
	if total == 0 {
		return 0
	}
	rank := p / 100 * total
	acc := 0.0
	for i, c := range hist {
		acc += c
		if acc >= rank {
			return float64(time.Duration(i+1)*repairBucket) / 1e6
		}
	}
	return float64(time.Duration(len(hist))*repairBucket) / 1e6
}
