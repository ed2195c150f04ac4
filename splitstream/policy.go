package splitstream

import (
	"math"

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

// Adopt implements scribe.Policy: a node takes children up to its
// capacity, in its home stripe from any join, in another stripe only
// when a spare-capacity search found it or it is the stripe's root (no
// node has the stripe's first digit), and on the source in any.
func (f *Forest) Adopt(g id.ID, _ id.Ref, via scribe.Via) bool {
	if g == f.spare {
		return f.cap > 0 && f.sc.ChildCount(g) < f.cfg.SpareChildren
	}
	s := f.stripeOf(g)
	switch {
	case s < 0 || f.total() >= f.cap:
		return false
	case via == scribe.ViaAnycast || via == scribe.ViaRoot || f.h.IsSource():
		return true
	}
	return s == f.home && f.total() < f.soft
}

// Evict implements scribe.Policy: a full node makes room in its home
// stripe by dropping a child of another stripe, or, for a newcomer whose
// ID matches the stripe, a child whose ID does not (it can be a leaf
// anywhere; the newcomer may forward).
func (f *Forest) Evict(g id.ID, child id.Ref) (id.ID, id.Ref, bool) {
	s := f.stripeOf(g)
	if s < 0 || f.h.IsSource() || s != f.home {
		return id.ID{}, id.Ref{}, false
	}
	for i, other := range f.stripes {
		if i == f.home {
			continue
		}
		if kids := f.sc.Children(other); len(kids) > 0 {
			return other, kids[len(kids)-1], true
		}
	}
	if child.ID.Digit(0)%len(f.stripes) != s {
		return id.ID{}, id.Ref{}, false
	}
	kids := f.sc.Children(g)
	for i := len(kids) - 1; i >= 0; i-- {
		if kids[i].ID.Digit(0)%len(f.stripes) != s && f.sc.Kids(g, kids[i].ID) == 0 {
			return g, kids[i], true
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
	case f.h.IsSource():
		return max(0, f.cap-f.total())
	case s != f.home:
		return 0
	}
	return max(0, f.soft-f.total())
}
