package datadriven

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

// world is a simulated channel with a mesh: a source and viewers, as the
// lab builds them.
type world struct {
	t       *testing.T
	nw      *sim.Network
	ch      chunk.Channel
	src     *stream.Node
	srcNode *sim.Node
	nodes   []*sim.Node
	viewers []*stream.Node
	ovs     []*overlay.Node
	scfg    stream.Config
	ts      *source.TestStream
	rate    int64
}

type worldOpts struct {
	viewers   int
	upload    float64 // viewers' upload in multiples of the rate
	srcUpload float64
	loss      float64
	seed      uint64
	startup   time.Duration
	chunk     time.Duration // chunk duration (0: the stream's default)
	mesh      func(*Config)
}

func newWorld(t *testing.T, o worldOpts) *world {
	t.Helper()
	cfg := sim.DefaultConfig()
	cfg.Seed = o.seed + 1
	cfg.Loss = o.loss
	nw, err := sim.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	key := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
	ch, _ := chunk.NewChannel(key.Public().(ed25519.PublicKey), "t")
	w := &world{t: t, nw: nw, ch: ch, rate: 1_000_000}
	w.scfg = stream.DefaultConfig()
	w.scfg.Mode = Name
	w.scfg.Rate = w.rate
	w.scfg.Player.StartupDelay = o.startup
	if o.chunk > 0 {
		w.scfg.Chunker.Duration = o.chunk
	}
	if o.startup == 0 {
		w.scfg.Player.StartupDelay = time.Second
	}
	mcfg := DefaultConfig()
	if o.mesh != nil {
		o.mesh(&mcfg)
	}
	w.add(int64(o.srcUpload*float64(w.rate)), key, mcfg)
	w.ovs[0].Start()
	for i := 0; i < o.viewers; i++ {
		nw.RunFor(20 * time.Millisecond)
		w.add(int64(o.upload*float64(w.rate)), nil, mcfg)
		w.ovs[len(w.ovs)-1].Join(w.srcNode.Self())
	}
	nw.RunFor(3 * time.Second)
	return w
}

// add builds one node; key non-nil makes it the source.
func (w *world) add(upload int64, key ed25519.PrivateKey, mcfg Config) *sim.Node {
	var err error
	n := w.nw.Add(sim.NodeSpec{Key: key, Upload: upload}, func(e env.Env) env.Handler {
		mux := env.NewMux()
		ov, _ := overlay.New(e, overlay.DefaultConfig())
		mux.Handle(overlay.Proto, ov)
		c := w.scfg
		c.Upload = upload
		c.Mode = Name
		var st *stream.Node
		if key != nil {
			st, err = stream.NewSource(e, ov, key, "t", c)
			w.src = st
		} else {
			st, err = stream.New(e, ov, w.ch, c, nil)
			w.viewers = append(w.viewers, st)
		}
		if err != nil {
			w.t.Fatal(err)
		}
		if m, ok := st.Mode().(*Mode); ok {
			m.cfg = mcfg // the mesh knobs under test (gossip keeps its defaults)
		}
		st.Attach(mux)
		w.ovs = append(w.ovs, ov)
		return mux
	})
	if key != nil {
		w.srcNode = n
	} else {
		w.nodes = append(w.nodes, n)
	}
	return n
}

// broadcast starts the stream and lets every viewer tune in.
func (w *world) broadcast() {
	var err error
	w.srcNode.Do(func() {
		if err = w.src.Broadcast(source.TestSDP("127.0.0.1", 5004, 31250), w.rate); err != nil {
			return
		}
		w.ts, err = source.NewTestStream(w.srcNode, w.rate, w.src.Add)
	})
	if err != nil {
		w.t.Fatal(err)
	}
	for i, v := range w.viewers {
		n := w.nodes[i]
		w.nw.At(w.nw.Now()+time.Duration(i)*time.Second/time.Duration(len(w.viewers)), func() { n.Do(v.Watch) })
	}
}

// mode returns viewer i's mesh.
func (w *world) mode(i int) *Mode { return w.viewers[i].Mode().(*Mode) }

// continuity returns the viewers' mean continuity.
func (w *world) continuity() float64 {
	sum, n := 0.0, 0
	for i, v := range w.viewers {
		if !w.nodes[i].Alive() {
			continue
		}
		sum += v.Player().Stats().Continuity()
		n++
	}
	return sum / float64(n)
}
