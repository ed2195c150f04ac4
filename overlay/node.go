package overlay

import (
	"time"

	"github.com/almcast/alm/env"
	"github.com/almcast/alm/id"
	"github.com/almcast/alm/wire"
)

// Node is one overlay node's protocol state. All methods must be called on
// the node's event loop (see env).
type Node struct {
	cfg      Config
	e        env.Env
	self     id.Ref
	leaf     *LeafSet
	table    *Table
	apps     map[string]Application
	appOrder []string
	fallback Application // gets routed messages no app claims (SetFallback)
	stats    Stats

	joined  bool
	join    *joinState
	stopped bool
	stops   []func()

	seq     uint64
	hops    map[uint64]*hop
	probes  map[id.ID]*probe
	nonces  map[uint64]id.ID
	waits   map[uint64]func(from id.Ref, m *StateReply)
	rtt     *memo[time.Duration]
	dead    *memo[time.Duration]
	suspect map[id.ID]time.Duration
	heard   map[id.ID]time.Duration
	seen    *memo[struct{}]
}

// New returns a node that runs on e. It does nothing until Start or Join.
func New(e env.Env, cfg Config) (*Node, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	self := e.Self()
	return &Node{
		cfg:     cfg,
		e:       e,
		self:    self,
		leaf:    NewLeafSet(self.ID, cfg.LeafSet),
		table:   NewTable(self.ID),
		apps:    map[string]Application{},
		hops:    map[uint64]*hop{},
		probes:  map[id.ID]*probe{},
		nonces:  map[uint64]id.ID{},
		waits:   map[uint64]func(id.Ref, *StateReply){},
		rtt:     newMemo[time.Duration](256),
		dead:    newMemo[time.Duration](256),
		suspect: map[id.ID]time.Duration{},
		heard:   map[id.ID]time.Duration{},
		seen:    newMemo[struct{}](256),
	}, nil
}

// Self returns this node's reference.
func (n *Node) Self() id.Ref { return n.self }

// Joined reports whether the node has joined (or started) an overlay.
func (n *Node) Joined() bool { return n.joined }

// Stats returns the node's counters.
func (n *Node) Stats() Stats { return n.stats }

// LeafSet returns the node's leaf set (read it on the event loop only).
func (n *Node) LeafSet() *LeafSet { return n.leaf }

// Table returns the node's routing table (read it on the event loop only).
func (n *Node) Table() *Table { return n.table }

// Env returns the environment the node runs on.
func (n *Node) Env() env.Env { return n.e }

// Start makes this node the first of a new overlay.
func (n *Node) Start() {
	n.becomeJoined()
}

// Stop halts the node without telling anyone (as a crash would).
func (n *Node) Stop() {
	n.stopped = true
	for _, s := range n.stops {
		s()
	}
	n.stops = nil
	for _, h := range n.hops {
		h.timer.Stop()
	}
}

// Leave tells the leaf set and routing table that this node goes, then
// stops it.
func (n *Node) Leave() {
	if n.stopped {
		return
	}
	msg := &Leave{Leaf: n.leaf.All()}
	for _, r := range n.known() {
		n.sendMaint(r, msg)
	}
	n.Stop()
}

// known returns the leaf set and the routing table's nodes, each once.
func (n *Node) known() []id.Ref {
	out := n.leaf.All()
	for _, e := range n.table.Entries() {
		if !n.leaf.Contains(e.Ref.ID) {
			out = append(out, e.Ref)
		}
	}
	return out
}

func (n *Node) next() uint64 {
	n.seq++
	return n.seq
}

func (n *Node) sendMaint(to id.Ref, m wire.Message) {
	n.stats.MaintSent++
	n.e.Send(to, m)
}

func (n *Node) after(d time.Duration, f func()) env.Timer {
	return n.e.After(d, func() {
		if !n.stopped {
			f()
		}
	})
}

func validRef(r id.Ref) bool { return r.ID != id.Zero && r.Addr != "" }

// Receive implements env.Handler for the overlay's messages.
func (n *Node) Receive(from id.Ref, m wire.Message) {
	if n.stopped {
		return
	}
	if !validRef(from) {
		n.stats.BadInput++
		return
	}
	switch m := m.(type) {
	case *Ping:
		// Joining nodes probe before they have joined: a ping is no
		// reason to take its sender in.
		n.sendMaint(from, &Pong{Nonce: m.Nonce})
	case *Pong:
		n.noteHeard(from.ID)
		n.onPong(from, m)
	case *Route:
		n.onRoute(from, m)
	case *RouteAck:
		n.onRouteAck(from, m)
	case *StateRequest:
		n.onStateRequest(from, m)
	case *StateReply:
		n.onStateReply(from, m)
	case *JoinReply:
		n.onJoinReply(from, m)
	case *Announce:
		n.onAnnounce(from, m)
	case *Heartbeat:
		n.noteHeard(from.ID)
		n.consider(from, true, false)
		n.mergeLeaf(m.Leaf)
		n.correctNeighbour(from, m)
	case *Leave:
		n.forget(from.ID)
		n.merge(m.Leaf)
	case *Suspect:
		n.onSuspect(m)
	default:
		n.stats.BadInput++
	}
}

// merge considers nodes another node reported.
func (n *Node) merge(refs []id.Ref) {
	for _, r := range refs {
		n.consider(r, false, true)
	}
}

// mergeLeaf considers reported nodes for the leaf set only: heartbeats
// repeat the same leaf sets every period, and the routing table has
// cheaper sources.
func (n *Node) mergeLeaf(refs []id.Ref) {
	for _, r := range refs {
		if !validRef(r) || r.ID == n.self.ID || !n.leaf.Wants(r.ID) || n.isDead(r.ID) {
			continue
		}
		n.consider(r, false, false)
	}
}

// noteHeard records that a leaf-set member spoke.
func (n *Node) noteHeard(x id.ID) {
	if _, ok := n.heard[x]; ok {
		n.heard[x] = n.e.Now()
	}
}

// onAnnounce takes in a node that has just joined. Its claimed RTT only
// saves a probe when it would not improve the routing table.
func (n *Node) onAnnounce(from id.Ref, m *Announce) {
	if n.leaf.Wants(from.ID) {
		// A new neighbour: give it our leaf set, which may hold nodes that
		// joined at the same time as it and that it has not heard of.
		n.consider(from, true, true)
		n.sendMaint(from, &Heartbeat{Leaf: n.leaf.All(), Reply: true})
		return
	}
	claim := time.Duration(m.RTT)
	if claim > 0 && n.cfg.PNS {
		if row, col, ok := n.table.Slot(from.ID); ok {
			cur := n.table.Get(row, col)
			if !cur.Ref.IsZero() && cur.Ref.ID != from.ID && cur.RTT > 0 && claim >= cur.RTT {
				n.consider(from, true, false)
				return
			}
		}
	}
	n.consider(from, true, true)
}

// correctNeighbour answers a heartbeat from a node that takes us for its
// immediate neighbour when we know nodes between us: it gets our leaf set
// back, so concurrent joins cannot leave two neighbours unaware of each
// other.
func (n *Node) correctNeighbour(from id.Ref, m *Heartbeat) {
	if m.Reply {
		return
	}
	cw, ccw := n.leaf.Nearest()
	if from.ID == cw.ID || from.ID == ccw.ID {
		return
	}
	if n.leaf.Full() && !n.leaf.InRange(from.ID) {
		// It is far from us: its leaf set is wrong (it joined while the
		// overlay was young). Route a join request to its ID for it; the
		// node responsible answers it with the right leaf set.
		r := &Route{MsgID: n.e.Rand().Uint64() | 1, Key: from.ID, Origin: n.self, Sent: int64(n.e.Now())}
		r.Payload.M = &JoinRequest{Joiner: from, Check: true}
		n.step(r, n.self, nil)
		return
	}
	n.sendMaint(from, &Heartbeat{Leaf: n.leaf.All(), Reply: true})
}
