package datadriven

import (
	"testing"
	"time"

	"github.com/almcast/alm/chunk"
	"github.com/almcast/alm/id"
)

func TestSilentPartnerReplaced(t *testing.T) {
	cfg := DefaultConfig()
	r := newRig(t, *noPush(&cfg), 2)
	// Peer a keeps talking; peer b says nothing.
	for i := 0; i < 10; i++ {
		r.nw.RunFor(time.Second)
		r.m.Receive(r.ref[0], &Status{Map: WireMap{}})
	}
	if r.m.partner(r.ref[1].ID) != nil || r.m.partner(r.ref[0].ID) == nil || r.m.stats.Silent != 1 {
		t.Fatalf("silent partner kept (silent=%d)", r.m.stats.Silent)
	}
}

func TestLeastUsefulPartnerReplaced(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Partners = 3
	r := newRig(t, *noPush(&cfg), 3)
	for i := 0; i < 10; i++ { // others to try
		r.m.g.Add(id.Ref{ID: id.FromUint128(7, uint64(i+1)), Addr: "m"})
	}
	for i := 0; i < 11; i++ {
		r.nw.RunFor(cfg.Tick)
		for _, p := range r.ref {
			r.m.Receive(p, &Status{Map: WireMap{}})
		}
	}
	r.nw.RunFor(cfg.Tick / 2)
	for i, p := range r.m.partners {
		p.heard = r.nw.Now()
		p.recv = uint64(100_000 * (i + 1))
	}
	r.m.partners[1].recv = 10 // peer b gave almost nothing
	r.m.replace()
	if r.m.partner(r.ref[1].ID) != nil || r.m.stats.Replaced != 1 {
		t.Fatal("least useful partner not replaced")
	}
	if r.m.partner(r.ref[0].ID) == nil || r.m.partner(r.ref[2].ID) == nil {
		t.Fatal("a useful partner was replaced")
	}
	r.m.fill()
	hellos := 0
	for _, s := range r.h.take() {
		if _, ok := s.m.(*Hello); ok {
			hellos++
		}
	}
	if hellos == 0 {
		t.Fatal("no new partner sought")
	}
}

func TestSourceSlotsByUpload(t *testing.T) {
	for _, tc := range []struct {
		substreams, take int
	}{
		{0, 3},  // pull only: 4x the rate at 0.75 a multiple
		{4, 15}, // push: one partner per substream slot, floor(4M / (1M/4 * 1.03))
	} {
		cfg := DefaultConfig()
		cfg.Substreams = tc.substreams
		r := newRig(t, cfg, 0)
		r.m.source = true
		r.h.upload = 4_000_000
		refused := 0
		for i := 0; i < tc.take+3; i++ {
			p := id.Ref{ID: id.FromUint128(3, uint64(i+1)), Addr: "v"}
			r.m.Receive(p, &Hello{Channel: r.h.ch.ID(), Upload: 2_000_000})
		}
		for _, s := range r.h.take() {
			if w, ok := s.m.(*Welcome); ok && !w.Accept {
				refused++
			}
		}
		if len(r.m.partners) != tc.take || refused != 3 {
			t.Fatalf("substreams %d: source took %d partners, refused %d; want %d and 3", tc.substreams, len(r.m.partners), refused, tc.take)
		}
	}
}

// TestSourceRefusalBudget: a full source answers at most its budget of
// refusals a tick (5% of its upload, at about 200 bytes each) and lets
// the rest of a crowd's hellos go unanswered; the budget is new each tick.
func TestSourceRefusalBudget(t *testing.T) {
	r := newRig(t, DefaultConfig(), 0)
	r.m.source = true
	r.h.upload = 4_000_000
	budget := r.m.refusalBudget() // 4 Mbit/s * 5% / 8 / 200 B a second, 1 s ticks: 125
	if budget != 125 {
		t.Fatalf("budget %d, want 125", budget)
	}
	hello := func(i int) {
		p := id.Ref{ID: id.FromUint128(3, uint64(i+1)), Addr: "v"}
		r.m.Receive(p, &Hello{Channel: r.h.ch.ID(), Upload: 2_000_000})
	}
	slots := r.m.slots()
	for i := range slots + 2*budget {
		hello(i)
	}
	refused := func() int {
		n := 0
		for _, s := range r.h.take() {
			if w, ok := s.m.(*Welcome); ok && !w.Accept {
				n++
			}
		}
		return n
	}
	if n, quiet := refused(), r.m.stats.HelloUnanswered; n != budget || quiet != uint64(budget) {
		t.Fatalf("%d refused, %d unanswered; want %d each", n, quiet, budget)
	}
	r.nw.RunFor(r.m.cfg.Tick + r.m.cfg.Tick/5) // a tick: a new budget
	r.h.take()
	for i := range budget + 1 {
		hello(slots + 2*budget + i)
	}
	if n := refused(); n != budget {
		t.Fatalf("next tick: %d refused, want %d", n, budget)
	}
}

func TestRefuseNotHeldAndOutsideWindow(t *testing.T) {
	cfg := DefaultConfig()
	r := newRig(t, *noPush(&cfg), 1)
	r.m.hold(r.h.chunk(100), id.Ref{})
	r.h.take()
	r.m.Receive(r.ref[0], &Request{Seqs: []uint64{100, 101, 5, 100000}})
	var got []uint64
	var refused []uint64
	for _, s := range r.h.take() {
		switch m := s.m.(type) {
		case *Refuse:
			refused = append(refused, m.Seqs...)
		case *chunk.Chunk:
			got = append(got, m.Seq)
		}
	}
	if len(got) != 1 || len(refused) != 3 {
		t.Fatalf("sent %v, refused %v; want chunk 100 and three refusals", got, refused)
	}
}

func TestStrangerRequestRefused(t *testing.T) {
	cfg := DefaultConfig()
	r := newRig(t, cfg, 0)
	r.m.Receive(id.Ref{ID: id.FromUint128(5, 5), Addr: "x"}, &Request{Seqs: []uint64{1}})
	out := r.h.take()
	if len(out) != 1 || r.m.stats.BadInput != 1 {
		t.Fatalf("stranger's request: %d answers, bad input %d", len(out), r.m.stats.BadInput)
	}
	if _, ok := out[0].m.(*Refuse); !ok {
		t.Fatal("stranger's request not refused")
	}
}

func TestFloodingPartnerDropped(t *testing.T) {
	cfg := DefaultConfig()
	r := newRig(t, *noPush(&cfg), 1)
	flood := make([]uint64, maxSeqs)
	for i := range flood {
		flood[i] = uint64(i)
	}
	for tick := 0; tick < 5 && r.m.partner(r.ref[0].ID) != nil; tick++ {
		for k := 0; k < 3; k++ {
			r.m.Receive(r.ref[0], &Request{Seqs: flood})
		}
		r.nw.RunFor(cfg.Tick)
	}
	if r.m.partner(r.ref[0].ID) != nil || r.m.stats.BadInput == 0 {
		t.Fatalf("flooding partner kept (bad input %d)", r.m.stats.BadInput)
	}
}

func TestPartnerAdvertisingChunksItNeverSendsReplaced(t *testing.T) {
	cfg := DefaultConfig()
	r := newRig(t, *noPush(&cfg), 1)
	r.m.start = 0
	for s := uint64(0); s < 20; s++ {
		r.has(0, s) // promises, never delivers
		r.nw.RunFor(200 * time.Millisecond)
	}
	r.nw.RunFor(5 * time.Second)
	if r.m.partner(r.ref[0].ID) != nil || r.m.stats.Failing != 1 || r.m.stats.Timeouts < uint64(cfg.MaxFailures) {
		t.Fatalf("lying partner kept: failing %d timeouts %d", r.m.stats.Failing, r.m.stats.Timeouts)
	}
}

func TestMalformedOrOversizedMapDropsPartner(t *testing.T) {
	cfg := DefaultConfig()
	r := newRig(t, cfg, 2)
	r.m.Receive(r.ref[0], &Status{Map: WireMap{Bits: make([]uint64, MaxMapWords+1)}})
	r.m.Receive(r.ref[1], &Status{Map: WireMap{Base: ^uint64(0), Bits: []uint64{1}}})
	if len(r.m.partners) != 0 || r.m.stats.BadInput != 2 {
		t.Fatalf("partners %d bad input %d after bad maps", len(r.m.partners), r.m.stats.BadInput)
	}
	// A bad map in a Hello is refused too.
	r.m.Receive(id.Ref{ID: id.FromUint128(4, 4), Addr: "y"}, &Hello{Channel: r.h.ch.ID(), Map: WireMap{Bits: make([]uint64, MaxMapWords+1)}})
	if len(r.m.partners) != 0 || r.m.stats.BadInput != 3 {
		t.Fatal("bad map in a hello accepted")
	}
}

func TestConfigValidate(t *testing.T) {
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatal(err)
	}
	for _, f := range []func(*Config){
		func(c *Config) { c.Window = 100 },
		func(c *Config) { c.MaxPartners = 2 },
		func(c *Config) { c.Substreams = 17 },
		func(c *Config) { c.Gossip.ViewSize = 0 },
	} {
		c := DefaultConfig()
		f(&c)
		if c.Validate() == nil {
			t.Fatalf("bad config accepted: %+v", c)
		}
	}
}

// TestSourceMakesRoomForMissingForwarder: a full source that has pushed
// for a while and whose partners include no forwarder of a substream
// takes a node that would forward it, in place of a partner it pushes
// nothing to; once one is there, the next is turned down. (At 10,000
// viewers tuning in, the source's partners happened to include none at
// home in one substream, and every viewer missed a quarter of the chunks
// for 14 s.)
func TestSourceMakesRoomForMissingForwarder(t *testing.T) {
	r := newRig(t, DefaultConfig(), 0)
	r.m.source = true
	r.h.upload = 4_000_000
	r.nw.RunFor(10 * r.m.cfg.Tick) // a clock past the audience's first subscriptions
	for i := 0; len(r.m.partners) < r.m.slots(); i++ {
		x := id.FromUint128(3, uint64(i+1))
		if r.m.home(x) == 0 {
			continue
		}
		r.m.Receive(id.Ref{ID: x, Addr: "v"}, &Hello{Channel: r.h.ch.ID(), Upload: 2_000_000})
	}
	full := len(r.m.partners)
	r.m.partners[0].subs = 1 << r.m.home(r.m.partners[0].ref.ID) // the audience has subscribed
	r.m.pushing = r.m.e.Now() - 3*r.m.cfg.Tick
	r.h.take()
	home0 := func(k uint64) id.Ref {
		for ; ; k++ {
			if x := id.FromUint128(5, k); r.m.home(x) == 0 {
				return id.Ref{ID: x, Addr: "f"}
			}
		}
	}
	a := home0(1)
	_, lo := a.ID.Uint128()
	r.m.Receive(a, &Hello{Channel: r.h.ch.ID(), Upload: 2_000_000})
	byes := 0
	for _, s := range r.h.take() {
		if _, ok := s.m.(*Bye); ok {
			byes++
		}
	}
	if r.m.partner(a.ID) == nil || len(r.m.partners) != full || byes != 1 {
		t.Fatalf("forwarder of the missing substream: taken %v, %d partners (was %d), %d byes; want taken in place of one",
			r.m.partner(a.ID) != nil, len(r.m.partners), full, byes)
	}
	b := home0(lo + 1)
	r.m.Receive(b, &Hello{Channel: r.h.ch.ID(), Upload: 2_000_000})
	if r.m.partner(b.ID) != nil {
		t.Fatal("a second forwarder of the substream was taken too")
	}
}
