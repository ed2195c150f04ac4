package qnet

import (
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/almcast/alm/env"
	"github.com/almcast/alm/id"
	"github.com/almcast/alm/wire"
)

// nodeEnv is the env.Env a node's handler is built with. Its methods other
// than Self, Now and Log must be called from the event loop.
type nodeEnv struct {
	n   *Node
	rng *rand.Rand
}

var _ env.Env = (*nodeEnv)(nil)
var _ env.Uplink = (*nodeEnv)(nil)
var _ env.Laggard = (*nodeEnv)(nil)
var _ env.FrameShare = (*nodeEnv)(nil)
var _ env.Loop = (*Node)(nil)

func newEnv(n *Node) *nodeEnv {
	hi, lo := n.self.ID.Uint128()
	return &nodeEnv{n: n, rng: rand.New(rand.NewPCG(n.cfg.Seed^hi, lo))}
}

// Self implements env.Env.
func (e *nodeEnv) Self() id.Ref { return e.n.self }

// Now implements env.Env: the monotonic time since the node's Epoch.
func (e *nodeEnv) Now() time.Duration { return time.Since(e.n.epoch) }

// Send implements env.Env; it never blocks.
func (e *nodeEnv) Send(to id.Ref, m wire.Message) { e.n.send(to, m) }

// Backlog implements env.Uplink: how long a packet sent now waits on the
// upload shim's queue; 0 without a shim (QUIC's own pacing and send
// buffers are not counted).
func (e *nodeEnv) Backlog() time.Duration {
	if e.n.shim == nil {
		return 0
	}
	return e.n.shim.backlog()
}

// QueueDelay implements env.PeerQueue: how long the oldest frame for to
// not yet written to its stream has waited.
func (e *nodeEnv) QueueDelay(to id.ID) time.Duration { return e.n.queueDelay(to) }

// Lateness implements env.Laggard (timers.go).
func (e *nodeEnv) Lateness() time.Duration { return e.n.lateness(time.Now()) }

// Share implements env.FrameShare: Config.FrameShare.
func (e *nodeEnv) Share() float64 { return e.n.cfg.FrameShare }

// Rand implements env.Env.
func (e *nodeEnv) Rand() *rand.Rand { return e.rng }

// Log implements env.Env.
func (e *nodeEnv) Log() *slog.Logger { return e.n.log }

// After implements env.Env: f runs on the event loop once d has passed,
// unless the timer was stopped or the node stopped first (timers.go).
func (e *nodeEnv) After(d time.Duration, f func()) env.Timer {
	t := &timer{due: time.Now().Add(d), f: f}
	e.n.addTimer(t)
	return t
}
