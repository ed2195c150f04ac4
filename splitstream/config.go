// Package splitstream is the "forest" delivery mode (Castro et al.,
// SplitStream, SOSP 2003): the stream is split into k stripes, chunk seq
// going to stripe seq mod k, and each stripe travels down its own Scribe
// tree. Stripe IDs differ in their first digit, so the joins of a stripe
// meet nodes whose IDs start with that digit first: a node forwards in the
// stripe of its own first digit (its home stripe) and is a leaf in the
// others, so each node is interior in at most one tree and the loss of a
// node costs its children one stripe. Each node's children are capped by
// its upload over the stripe rate; a full node takes a newcomer of its
// home stripe by evicting a child of another stripe (or one whose ID does
// not match the stripe), which its siblings then take in; orphans search
// the spare-capacity group by anycast.
package splitstream

import (
	"fmt"
	"time"

	"github.com/almcast/alm/scribe"
)

// Config tunes the forest mode.
type Config struct {
	// Stripes is the number of stripes k, 1 to 16. Default 4: a stripe
	// brings one chunk every k chunk times and a forwarder sends each of
	// its chunks to all its children back to back, so the delay of each
	// tree hop grows with k; 4 stripes of 50ms chunks keep the forest
	// shallow (a 2x node takes 6 children) and each hop short.
	Stripes int
	// Scribe tunes the trees.
	Scribe scribe.Config
	// Relay tunes forwarding and repair.
	Relay scribe.RelayConfig
	// Headroom is the share of a node's upload kept free of children, for
	// control traffic and repairs. Default 0.1.
	Headroom float64
	// Overhead is the wire size of a chunk over its nominal share of the
	// rate (RTP headers, encoding, signature). Default 1.03.
	Overhead float64
	// MaxChildren caps a node's children over all stripes. Default 64.
	MaxChildren int
	// SpareChildren caps a node's children in the spare-capacity group's
	// tree, which carries no data. Default 8.
	SpareChildren int
	// StartWait bounds how long a viewer's player waits, after the viewer
	// joins its stripes, for every stripe to deliver before it starts
	// (Forest.StartFrom). Default 3s.
	StartWait time.Duration
}

// DefaultConfig returns the documented defaults.
func DefaultConfig() Config {
	r := scribe.DefaultRelayConfig()
	sc := scribe.DefaultConfig()
	// Each stripe brings a chunk every Stripes chunk times, and beats
	// come in between: a parent silent for under a second is gone. At
	// 700ms (two beats lost in a row, with 1% loss about one in 10^4)
	// rather than 900ms, the lab's churn scenario repairs in 2000ms at
	// the 95th percentile, not 2250 (seeds 1-3: 2000, 1950, 2100 against
	// 2250, 2250, 2000) at the same continuity; 600ms cost scenario H
	// continuity.
	sc.BeatPeriod = 250 * time.Millisecond
	sc.ParentTimeout = 700 * time.Millisecond
	// Routed joins are asked again after 400ms (they pass full nodes
	// while many viewers tune in at once, and a lost one costs the
	// stripe until the next), then after 800ms and 1.6s while they go
	// unanswered (JoinBackoff); joins to a grandparent or former sibling
	// after 700ms (see scribe.Config.NamedJoinTimeout; at 400ms for
	// those too an orphan in TestForestGrandparentRejoin sank two
	// levels). 700ms for all -> 400/700: scenario U startup p95 3307 ->
	// 2536 ms (continuity 0.9999 either way), H 0.9973 -> 0.9978, churn
	// seeds 1-3 0.9979, 0.9974, 0.9994 -> 0.9973, 0.9979, 0.9977 (repair
	// p95 1700, 1950, 1600 -> 1450, 1650, 1650), 10,000 viewers with
	// 12s of stream 0.9814 -> 0.9862, but 100,000 viewers with 20s of
	// stream 0.832 -> 0.582: at that size answers come after long
	// hand-down chains, and asking again every 400ms only added load.
	// With the backoff: 100,000 0.852, 10,000 0.9879, U 0.9999 (startup
	// p95 2506 ms), H 0.9975, churn 0.9972, 0.9975, 0.9995.
	sc.JoinTimeout = 400 * time.Millisecond
	sc.NamedJoinTimeout = 700 * time.Millisecond
	sc.JoinBackoff = true
	// Children refresh faster than a parent times out: a grandparent
	// takes an orphan's word that its parent fell silent only if it has
	// not heard from that parent for ParentTimeout either. Refreshing
	// once a second, live forwarders looked silent between refreshes: in
	// a run of scenario H (with a variant of the player's start) the
	// source dropped a stripe's top forwarder, 900ms after its last
	// refresh, and it found no place again: its subtree, a quarter of
	// the stream for every viewer, had no data for the last 30s.
	sc.RefreshPeriod = 500 * time.Millisecond
	// A stripe's chunks reach a child more often than a beat period (4
	// stripes of 50 ms chunks: every 200 ms), so beats without news are
	// left out while they flow (QuietBeats). Over QUIC, with 200 viewers
	// in one process, the forest's frames fell by a fifth (378,000 ->
	// 305,000 a run) and CPU per delivered byte from 82-106 to 71-83 ns
	// (three alternating runs each). A child then hears its parent by the
	// chunks alone, and a few lost in a row made a live parent look
	// silent (5% loss: TestForestLossNoFalseParentLoss gave up 4); it
	// now probes a parent silent for half its timeout and gives it up
	// only when the probe goes unanswered (ProbeParent). In the
	// simulator: scenario U 0.9999 either way (p5 0.9996 -> 0.9998), H
	// 0.9982 either way, churn 0.9983 -> 0.9985 (repair p95 1550 -> 1600
	// ms), 10,000 viewers with 12 s of stream 0.9885 -> 0.9889.
	sc.QuietBeats = true
	sc.ProbeParent = true
	// A viewer is a leaf in all stripes but its home one, and its
	// refreshes there tell its parents nothing new: they go every second
	// rather than every 500 ms (QuietRefresh).
	sc.QuietRefresh = true
	// A viewer asks for at most three tenths of the stream's chunks a
	// second (after a burst of 1.5 s of them;
	// scribe.RelayConfig.RepairShare).
	// Over QUIC, 200 viewers in one process keep 1.7-1.9 of this
	// machine's two cores busy; six other processes busy for 5 s (a noisy
	// neighbour) put every node behind at once, and the repairs they all
	// asked for, unbounded, kept both cores full after the neighbour had
	// gone, so chunks went on coming late. 60 s runs disturbed 10 s in:
	// continuity 0.848, 0.862, 0.794 (p5 0.71-0.79; 38,000-58,000 repair
	// requests, against about 850 in a quiet run) -> 0.889, 0.898, 0.878
	// (p5 0.85-0.87; 15,000-24,000). Quiet runs keep 0.9999. In the
	// simulator it binds in scenario H and with churn only: U identical,
	// H 0.9982 either way, churn 0.9985 -> 0.9983 (repair p95 1600 ms
	// either way). In a first, experimental build, a tenth cost churn
	// continuity (0.9967), and bounding the tree, whose viewers repair
	// what every hop above them lost, sank it (scenario U: 0.646): the
	// tree keeps no bound. The bound was a fifth at first: less than
	// one stripe's quarter of the chunks, so a viewer left without a
	// parent in a stripe could not fill it by repairs while it searched.
	// 8 viewers over QUIC under the race detector (TestStreamQUICSmall),
	// where evictions come in runs, played 0.68-0.78 in 4 of 30 runs
	// (none of 16 before the bound, none of 16 at 0.3). At 0.3: U the
	// same, H 0.9981, churn 0.9985 (repair p95 1600 ms); the disturbed
	// runs above 0.884 and 0.894.
	r.RepairShare = 0.3
	return Config{
		Stripes:       4,
		Scribe:        sc,
		Relay:         r,
		Headroom:      0.1,
		Overhead:      1.03,
		MaxChildren:   64,
		SpareChildren: 8,
		StartWait:     3 * time.Second,
	}
}

// Validate reports the first field out of range.
func (c Config) Validate() error {
	if err := CheckStripes(c.Stripes); err != nil {
		return err
	}
	switch {
	case c.Headroom < 0 || c.Headroom >= 1 || c.Overhead < 1 || c.Overhead > 2:
		return fmt.Errorf("splitstream: headroom %v or overhead %v out of range", c.Headroom, c.Overhead)
	case c.MaxChildren < 0 || c.SpareChildren < 1:
		return fmt.Errorf("splitstream: max children %d or spare children %d out of range", c.MaxChildren, c.SpareChildren)
	case c.StartWait < 0:
		return fmt.Errorf("splitstream: start wait %v is negative", c.StartWait)
	}
	if err := c.Scribe.Validate(); err != nil {
		return fmt.Errorf("splitstream: %w", err)
	}
	if err := c.Relay.Validate(); err != nil {
		return fmt.Errorf("splitstream: %w", err)
	}
	return nil
}
