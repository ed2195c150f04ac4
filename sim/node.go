package sim

import (
	"crypto/ed25519"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/almcast/alm/env"
	"github.com/almcast/alm/id"
	"github.com/almcast/alm/wire"
)

// Node is one simulated node. It implements env.Env for its protocol cores
// and env.Loop for drivers.
type Node struct {
	// What every event and message touches comes first, in one cache line.
	alive      bool
	idx        int32
	handler    env.Handler
	x, y       float64
	uplinkFree time.Duration
	upload     int64

	// Counters of what this node sent and received.
	MsgsRecv, MsgsSent uint64
	BytesSent          uint64

	ref        id.Ref
	net        *Network
	rng        *rand.Rand
	key        ed25519.PrivateKey
	born, died time.Duration
}

var (
	_ env.Env  = (*Node)(nil)
	_ env.Loop = (*Node)(nil)
)

// Self implements env.Env.
func (n *Node) Self() id.Ref { return n.ref }

// Now implements env.Env.
func (n *Node) Now() time.Duration { return n.net.now }

// Send implements env.Env.
func (n *Node) Send(to id.Ref, m wire.Message) {
	if !n.alive {
		return
	}
	n.net.send(n, to, m)
}

// Rand implements env.Env.
func (n *Node) Rand() *rand.Rand { return n.rng }

// Log implements env.Env.
func (n *Node) Log() *slog.Logger { return n.net.log }

// After implements env.Env.
func (n *Node) After(d time.Duration, f func()) env.Timer {
	t := &timer{}
	if d < 0 {
		d = 0
	}
	n.net.schedule(event{at: n.net.now + d, node: n.idx, fn: f, timer: t})
	return t
}

// Do runs f on the node now, in the driver's call (the simulator is single
// threaded). It does nothing if the node is dead.
func (n *Node) Do(f func()) {
	if n.alive {
		f()
	}
}

// Handler returns the node's protocol handler.
func (n *Node) Handler() env.Handler { return n.handler }

// Key returns the node's private key.
func (n *Node) Key() ed25519.PrivateKey { return n.key }

// Alive reports whether the node runs.
func (n *Node) Alive() bool { return n.alive }

// Born is when the node was added; Died when it was killed.
func (n *Node) Born() time.Duration { return n.born }

// Died is when the node was killed (0 while alive).
func (n *Node) Died() time.Duration { return n.died }

// Upload is the node's upload capacity in bit/s (0: unlimited).
func (n *Node) Upload() int64 { return n.upload }

// Backlog is how long a message sent now would wait on the uplink.
func (n *Node) Backlog() time.Duration {
	if n.uplinkFree > n.net.now {
		return n.uplinkFree - n.net.now
	}
	return 0
}

type timer struct {
	stopped, fired bool
}

func (t *timer) Stop() bool {
	was := !t.stopped && !t.fired
	t.stopped = true
	return was
}
