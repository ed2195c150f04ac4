// Package overlay implements a Pastry-like structured overlay (Rowstron &
// Druschel, Middleware 2001): 128-bit IDs in base-16 digits, a routing table
// filled with proximity neighbour selection from measured round-trip times,
// a leaf set, join through a nearby node, maintenance and repair, and a
// key-based routing API (Dabek et al., IPTPS 2003) on which applications
// such as Scribe are registered by name.
//
// A Node is pure protocol logic: it takes time, randomness, timers and
// sending from an env.Env and is driven by Receive and timer callbacks on one
// goroutine, so the same code runs in the simulator and over QUIC.
package overlay

import (
	"errors"
	"fmt"
	"time"
)

// Config tunes a node. The zero value is not valid; start from
// DefaultConfig.
type Config struct {
	// LeafSet is the leaf set size L (L/2 on each side). Default 24, as in
	// FreePastry.
	LeafSet int
	// PNS enables proximity neighbour selection: routing-table slots keep
	// the candidate with the smallest measured round-trip time, and a
	// joining node first looks for a nearby node to join through. Default
	// true.
	PNS bool
	// HeartbeatPeriod is how often a node sends its leaf set to its two
	// immediate neighbours. Default 20s.
	HeartbeatPeriod time.Duration
	// NeighbourTimeout is how long an immediate neighbour may stay silent
	// before it is probed and, if it does not answer, declared dead.
	// Default 45s.
	NeighbourTimeout time.Duration
	// TablePeriod is how often a node asks a routing-table entry for its
	// row, to learn of better and missing entries. Default 5m.
	TablePeriod time.Duration
	// ProbeTimeout is how long a probe waits for its answer, counted from
	// when the ping leaves this node's own uplink (when the runtime
	// implements env.Uplink); an answer to any of a probe's pings ends
	// it. Default 1s.
	ProbeTimeout time.Duration
	// ProbeTries is how many probes are sent before a node is declared
	// dead. Default 3.
	ProbeTries int
	// HopTimeout bounds the wait for a next hop's acknowledgement of a
	// routed message when its round-trip time is unknown; with a known RTT
	// the wait is 3 RTT + 50ms, within [250ms, HopTimeout], plus the time
	// the message waits on this node's own uplink. Default 1s.
	HopTimeout time.Duration
	// HopRetries is how many other next hops a node tries for one message
	// before it drops it. Default 3.
	HopRetries int
	// MaxHops drops a routed message that has taken this many hops.
	// Default 32.
	MaxHops int
	// JoinTimeout is how long a join attempt waits before trying again.
	// Default 10s.
	JoinTimeout time.Duration
	// DeadMemory is how long a node declared dead is ignored when others
	// mention it. Default 10m.
	DeadMemory time.Duration
	// DiscoverySteps bounds the nearby-node search of a joining node.
	// Default 6.
	DiscoverySteps int
	// MaxProbes bounds the probes a node has in flight. Default 64.
	MaxProbes int
}

// DefaultConfig returns the documented defaults.
func DefaultConfig() Config {
	return Config{
		LeafSet:          24,
		PNS:              true,
		HeartbeatPeriod:  20 * time.Second,
		NeighbourTimeout: 45 * time.Second,
		TablePeriod:      5 * time.Minute,
		ProbeTimeout:     time.Second,
		ProbeTries:       3,
		HopTimeout:       time.Second,
		HopRetries:       8,
		MaxHops:          32,
		JoinTimeout:      10 * time.Second,
		DeadMemory:       10 * time.Minute,
		DiscoverySteps:   6,
		MaxProbes:        64,
	}
}

// Validate reports the first field out of range.
func (c Config) Validate() error {
	switch {
	case c.LeafSet < 2 || c.LeafSet%2 != 0 || c.LeafSet > 64:
		return fmt.Errorf("overlay: leaf set %d must be even and in [2, 64]", c.LeafSet)
	case c.HeartbeatPeriod <= 0 || c.NeighbourTimeout <= c.HeartbeatPeriod:
		return errors.New("overlay: neighbour timeout must exceed a positive heartbeat period")
	case c.TablePeriod <= 0 || c.ProbeTimeout <= 0 || c.HopTimeout <= 0 || c.JoinTimeout <= 0:
		return errors.New("overlay: periods and timeouts must be positive")
	case c.ProbeTries < 1 || c.HopRetries < 0 || c.MaxHops < 1 || c.MaxProbes < 1:
		return errors.New("overlay: probe tries, max hops and max probes must be at least 1")
	case c.DiscoverySteps < 0:
		return errors.New("overlay: discovery steps must not be negative")
	}
	return nil
}
