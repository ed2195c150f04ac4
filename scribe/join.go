package scribe

import (
	"time"

	"github.com/almcast/alm/env"
	"github.com/almcast/alm/id"
)

// tryJoin starts the next attempt to find g a parent: the grandparent
// after the parent fell silent, or a former sibling named by a drop, else
// (every third time, when there is a spare-capacity group) an anycast
// after two routed joins failed, else a join routed towards the group ID.
func (s *Scribe) tryJoin(g *group) {
	if s.stopped || g.inTree() || !(g.member || len(g.children) > 0) {
		return
	}
	g.attempt++
	g.answered = false
	s.stats.JoinsSent++
	wait := s.cfg.JoinTimeout
	if s.cfg.JoinBackoff {
		wait <<= min(g.silent, 2)
	}
	switch {
	case len(g.try) > 0:
		if s.cfg.NamedJoinTimeout > 0 {
			wait = s.cfg.NamedJoinTimeout
		}
		to := g.try[0]
		g.try = g.try[1:]
		// A join to the grandparent may be handed up (it is a join from
		// above the lost parent); one to a sibling only down.
		lost := g.lost
		g.lost = id.Zero
		s.send(to, &Join{Group: g.id, Joiner: s.self, Down: lost == id.Zero, Spare: s.ownSpare(g.id), Lost: lost, Kids: g.kids()})
	case s.spare != id.Zero && g.id != s.spare && g.attempt%anycastEvery == 0:
		s.stats.Anycasts++
		s.ov.Route(s.spare, &Anycast{Tree: s.spare, Group: g.id, Joiner: s.self, Any: g.attempt > 2*anycastEvery})
	case validRef(g.entry) && g.attempt <= s.cfg.EntryTries && (g.attempt == 1 || g.silent > 0):
		// Handed down from the entry, a join may take many hops (each
		// perhaps a new connection) before its answer comes: an attempt
		// that timed out unanswered tries the entry again (a late answer
		// to it is still taken); one that was refused goes on by the
		// route.
		s.send(g.entry, &Join{Group: g.id, Joiner: s.self, Down: true, Spare: s.ownSpare(g.id), Kids: g.kids()})
	case g.silent >= standInAfter && s.standIn(g.id):
		// Our own join went unanswered and the group ID is next to us:
		// we stand in for a root that does not run Scribe.
		s.attachFeeder(g)
		return
	default:
		s.stats.RoutedJoins++
		s.ov.Route(g.id, &Join{Group: g.id, Joiner: s.self, Spare: s.ownSpare(g.id), Near: g.silent >= standInAfter, Kids: g.kids()})
	}
	s.armJoin(g, wait)
}

// armJoin (re)starts g's join timer.
func (s *Scribe) armJoin(g *group, d time.Duration) {
	if g.joinTimer != nil {
		g.joinTimer.Stop()
	}
	d += time.Duration(s.e.Rand().Int64N(int64(d)/4+1)) + env.Slack(s.e)
	g.joinTimer = s.e.After(d, func() {
		g.joinTimer = nil
		if g.answered {
			g.silent = 0
		} else {
			g.silent++
		}
		if s.groups[g.id] == g {
			s.tryJoin(g)
		}
	})
}

// attachFeeder makes a root join the feeder (or, with none, the top).
// While a root join is on its way it sends no other: a root that is not
// attached yet may be asked to attach by every join it takes or refuses
// (at 30,000 viewers tuning in, roots sent the source 770 root joins in
// a second, each handed down through its uplink).
func (s *Scribe) attachFeeder(g *group) {
	if g.inTree() {
		return
	}
	if s.feeder.IsZero() || s.feeder.ID == s.self.ID {
		g.top = true
		g.path = nil
		return
	}
	if s.e.Now() < g.rootWait {
		return
	}
	g.rootWait = s.e.Now() + s.cfg.JoinTimeout
	s.send(s.feeder, &Join{Group: g.id, Joiner: s.self, Root: true, Spare: s.ownSpare(g.id), Kids: g.kids()})
	s.armJoin(g, s.cfg.JoinTimeout) // the join or its answer may be lost
}

// onDirectJoin handles a join handed to this node.
func (s *Scribe) onDirectJoin(from id.Ref, j *Join) {
	if !validRef(j.Joiner) {
		s.stats.BadInput++
		return
	}
	s.onJoin(j, ViaDirect, false)
}

// onJoin handles a join routed through (atRoot false), delivered to
// (atRoot true) or handed to this node. It reports whether the join is
// dealt with here; when not, a routed join goes on, possibly with this
// node as the joiner (it became a forwarder).
func (s *Scribe) onJoin(j *Join, via Via, atRoot bool) bool {
	if !validRef(j.Joiner) {
		s.stats.BadInput++
		return true
	}
	g := s.groups[j.Group]
	if j.Joiner.ID == s.self.ID {
		if atRoot && g != nil && !g.inTree() && (g.member || len(g.children) > 0) {
			s.attachFeeder(g) // our own join ends here: we are the root
			return true
		}
		return via == ViaRoute && !atRoot
	}
	if g != nil {
		if c := g.child(j.Joiner.ID); c != nil {
			c.heard = s.e.Now()
			s.accept(g, c.ref) // a repeated join: say yes again
			return true
		}
		if g.inPath(j.Joiner.ID) {
			// The joiner is above us: taking it would close a loop.
			s.stats.Loops++
			switch {
			case via == ViaRoute && !atRoot:
				return false // let it pass on towards the root
			case !s.feeder.IsZero() && int(j.Hops) < s.cfg.MaxPushDown:
				// The root of a subtree cut off from the top: the
				// feeder finds the joiner a place in the attached tree.
				s.handTo(s.feeder, j, false)
			default:
				s.refuse(j)
			}
			return true
		}
	}
	if g != nil && j.Lost != id.Zero && via == ViaDirect {
		s.replaceLost(g, j.Lost)
	}
	inTree := g != nil && g.inTree()
	room := g == nil || len(g.children) < s.cfg.MaxChildren
	ask := via
	if atRoot || (j.Root && g != nil && g.top) {
		// Delivered here as the group's root, or the root attaching to
		// the top: the policy must make room for it if it can.
		ask = ViaRoot
	}
	if room && (inTree || atRoot || via != ViaRoute || s.cfg.ReversePath) && s.pol.Adopt(j.Group, j.Joiner, ask) {
		g = s.group(j.Group)
		s.adopt(g, j.Joiner, j)
		if inTree {
			return true
		}
		if via == ViaRoute && !atRoot && !g.hasParent() {
			// Scribe: go on joining as ourselves.
			j.Joiner, j.Hops, j.Down = s.self, 0, false
			j.Spare, j.Kids = s.ownSpare(g.id), g.kids() // ours now, not the joiner's
			s.armJoin(g, s.cfg.JoinTimeout)
			return false
		}
		if atRoot {
			s.attachFeeder(g)
		} else if g.joinTimer == nil {
			s.tryJoin(g)
		}
		return true
	}
	if !inTree {
		if via == ViaRoute && !atRoot {
			return false // not ours to take: let it pass
		}
		if !atRoot || g == nil || !(g.member || len(g.children) > 0) || s.feeder.IsZero() {
			s.refuse(j)
			return true
		}
		// A full root without a parent yet: it attaches, and places the
		// joiner below as it would attached (its subtree is fed once it
		// is). Refused, the joiner would come back in a moment to a root
		// still waiting: at 30,000 viewers tuning in, a stripe's root
		// refused 730 joins in a second while its root join queued at
		// the source.
		s.attachFeeder(g)
	}
	if via == ViaRoute && !atRoot && len(g.children) == 0 {
		return false // a leaf cannot hand it down: let it pass
	}
	if j.Root && g.top && len(g.children) > 0 && s.cfg.RootKeepsTop {
		// The group's root attaches to the top: it must get a place
		// there. If it is closer to the group ID than every child (a
		// node that only took itself for the root is not), the child
		// farthest from the ID makes way and joins below it.
		var victim *child
		closest := true
		for _, c := range g.children {
			if id.Closer(j.Group, c.ref.ID, j.Joiner.ID) {
				closest = false
			}
			if victim == nil || id.Closer(j.Group, victim.ref.ID, c.ref.ID) {
				victim = c
			}
		}
		if closest {
			s.stats.Evictions++
			s.adopt(g, j.Joiner, j)
			s.Drop(g.id, victim.ref.ID, []id.Ref{j.Joiner})
			return true
		}
	}
	if s.byCapacity(g, j) {
		return true
	}
	if eg, victim, ok := s.pol.Evict(j.Group, j.Joiner); ok {
		s.stats.Evictions++
		g = s.group(j.Group)
		s.adopt(g, j.Joiner, j)
		s.Drop(eg, victim.ID, s.Siblings(eg, victim.ID, 4))
		return true
	}
	s.handOn(g, j)
	return true
}

// replaceLost frees the slot of child lost in g, which an orphan of it
// says fell silent, so that the orphan (a child of lost) can take its
// place at the same depth. The word of the orphan is taken only if lost
// has not refreshed here for ParentTimeout either (it refreshes every
// RefreshPeriod, which Validate keeps shorter). A live child dropped by
// mistake is told so and joins again. (Naming its former siblings for it
// to join under sank the tree in churn: a dropped child and its subtree
// went down a level each time, 45 deep, continuity 0.75.)
func (s *Scribe) replaceLost(g *group, lost id.ID) {
	c := g.child(lost)
	if c == nil || s.e.Now()-c.heard <= s.cfg.ParentTimeout+env.Slack(s.e) {
		return
	}
	g.removeChild(lost)
	s.stats.Replaced++
	s.send(c.ref, &Drop{Group: g.id})
}

// orphaned prepares g's next join after its parent fell silent: it goes
// first straight to the grandparent (from the parent's beats), naming the
// lost parent, so that the node and its subtree take the parent's place
// instead of sinking deeper wherever a routed join finds room. This holds
// for the orphans of the group's root too: one of them takes the root's
// place under the top at once (a routed join would first wait for the
// overlay to find the root dead, and its subtree would sink); the node now
// responsible for the group ID attaches when a join is delivered to it,
// and the top's rule for a closer root sorts them out.
func (s *Scribe) orphaned(g *group) {
	up := g.up
	g.up = id.Ref{}
	if n := len(g.path); n < 2 || g.path[n-2] != up.ID {
		return
	}
	if !validRef(up) || up.ID == s.self.ID || up.ID == g.parent.ID || g.child(up.ID) != nil {
		return
	}
	g.try = append(g.try[:0], up)
	g.lost = g.parent.ID
}

// handOn passes a join this full node cannot take to a neighbour in the
// tree: up to a parent that said it has room (unless the join has gone
// down already), else down to the child with the most spare room below it.
func (s *Scribe) handOn(g *group, j *Join) {
	if int(j.Hops) >= s.cfg.MaxPushDown {
		s.refuse(j)
		return
	}
	if !j.Down && g.hasParent() && g.parentSpare > 0 && g.parent.ID != j.Joiner.ID {
		g.parentSpare--
		s.stats.PushUps++
		s.handTo(g.parent, j, false)
		return
	}
	// A child with free slots of its own takes the joiner one level down
	// (the tree stays shallow); else the child with the most room below.
	var best *child
	ties := 0
	better := func(c, b *child) int {
		switch {
		case (c.own > 0) != (b.own > 0):
			if c.own > 0 {
				return 1
			}
			return -1
		case c.own > 0:
			return 0 // any child with room: spread the joins
		case s.cfg.NearestRoom && c.room != b.room:
			if c.room < b.room {
				return 1
			}
			return -1
		case c.spare != b.spare:
			if c.spare > b.spare {
				return 1
			}
			return -1
		}
		return 0
	}
	for _, c := range g.children {
		if c.ref.ID == j.Joiner.ID {
			continue
		}
		if best == nil {
			best, ties = c, 1
			continue
		}
		switch better(c, best) {
		case 1:
			best, ties = c, 1
		case 0:
			ties++
			if s.e.Rand().IntN(ties) == 0 {
				best = c
			}
		}
	}
	if best == nil || best.own == 0 && best.spare == 0 && best.kids == 0 && s.leaf(g.id, best.ref) {
		// No child, or only leaves that never take a handed-down join:
		// it would only be refused one hop later (over QUIC, 50 viewers
		// tuning in: most refusals came from such leaves, and a
		// viewer's stripe took up to 5s to find a parent).
		s.refuse(j)
		return
	}
	if best.own > 0 {
		best.own--
		if best.own == 0 && best.room == 0 {
			best.room = 1 // its own slots taken: room is further down, if any
		}
	}
	if best.spare > 0 {
		best.spare--
		if best.spare == 0 {
			best.room = NoRoom
		}
	}
	s.stats.PushDowns++
	s.handTo(best.ref, j, true)
}

// leaf reports whether the policy says child never takes a join handed
// down to it in g.
func (s *Scribe) leaf(g id.ID, child id.Ref) bool {
	return s.leafPol != nil && s.leafPol.Leaf(g, child)
}

// handTo hands join j on to another node directly (down: to one of this
// node's children). It goes on as it came, one hop further, except for what concerns
// this node alone: Lost named one of this node's children, freed here, and
// Near asks for a stand-in on the route, which a handed join no longer
// takes.
func (s *Scribe) handTo(to id.Ref, j *Join, down bool) {
	h := *j
	h.Hops++
	h.Down = j.Down || down
	h.Lost, h.Near = id.Zero, false
	s.send(to, &h)
}

// ownSpare is the node's free child slots in g, as a join tells them.
func (s *Scribe) ownSpare(g id.ID) uint16 { return clip16(s.pol.Spare(g)) }

// adopt takes r as a child in g and tells it so; j, when r joined by it,
// gives r's free slots and its slots in all (children and free), which
// its refreshes renew.
func (s *Scribe) adopt(g *group, r id.Ref, j *Join) {
	if g.child(r.ID) == nil {
		c := &child{ref: r, heard: s.e.Now(), since: s.e.Now(), room: NoRoom, slots: -1}
		if j != nil {
			c.own, c.spare = int(j.Spare), int(j.Spare)
			c.slots = int(j.Kids) + int(j.Spare)
			if c.own > 0 {
				c.room = 0
			}
		}
		g.children = append(g.children, c)
	}
	s.stats.Accepted++
	s.accept(g, r)
}

func (s *Scribe) accept(g *group, r id.Ref) {
	s.send(r, &Accept{Group: g.id, Path: s.pathOut(g)})
}

// pathOut is the path a child of g gets: ours, then us.
func (s *Scribe) pathOut(g *group) []id.ID {
	out := make([]id.ID, 0, len(g.path)+1)
	out = append(out, g.path...)
	return append(out, s.self.ID)
}

func (s *Scribe) refuse(j *Join) {
	s.stats.Refused++
	s.send(j.Joiner, &Refuse{Group: j.Group})
}

// onAccept takes a parent, if the node needs one in that group.
func (s *Scribe) onAccept(from id.Ref, a *Accept) {
	g := s.groups[a.Group]
	if g == nil || g.top || !(g.member || len(g.children) > 0) || !validRef(from) {
		s.send(from, &Leave{Group: a.Group}) // unasked for
		return
	}
	if g.hasParent() {
		if g.parent.ID == from.ID {
			s.setPath(g, a.Path)
			g.heard = s.e.Now()
		} else {
			s.send(from, &Leave{Group: a.Group}) // a late answer: we have a parent
		}
		return
	}
	if s.loops(a.Path) || g.child(from.ID) != nil {
		s.stats.Loops++
		s.send(from, &Leave{Group: a.Group})
		return
	}
	g.parent = from
	g.entry = id.Ref{} // later searches (repairs) try a grandparent, then the route
	g.path = append([]id.ID(nil), a.Path...)
	g.heard = s.e.Now()
	g.parentSpare = 0
	g.attempt = 0
	g.try = nil
	g.lost, g.up = id.Zero, id.Ref{} // the new parent's beats name its parent
	g.answered, g.silent = true, 0
	if g.joinTimer != nil {
		g.joinTimer.Stop()
		g.joinTimer = nil
	}
	if s.ev.Attached != nil {
		s.ev.Attached(g.id, from)
	}
}

// standIn reports whether this node stands in for g's root when a join
// says the root did not answer (Join.Near): it is a member of g not yet
// in the tree, it has a feeder to attach to, and its leaf set spans the
// group ID (the root is one of its neighbours).
func (s *Scribe) standIn(gid id.ID) bool {
	g := s.groups[gid]
	return g != nil && g.member && !g.inTree() && !s.feeder.IsZero() && s.feeder.ID != s.self.ID &&
		s.ov.LeafSet().InRange(gid)
}

// loops reports whether a path from the top would make a loop here.
func (s *Scribe) loops(path []id.ID) bool {
	if len(path) > s.cfg.MaxPath {
		return true
	}
	for _, p := range path {
		if p == s.self.ID {
			return true
		}
	}
	return false
}

func (s *Scribe) setPath(g *group, path []id.ID) {
	if s.loops(path) {
		s.stats.Loops++
		s.send(g.parent, &Leave{Group: g.id})
		s.lose(g, s.e.Now())
		return
	}
	g.path = append(g.path[:0], path...)
}

func (s *Scribe) onRefuse(r *Refuse) {
	g := s.groups[r.Group]
	if g == nil || g.inTree() {
		return
	}
	g.answered = true
	g.rootWait = 0 // a root join's answer, if it was one
	s.armJoin(g, s.cfg.JoinTimeout/5)
}

func (s *Scribe) onDrop(from id.Ref, d *Drop) {
	g := s.groups[d.Group]
	if g == nil || g.parent.ID != from.ID {
		return
	}
	g.try = g.try[:0]
	g.lost, g.up = id.Zero, id.Ref{}
	for _, r := range d.Try {
		if validRef(r) && r.ID != s.self.ID && g.child(r.ID) == nil {
			g.try = append(g.try, r)
		}
	}
	s.lose(g, s.e.Now())
}

func (s *Scribe) onLeave(from id.Ref, l *Leave) {
	if g := s.groups[l.Group]; g != nil && g.removeChild(from.ID) {
		s.prune(g)
	}
}

// lose forgets g's parent and joins again at once.
func (s *Scribe) lose(g *group, since time.Duration) {
	g.parent = id.Ref{}
	g.path = nil
	g.parentSpare = 0
	g.attempt = 0
	s.stats.ParentLosses++
	if s.ev.ParentLost != nil {
		s.ev.ParentLost(g.id, since)
	}
	if !(g.member || len(g.children) > 0) {
		s.forget(g)
		return
	}
	s.tryJoin(g)
}

// anycast goes on with a depth-first search of a.Tree for a node that
// takes a.Joiner as a child in a.Group.
func (s *Scribe) anycast(a *Anycast) {
	if !validRef(a.Joiner) || len(a.Visited) >= maxVisited {
		if validRef(a.Joiner) {
			s.send(a.Joiner, &Refuse{Group: a.Group})
		}
		return
	}
	visited := make([]id.ID, 0, len(a.Visited)+1)
	visited = append(visited, a.Visited...)
	visited = append(visited, s.self.ID)
	if g := s.groups[a.Group]; g != nil && a.Joiner.ID != s.self.ID && g.inTree() && !g.inPath(a.Joiner.ID) &&
		len(g.children) < s.cfg.MaxChildren {
		if g.child(a.Joiner.ID) != nil {
			s.accept(g, a.Joiner)
			return
		}
		via := ViaAnycast
		if a.Any || len(a.Visited) >= AnycastPicky {
			via = ViaAnycastLate
		}
		if s.pol.Adopt(a.Group, a.Joiner, via) {
			s.adopt(g, a.Joiner, nil)
			return
		}
	}
	seen := func(x id.ID) bool {
		for _, v := range visited {
			if v == x {
				return true
			}
		}
		return false
	}
	if t := s.groups[a.Tree]; t != nil {
		// The child with the most room first: nodes that forward in no
		// tree yet have the most, and taking the joiner keeps them
		// interior in one tree at most.
		var best *child
		for _, c := range t.children {
			if !seen(c.ref.ID) && c.ref.ID != a.Joiner.ID && c.spare > 0 && (best == nil || c.spare > best.spare) {
				best = c
			}
		}
		if best != nil {
			s.send(best.ref, &Anycast{Tree: a.Tree, Group: a.Group, Joiner: a.Joiner, Visited: visited, Any: a.Any})
			return
		}
		// Up: to a new node; or, for a joiner whose earlier searches
		// failed, also back to one already asked, which goes on with its
		// other children (depth first, the trail in Visited). Ordinary
		// searches do not backtrack: where upload is scarce most of them
		// fail, and long failing searches flood the tree.
		if t.hasParent() && (a.Any || !seen(t.parent.ID)) {
			s.send(t.parent, &Anycast{Tree: a.Tree, Group: a.Group, Joiner: a.Joiner, Visited: visited, Any: a.Any})
			return
		}
	}
	s.send(a.Joiner, &Refuse{Group: a.Group})
}

// standInAfter is how many join attempts in a row must go unanswered
// before a node asks for (or makes itself) a stand-in for the group's
// root. After one, while a crowd tunes in, members near a stripe ID
// stand in by the dozen and each attaches to the source, which hands
// their root joins down its uplink: at 100,000 forest viewers with 20 s
// of stream 0.782 with one, 0.872 with two (at 10,000 and 30,000 viewers
// with 12 s of stream one did better, 0.9972 and 0.961 against 0.9885
// and 0.910: more stand-ins are more places to join while the source
// keeps up).
const standInAfter = 2

// anycastEvery: every this many join attempts, a node without a parent
// searches the spare-capacity tree instead of routing a join; from its
// third search on, the search takes any room (Anycast.Any).
const anycastEvery = 3
