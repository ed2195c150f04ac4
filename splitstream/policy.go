package splitstream

import (
	"math"
	"time"

	"github.com/almcast/alm/id"
	"github.com/almcast/alm/scribe"
)

// StripeID returns the ID of stripe s of a channel: the channel ID with
// its first digit replaced by s, so stripes differ in their first digit.
func StripeID(channel id.ID, s int) id.ID { return channel.WithDigit(0, s) }

// SpareID returns the ID of a channel's spare-capacity group.
func SpareID(channel id.ID) id.ID {
	return id.Hash(append(append([]byte(nil), channel[:]...), "splitstream spare"...))
}

// OutCapacity is how many stripe children an upload of upload bit/s
// carries for a stream of rate bit/s in k stripes, less headroom, each
// chunk being overhead times its nominal size.
func OutCapacity(upload, rate int64, k int, headroom, overhead float64) int {
	if upload <= 0 || rate <= 0 {
		return 0
	}
	stripe := float64(rate) / float64(k) * overhead
	return int(math.Floor(float64(upload) * (1 - headroom) / stripe))
}

// stripeOf returns the stripe index of group g, or -1.
func (f *Forest) stripeOf(g id.ID) int {
	for i, s := range f.stripes {
		if s == g {
			return i
		}
	}
	return -1
}

func (f *Forest) total() int {
	n := 0
	for _, s := range f.stripes {
		n += f.sc.ChildCount(s)
	}
	return n
}

// perStripe is a node's capacity shared out evenly over the stripes: the
// source's cap in each (so that no stripe's root finds the source full),
// and what a root of a stripe other than its home stripe keeps for it
// (Evict).
func (f *Forest) perStripe() int { return max(1, f.cap/len(f.stripes)) }

// Adopt implements scribe.Policy. The source takes up to its per-stripe
// share in each stripe. A viewer takes children up to its capacity in its
// home stripe from any join; in another stripe only when a spare-capacity
// search found it (an orphan no home node could take) or when it is the
// stripe's root.
func (f *Forest) Adopt(g id.ID, child id.Ref, via scribe.Via) bool {
	if g == f.spare {
		return f.cap > 0 && f.sc.ChildCount(g) < f.cfg.SpareChildren
	}
	s := f.stripeOf(g)
	switch {
	case s < 0:
		return false
	case f.h.IsSource():
		// The source's few slots go to nodes that forward in the stripe,
		// its share in each stripe; an orphan that a spare-capacity
		// search brought takes any slot left (in a small swarm a stripe
		// may have no forwarder at all). Never more than its capacity:
		// the source's uplink feeds everyone, and a queue there delays
		// every chunk (Evict frees a share taken by orphans).
		if f.total() >= f.cap {
			return false
		}
		if via == scribe.ViaAnycast || via == scribe.ViaAnycastLate {
			return true
		}
		return f.sc.ChildCount(g) < f.perStripe() && (f.homeOf(child) == s || via == scribe.ViaRoot)
	case f.total() >= f.cap:
		return false
	case via == scribe.ViaRoot || via == scribe.ViaAnycastLate:
		return true
	}
	if s == f.home {
		// A node that took orphans of another stripe leaves its home
		// stripe's joins to other forwarders.
		return f.interiorOnlyIn(s)
	}
	// An orphan found by a spare-capacity search: taken by a node that
	// forwards in no other stripe, so that it stays interior in one tree
	// at most; a node already forwarding elsewhere takes it only when
	// the search found no such node early.
	return via == scribe.ViaAnycast && f.interiorOnlyIn(s)
}

// Leaf implements scribe.LeafPolicy: a node takes joins handed down to
// it only in its home stripe (in another only from a spare-capacity
// search, or as the stripe's root).
func (f *Forest) Leaf(g id.ID, child id.Ref) bool {
	s := f.stripeOf(g)
	return s >= 0 && f.homeOf(child) != s
}

// interiorOnlyIn reports whether the node has children in no stripe but s.
func (f *Forest) interiorOnlyIn(s int) bool {
	for i, g := range f.stripes {
		if i != s && f.sc.ChildCount(g) > 0 {
			return false
		}
	}
	return true
}

// homeOf is the home stripe of a node.
func (f *Forest) homeOf(r id.Ref) int { return r.ID.Digit(0) % len(f.stripes) }

// Evict implements scribe.Policy: a full node makes room for a newcomer
// that forwards in the stripe (its home stripe) by dropping a leaf child
// that does not: first one of the same stripe (it joins again one level
// down, under a sibling), then one of another stripe (the spare-capacity
// search places it again). The full source gives a stripe under its share
// a slot held by a leaf of a stripe over its share. Non-forwarders thus
// sink to the bottom of each tree and forwarders rise to the top.
// Otherwise the newcomer is pushed down. A viewer evicts only in its home
// stripe, or in a stripe it roots (scribe.Scribe.Roots): the node
// nearest a stripe ID may belong to another stripe, and a root that took
// other stripes' leaves before the stripe's own forwarders came could
// only hand later joiners on to leaves that take none (96 viewers tuning
// in together, seed 10: 11 viewers interior in two stripes, after
// orphans' spare-capacity searches; with roots evicting, 1).
func (f *Forest) Evict(g id.ID, child id.Ref) (id.ID, id.Ref, bool) {
	s := f.stripeOf(g)
	if s >= 0 && s == f.home && !f.h.IsSource() && f.homeOf(child) != s && !f.interiorOnlyIn(s) {
		// A node holding orphans of other stripes turned away a joiner
		// of its home stripe: one of those orphans makes way (and
		// searches again), so the node forwards in its home stripe only.
		if eg, v, ok := f.otherLeaf(); ok {
			return eg, v, true
		}
	}
	if s < 0 || f.homeOf(child) != s {
		return id.ID{}, id.Ref{}, false
	}
	if f.h.IsSource() && f.sc.ChildCount(g) < f.perStripe() {
		// The source is full with orphans of other stripes beyond their
		// share: one of them makes way for a forwarder of this stripe.
		for _, other := range f.stripes {
			if other == g || f.sc.ChildCount(other) <= f.perStripe() {
				continue
			}
			kids := f.sc.Children(other)
			for j := len(kids) - 1; j >= 0; j-- {
				if f.sc.Kids(other, kids[j].ID) == 0 {
					return other, kids[j], true
				}
			}
		}
	}
	if !f.h.IsSource() && s != f.home && !f.sc.Roots(g) {
		// Not the node's home stripe, and the node is not the stripe's
		// root: it pushes the newcomer down.
		return id.ID{}, id.Ref{}, false
	}
	kids := f.sc.Children(g)
	for j := len(kids) - 1; j >= 0; j-- {
		if f.homeOf(kids[j]) != s && f.sc.Kids(g, kids[j].ID) == 0 {
			return g, kids[j], true
		}
	}
	if f.h.IsSource() {
		return id.ID{}, id.Ref{}, false
	}
	if eg, v, ok := f.otherLeaf(); ok {
		return eg, v, true
	}
	if s != f.home && f.sc.ChildCount(g) < f.perStripe() {
		// The node roots a stripe other than its home stripe and is full
		// with its home stripe's children: one of them (the one with the
		// fewest below it) joins again under its siblings, or the stripe
		// would have no tree below its root (scenario H, seed 13: the
		// root of stripe 0, full in stripe 3, turned away all of stripe
		// 0's forwarders for 20 s).
		return f.homeLeaf()
	}
	return id.ID{}, id.Ref{}, false
}

// homeLeaf names the child in the node's home stripe with the fewest
// children of its own.
func (f *Forest) homeLeaf() (id.ID, id.Ref, bool) {
	g := f.stripes[f.home]
	var best id.Ref
	fewest := -1
	for _, c := range f.sc.Children(g) {
		if n := f.sc.Kids(g, c.ID); fewest < 0 || n < fewest {
			best, fewest = c, n
		}
	}
	return g, best, fewest >= 0
}

// otherLeaf names a child without children of its own in a stripe other
// than the node's home stripe.
func (f *Forest) otherLeaf() (id.ID, id.Ref, bool) {
	for i, other := range f.stripes {
		if i == f.home {
			continue
		}
		kids := f.sc.Children(other)
		for j := len(kids) - 1; j >= 0; j-- {
			if f.sc.Kids(other, kids[j].ID) == 0 {
				return other, kids[j], true
			}
		}
	}
	return id.ID{}, id.Ref{}, false
}

// Spare implements scribe.Policy: free slots, offered in the home stripe
// (and by the source in every stripe).
func (f *Forest) Spare(g id.ID) int {
	if g == f.spare {
		return max(0, f.cap-f.total()) // what an anycast looks for
	}
	s := f.stripeOf(g)
	switch {
	case s < 0:
		return 0
	case f.h.IsSource():
		return max(0, f.perStripe()-f.sc.ChildCount(g))
	case s != f.home || !f.interiorOnlyIn(s):
		return 0
	}
	return max(0, f.cap-f.total())
}

// tunedPeriod is the time between a stripe's chunks that the forest's
// parent timeout was tuned for: 4 stripes of 50ms chunks.
const tunedPeriod = 200 * time.Millisecond

// parentTimeout is how long a child waits on a silent parent in a forest
// of k stripes of dur chunks: base, scaled up with the time between a
// stripe's chunks beyond tunedPeriod. A parent sends each chunk to its
// children in turn, so a child's chunk, and a beat or a probe's answer
// queued behind it, can come a whole stripe period late: 16 stripes of
// 50ms chunks put 800ms between a stripe's chunks, and at the base 700ms
// children gave up live parents (96 simulated viewers, 20 s: 190 parents
// given up, 9 viewers left without a parent in some stripe, continuity
// 0.964).
func parentTimeout(base time.Duration, k int, dur time.Duration) time.Duration {
	period := time.Duration(k) * dur
	if period <= tunedPeriod {
		return base
	}
	return time.Duration(float64(base) * float64(period) / float64(tunedPeriod))
}
