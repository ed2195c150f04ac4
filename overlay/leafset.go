package overlay

import (
	"github.com/almcast/alm/id"
)

// LeafSet holds the L/2 nodes numerically closest to a node on each side of
// it on the identifier ring, nearest first. In a ring of fewer than L nodes a
// node may sit on both sides.
type LeafSet struct {
	self id.ID
	half int
	cw   []id.Ref // clockwise (larger IDs), nearest first
	ccw  []id.Ref // counter-clockwise (smaller IDs), nearest first
}

// NewLeafSet returns an empty leaf set of size l around self.
func NewLeafSet(self id.ID, l int) *LeafSet {
	return &LeafSet{self: self, half: l / 2}
}

func (l *LeafSet) cwDist(x id.ID) id.ID  { return x.Sub(l.self) }
func (l *LeafSet) ccwDist(x id.ID) id.ID { return l.self.Sub(x) }

// insertSide puts r into side, sorted by dist, keeping at most half.
func (l *LeafSet) insertSide(side []id.Ref, r id.Ref, dist func(id.ID) id.ID) ([]id.Ref, bool) {
	d := dist(r.ID)
	i := 0
	for ; i < len(side); i++ {
		if side[i].ID == r.ID {
			side[i].Addr = r.Addr
			return side, false
		}
		if d.Cmp(dist(side[i].ID)) < 0 {
			break
		}
	}
	if i >= l.half {
		return side, false
	}
	for j := i; j < len(side); j++ {
		if side[j].ID == r.ID {
			return side, false
		}
	}
	side = append(side, id.Ref{})
	copy(side[i+1:], side[i:])
	side[i] = r
	if len(side) > l.half {
		side = side[:l.half]
	}
	return side, true
}

// Insert adds r if it is among the closest on either side. It reports
// whether the set changed.
func (l *LeafSet) Insert(r id.Ref) bool {
	if r.ID == l.self {
		return false
	}
	var a, b bool
	l.cw, a = l.insertSide(l.cw, r, l.cwDist)
	l.ccw, b = l.insertSide(l.ccw, r, l.ccwDist)
	return a || b
}

// Wants reports whether x would enter the leaf set if inserted.
func (l *LeafSet) Wants(x id.ID) bool {
	if x == l.self || l.Contains(x) {
		return false
	}
	return len(l.cw) < l.half || len(l.ccw) < l.half ||
		l.cwDist(x).Cmp(l.cwDist(l.cw[len(l.cw)-1].ID)) < 0 ||
		l.ccwDist(x).Cmp(l.ccwDist(l.ccw[len(l.ccw)-1].ID)) < 0
}

func removeFrom(side []id.Ref, x id.ID) ([]id.Ref, bool) {
	for i := range side {
		if side[i].ID == x {
			return append(side[:i], side[i+1:]...), true
		}
	}
	return side, false
}

// Remove drops x; it reports whether x was there.
func (l *LeafSet) Remove(x id.ID) bool {
	var a, b bool
	l.cw, a = removeFrom(l.cw, x)
	l.ccw, b = removeFrom(l.ccw, x)
	return a || b
}

// Contains reports whether x is in the set.
func (l *LeafSet) Contains(x id.ID) bool {
	for _, r := range l.cw {
		if r.ID == x {
			return true
		}
	}
	for _, r := range l.ccw {
		if r.ID == x {
			return true
		}
	}
	return false
}

// Get returns the Ref of x if it is in the set.
func (l *LeafSet) Get(x id.ID) (id.Ref, bool) {
	for _, s := range [2][]id.Ref{l.cw, l.ccw} {
		for _, r := range s {
			if r.ID == x {
				return r, true
			}
		}
	}
	return id.Ref{}, false
}

// Full reports whether both sides hold L/2 nodes.
func (l *LeafSet) Full() bool { return len(l.cw) >= l.half && len(l.ccw) >= l.half }

// InRange reports whether key falls within the span the leaf set covers,
// so that the node responsible for it is in the set (or is this node).
// While a side is not full the node knows the whole ring and every key is
// in range.
func (l *LeafSet) InRange(key id.ID) bool {
	if !l.Full() {
		return true
	}
	return l.cwDist(key).Cmp(l.cwDist(l.cw[len(l.cw)-1].ID)) <= 0 ||
		l.ccwDist(key).Cmp(l.ccwDist(l.ccw[len(l.ccw)-1].ID)) <= 0
}

// Closest returns the member or self closest to key, skipping members for
// which skip returns true; ok is false when self is the closest.
func (l *LeafSet) Closest(key id.ID, skip func(id.ID) bool) (best id.Ref, ok bool) {
	bestID := l.self
	for _, s := range [2][]id.Ref{l.cw, l.ccw} {
		for _, r := range s {
			if (skip == nil || !skip(r.ID)) && id.Closer(key, r.ID, bestID) {
				best, bestID, ok = r, r.ID, true
			}
		}
	}
	return best, ok
}

// Nearest returns the immediate neighbours: clockwise and counter-clockwise
// (zero Refs when a side is empty).
func (l *LeafSet) Nearest() (cw, ccw id.Ref) {
	if len(l.cw) > 0 {
		cw = l.cw[0]
	}
	if len(l.ccw) > 0 {
		ccw = l.ccw[0]
	}
	return cw, ccw
}

// Farthest returns the farthest member on the clockwise and
// counter-clockwise sides.
func (l *LeafSet) Farthest() (cw, ccw id.Ref) {
	if len(l.cw) > 0 {
		cw = l.cw[len(l.cw)-1]
	}
	if len(l.ccw) > 0 {
		ccw = l.ccw[len(l.ccw)-1]
	}
	return cw, ccw
}

// All returns every member once, clockwise side first.
func (l *LeafSet) All() []id.Ref {
	out := make([]id.Ref, 0, len(l.cw)+len(l.ccw))
	out = append(out, l.cw...)
	for _, r := range l.ccw {
		dup := false
		for _, c := range l.cw {
			if c.ID == r.ID {
				dup = true
				break
			}
		}
		if !dup {
			out = append(out, r)
		}
	}
	return out
}

// Len returns the number of distinct members.
func (l *LeafSet) Len() int { return len(l.All()) }

// Sides returns copies of the clockwise and counter-clockwise sides.
func (l *LeafSet) Sides() (cw, ccw []id.Ref) {
	return append([]id.Ref(nil), l.cw...), append([]id.Ref(nil), l.ccw...)
}

// Size estimates how many nodes the overlay holds from the leaf set's
// density: its members span a fraction f of the identifier ring around
// this node, so the ring holds about members/f nodes. A leaf set that is
// not full holds the whole overlay (members + 1). The estimate's relative
// error is about one over the square root of the leaf set's size.
func (l *LeafSet) Size() float64 {
	if !l.Full() {
		return float64(l.Len() + 1)
	}
	cw, ccw := l.Farthest()
	f := l.cwDist(cw.ID).Float() + l.ccwDist(ccw.ID).Float()
	if f <= 0 || f >= 1 {
		return float64(l.Len() + 1)
	}
	return float64(len(l.cw)+len(l.ccw)) / f
}
