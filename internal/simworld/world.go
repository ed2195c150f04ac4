// Package simworld is the simulated stream the mode packages' tests share:
// a source and viewers of one channel over one overlay in the simulator.
package simworld

import (
	"crypto/ed25519"
	"testing"
	"time"

	"github.com/almcast/alm/chunk"
	"github.com/almcast/alm/env"
	"github.com/almcast/alm/overlay"
	"github.com/almcast/alm/sim"
	"github.com/almcast/alm/source"
	"github.com/almcast/alm/stream"
)

// Rate is the stream's rate in bit/s.
const Rate = 1_000_000

// Options shape a world.
type Options struct {
	Mode    string
	Seed    uint64
	Viewers int
	Loss    float64
	// Upload gives viewer i's upload in bit/s.
	Upload func(i int) int64
	// Chunk is the chunk duration (the lab runs tree and forest with 50ms).
	Chunk time.Duration
	// Stagger spreads the viewers' start over the first second.
	Stagger bool
	// Latency is the mean one-way latency (0: the simulator's default,
	// 50ms).
	Latency time.Duration
	// NoRelay sets stream.Config.NoRelay on every node.
	NoRelay bool
	// MetaMode leaves the viewers without a mode of their own: each runs
	// the one the source's signed metadata names (Mode, argument and all).
	MetaMode bool
	// Wrap, if set, wraps the Env of node i (0: the source) before its
	// protocols are built on it, for tests that change what a runtime
	// reports to them (a peer's send queue, say).
	Wrap func(i int, e env.Env) env.Env
}

// World is a source (index 0) and viewers over one overlay.
type World struct {
	T       *testing.T
	NW      *sim.Network
	Ch      chunk.Channel
	Key     ed25519.PrivateKey
	Cfg     stream.Config
	Nodes   []*sim.Node
	Ovs     []*overlay.Node
	Sts     []*stream.Node
	TS      *source.TestStream
	Started bool
	stagger bool
	// metaMode: viewers take their mode from the metadata (Options).
	metaMode bool
	wrap     func(i int, e env.Env) env.Env
}

// New builds the source and viewers, joining 20ms apart, and lets the
// overlay settle.
func New(t *testing.T, o Options) *World {
	t.Helper()
	cfg := sim.DefaultConfig()
	cfg.Seed = o.Seed
	cfg.Loss = o.Loss
	if o.Latency > 0 {
		cfg.Latency = o.Latency
	}
	nw, err := sim.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	key := ed25519.NewKeyFromSeed(append(make([]byte, 31), byte(o.Seed)))
	ch, _ := chunk.NewChannel(key.Public().(ed25519.PublicKey), "t")
	w := &World{T: t, NW: nw, Ch: ch, Key: key, stagger: o.Stagger, wrap: o.Wrap, metaMode: o.MetaMode}
	w.Cfg = stream.DefaultConfig()
	w.Cfg.Mode = o.Mode
	w.Cfg.Rate = Rate
	w.Cfg.Player.StartupDelay = time.Second
	w.Cfg.NoRelay = o.NoRelay
	if o.Chunk > 0 {
		w.Cfg.Chunker.Duration = o.Chunk
	}
	w.Add(4*Rate, false)
	w.Ovs[0].Start()
	for i := 0; i < o.Viewers; i++ {
		nw.RunFor(20 * time.Millisecond)
		w.Add(o.Upload(i), true)
		w.Ovs[len(w.Ovs)-1].Join(w.Ovs[nw.Rand().IntN(len(w.Ovs)-1)].Self())
	}
	nw.RunFor(5 * time.Second)
	return w
}

// Add adds a node (a viewer, or the source) and returns its index.
func (w *World) Add(upload int64, viewer bool) int {
	node := w.NW.Add(sim.NodeSpec{Upload: upload}, func(e env.Env) env.Handler {
		c := w.Cfg
		c.Upload = upload
		if viewer && w.metaMode {
			c.Mode = ""
		}
		if w.wrap != nil {
			e = w.wrap(len(w.Nodes), e)
		}
		var owner ed25519.PrivateKey
		if !viewer {
			owner = w.Key
		}
		s, err := stream.Build(e, overlay.DefaultConfig(), c, w.Ch, owner, nil)
		if err != nil {
			w.T.Fatal(err)
		}
		w.Ovs = append(w.Ovs, s.Overlay)
		w.Sts = append(w.Sts, s.Stream)
		return s.Mux
	})
	w.Nodes = append(w.Nodes, node)
	return len(w.Nodes) - 1
}

// Start begins the broadcast and has every viewer watch.
func (w *World) Start() {
	var err error
	w.Nodes[0].Do(func() {
		if err = w.Sts[0].Broadcast(source.TestSDP("127.0.0.1", 5004, source.TestClock(Rate)), Rate); err == nil {
			w.TS, err = source.NewTestStream(w.Nodes[0], Rate, w.Sts[0].Add)
		}
	})
	if err != nil {
		w.T.Fatal(err)
	}
	t0 := w.NW.Now()
	for i := 1; i < len(w.Nodes); i++ {
		if !w.stagger {
			w.Nodes[i].Do(w.Sts[i].Watch)
			continue
		}
		i := i
		w.NW.At(t0+time.Duration(i-1)*time.Second/time.Duration(len(w.Nodes)-1), func() { w.Nodes[i].Do(w.Sts[i].Watch) })
	}
	w.Started = true
}

// Kill stops node i's stream and kills the node without notice, as a
// crashed viewer.
func (w *World) Kill(i int) {
	w.Nodes[i].Do(w.Sts[i].Stop)
	w.NW.Kill(w.Nodes[i])
}

// AddViewer adds and starts a viewer during the run.
func (w *World) AddViewer(upload int64) int {
	i := w.Add(upload, true)
	w.Ovs[i].Join(w.Ovs[w.NW.Rand().IntN(i)].Self())
	w.Nodes[i].Do(w.Sts[i].Watch)
	return i
}

// Continuity returns the mean continuity of the live viewers, and the
// worst.
func (w *World) Continuity() (mean, worst float64) {
	worst = 1
	n := 0
	for i := 1; i < len(w.Nodes); i++ {
		if !w.Nodes[i].Alive() {
			continue
		}
		c := w.Sts[i].Player().Stats().Continuity()
		mean += c
		worst = min(worst, c)
		n++
	}
	return mean / float64(n), worst
}

// Received returns the share of chunks from..to that viewer i holds.
func (w *World) Received(i int, from, to uint64) float64 {
	n := 0
	for s := from; s < to; s++ {
		if w.Sts[i].Has(s) {
			n++
		}
	}
	return float64(n) / float64(to-from)
}

// Newest is the source's next chunk number.
func (w *World) Newest() uint64 {
	_, high := w.Sts[0].Window()
	return high
}
