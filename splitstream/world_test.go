package splitstream_test

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

// world is a simulated stream: a source and viewers over one overlay.
type world struct {
	t       *testing.T
	nw      *sim.Network
	ch      chunk.Channel
	key     ed25519.PrivateKey
	scfg    stream.Config
	nodes   []*sim.Node
	ovs     []*overlay.Node
	sts     []*stream.Node // index 0: the source
	ts      *source.TestStream
	started bool
}

const rate = 1_000_000

// newWorld builds a source and n viewers of mode, each viewer uploading
// upload(i) bit/s, and lets the overlay settle.
func newWorld(t *testing.T, mode string, seed uint64, n int, loss float64, upload func(i int) int64) *world {
	t.Helper()
	cfg := sim.DefaultConfig()
	cfg.Seed = seed
	cfg.Loss = loss
	nw, err := sim.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	key := ed25519.NewKeyFromSeed(append(make([]byte, 31), byte(seed)))
	ch, _ := chunk.NewChannel(key.Public().(ed25519.PublicKey), "t")
	w := &world{t: t, nw: nw, ch: ch, key: key}
	w.scfg = stream.DefaultConfig()
	w.scfg.Mode = mode
	w.scfg.Rate = rate
	w.scfg.Player.StartupDelay = time.Second
	// The lab runs the forest with 50ms chunks (--chunk 50ms).
	w.scfg.Chunker.Duration = 50 * time.Millisecond
	w.add(4*rate, false)
	w.ovs[0].Start()
	for i := 0; i < n; i++ {
		nw.RunFor(20 * time.Millisecond)
		w.add(upload(i), true)
		w.ovs[len(w.ovs)-1].Join(w.ovs[nw.Rand().IntN(len(w.ovs)-1)].Self())
	}
	nw.RunFor(5 * time.Second)
	return w
}

func (w *world) add(upload int64, viewer bool) int {
	var err error
	node := w.nw.Add(sim.NodeSpec{Upload: upload}, func(e env.Env) env.Handler {
		mux := env.NewMux()
		ov, _ := overlay.New(e, overlay.DefaultConfig())
		mux.Handle(overlay.Proto, ov)
		c := w.scfg
		c.Upload = upload
		var st *stream.Node
		if viewer {
			st, err = stream.New(e, ov, w.ch, c, nil)
		} else {
			st, err = stream.NewSource(e, ov, w.key, "t", c)
		}
		if err != nil {
			w.t.Fatal(err)
		}
		st.Attach(mux)
		w.ovs = append(w.ovs, ov)
		w.sts = append(w.sts, st)
		return mux
	})
	w.nodes = append(w.nodes, node)
	return len(w.nodes) - 1
}

// start begins the broadcast and has every viewer watch.
func (w *world) start() {
	var err error
	w.nodes[0].Do(func() {
		if err = w.sts[0].Broadcast(source.TestSDP("127.0.0.1", 5004, source.TestClock(int64(rate))), rate); err == nil {
			w.ts, err = source.NewTestStream(w.nodes[0], rate, w.sts[0].Add)
		}
	})
	if err != nil {
		w.t.Fatal(err)
	}
	t0 := w.nw.Now()
	for i := 1; i < len(w.nodes); i++ {
		i := i
		w.nw.At(t0+time.Duration(i-1)*time.Second/time.Duration(len(w.nodes)-1), func() { w.nodes[i].Do(w.sts[i].Watch) })
	}
	w.started = true
}

// addViewer adds and starts a viewer during the run.
func (w *world) addViewer(upload int64) int {
	i := w.add(upload, true)
	w.ovs[i].Join(w.ovs[w.nw.Rand().IntN(i)].Self())
	w.nodes[i].Do(w.sts[i].Watch)
	return i
}

// continuity returns the mean continuity of the live viewers, and the
// worst.
func (w *world) continuity() (mean, worst float64) {
	worst = 1
	n := 0
	for i := 1; i < len(w.nodes); i++ {
		if !w.nodes[i].Alive() {
			continue
		}
		c := w.sts[i].Player().Stats().Continuity()
		mean += c
		worst = min(worst, c)
		n++
	}
	return mean / float64(n), worst
}

// received returns the share of chunks from..to that viewer i holds.
func (w *world) received(i int, from, to uint64) float64 {
	n := 0
	for s := from; s < to; s++ {
		if w.sts[i].Has(s) {
			n++
		}
	}
	return float64(n) / float64(to-from)
}

// newest is the source's next chunk number.
func (w *world) newest() uint64 {
	_, high := w.sts[0].Window()
	return high
}
