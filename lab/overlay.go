// Package lab runs experiments on the real protocol code, in the simulator
// or over QUIC, and reports what they measured.
package lab

import (
	"errors"
	"fmt"
	"time"

	"github.com/almcast/alm/id"
	"github.com/almcast/alm/overlay"
)

// OverlayConfig is one overlay experiment: build an overlay, let it
// settle, optionally kill a share of it, then route lookups.
type OverlayConfig struct {
	// Net is "sim" or "quic". Default "sim".
	Net string
	// Nodes is the overlay size. Default 1000.
	Nodes int
	// Lookups is how many lookups to route. Default 1000.
	Lookups int
	// Seed seeds everything. Default 1.
	Seed uint64
	// JoinInterval is the gap between joins. Default 100ms.
	JoinInterval time.Duration
	// Settle is the wait after the last join. Default 30s.
	Settle time.Duration
	// Rest is the window over which maintenance traffic is measured once
	// settled. Default 2m (sim only).
	Rest time.Duration
	// Churn is the share of nodes killed at once, without notice, after
	// the rest window. Default 0.
	Churn float64
	// Repair is the wait after the kill before lookups. Default 60s.
	Repair time.Duration
	// Latency is the mean one-way latency between nodes. Default 50ms.
	Latency time.Duration
	// Overlay configures every node.
	Overlay overlay.Config
}

// DefaultOverlayConfig returns the documented defaults.
func DefaultOverlayConfig() OverlayConfig {
	return OverlayConfig{
		Net:          "sim",
		Nodes:        1000,
		Lookups:      1000,
		Seed:         1,
		JoinInterval: 100 * time.Millisecond,
		Settle:       30 * time.Second,
		Rest:         2 * time.Minute,
		Repair:       60 * time.Second,
		Latency:      50 * time.Millisecond,
		Overlay:      overlay.DefaultConfig(),
	}
}

// Validate reports the first bad field.
func (c OverlayConfig) Validate() error {
	switch {
	case c.Net != "sim" && c.Net != "quic":
		return fmt.Errorf("lab: net %q is neither sim nor quic", c.Net)
	case c.Nodes < 1:
		return errors.New("lab: need at least one node")
	case c.Lookups < 0:
		return errors.New("lab: lookups must not be negative")
	case c.Churn < 0 || c.Churn >= 1:
		return fmt.Errorf("lab: churn %v outside [0, 1)", c.Churn)
	case c.JoinInterval < 0 || c.Settle < 0 || c.Rest < 0 || c.Repair < 0 || c.Latency < 0:
		return errors.New("lab: durations must not be negative")
	}
	return c.Overlay.Validate()
}

// OverlayResult is what an overlay experiment measured. JSON names are a
// contract with scripts.
type OverlayResult struct {
	Net               string   `json:"net"`
	Nodes             int      `json:"nodes"`
	Lookups           int      `json:"lookups"`
	Delivered         float64  `json:"delivered"`
	HopsMean          float64  `json:"hops_mean"`
	HopsP99           float64  `json:"hops_p99"`
	Stretch           *float64 `json:"stretch"`
	MaintMsgsPerNodeS float64  `json:"maint_msgs_per_node_s"`
	WallS             float64  `json:"wall_s"`
	PeakRSSMB         float64  `json:"peak_rss_mb"`
	// Beyond the contract: detail for the curious.
	Seed       uint64  `json:"seed"`
	Killed     int     `json:"killed"`
	Live       int     `json:"live"`
	Lost       int     `json:"lost"`
	Misrouted  int     `json:"misrouted"`
	JoinWallS  float64 `json:"join_wall_s"`
	Messages   uint64  `json:"messages"`
	LatencyP50 float64 `json:"lookup_ms_p50"`
	LatencyP99 float64 `json:"lookup_ms_p99"`
}

// closest finds, among sorted live IDs, the one numerically closest to key.
func closest(sorted []id.ID, key id.ID) id.ID {
	lo, hi := 0, len(sorted)
	for lo < hi {
		m := (lo + hi) / 2
		if sorted[m].Cmp(key) < 0 {
			lo = m + 1
		} else {
			hi = m
		}
	}
	a := sorted[lo%len(sorted)]
	b := sorted[(lo-1+len(sorted))%len(sorted)]
	if id.Closer(key, a, b) {
		return a
	}
	return b
}
