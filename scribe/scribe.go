package scribe

import (
	"fmt"
	"time"

	"github.com/almcast/alm/env"
	"github.com/almcast/alm/id"
	"github.com/almcast/alm/overlay"
	"github.com/almcast/alm/wire"
)

// Via says how a join reached a node.
type Via uint8

// The ways a join reaches a node.
const (
	ViaRoute   Via = iota // on its overlay route towards the group ID
	ViaDirect             // handed on by a full node, or sent to a sibling
	ViaAnycast            // found by a spare-capacity search
	ViaRoot               // delivered to this node, the group's root
	// ViaAnycastLate is a spare-capacity search that has already visited
	// AnycastPicky nodes, or whose joiner's earlier searches failed: the
	// policy should take the joiner if it can at all.
	ViaAnycastLate
)

// Policy is the mode's say over a node's children: its degree caps.
type Policy interface {
	// Adopt reports whether the node takes child as a new child in group
	// g now. It is never asked about a child that would close a loop.
	Adopt(g id.ID, child id.Ref, via Via) bool
	// Evict names a current child, in group eg, to drop so that the node
	// can take child in g instead (SplitStream's push-down); ok is false
	// when the newcomer should be handed on instead.
	Evict(g id.ID, child id.Ref) (eg id.ID, victim id.Ref, ok bool)
	// Spare is how many more children the node would take in g.
	Spare(g id.ID) int
}

// LeafPolicy is a Policy that knows children which never take a join
// handed down to them in a group (a forest viewer in a stripe other than
// its home stripe): a full node does not hand joins down to such a child
// with no children of its own.
type LeafPolicy interface {
	Leaf(g id.ID, child id.Ref) bool
}

// Events are what a Scribe tells its mode; nil fields are skipped.
type Events struct {
	// ParentLost is called when the node loses its parent in g; since is
	// when the parent was last heard from (or now, for a drop).
	ParentLost func(g id.ID, since time.Duration)
	// Attached is called when the node gets a parent in g.
	Attached func(g id.ID, parent id.Ref)
}

// Stats counts what a node's Scribe did and saw.
type Stats struct {
	JoinsSent, Accepted, Refused, PushDowns, PushUps, Evictions uint64
	// Promotions counts joiners that took a weaker child's place
	// (Config.ByCapacity).
	Promotions                                             uint64
	Anycasts, ParentLosses, ChildTimeouts, Loops, BadInput uint64
	// Replaced counts silent children whose slot an orphan of theirs
	// took (see Join.Lost).
	Replaced uint64
	// ParentTimeouts counts the parent losses that were silences (the
	// rest were drops, push-downs and loops).
	ParentTimeouts uint64
	// RoutedJoins counts join attempts sent along the overlay route
	// (the rest went to a named node: the entry, a grandparent, a
	// sibling, or were anycasts).
	RoutedJoins uint64
}

type child struct {
	ref   id.Ref
	heard time.Duration
	since time.Duration // adopted at
	spare int           // free slots in its subtree, as it last said
	kids  int           // its own children, as it last said
	own   int           // its own free slots, as it last said
	room  int           // levels below it to a free slot, as it last said (NoRoom: none)
	slots int           // its children and own free slots, as it last said (its capacity); -1 when unknown (adopted without a join, until its first refresh)
	fed   time.Duration // when data last went to it (Fed)
	beat  beatSent      // the last beat entry sent to it
}

// group is one tree as this node sees it.
type group struct {
	id          id.ID
	member      bool // wants the group's data
	top         bool // originates the data: the tree's top
	parent      id.Ref
	path        []id.ID // top ... parent
	heard       time.Duration
	parentSpare int
	children    []*child
	try         []id.Ref // siblings to try after a drop
	entry       id.Ref   // where joins start (JoinAt), or zero: routed joins
	up          id.Ref   // the parent's parent, as the last beat said
	lost        id.ID    // the silent parent, named by the next join to try[0]
	attempt     int
	joinTimer   env.Timer
	answered    bool // the current join attempt was answered
	silent      int  // join attempts in a row that were not
	// rootWait is when the root join last sent to the feeder is given
	// up (attachFeeder); until then the node sends no other.
	rootWait time.Duration
	// probedAt is when the parent, silent, was last probed
	// (Config.ProbeParent).
	probedAt time.Duration
	// refreshed is the last refresh entry sent for g, to whom and when
	// (Config.QuietRefresh).
	refreshed refreshSent
}

func (g *group) hasParent() bool { return !g.parent.IsZero() }
func (g *group) inTree() bool    { return g.top || g.hasParent() }

// kids is how many children the node has in g, as a join tells them.
func (g *group) kids() uint16 { return clip16(len(g.children)) }

func (g *group) child(x id.ID) *child {
	for _, c := range g.children {
		if c.ref.ID == x {
			return c
		}
	}
	return nil
}

func (g *group) removeChild(x id.ID) bool {
	for i, c := range g.children {
		if c.ref.ID == x {
			g.children = append(g.children[:i], g.children[i+1:]...)
			return true
		}
	}
	return false
}

func (g *group) inPath(x id.ID) bool {
	for _, p := range g.path {
		if p == x {
			return true
		}
	}
	return false
}

// Scribe is one node's part in every tree it belongs to.
type Scribe struct {
	cfg     Config
	e       env.Env
	ov      *overlay.Node
	self    id.Ref
	pol     Policy
	leafPol LeafPolicy // pol as a LeafPolicy, or nil
	ev      Events
	send    func(to id.Ref, m wire.Message)
	groups  map[id.ID]*group
	order   []*group // creation order: deterministic iteration
	feeder  id.Ref
	spare   id.ID
	stats   Stats
	stops   []func()
	started bool
	stopped bool
}

// New returns a Scribe on overlay node ov. send sends a message to a
// peer (the mode's counting sender); pol caps the children.
func New(e env.Env, ov *overlay.Node, cfg Config, pol Policy, ev Events, send func(to id.Ref, m wire.Message)) (*Scribe, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if pol == nil || send == nil || ov == nil {
		return nil, fmt.Errorf("scribe: policy, sender and overlay are required")
	}
	lp, _ := pol.(LeafPolicy)
	return &Scribe{cfg: cfg, e: e, ov: ov, self: e.Self(), pol: pol, leafPol: lp, ev: ev, send: send, groups: map[id.ID]*group{}}, nil
}

// SetFeeder names the node the root of every tree attaches to (the
// stream's source, which originates the data). With none, a root is its
// tree's top.
func (s *Scribe) SetFeeder(r id.Ref) { s.feeder = r }

// SetSpareTree names the group searched by anycast for a parent with
// spare capacity when joins fail (SplitStream's spare-capacity group).
func (s *Scribe) SetSpareTree(g id.ID) { s.spare = g }

// SetParentTimeout replaces Config.ParentTimeout, for a mode that learns
// only once the stream is known how far apart its data comes (a forest's
// stripe brings a chunk every stripes × chunk duration). A timeout no
// longer than BeatPeriod or RefreshPeriod is ignored.
func (s *Scribe) SetParentTimeout(d time.Duration) {
	if d > s.cfg.BeatPeriod && d > s.cfg.RefreshPeriod {
		s.cfg.ParentTimeout = d
	}
}

// Start registers the Scribe with the overlay and starts its timers.
func (s *Scribe) Start() {
	if s.started {
		return
	}
	s.started = true
	s.ov.Register(Proto, s)
	s.stops = append(s.stops,
		env.Every(s.e, s.cfg.BeatPeriod, 0.1, s.beat),
		env.Every(s.e, s.cfg.RefreshPeriod, 0.1, s.refresh))
}

// Stop halts the Scribe without telling anyone.
func (s *Scribe) Stop() {
	s.stopped = true
	for _, f := range s.stops {
		f()
	}
	s.stops = nil
	for _, g := range s.order {
		if g.joinTimer != nil {
			g.joinTimer.Stop()
		}
	}
}

// Leave tells every parent and child that this node goes, then stops.
// Children are pointed at their grandparent.
func (s *Scribe) Leave() {
	if s.stopped {
		return
	}
	for _, g := range s.order {
		if g.hasParent() {
			s.send(g.parent, &Leave{Group: g.id})
		}
		var try []id.Ref
		if g.hasParent() {
			try = []id.Ref{g.parent}
		}
		for _, c := range g.children {
			s.send(c.ref, &Drop{Group: g.id, Try: try})
		}
	}
	s.Stop()
}

// Stats returns the counters.
func (s *Scribe) Stats() Stats { return s.stats }

func (s *Scribe) group(g id.ID) *group {
	if x, ok := s.groups[g]; ok {
		return x
	}
	x := &group{id: g}
	s.groups[g] = x
	s.order = append(s.order, x)
	return x
}

func (s *Scribe) forget(g *group) {
	delete(s.groups, g.id)
	for i, x := range s.order {
		if x == g {
			s.order = append(s.order[:i], s.order[i+1:]...)
			break
		}
	}
	if g.joinTimer != nil {
		g.joinTimer.Stop()
	}
}

// Create makes this node the top of group g: the data starts here.
func (s *Scribe) Create(g id.ID) {
	x := s.group(g)
	x.top = true
	x.path = nil
}

// Join makes this node a member of g and finds it a parent.
func (s *Scribe) Join(g id.ID) {
	s.JoinAt(g, id.Ref{})
}

// JoinAt is Join whose attempts go straight to first (the group's top,
// say), from where each is handed down to the highest node with room:
// the first EntryTries attempts of every search for a parent (after a
// grandparent or sibling to try, if any), then the overlay route. A zero
// first is Join.
func (s *Scribe) JoinAt(g id.ID, first id.Ref) {
	x := s.group(g)
	if x.member {
		return
	}
	x.member = true
	if validRef(first) && first.ID != s.self.ID {
		x.entry = first
	}
	if !x.inTree() {
		s.tryJoin(x)
	}
}

// LeaveGroup ends this node's membership of g; it stays a forwarder while
// it has children.
func (s *Scribe) LeaveGroup(g id.ID) {
	x, ok := s.groups[g]
	if !ok {
		return
	}
	x.member = false
	s.prune(x)
}

// prune drops a group this node neither wants nor forwards.
func (s *Scribe) prune(g *group) {
	if g.member || g.top || len(g.children) > 0 {
		return
	}
	if g.hasParent() {
		s.send(g.parent, &Leave{Group: g.id})
	}
	s.forget(g)
}

// Parent returns the node's parent in g (zero: none).
func (s *Scribe) Parent(g id.ID) id.Ref {
	if x, ok := s.groups[g]; ok {
		return x.parent
	}
	return id.Ref{}
}

// Silence returns how long the node's parent in g has sent nothing (no
// chunk, no heartbeat); 0 without a parent.
func (s *Scribe) Silence(g id.ID) time.Duration {
	if x, ok := s.groups[g]; ok && x.hasParent() {
		return s.e.Now() - x.heard
	}
	return 0
}

// Path returns the path from the top of g to the node's parent.
func (s *Scribe) Path(g id.ID) []id.ID {
	if x, ok := s.groups[g]; ok {
		return x.path
	}
	return nil
}

// Depth returns the node's distance from the top of g in tree hops (0 on
// the top; -1 when not attached).
func (s *Scribe) Depth(g id.ID) int {
	x, ok := s.groups[g]
	switch {
	case !ok:
		return -1
	case x.top:
		return 0
	case !x.hasParent():
		return -1
	}
	return len(x.path)
}

// Roots reports whether the node is g's root as far as its overlay
// knows: it would deliver a message for the group ID itself (the source,
// which feeds the roots, is not one).
func (s *Scribe) Roots(g id.ID) bool {
	if s.feeder.IsZero() || s.feeder.ID == s.self.ID {
		return false
	}
	_, next := s.ov.NextHop(g)
	return !next
}

// Children returns the node's children in g, interior ones (those that
// have children themselves) first.
func (s *Scribe) Children(g id.ID) []id.Ref {
	x, ok := s.groups[g]
	if !ok {
		return nil
	}
	out := make([]id.Ref, 0, len(x.children))
	for _, c := range x.children {
		if c.kids > 0 {
			out = append(out, c.ref)
		}
	}
	for _, c := range x.children {
		if c.kids == 0 {
			out = append(out, c.ref)
		}
	}
	return out
}

// ChildCount returns the number of children in g.
func (s *Scribe) ChildCount(g id.ID) int {
	if x, ok := s.groups[g]; ok {
		return len(x.children)
	}
	return 0
}

// Kids returns how many children child x of g said it has (-1: x is not
// a child).
func (s *Scribe) Kids(g id.ID, x id.ID) int {
	if gr, ok := s.groups[g]; ok {
		if c := gr.child(x); c != nil {
			return c.kids
		}
	}
	return -1
}

// ChildSince returns when x became the node's child in g (-1: it is not
// a child).
func (s *Scribe) ChildSince(g id.ID, x id.ID) time.Duration {
	if gr, ok := s.groups[g]; ok {
		if c := gr.child(x); c != nil {
			return c.since
		}
	}
	return -1
}

// IsChild reports whether x is the node's child in g.
func (s *Scribe) IsChild(g id.ID, x id.ID) bool {
	if gr, ok := s.groups[g]; ok {
		return gr.child(x) != nil
	}
	return false
}

// Heard records that from spoke (a chunk arrived from it): it is alive as
// a parent in every group where it is one.
func (s *Scribe) Heard(from id.ID) {
	now := s.e.Now()
	for _, g := range s.order {
		if g.parent.ID == from {
			g.heard = now
		}
	}
}

// Fed notes that data of g just went to child x: while it flows, the
// child hears this node without beats (Config.QuietBeats).
func (s *Scribe) Fed(g id.ID, x id.ID) {
	if !s.cfg.QuietBeats {
		return // only quiet beats look at it
	}
	if gr, ok := s.groups[g]; ok {
		if c := gr.child(x); c != nil {
			c.fed = s.e.Now()
		}
	}
}

// Drop makes the node give up child x in g, pointing it at try.
func (s *Scribe) Drop(g id.ID, x id.ID, try []id.Ref) {
	gr, ok := s.groups[g]
	if !ok {
		return
	}
	if c := gr.child(x); c != nil {
		gr.removeChild(x)
		s.send(c.ref, &Drop{Group: g, Try: try})
		s.prune(gr)
	}
}

// Siblings returns up to n children of g other than x, ones with spare
// room first.
func (s *Scribe) Siblings(g id.ID, x id.ID, n int) []id.Ref {
	gr, ok := s.groups[g]
	if !ok {
		return nil
	}
	var out []id.Ref
	for pass := 0; pass < 2 && len(out) < n; pass++ {
		for _, c := range gr.children {
			if c.ref.ID != x && (c.spare > 0) == (pass == 0) && len(out) < n {
				out = append(out, c.ref)
			}
		}
	}
	return out
}

// Receive handles Scribe's direct messages; it reports whether m was one.
func (s *Scribe) Receive(from id.Ref, m wire.Message) bool {
	if s.stopped {
		return true
	}
	switch m := m.(type) {
	case *Join:
		s.onDirectJoin(from, m)
	case *Accept:
		s.onAccept(from, m)
	case *Refuse:
		s.onRefuse(m)
	case *Drop:
		s.onDrop(from, m)
	case *Leave:
		s.onLeave(from, m)
	case *Beat:
		s.onBeat(from, m)
	case *Refresh:
		s.onRefresh(from, m)
	case *Probe:
		s.onProbe(from, m)
	case *Anycast:
		s.anycast(m)
	default:
		return false
	}
	return true
}

// Forward implements overlay.Application: a join on its way may be taken
// here (Scribe's reverse-path trees) and an anycast starts its search at
// the first tree node it meets.
func (s *Scribe) Forward(m *overlay.Msg, _ id.Ref) bool {
	if s.stopped {
		return true
	}
	switch p := m.Payload.(type) {
	case *Join:
		j := *p
		if j.Near && s.standIn(j.Group) {
			// The root may not run Scribe: this node, next to it and
			// not in the tree yet, takes the join as the root would.
			s.onJoin(&j, ViaRoute, true)
			return false
		}
		if s.onJoin(&j, ViaRoute, false) {
			return false
		}
		m.Payload = &j
	case *Anycast:
		if t, ok := s.groups[p.Tree]; ok && (t.inTree() || len(t.children) > 0) {
			s.anycast(p)
			return false
		}
	}
	return true
}

// Deliver implements overlay.Application: this node is the root.
func (s *Scribe) Deliver(m *overlay.Msg) {
	if s.stopped {
		return
	}
	switch p := m.Payload.(type) {
	case *Join:
		j := *p
		s.onJoin(&j, ViaRoute, true)
	case *Anycast:
		s.anycast(p)
	default:
		s.stats.BadInput++
	}
}

// LeafSetChanged implements overlay.Application. Root failover needs no
// action here: the orphans of a failed root join their grandparent, the
// top, where one takes the root's place; routed joins end at the node now
// responsible for the group, which attaches to the feeder.
func (s *Scribe) LeafSetChanged(id.Ref, bool) {}

func validRef(r id.Ref) bool { return r.ID != id.Zero && r.Addr != "" }

// AnycastPicky is how many nodes a spare-capacity search visits while
// policies may still turn a joiner away for a better placement (see
// ViaAnycastLate); past it, any node with room should take it.
const AnycastPicky = 48
