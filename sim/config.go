// Package sim is a deterministic discrete-event simulator that runs the
// protocol cores unchanged. It gives each node an env.Env with virtual
// time, seeded randomness and a simulated network: nodes are points in a
// plane whose distance sets the one-way latency (scaled to a configured
// mean, with jitter), each node has an upload capacity on which messages
// wait their turn and take size/capacity to serialise, and messages are
// lost at random at a configured rate. The same seed gives the same run,
// byte for byte.
package sim

import (
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// Config sets up a simulated network.
type Config struct {
	// Seed seeds every random choice of the run. Default 1.
	Seed uint64
	// Latency is the mean one-way latency between two random nodes.
	// Default 50ms.
	Latency time.Duration
	// MinLatency is the floor of any link's latency. Default 1ms.
	MinLatency time.Duration
	// Jitter is the largest random extra delay per message, as a fraction
	// of the link's latency. Default 0.1.
	Jitter float64
	// Loss is the fraction of messages lost in flight. Default 0.
	Loss float64
	// Upload is a node's default upload capacity in bit/s; 0 means
	// unlimited. Default 0.
	Upload int64
	// QueueLimit bounds how long a message may wait on its sender's uplink;
	// a message that would wait longer is dropped and counted. Default 10s.
	QueueLimit time.Duration
	// Priority is the size up to which a message is sent ahead of larger
	// ones already waiting on its node's uplink, as an application's
	// send queue would put control before media; it still takes its time
	// on the link, delaying what waits. Default 0 (disabled: one FIFO
	// uplink per node).
	Priority int
	// Log receives the nodes' logs. Default: discard.
	Log *slog.Logger
}

// DefaultConfig returns the documented defaults.
func DefaultConfig() Config {
	return Config{
		Seed:       1,
		Latency:    50 * time.Millisecond,
		MinLatency: time.Millisecond,
		Jitter:     0.1,
		QueueLimit: 10 * time.Second,
	}
}

// Validate reports the first bad field.
func (c Config) Validate() error {
	switch {
	case c.Latency < 0 || c.MinLatency < 0:
		return errors.New("sim: latency must not be negative")
	case c.Jitter < 0 || c.Jitter > 10:
		return fmt.Errorf("sim: jitter %v outside [0, 10]", c.Jitter)
	case c.Loss < 0 || c.Loss >= 1:
		return fmt.Errorf("sim: loss %v outside [0, 1)", c.Loss)
	case c.Upload < 0:
		return errors.New("sim: upload must not be negative")
	case c.QueueLimit <= 0:
		return errors.New("sim: queue limit must be positive")
	}
	return nil
}
