package scribe

import (
	"fmt"
	"math"
	"math/bits"
	"time"

	"github.com/almcast/alm/chunk"
	"github.com/almcast/alm/delivery"
	"github.com/almcast/alm/id"
	"github.com/almcast/alm/wire"
)

// TreeName is the name of the single-tree delivery mode.
const TreeName = "tree"

func init() {
	delivery.Register(TreeName, func(h delivery.Host) (delivery.Mode, error) {
		return NewTree(h, DefaultTreeConfig())
	})
	// Each hop sends a chunk whole to each child in turn: short chunks
	// keep hops short (scenario U, 1,000 viewers playing 1.5 s behind:
	// 50 ms chunks 0.976, 40 ms 0.986, 30 ms 0.994, 25 ms 0.997, 20 ms
	// 0.997 with more overhead). Viewers aim at one lag, like the
	// forest's; one whose chunks keep coming late may raise it to 4 s,
	// after 24 late chunks within 10 s (with the player's 6, 5% of the
	// viewers raised their lag in scenario U at seeds 2 and 3; with 24,
	// churn 10%/min: continuity 0.957 -> 0.969).
	delivery.SetPreferences(TreeName, delivery.Preferences{ChunkDuration: 25 * time.Millisecond,
		Lag: 1500 * time.Millisecond, LagPerDecade: 700 * time.Millisecond, MaxLag: 4 * time.Second,
		RaiseAfter: 24})
}

// TreeConfig tunes the tree mode.
type TreeConfig struct {
	// Scribe tunes the tree.
	Scribe Config
	// Relay tunes forwarding and repair.
	Relay RelayConfig
	// SourceHeadroom is the share of the source's upload kept free of
	// children, since whatever the source fails to send every viewer
	// misses. Default 0.1.
	SourceHeadroom float64
	// MaxChildren caps a viewer's children whatever its upload. Default 16.
	MaxChildren int
	// Overhead is the wire size of a chunk over its nominal share of the
	// rate (RTP packet framing, CBOR, signature). Default 1.025.
	Overhead float64
	// Load is the share of its upload a node commits to its children's
	// copies; the rest serves repairs and control. Default 0.93.
	Load float64
	// SkipPeriod: a node whose children need more than Load of its upload
	// leaves the chunks of some residues mod SkipPeriod to peers with
	// upload to spare, as few residues as bring the copies within Load
	// (one, with caps from the upload: 10% of the copies). Default 10, at
	// most 64.
	SkipPeriod int
}

// DefaultTreeConfig returns the documented defaults. The tree's relay
// sheds copies once its uplink holds 300ms (RelayConfig.MaxBacklog; 1s by
// default elsewhere): a tree's interior runs its uplinks near capacity,
// and over QUIC, where packets, acknowledgements and handshakes add about
// 15% to the frames, a second of backlog made each connection's round trip
// a second long, its congestion window held it under the stream's rate,
// and copies waiting behind it were dropped stale (200 viewers: continuity
// 0.937 to 0.992 over five runs; with 300ms 0.9987 in two; scenario U in
// the simulator 0.9988 -> 0.9989).
//
// The group's root does not take a place at the top (RootKeepsTop): when
// it joined late, the source's child it displaced took its whole subtree
// a level down and then deeper (scenario U: 22% of viewers 12 or more
// hops deep, continuity 0.963 against 0.994 at 30 ms chunks).
func DefaultTreeConfig() TreeConfig {
	r := DefaultRelayConfig()
	r.RepairTries = 12
	r.MaxBacklog = 300 * time.Millisecond
	// A parent sends something every chunk (25 ms): one silent for 250
	// ms is likely gone, and repairs go to peers (churn 10%/min,
	// seeds 1-3: continuity 0.9688, 0.9552, 0.9549 -> 0.9699, 0.9651,
	// 0.9740).
	r.ParentSilence = 250 * time.Millisecond
	sc := DefaultConfig()
	sc.QuietBeats = true
	sc.RootKeepsTop = false
	sc.NearestRoom = true
	sc.ByCapacity = true
	// A parent sends a chunk every 25 ms: a silence of 700 ms is a lost
	// parent (the forest's timings; scenario U with churn 10%/min:
	// continuity 0.908 -> 0.957, repair p95 3550 -> 1750 ms). But a join
	// handed down a deep tree takes longer than the forest's 700 ms: at
	// 10,000 viewers joiners that tried again were taken twice, and 725
	// gave up a parent without churn (continuity 0.955; with 1.5 s,
	// 0.9962 and none).
	sc.BeatPeriod = 250 * time.Millisecond
	sc.ParentTimeout = 700 * time.Millisecond
	sc.JoinTimeout = 1500 * time.Millisecond
	sc.RefreshPeriod = 500 * time.Millisecond
	return TreeConfig{Scribe: sc, Relay: r, SourceHeadroom: 0.1, MaxChildren: 16, Overhead: 1.025, Load: 0.93, SkipPeriod: 10}
}

// Validate reports the first field out of range.
func (c TreeConfig) Validate() error {
	if err := c.Scribe.Validate(); err != nil {
		return err
	}
	if err := c.Relay.Validate(); err != nil {
		return err
	}
	if c.Overhead < 1 || c.Overhead > 2 || c.Load <= 0 || c.Load > 1 || c.SkipPeriod < 2 || c.SkipPeriod > maxSkipPeriod {
		return fmt.Errorf("scribe: overhead %v, load %v or skip period %d out of range", c.Overhead, c.Load, c.SkipPeriod)
	}
	if c.SourceHeadroom < 0 || c.SourceHeadroom >= 1 || c.MaxChildren < 0 {
		return fmt.Errorf("scribe: source headroom %v or max children %d out of range", c.SourceHeadroom, c.MaxChildren)
	}
	return nil
}

// Tree is the "tree" delivery mode: one Scribe tree, rooted at the node
// responsible for the channel ID and fed by the source, carries every
// chunk. Viewers first ask the source, which hands their joins down to
// the highest node with room, so the tree fills from the top. Each node
// takes as many children as its upload carries whole copies of the
// stream; nodes that upload less than the rate are leaves.
type Tree struct {
	cfg   TreeConfig
	h     delivery.Host
	sc    *Scribe
	relay *Relay
	group id.ID
	cap   int
	full  float64 // whole copies the node's upload carries within Load
	rep   *RepairClock
	// lane[i] is when the parent last said it leaves chunks seq with
	// seq%SkipPeriod == i to peers (0: never).
	lane [maxSkipPeriod]time.Duration
	// missed[i] is when the parent last answered Miss for such a chunk.
	missed [maxSkipPeriod]time.Duration
}

// maxSkipPeriod bounds TreeConfig.SkipPeriod.
const maxSkipPeriod = 64

var _ delivery.Summarizer = (*Tree)(nil)

// NewTree returns the tree mode for h.
func NewTree(h delivery.Host, cfg TreeConfig) (*Tree, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	t := &Tree{cfg: cfg, h: h, group: h.Channel().ID()}
	t.rep = NewRepairClock()
	ev := Events{ParentLost: t.rep.Lost, Attached: func(g id.ID, _ id.Ref) {
		t.lane = [maxSkipPeriod]time.Duration{}
		t.missed = [maxSkipPeriod]time.Duration{}
		t.rep.Attached(g, h.Env().Now(), t.relay.Complete(g))
	}}
	var err error
	if t.sc, err = New(h.Env(), h.Overlay(), cfg.Scribe, t, ev, h.Send); err != nil {
		return nil, err
	}
	if t.relay, err = NewRelay(h, t.sc, cfg.Relay, func(uint64) id.ID { return t.group }); err != nil {
		return nil, err
	}
	t.relay.SetSkip(t.skip)
	// Chunks the parent leaves to peers are asked of peers at once: asking
	// the parent first cost it three round trips, each answered Miss
	// (scenario U, seeds 1-3: continuity 0.9970, 0.9968, 0.9954 ->
	// 0.9984, 0.9983, 0.9976; at seed 3 5.5% of the viewers had raised
	// their lag, none now).
	t.relay.SetPeersOnly(func(seq uint64) bool { return t.inLane(seq % uint64(t.cfg.SkipPeriod)) })
	t.relay.SetSpare(func() bool { return float64(t.sc.ChildCount(t.group)) <= t.full-1 })
	return t, nil
}

// Capacity is how many whole copies of a stream of rate bit/s an upload of
// upload bit/s carries, less a headroom share (0 when either is unknown).
func Capacity(upload, rate int64, headroom float64) int {
	if upload <= 0 || rate <= 0 {
		return 0
	}
	// A little slack: chunks carry RTP headers and signatures on top of
	// the nominal rate, and a node at twice the rate should still feed
	// two children (the relay sheds the excess, peers repair it).
	return int(math.Floor(float64(upload)*(1-headroom)/float64(rate) + 0.02))
}

// Proto implements delivery.Mode.
func (t *Tree) Proto() string { return Proto }

// Start implements delivery.Mode.
func (t *Tree) Start() {
	if t.h.IsSource() {
		t.cap = Capacity(t.h.Upload(), t.h.Rate(), t.cfg.SourceHeadroom)
		if t.h.Upload() <= 0 {
			t.cap = t.cfg.Scribe.MaxChildren
		}
		t.sc.Create(t.group)
		t.sc.Start()
		return
	}
	t.serve()
	// The first join goes to the source, which hands it down to the
	// highest node with room: the tree fills from the top, so it stays
	// shallow and the source's upload is used before viewers' (a join
	// routed towards the group ID stops at the first member on its way).
	t.sc.JoinAt(t.group, t.h.Source())
	t.relay.Start()
}

// Relay implements delivery.Relayer: a node that does not watch (yet)
// serves the joins routed to it as the group's root without joining.
func (t *Tree) Relay() {
	t.serve()
	t.relay.Start()
}

// serve sets a viewer up to take children.
func (t *Tree) serve() {
	t.cap = min(Capacity(t.h.Upload(), t.h.Rate(), 0), t.cfg.MaxChildren)
	t.full = float64(t.h.Upload()) * t.cfg.Load / (float64(t.h.Rate()) * t.cfg.Overhead)
	if t.h.Upload() <= 0 || t.h.Rate() <= 0 {
		t.cap = 2 // unknown upload: a modest interior node
		t.full = 2
	}
	t.sc.SetFeeder(t.h.Source())
	t.sc.Start()
}

// skip leaves copy seq for a child (of n) to peers when the node's children
// need more than its upload carries: each child misses the chunks of some
// residues mod SkipPeriod (as few as bring the copies within Load), which
// it asks of peers with upload to spare (leaves). A node whose parent
// leaves residues to peers leaves those same residues to all its children
// (it does not have them in time anyway), so the misses do not add up
// down the tree: a viewer misses one chunk in SkipPeriod, not one per
// skipping ancestor (scenario U, 1,000 viewers: chunks repaired 1.24 M ->
// 0.43 M, arrival p50 1269 -> 775 ms).
func (t *Tree) skip(_ id.ID, seq uint64, child id.ID, n int) bool {
	if t.h.IsSource() || float64(n) <= t.full {
		return false
	}
	m := uint64(t.cfg.SkipPeriod)
	need := uint64(math.Ceil((1 - t.full/float64(n)) * float64(m)))
	res := seq % m
	mask := t.laneMask()
	for bits.OnesCount64(mask) > int(m/2) {
		// A parent rarely leaves over half its copies to peers: one
		// that is repairing answers Miss for all it lacks, and a forged
		// one would have this node starve its whole subtree. The node
		// believes it for half the residues at most (the lowest); it
		// asks peers for the rest of what it lacks. (Ignoring such a
		// parent altogether: churn 10%/min seeds 1-3 0.952, 0.960,
		// 0.938; believing half: 0.982, 0.980, 0.971.)
		mask &^= 1 << (63 - bits.LeadingZeros64(mask))
	}
	lanes := uint64(bits.OnesCount64(mask))
	if mask&(1<<res) != 0 {
		return true
	}
	if lanes >= need {
		return false
	}
	return (res+uint64(child.Digit(0)*16+child.Digit(1)))%m < need-lanes
}

// laneMemory is how long a parent's word that it leaves a residue to
// peers holds: a parent that stops skipping is followed within it.
const laneMemory = 2 * time.Second

// inLane reports whether the parent leaves residue res to peers.
func (t *Tree) inLane(res uint64) bool {
	return laneLive(t.lane[res], t.h.Env().Now())
}

// laneLive reports whether a parent's word noted at `at` still holds at now.
func laneLive(at, now time.Duration) bool { return at > 0 && now-at <= laneMemory }

// laneMask has bit i set when the parent leaves residue i to peers (one
// clock reading for all of them: skip runs for every copy).
func (t *Tree) laneMask() uint64 {
	now := t.h.Env().Now()
	var mask uint64
	for i, at := range t.lane[:t.cfg.SkipPeriod] {
		if laneLive(at, now) {
			mask |= 1 << i
		}
	}
	return mask
}

// noteMiss learns from the parent's Miss messages which residues it
// leaves to peers: a residue missed twice within laneMemory. (A parent
// answers Miss for a chunk it lacks and is not repairing, rarely twice
// in a row for one residue; taking only the Miss messages the node had
// not asked for, a node that asked its parent first never learnt.)
func (t *Tree) noteMiss(from id.Ref, m *Miss) {
	if t.h.IsSource() || from.ID != t.sc.Parent(t.group).ID {
		return
	}
	now := max(t.h.Env().Now(), 1)
	for _, seq := range m.Seqs {
		res := seq % uint64(t.cfg.SkipPeriod)
		if laneLive(t.missed[res], now) {
			t.lane[res] = now
		}
		t.missed[res] = now
	}
}

// Adopt implements Policy.
func (t *Tree) Adopt(g id.ID, _ id.Ref, _ Via) bool {
	return g == t.group && t.sc.ChildCount(g) < t.cap
}

// Evict implements Policy: a single tree never evicts.
func (t *Tree) Evict(id.ID, id.Ref) (id.ID, id.Ref, bool) { return id.ID{}, id.Ref{}, false }

// Spare implements Policy.
func (t *Tree) Spare(g id.ID) int {
	if g != t.group {
		return 0
	}
	return t.cap - t.sc.ChildCount(g)
}

// Receive implements env.Handler.
func (t *Tree) Receive(from id.Ref, m wire.Message) {
	if x, ok := m.(*Miss); ok {
		t.noteMiss(from, x)
	}
	if !t.sc.Receive(from, m) {
		t.relay.Receive(from, m)
	}
}

// Publish implements delivery.Mode.
func (t *Tree) Publish(c *chunk.Chunk) { t.relay.Publish(c) }

// Chunk implements delivery.Mode.
func (t *Tree) Chunk(from id.Ref, c *chunk.Chunk, fresh bool) {
	t.relay.Chunk(from, c, fresh)
	if fresh && from.ID == t.sc.Parent(t.group).ID {
		t.rep.Data(t.group, t.h.Env().Now())
	}
}

// Stop implements delivery.Mode.
func (t *Tree) Stop() {
	t.sc.Stop()
	t.relay.Stop()
}

// Leave implements delivery.Mode.
func (t *Tree) Leave() {
	t.sc.Leave()
	t.relay.Stop()
}

// Scribe returns the mode's Scribe (for tests and tools).
func (t *Tree) Scribe() *Scribe { return t.sc }

// Stats implements delivery.Mode.
func (t *Tree) Stats() map[string]float64 {
	out := map[string]float64{
		"children": float64(t.sc.ChildCount(t.group)),
		"cap":      float64(t.cap),
	}
	if !t.h.IsSource() {
		d := t.sc.Depth(t.group)
		out["orphan"] = 0
		if d < 0 {
			out["orphan"] = 1
		} else {
			out["hops_sum"], out["hops_n"], out["depth_max"] = float64(d), 1, float64(d)
		}
		out["interior_stripes"] = 0
		if t.sc.ChildCount(t.group) > 0 {
			out["interior_stripes"] = 1
		}
	}
	AddStats(out, t.sc.Stats(), t.relay.Stats())
	t.rep.AddTo(out)
	return out
}

// Summarize implements delivery.Summarizer.
func (t *Tree) Summarize(viewers []map[string]float64) map[string]float64 {
	return Summarize(viewers, false)
}
