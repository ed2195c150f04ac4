// Package datadriven is the data-driven mesh delivery mode "mesh" (Zhang
// et al., CoolStreaming/DONet, INFOCOM 2005; Pai et al., Chainsaw, IPTPS
// 2005): no trees; each viewer keeps a few partners found through gossip
// membership (package gossip); partners trade buffer maps, bitsets over a
// sliding window of chunks, in full when the partnership starts and then
// as one-chunk notices the moment a chunk is held; and each viewer pulls
// what it misses with a scheduler that takes urgent chunks first by
// deadline and the rest rarest first, from the partner that should answer
// soonest by its measured service time and queue, with a bounded number of
// requests outstanding per partner, timeouts and re-requests. Partners
// that stay silent, stop answering, or misbehave are replaced, and the
// least useful partner is replaced now and then; the source takes only as
// many partners as its upload carries. Requests for chunks not held or
// outside the window are refused at once, never left to hang; a supplier
// whose upload queue is full refuses too, so the requester asks elsewhere.
//
// Pure pull pays a notice, a request and a transfer per hop, and in the
// simulator that put the stream seconds behind; so, as the new
// CoolStreaming does, a viewer also subscribes to one partner per
// substream (chunks seq mod Substreams), which pushes that substream's
// chunks the moment it holds them. As in SplitStream, each viewer
// forwards pushes in one home substream only (from its ID), with
// floor(upload / (rate/Substreams * 1.03)) children, and is a leaf of the
// others; a forwarder pushes to forwarding children first and may take a
// leaf's slot (the leaf with the most upload goes); a node whose upload
// cannot carry one child is a leaf everywhere (no forwarder's rights, no
// climbing), and a forwarder keeps as many partners as its slots need.
// Nodes advertise their push depth (hops from the source)
// and a viewer takes the shallowest forwarding partner that is shallower
// than itself (so not its descendant); refusals name forwarders one level
// down, and an orphaned substream seeks forwarding members. Pulls repair
// whatever pushes miss (at once when a later chunk of the substream came
// first), and a parent that keeps being late is replaced; the old parent
// pushes until the new one grants. Pushes and served requests share one
// send queue (urgent requests, then pushes to forwarding children, then to
// leaves, then other requests), paced so that the uplink holds about one
// chunk and control messages never wait behind a burst of pushes. A
// forwarder deep in its home substream climbs: its parent names its own
// parent, which takes the forwarder as a partner and child, pushing a leaf
// down, so forwarders rise above leaves. A viewer subscribes as soon as it
// has partners; until a chunk comes it also pulls a first chunk, picked
// from its partners' clocks (or the channel metadata) so that its playback
// lag is about StartLag, and whichever comes first starts playback. The
// mode prefers a target playback lag of StartLag (delivery.Preferences):
// viewers play in step at it, leaves (upload below LeafUpload times the
// rate) LeafLag later.
package datadriven

import (
	"errors"
	"fmt"
	"time"

	"github.com/almcast/alm/gossip"
)

// Config tunes the mesh. Start from DefaultConfig.
type Config struct {
	// Window is the buffer map's window in chunks (a multiple of 64, at
	// most 1024). 0, the default: enough chunks to cover WindowSpan at
	// the channel's chunk duration (64 at 200ms chunks, 640 at 20ms), so
	// that short chunks do not shrink the window in time below the lags
	// players keep (measured with 20ms chunks and a fixed 64-chunk
	// window, 1.28s: continuity 0.83 at a 2.7s lag).
	Window int
	// WindowSpan is the time an automatic Window covers. Default 12.8s.
	WindowSpan time.Duration
	// Partners is how many partners a viewer seeks (M). Default 6.
	Partners int
	// MaxPartners is how many partners a viewer accepts (two more, for
	// a while, to let a forwarder climb); a forwarder with more push
	// slots accepts Partners plus its slots, up to 64. Default 12.
	MaxPartners int
	// SourceSlots is how many partners the source takes per multiple of
	// the stream rate its upload carries (at least one). Default 0.75.
	SourceSlots float64
	// MaxOutstanding bounds the requests waiting at one partner.
	// Default 3.
	MaxOutstanding int
	// Urgent is how close to its playout deadline a chunk is urgent:
	// urgent chunks go first, in deadline order. Default 1s.
	Urgent time.Duration
	// MinTimeout and MaxTimeout bound the wait for a requested chunk,
	// which is otherwise three times the partner's measured service
	// time. Defaults 500ms and 2s.
	MinTimeout, MaxTimeout time.Duration
	// MaxQueue is how long a supplier's upload queue may be before it
	// refuses requests as busy. Default 150ms.
	MaxQueue time.Duration
	// MapPeriod: a partner that has had nothing from this node for this
	// long gets its full buffer map. Default 2s.
	MapPeriod time.Duration
	// Silence is how long a partner may stay silent before it is
	// replaced. Default 6s.
	Silence time.Duration
	// Tick is the period of partner maintenance. Default 1s.
	Tick time.Duration
	// ReplacePeriod is how often the least useful partner is replaced.
	// Default 10s.
	ReplacePeriod time.Duration
	// HelloTimeout is how long a partnership request waits for its
	// answer. Default 2s.
	HelloTimeout time.Duration
	// MaxFailures is how many requests in a row a partner may leave
	// unanswered before it is replaced. Default 4.
	MaxFailures int
	// FloodLimit is how many chunks a partner may request per Tick for
	// each 64 chunks of the window (so it scales with short chunks);
	// requests beyond it are dropped and counted, and a partner that
	// floods three ticks running is dropped. Default 64.
	FloodLimit int
	// StartBehind is how far behind the newest chunk its partners share a
	// viewer starts playing, in chunks. Default 0.
	StartBehind int
	// StartLag is the playback lag a viewer aims for when it picks its
	// first chunk (the player's startup delay plus that chunk's age when
	// it arrives), given its partners' clocks; 0 or less than the
	// startup delay: start at the newest chunk half the partners hold.
	// Default 2.7s. With a target lag (the player's, see
	// player.Config.TargetLag) that target is aimed for instead.
	StartLag time.Duration
	// StartBack bounds how far behind the newest chunk its partners hold
	// a viewer's first chunk may be, in chunks, when it picks one for
	// StartLag while fewer than half its partners are playing: every
	// chunk between the two must be pulled on top of the live stream,
	// and a crowd tuning in to a running stream at once cannot pull that
	// much. A viewer joining an established swarm (half its partners
	// playing) is not bounded: it starts sooner, and at the same lag its
	// first chunks are widely held. Measured in scenario U with a 10s
	// lead (the audience joining a running stream): continuity 0.987 and
	// lag p95 4.5s unbounded, 0.9948 and 3.3s with 2; with churn 0.996
	// unbounded, 0.992 bounded always, 0.996 as it is; without a lead
	// nothing changes (0.9969). The player's target lag is kept by
	// waiting longer before playing. 0: the newest. Default 2.
	StartBack int
	// LeafLag is added to a viewer's target lag when its upload is below
	// LeafUpload times the stream rate: such a viewer forwards little or
	// nothing, partners serve forwarders first, and its chunks come later
	// (measured in scenario H, uploads 0x/1x/4x: continuity 0.977 without,
	// 0.985 with 1s, 0.989 with 2s; in H at 0.9 rmax 0.943 with 1s, 0.955
	// with 1.5s, 0.959 with 2s, 0.957 with 2.5s). Default 2s.
	LeafLag time.Duration
	// LeafUpload is the upload, in multiples of the stream rate, below
	// which a viewer counts as a leaf for LeafLag. Default 1.5.
	LeafUpload float64
	// Substreams splits the stream for push: chunk seq belongs to
	// substream seq mod Substreams, and a viewer subscribes to one partner
	// per substream, which pushes that substream's chunks the moment it
	// holds them (push-pull, as in the new CoolStreaming); pulls repair
	// what pushes miss. 0 turns push off. Default 4.
	Substreams int
	// PushShare is the share of a node's upload it offers to pushes in
	// its home substream (the source: in all); the rest serves pulls.
	// Default 1: floor(upload / (rate/Substreams * 1.03)) children.
	PushShare float64
	// PushGrace is how long a chunk that a parent should push is left to
	// come before it is pulled. Default 500ms.
	PushGrace time.Duration
	// PushWait: a chunk that a parent should push is left to it until it
	// is this close to its playout deadline (and PushGrace has passed
	// since it was first heard of), unless a later chunk of its
	// substream came first: a pull sooner races the push and one copy is
	// wasted (measured: a quarter of all media received came twice).
	// With players in step at the target lag, 1.5s still pulled most
	// chunks whose push was merely slow: in scenario U, dup_ratio 0.29
	// with 1.5s, 0.21 with 1s, continuity 0.9969 with either (10,000
	// viewers 0.9924 -> 0.9948, dup 0.067); over QUIC with 200 viewers,
	// where duplicates cost CPU the process lacks, 0.955-0.996 -> 0.997
	// (dup 0.37 -> 0.04). 0: PushGrace alone decides. Default 1s.
	PushWait time.Duration
	// Gossip tunes the membership protocol.
	Gossip gossip.Config
}

// DefaultConfig returns the documented defaults.
func DefaultConfig() Config {
	return Config{
		WindowSpan:     12800 * time.Millisecond,
		Partners:       6,
		MaxPartners:    12,
		SourceSlots:    0.75,
		MaxOutstanding: 3,
		Urgent:         time.Second,
		MinTimeout:     500 * time.Millisecond,
		MaxTimeout:     2 * time.Second,
		MaxQueue:       150 * time.Millisecond,
		MapPeriod:      2 * time.Second,
		Silence:        6 * time.Second,
		Tick:           time.Second,
		ReplacePeriod:  10 * time.Second,
		HelloTimeout:   2 * time.Second,
		MaxFailures:    4,
		FloodLimit:     64,
		StartLag:       2700 * time.Millisecond,
		StartBack:      2,
		LeafLag:        2 * time.Second,
		LeafUpload:     1.5,
		Substreams:     4,
		PushShare:      1,
		PushGrace:      500 * time.Millisecond,
		PushWait:       time.Second,
		Gossip:         gossip.DefaultConfig(),
	}
}

// Validate reports the first bad field.
func (c Config) Validate() error {
	switch {
	case c.Window < 0 || c.Window%64 != 0 || c.Window > 64*MaxMapWords || c.WindowSpan <= 0:
		return errors.New("datadriven: window must be 0 (auto) or a multiple of 64 up to 1024, and its span positive")
	case c.Partners < 1 || c.MaxPartners < c.Partners || c.MaxPartners > 64:
		return errors.New("datadriven: need 1 <= partners <= max partners <= 64")
	case c.SourceSlots <= 0 || c.MaxOutstanding < 1 || c.MaxFailures < 1 || c.FloodLimit < 1 || c.StartBehind < 0 || c.StartBack < 0:
		return errors.New("datadriven: source slots, outstanding, failures and flood limit must be positive; start behind and start back not negative")
	case c.Urgent <= 0 || c.MinTimeout <= 0 || c.MaxTimeout < c.MinTimeout || c.MaxQueue <= 0:
		return errors.New("datadriven: urgent, timeouts and queue must be positive")
	case c.Substreams < 0 || c.Substreams > 16 || c.PushShare < 0 || c.PushShare > 1 || c.PushGrace < 0 || c.PushWait < 0 || c.LeafLag < 0 || c.LeafUpload < 0:
		return errors.New("datadriven: substreams in [0, 16], push share in [0, 1], push grace, push wait, leaf lag and leaf upload not negative")
	case c.MapPeriod <= 0 || c.Silence <= 0 || c.Tick <= 0 || c.ReplacePeriod <= 0 || c.HelloTimeout <= 0:
		return errors.New("datadriven: periods must be positive")
	}
	if err := c.Gossip.Validate(); err != nil {
		return fmt.Errorf("datadriven: %w", err)
	}
	return nil
}
