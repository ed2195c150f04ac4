package overlay

import (
	"time"

	"github.com/almcast/alm/env"
	"github.com/almcast/alm/id"
	"github.com/almcast/alm/wire"
)

// hop is a routed message sent to a next hop and not yet acknowledged.
type hop struct {
	out   *Route
	prev  id.Ref
	next  id.Ref
	tried []id.ID
	timer env.Timer
	wait  time.Duration // the timeout
	due   time.Duration // when it should fire
	late  bool          // it fired late once and was given another wait
}

// Route sends payload towards the live node responsible for key. The
// payload's protocol names the application that receives it.
func (n *Node) Route(key id.ID, payload wire.Message) {
	r := &Route{
		MsgID:   n.e.Rand().Uint64() | 1,
		Key:     key,
		Origin:  n.self,
		Sent:    int64(n.e.Now()),
		Payload: wire.Any{M: payload},
	}
	n.step(r, n.self, nil)
}

// NextHop returns where this node would send a message for key next; ok is
// false when this node is responsible for key itself.
func (n *Node) NextHop(key id.ID) (id.Ref, bool) {
	return n.nextHop(key, nil)
}

func (n *Node) skipFor(tried []id.ID, also id.ID) func(id.ID) bool {
	now := n.e.Now()
	return func(x id.ID) bool {
		if x == also {
			return true
		}
		if until, ok := n.suspect[x]; ok && now < until {
			return true
		}
		for _, t := range tried {
			if t == x {
				return true
			}
		}
		return false
	}
}

// nextHop is Pastry's routing rule: deliver within the leaf set's span,
// else use the routing table slot that extends the shared prefix, else any
// known node that shares as long a prefix and is numerically closer.
func (n *Node) nextHop(key id.ID, skip func(id.ID) bool) (id.Ref, bool) {
	if n.leaf.Full() && n.leaf.InRange(key) {
		return n.leaf.Closest(key, skip)
	}
	if !n.leaf.Full() {
		// A leaf set that is not full should mean we know the whole ring,
		// but while the overlay grows fast it may not: go to the closest
		// node we know of, table included.
		best, ok := n.leaf.Closest(key, skip)
		bestID := n.self.ID
		if ok {
			bestID = best.ID
		}
		for _, e := range n.table.Entries() {
			if (skip == nil || !skip(e.Ref.ID)) && id.Closer(key, e.Ref.ID, bestID) {
				best, bestID, ok = e.Ref, e.Ref.ID, true
			}
		}
		return best, ok
	}
	row := n.self.ID.SharedPrefix(key)
	if row >= id.Digits {
		return id.Ref{}, false
	}
	// The routing-table slot extends the shared prefix by a digit; its
	// alternates (deep rows) may be numerically closer to the key, and a
	// leaf set member (which shares a long prefix with this node) may
	// extend the prefix further: either saves a hop.
	best, bestLen := id.Ref{}, row
	offer := func(r id.Ref) {
		if skip != nil && skip(r.ID) {
			return
		}
		if l := r.ID.SharedPrefix(key); l > bestLen || l == bestLen && l > row && id.Closer(key, r.ID, best.ID) {
			best, bestLen = r, l
		}
	}
	if e := n.table.Get(row, key.Digit(row)); !e.Ref.IsZero() {
		offer(e.Ref)
	}
	for _, a := range n.table.Alts(row, key.Digit(row)) {
		offer(a)
	}
	for _, s := range [2][]id.Ref{n.leaf.cw, n.leaf.ccw} {
		for _, r := range s {
			if r.ID.SharedPrefix(key) > bestLen {
				offer(r)
			}
		}
	}
	if !best.IsZero() {
		return best, true
	}
	// Rare case: no node extends the prefix; take any node that shares as
	// much of it and is numerically closer.
	bestID, found := n.self.ID, false
	try := func(r id.Ref) {
		if r.ID.SharedPrefix(key) >= row && (skip == nil || !skip(r.ID)) && id.Closer(key, r.ID, bestID) {
			best, bestID, found = r, r.ID, true
		}
	}
	for _, r := range n.leaf.All() {
		try(r)
	}
	for _, e := range n.table.Entries() {
		try(e.Ref)
	}
	return best, found
}

// joinerOf returns the joining node's ID if r carries a join request.
func joinerOf(r *Route) id.ID {
	if j, ok := r.Payload.M.(*JoinRequest); ok {
		return j.Joiner.ID
	}
	return id.Zero
}

func (n *Node) onRoute(from id.Ref, r *Route) {
	if r.Ack != 0 {
		n.stats.RouteSent++
		n.e.Send(from, &RouteAck{Ack: r.Ack})
	}
	if joinerOf(r) != from.ID {
		n.consider(from, true, false)
	}
	if int(r.Hops) >= n.cfg.MaxHops || !validRef(r.Origin) {
		n.stats.RouteDrops++
		return
	}
	n.step(r, from, nil)
}

// step moves r one hop on, or delivers it here.
func (n *Node) step(r *Route, prev id.Ref, tried []id.ID) {
	joiner := joinerOf(r)
	next, ok := n.nextHop(r.Key, n.skipFor(tried, joiner))
	if !ok {
		n.deliver(r, prev)
		return
	}
	out := *r
	if joiner != id.Zero {
		n.joinHop(r, false)
	} else if len(tried) == 0 && prev.ID != n.self.ID {
		app := n.apps[wire.Proto(r.Payload.M)]
		if app != nil {
			m := &Msg{Key: r.Key, Origin: r.Origin, Prev: prev, Hops: int(r.Hops), Payload: r.Payload.M, Sent: time.Duration(r.Sent)}
			if !app.Forward(m, next) {
				return
			}
			out.Payload = wire.Any{M: m.Payload}
		}
	}
	out.Hops++
	out.Ack = n.next()
	// The wait counts from when the message leaves this node's own
	// uplink, and is longer while the node runs late.
	h := &hop{out: &out, prev: prev, next: next, tried: tried, wait: n.hopTimeout(next.ID) + n.backlog() + env.Slack(n.e)}
	n.hops[out.Ack] = h
	h.due = n.e.Now() + h.wait
	h.timer = n.after(h.wait, func() { n.hopExpired(h) })
	n.stats.Forwarded++
	n.stats.RouteSent++
	n.e.Send(next, &out)
}

// minHopTimeout is the shortest wait for a hop's acknowledgement.
const minHopTimeout = 250 * time.Millisecond

// overdue reports whether a timer due at due fired so late that this node
// itself was too busy to hear an answer in time; it should wait once more
// rather than blame the peer (over QUIC a starved event loop would
// otherwise declare live peers dead).
func (n *Node) overdue(due, wait time.Duration) bool {
	return n.e.Now()-due > wait/2
}

func (n *Node) hopTimeout(x id.ID) time.Duration {
	rtt := n.knownRTT(x)
	if rtt == 0 {
		return n.cfg.HopTimeout
	}
	d := 3*rtt + 50*time.Millisecond
	switch {
	case d < minHopTimeout:
		return minHopTimeout
	case d > n.cfg.HopTimeout:
		return n.cfg.HopTimeout
	}
	return d
}

func (n *Node) onRouteAck(from id.Ref, m *RouteAck) {
	h, ok := n.hops[m.Ack]
	if !ok || h.next.ID != from.ID {
		return
	}
	delete(n.hops, m.Ack)
	h.timer.Stop()
}

// hopExpired suspects a silent next hop and sends the message another way.
func (n *Node) hopExpired(h *hop) {
	if n.hops[h.out.Ack] != h {
		return
	}
	if !h.late && n.overdue(h.due, h.wait) {
		h.late = true
		h.due = n.e.Now() + h.wait
		h.timer = n.after(h.wait, func() { n.hopExpired(h) })
		return
	}
	delete(n.hops, h.out.Ack)
	n.stats.HopTimeouts++
	n.suspectNode(h.next)
	tried := append(h.tried, h.next.ID)
	if len(tried) > n.cfg.HopRetries {
		n.stats.RouteDrops++
		return
	}
	n.stats.Reroutes++
	in := *h.out
	in.Hops--
	in.Ack = 0
	n.step(&in, h.prev, tried)
}

// suspectNode keeps x out of routes for a while and checks whether it is
// alive; if it is not, it is declared dead.
func (n *Node) suspectNode(x id.Ref) {
	if _, ok := n.suspect[x.ID]; ok {
		return
	}
	n.suspect[x.ID] = n.e.Now() + time.Duration(n.cfg.ProbeTries+1)*n.cfg.ProbeTimeout
	n.probeNode(x, n.cfg.ProbeTries, false, func(ok bool, _ time.Duration) {
		if ok {
			n.alive(x)
			return
		}
		n.declareDead(x)
	})
}

func (n *Node) deliver(r *Route, prev id.Ref) {
	if joinerOf(r) != id.Zero {
		n.joinHop(r, true)
		return
	}
	key := id.FromUint128(r.Origin.ID.Uint128())
	key = key.Add(id.FromUint128(0, r.MsgID))
	if _, dup := n.seen.get(key); dup {
		n.stats.Duplicates++
		return
	}
	n.seen.put(key, struct{}{})
	app := n.apps[wire.Proto(r.Payload.M)]
	if app == nil {
		app = n.fallback
	}
	if app == nil {
		n.stats.BadInput++
		return
	}
	n.stats.Delivered++
	n.stats.DeliveredHops += uint64(r.Hops)
	app.Deliver(&Msg{Key: r.Key, Origin: r.Origin, Prev: prev, Hops: int(r.Hops), Payload: r.Payload.M, Sent: time.Duration(r.Sent)})
}
