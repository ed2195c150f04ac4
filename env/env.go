// Package env is the boundary between protocol logic and the world. Every
// protocol core (overlay, scribe, splitstream, datadriven, gossip) gets time,
// randomness, timers and sending from an Env and receives messages through
// Handler, and never reads the clock, sleeps, starts goroutines, takes locks
// or touches sockets itself. The simulator (package sim) and the QUIC
// runtime (package qnet) are the two implementations; they call a node's
// handlers and timer callbacks from one goroutine at a time, so a node's
// protocol state needs no locking.
package env

import (
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/almcast/alm/id"
	"github.com/almcast/alm/wire"
)

// Env is what a runtime gives one node.
type Env interface {
	// Self is this node's identifier and address.
	Self() id.Ref
	// Now is the time since the runtime started: virtual in the simulator,
	// monotonic wall time over QUIC.
	Now() time.Duration
	// Send queues m for delivery to the node to. Delivery is best effort:
	// a message may be lost, and nothing is reported back. m must not be
	// changed after the call.
	Send(to id.Ref, m wire.Message)
	// After runs f on this node's event loop once d has passed, unless the
	// returned timer is stopped first or the node has stopped.
	After(d time.Duration, f func()) Timer
	// Rand is this node's seeded random source.
	Rand() *rand.Rand
	// Log is this node's logger.
	Log() *slog.Logger
}

// Timer is a pending After callback.
type Timer interface {
	// Stop cancels the callback; it reports whether it was still pending.
	Stop() bool
}

// Handler receives the messages sent to a node. from is the sender as the
// runtime authenticated it (over QUIC: the ID its TLS key hashes to).
type Handler interface {
	Receive(from id.Ref, m wire.Message)
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(from id.Ref, m wire.Message)

// Receive calls f.
func (f HandlerFunc) Receive(from id.Ref, m wire.Message) { f(from, m) }

// Every calls f every period, starting one period from now, with up to
// jitter (a fraction of the period) of random spread per round so that
// nodes started together do not stay in step. It returns a function that
// stops the repetition.
func Every(e Env, period time.Duration, jitter float64, f func()) (stop func()) {
	var t Timer
	stopped := false
	var next func()
	schedule := func() {
		d := period
		if jitter > 0 {
			d += time.Duration((e.Rand().Float64()*2 - 1) * jitter * float64(period))
		}
		t = e.After(d, next)
	}
	next = func() {
		if stopped {
			return
		}
		f()
		if !stopped {
			schedule()
		}
	}
	schedule()
	return func() {
		stopped = true
		t.Stop()
	}
}

// Uplink is implemented by an Env that knows its node's upload queue (the
// simulator's does): Backlog is how long a message sent now would wait
// before it starts to leave. Modes may use it to avoid overcommitting.
type Uplink interface {
	Backlog() time.Duration
}

// PeerQueue is implemented by an Env whose messages to each peer wait in
// a queue of their own before they reach the uplink (over QUIC, what a
// connection's congestion window lets through): QueueDelay is how long
// the oldest message still waiting there for peer to has waited (0: none
// waits), at least what a message sent to it now waits on top of the
// uplink's Backlog. The simulator's uplink is one queue; it does not
// implement it.
type PeerQueue interface {
	QueueDelay(to id.ID) time.Duration
}

// Laggard is implemented by an Env whose event loop can fall behind
// (over QUIC, when the process is short of CPU): Lateness is how late the
// node's timers have run of late. Failure detectors add it to their
// waits: a node that runs late hears answers late, and when the cause is
// a loaded machine its peers there are late too. (200 viewers over QUIC
// in one process: a second's stall as the trees formed made nodes time
// out live peers, whose repairs and rejoins stalled the process further,
// and the run collapsed.) The simulator's timers are exact; it does not
// implement it.
type Laggard interface {
	Lateness() time.Duration
}

// Lateness returns e's Lateness, or 0 if e does not implement Laggard.
func Lateness(e Env) time.Duration {
	if l, ok := e.(Laggard); ok {
		return l.Lateness()
	}
	return 0
}

// Slack is what a failure detector adds to a wait for a peer's answer:
// twice the node's lateness, since on a loaded machine its peers may run
// as late as it does. 0 where the Env is never late (the simulator).
func Slack(e Env) time.Duration { return 2 * Lateness(e) }

// FrameShare is implemented by an Env whose links carry more than the
// messages sent (packet headers, acknowledgements, handshakes): Share is
// the fraction of the node's upload capacity its messages can use. A
// node plans its children and partners on that share of its capacity.
// The simulator charges messages alone and does not implement it.
type FrameShare interface {
	Share() float64
}
