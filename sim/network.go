package sim

import (
	"crypto/ed25519"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/almcast/alm/env"
	"github.com/almcast/alm/id"
	"github.com/almcast/alm/wire"
)

// meanUnitDistance is the mean distance between two uniform random points
// in the unit square; positions are scaled by Latency / meanUnitDistance.
const meanUnitDistance = 0.5214054331647207

// Stats counts what the network carried.
type Stats struct {
	Sent, Delivered, Lost, QueueDrops, DeadDrops uint64
	BytesSent                                    uint64
	Events                                       uint64
}

// Network is a simulated network with its clock and event queue. It is
// driven from one goroutine.
type Network struct {
	cfg   Config
	now   time.Duration
	seq   uint64
	q     queue
	nodes []*Node
	refs  []id.Ref // the nodes' refs, by index: a message's sender without a visit to it
	rng   *rand.Rand
	log   *slog.Logger
	scale float64
	stats Stats

	// Trace, when set, is called for every message sent, with its encoded
	// size and whether it will be dropped (lost, queue overflow).
	Trace func(from, to *Node, m wire.Message, size int, dropped bool)
}

// New returns an empty network.
func New(cfg Config) (*Network, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return &Network{
		cfg:   cfg,
		rng:   rand.New(rand.NewPCG(cfg.Seed, 0x5eed)),
		log:   log,
		scale: float64(cfg.Latency) / meanUnitDistance,
	}, nil
}

// Now is the current virtual time.
func (n *Network) Now() time.Duration { return n.now }

// Stats returns the counters so far.
func (n *Network) Stats() Stats { return n.stats }

// Rand is the network's own random source, for drivers (choosing nodes to
// kill, lookup keys): using it keeps the run deterministic.
func (n *Network) Rand() *rand.Rand { return n.rng }

// Nodes returns every node ever added, dead ones included, in order.
func (n *Network) Nodes() []*Node { return n.nodes }

// Node returns the node at an address, or nil.
func (n *Network) Node(addr string) *Node {
	// Addresses are the nodes' indices in decimal (strconv.Itoa).
	if len(addr) == 0 || len(addr) > 10 || len(addr) > 1 && addr[0] == '0' {
		return nil
	}
	i := 0
	for j := 0; j < len(addr); j++ {
		c := addr[j]
		if c < '0' || c > '9' {
			return nil
		}
		i = i*10 + int(c-'0')
	}
	if i >= len(n.nodes) {
		return nil
	}
	return n.nodes[i]
}

// NodeSpec describes a node to add.
type NodeSpec struct {
	// Key is the node's key; nil draws one from the network's seed.
	Key ed25519.PrivateKey
	// Upload is the node's upload capacity in bit/s; 0 takes the network's
	// default (which may be unlimited); negative means unlimited.
	Upload int64
}

// Add creates a node, places it at a random point and builds its protocol
// handler with the node's Env. The node is live at once; build should not
// send (use Do or After to start work).
func (n *Network) Add(spec NodeSpec, build func(e env.Env) env.Handler) *Node {
	key := spec.Key
	if key == nil {
		var seed [ed25519.SeedSize]byte
		for i := 0; i < len(seed); i += 8 {
			v := n.rng.Uint64()
			for j := 0; j < 8; j++ {
				seed[i+j] = byte(v >> (8 * j))
			}
		}
		key = ed25519.NewKeyFromSeed(seed[:])
	}
	up := spec.Upload
	switch {
	case up == 0:
		up = n.cfg.Upload
	case up < 0:
		up = 0
	}
	idx := len(n.nodes)
	node := &Node{
		net:    n,
		idx:    int32(idx),
		key:    key,
		ref:    id.Ref{ID: id.FromPublicKey(key.Public().(ed25519.PublicKey)), Addr: strconv.Itoa(idx)},
		x:      n.rng.Float64(),
		y:      n.rng.Float64(),
		upload: up,
		alive:  true,
		born:   n.now,
	}
	node.rng = rand.New(rand.NewPCG(n.rng.Uint64(), uint64(idx)))
	n.nodes = append(n.nodes, node)
	n.refs = append(n.refs, node.ref)
	node.handler = build(node)
	return node
}

// Latency returns the base one-way latency between two nodes (without
// jitter or queueing).
func (n *Network) Latency(a, b *Node) time.Duration {
	d := math.Hypot(a.x-b.x, a.y-b.y) * n.scale
	if lat := time.Duration(d); lat > n.cfg.MinLatency {
		return lat
	}
	return n.cfg.MinLatency
}

// At runs f at virtual time t (or now, if t has passed) on the driver's
// behalf, outside any node.
func (n *Network) At(t time.Duration, f func()) {
	if t < n.now {
		t = n.now
	}
	n.schedule(event{at: t, node: -1, fn: f})
}

func (n *Network) schedule(e event) {
	n.seq++
	e.seq = n.seq
	n.q.push(e)
}

// Run processes events until none remain or the next one is after until.
// The clock then stands at until.
func (n *Network) Run(until time.Duration) {
	for len(n.q) > 0 && n.q[0].at <= until {
		n.step()
	}
	if n.now < until {
		n.now = until
	}
}

// RunFor runs the network for d of virtual time.
func (n *Network) RunFor(d time.Duration) { n.Run(n.now + d) }

func (n *Network) step() {
	e := n.q.pop()
	n.now = e.at
	n.stats.Events++
	if e.node >= 0 {
		node := n.nodes[e.node]
		if !node.alive {
			if e.msg != nil {
				n.stats.DeadDrops++
			}
			return
		}
		if e.timer != nil {
			if e.timer.stopped {
				return
			}
			e.timer.fired = true
		}
		if e.msg != nil {
			n.stats.Delivered++
			node.MsgsRecv++
			node.handler.Receive(n.refs[e.from], e.msg)
			return
		}
	}
	e.fn()
}

// send moves m from one node towards another over the simulated links.
func (n *Network) send(from *Node, to id.Ref, m wire.Message) {
	dst := n.Node(to.Addr)
	if dst == nil {
		n.log.Debug("sim: send to unknown address", "addr", to.Addr)
		return
	}
	size := wire.Size(m)
	n.stats.Sent++
	n.stats.BytesSent += uint64(size)
	from.MsgsSent++
	from.BytesSent += uint64(size)
	start := n.now
	urgent := size <= n.cfg.Priority
	if from.uplinkFree > start && !urgent {
		start = from.uplinkFree
	}
	if start-n.now > n.cfg.QueueLimit {
		n.stats.QueueDrops++
		if n.Trace != nil {
			n.Trace(from, dst, m, size, true)
		}
		return
	}
	done := start
	if from.upload > 0 {
		tx := time.Duration(float64(size*8) / float64(from.upload) * float64(time.Second))
		done += tx
		switch {
		case !urgent || from.uplinkFree <= n.now:
			from.uplinkFree = done
		default:
			from.uplinkFree += tx // what waits goes out later
		}
	}
	lost := n.cfg.Loss > 0 && n.rng.Float64() < n.cfg.Loss
	if n.Trace != nil {
		n.Trace(from, dst, m, size, lost)
	}
	if lost {
		n.stats.Lost++
		return
	}
	lat := n.Latency(from, dst)
	if n.cfg.Jitter > 0 {
		lat += time.Duration(n.rng.Float64() * n.cfg.Jitter * float64(lat))
	}
	n.schedule(event{at: done + lat, node: dst.idx, from: from.idx, msg: m})
}

// Kill stops a node at once, without notice: its pending timers and any
// message still to arrive are dropped.
func (n *Network) Kill(node *Node) {
	if !node.alive {
		return
	}
	node.alive = false
	node.died = n.now
}

// Live returns the nodes still alive, in order of addition.
func (n *Network) Live() []*Node {
	out := make([]*Node, 0, len(n.nodes))
	for _, x := range n.nodes {
		if x.alive {
			out = append(out, x)
		}
	}
	return out
}

// String describes the network briefly.
func (n *Network) String() string {
	return fmt.Sprintf("sim(%d nodes, t=%v, %d events queued)", len(n.nodes), n.now, len(n.q))
}
