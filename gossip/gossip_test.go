package gossip

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/almcast/alm/env"
	"github.com/almcast/alm/id"
	"github.com/almcast/alm/overlay"
	"github.com/almcast/alm/sim"
	"github.com/almcast/alm/wire"
)

var topic = id.FromUint128(42, 42)

// members builds n gossip nodes in a simulator, without an overlay: each
// joins with a few others as its first view.
func members(t *testing.T, n int, cfg Config) (*sim.Network, []*Node) {
	t.Helper()
	nw, err := sim.New(sim.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	var gs []*Node
	for i := 0; i < n; i++ {
		nw.Add(sim.NodeSpec{}, func(e env.Env) env.Handler {
			g, err := New(e, nil, nil, cfg)
			if err != nil {
				t.Fatal(err)
			}
			gs = append(gs, g)
			return g
		})
	}
	for i, g := range gs {
		if err := g.Join(topic, false); err != nil {
			t.Fatal(err)
		}
		for k := 1; k <= 2; k++ {
			g.Add(nw.Nodes()[(i+k)%n].Self())
		}
	}
	return nw, gs
}

func fastConfig() Config {
	c := DefaultConfig()
	c.ViewSize = 8
	c.ShuffleLen = 4
	c.ShufflePeriod = time.Second
	c.ShuffleTimeout = 500 * time.Millisecond
	return c
}

func TestViewsFillAndMix(t *testing.T) {
	nw, gs := members(t, 50, fastConfig())
	nw.RunFor(30 * time.Second)
	seen := map[id.ID]int{}
	for i, g := range gs {
		v := g.View()
		if len(v) < 6 {
			t.Fatalf("member %d has a view of %d", i, len(v))
		}
		for _, r := range v {
			if r.ID == nw.Nodes()[i].Self().ID {
				t.Fatalf("member %d lists itself", i)
			}
			seen[r.ID]++
		}
	}
	if len(seen) < 45 {
		t.Fatalf("only %d members appear in any view", len(seen))
	}
}

func TestSilentLeaversAgeOut(t *testing.T) {
	nw, gs := members(t, 40, fastConfig())
	nw.RunFor(20 * time.Second)
	dead := map[id.ID]bool{}
	for i := 0; i < 10; i++ {
		n := nw.Nodes()[i*4]
		gs[i*4].Stop()
		nw.Kill(n)
		dead[n.Self().ID] = true
	}
	nw.RunFor(120 * time.Second)
	left := 0
	for i, g := range gs {
		if !nw.Nodes()[i].Alive() {
			continue
		}
		for _, r := range g.View() {
			if dead[r.ID] {
				left++
			}
		}
		if len(g.View()) == 0 {
			t.Fatalf("member %d lost its whole view", i)
		}
	}
	if left > 0 {
		t.Fatalf("%d view entries of departed members remain", left)
	}
	var timeouts uint64
	for _, g := range gs {
		timeouts += g.Stats().Timeouts
	}
	if timeouts == 0 {
		t.Fatal("no shuffle timed out")
	}
}

func TestRendezvousSampleBoundedAndRefreshed(t *testing.T) {
	cfg := DefaultConfig()
	cfg.SampleSize = 16
	nw, err := sim.New(sim.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	var rv *Node
	var out []wire.Message
	nw.Add(sim.NodeSpec{}, func(e env.Env) env.Handler {
		rv, _ = New(e, nil, func(_ id.Ref, m wire.Message) { out = append(out, m) }, cfg)
		return rv
	})
	r := rand.New(rand.NewPCG(1, 2))
	ann := func(want uint8, hidden bool) id.Ref {
		o := id.Ref{ID: id.Random(r), Addr: "a"}
		rv.Deliver(&overlay.Msg{Key: topic, Origin: o, Payload: &Announce{Topic: topic, Want: want, Hidden: hidden}})
		return o
	}
	for i := 0; i < 40; i++ {
		ann(0, false)
	}
	if n := rv.SampleLen(topic); n != 16 {
		t.Fatalf("sample of %d, bound 16", n)
	}
	ann(0, true)
	if rv.Stats().Stored != 40 {
		t.Fatal("a hidden member was stored")
	}
	ann(8, false)
	if len(out) != 1 || len(out[0].(*Peers).Peers) != 8 {
		t.Fatalf("get_peers answered with %v", out)
	}
	// Announcements stop: the sample ages out.
	nw.RunFor(cfg.SampleExpiry + time.Second)
	if n := rv.SampleLen(topic); n != 0 {
		t.Fatalf("%d stale entries kept", n)
	}
	// A message for another key is refused.
	rv.Deliver(&overlay.Msg{Key: id.FromUint128(1, 1), Origin: id.Ref{ID: id.Random(r), Addr: "b"}, Payload: &Announce{Topic: topic}})
	if rv.Stats().BadInput != 1 {
		t.Fatal("announce for another key accepted")
	}
}

func TestBadInputCounted(t *testing.T) {
	nw, gs := members(t, 2, fastConfig())
	from := nw.Nodes()[1].Self()
	gs[0].Receive(from, &Peers{Topic: id.FromUint128(1, 2)})
	gs[0].Receive(from, &Peers{Topic: topic, Peers: make([]Entry, maxEntries+1)})
	gs[0].Receive(from, &ShuffleReply{Topic: topic}) // never asked
	gs[0].Receive(from, &Peers{Topic: topic, Peers: []Entry{{Ref: id.Ref{}}}})
	if got := gs[0].Stats().BadInput; got != 4 {
		t.Fatalf("bad input %d, want 4", got)
	}
	if err := (&Peers{Peers: make([]Entry, maxEntries+1)}).Validate(); err == nil {
		t.Fatal("oversized list validated")
	}
}

// TestWireSizes checks every WireSize against the real encoding.
func TestWireSizes(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 5))
	entries := func() []Entry {
		if r.IntN(4) == 0 {
			return nil
		}
		es := make([]Entry, r.IntN(maxEntries))
		for i := range es {
			es[i] = Entry{Ref: id.Ref{ID: id.Random(r), Addr: string(make([]byte, r.IntN(40)))}, Age: r.Uint32() >> r.IntN(32)}
		}
		return es
	}
	for i := 0; i < 300; i++ {
		for _, m := range []wire.Message{
			&Announce{Topic: id.Random(r), Want: uint8(r.IntN(256)), Hidden: r.IntN(2) == 0},
			&Peers{Topic: id.Random(r), Peers: entries()},
			&Shuffle{Topic: id.Random(r), Peers: entries()},
			&ShuffleReply{Topic: id.Random(r), Peers: entries()},
		} {
			b, err := wire.Encode(m)
			if err != nil {
				t.Fatal(err)
			}
			if got := m.(wire.Sizer).WireSize(); got != len(b) {
				t.Fatalf("%s: WireSize %d, encoded %d", wire.Name(m), got, len(b))
			}
		}
	}
}

func TestConfigValidate(t *testing.T) {
	c := DefaultConfig()
	c.ViewSize = 0
	if c.Validate() == nil {
		t.Fatal("view size 0 accepted")
	}
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatal(err)
	}
}
