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

// sent is what a lone node sent: to whom, and what.
type sent struct {
	to  []id.Ref
	out []wire.Message
}

// lone builds one gossip node in a simulator, without an overlay, whose
// direct messages are kept in the returned sent.
func lone(t *testing.T, cfg Config) (*sim.Network, *Node, *sent) {
	t.Helper()
	nw, err := sim.New(sim.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	var g *Node
	s := &sent{}
	nw.Add(sim.NodeSpec{}, func(e env.Env) env.Handler {
		g, err = New(e, nil, func(r id.Ref, m wire.Message) { s.to, s.out = append(s.to, r), append(s.out, m) }, cfg)
		if err != nil {
			t.Fatal(err)
		}
		return g
	})
	return nw, g, s
}

func TestRendezvousSampleBoundedAndRefreshed(t *testing.T) {
	cfg := DefaultConfig()
	cfg.SampleSize = 16
	nw, rv, sent := lone(t, cfg)
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
	if len(sent.out) != 1 || len(sent.out[0].(*Peers).Peers) != 8 {
		t.Fatalf("get_peers answered with %v", sent.out)
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

// TestPathCacheAnswers: a node routing announcements towards the
// rendezvous answers a request itself once it has heard Reply announcers
// other than the asker within PathFresh, and sends the announcement on
// without the request; hidden announcers are never named; on a quiet
// route the request passes on for the rendezvous.
func TestPathCacheAnswers(t *testing.T) {
	cfg := DefaultConfig()
	nw, g, sent := lone(t, cfg)
	r := rand.New(rand.NewPCG(3, 4))
	route := func(o id.Ref, want uint8, hidden bool) *Announce {
		m := &overlay.Msg{Key: topic, Origin: o, Payload: &Announce{Topic: topic, Want: want, Hidden: hidden}}
		if !g.Forward(m, id.Ref{}) {
			t.Fatal("announcement stopped on its way")
		}
		return m.Payload.(*Announce)
	}
	asker := id.Ref{ID: id.Random(r), Addr: "asker"}
	source := id.Ref{ID: id.Random(r), Addr: "source"}
	route(asker, 0, false)
	route(source, 8, true)
	for i := 0; i < cfg.Reply-1; i++ {
		route(id.Ref{ID: id.Random(r), Addr: "m"}, 0, false)
	}
	if a := route(asker, 8, false); a.Want != 8 || len(sent.out) != 0 {
		t.Fatalf("answered with %d others heard (%v)", cfg.Reply-1, sent.out)
	}
	route(id.Ref{ID: id.Random(r), Addr: "m"}, 0, false)
	a := route(asker, 8, false)
	if a.Want != 0 || a.Topic != topic {
		t.Fatalf("announcement sent on as %+v, want the same without the request", a)
	}
	if len(sent.out) != 1 || sent.to[0] != asker {
		t.Fatalf("answered %v to %v", sent.out, sent.to)
	}
	peers := sent.out[0].(*Peers).Peers
	if len(peers) != cfg.Reply {
		t.Fatalf("answer names %d members, want %d", len(peers), cfg.Reply)
	}
	for _, p := range peers {
		if p.Ref.ID == asker.ID || p.Ref.ID == source.ID {
			t.Fatalf("answer names %v", p.Ref.Addr)
		}
	}
	if g.Stats().OnPath != 1 {
		t.Fatalf("OnPath %d, want 1", g.Stats().OnPath)
	}
	// The route goes quiet: the cache ages out and requests pass on.
	nw.RunFor(cfg.PathFresh + time.Second)
	if a := route(asker, 8, false); a.Want != 8 || len(sent.out) != 1 {
		t.Fatal("answered from announcers heard before PathFresh")
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

// TestEndedChannelsMakeRoom: a node keeps samples and path caches for at
// most MaxTopics channels; once it holds that many, a new channel is
// refused while they are all live, and taken once one of them has gone
// quiet for longer than its entries last, so a long-running node does
// not shut new channels out for good.
func TestEndedChannelsMakeRoom(t *testing.T) {
	cfg := DefaultConfig()
	cfg.MaxTopics = 2
	nw, g, _ := lone(t, cfg)
	r := rand.New(rand.NewPCG(5, 6))
	member := func() id.Ref { return id.Ref{ID: id.Random(r), Addr: "m"} }
	deliver := func(topic id.ID, want uint8) {
		g.Deliver(&overlay.Msg{Key: topic, Origin: member(), Payload: &Announce{Topic: topic, Want: want}})
	}
	// route sends Reply announcers of topic through the node, then a
	// request, and reports whether the node answered it on the way.
	route := func(topic id.ID) bool {
		for range cfg.Reply {
			g.Forward(&overlay.Msg{Key: topic, Origin: member(), Payload: &Announce{Topic: topic}}, id.Ref{})
		}
		m := &overlay.Msg{Key: topic, Origin: member(), Payload: &Announce{Topic: topic, Want: 8}}
		g.Forward(m, id.Ref{})
		return m.Payload.(*Announce).Want == 0
	}
	a, b, c := id.FromUint128(1, 1), id.FromUint128(2, 2), id.FromUint128(3, 3)
	deliver(a, 0)
	deliver(b, 0)
	deliver(c, 0)
	if g.SampleLen(c) != 0 || g.Stats().BadInput != 1 {
		t.Fatal("a third channel taken while two live ones fill the samples")
	}
	if !route(a) || !route(b) || route(c) {
		t.Fatal("path caches: want the first two channels answered on the way, not a third")
	}
	nw.RunFor(cfg.SampleExpiry + time.Second)
	deliver(c, 0)
	if g.SampleLen(c) != 1 {
		t.Fatal("a new channel still refused after the others went quiet")
	}
	if !route(c) {
		t.Fatal("path caches: a new channel still not cached after the others went quiet")
	}
}
