package overlay

import (
	"sort"
	"testing"
	"time"

	"github.com/almcast/alm/env"
	"github.com/almcast/alm/id"
	"github.com/almcast/alm/sim"
)

type testNet struct {
	t     *testing.T
	nw    *sim.Network
	nodes []*Node
	sims  []*sim.Node
	got   map[uint64]id.ID // lookup number -> where delivered
}

func newTestNet(t *testing.T, seed uint64, cfg Config) *testNet {
	t.Helper()
	sc := sim.DefaultConfig()
	sc.Seed = seed
	nw, err := sim.New(sc)
	if err != nil {
		t.Fatal(err)
	}
	return &testNet{t: t, nw: nw, got: map[uint64]id.ID{}}
}

func (tn *testNet) add(cfg Config) *Node {
	var ov *Node
	s := tn.nw.Add(sim.NodeSpec{}, func(e env.Env) env.Handler {
		var err error
		ov, err = New(e, cfg)
		if err != nil {
			tn.t.Fatal(err)
		}
		mux := env.NewMux()
		mux.Handle(Proto, ov)
		mux.Handle(LookupProto, ov)
		ov.Register(LookupProto, &Lookups{Delivered: func(m *Msg, l *Lookup) { tn.got[l.N] = e.Self().ID }})
		return mux
	})
	tn.nodes = append(tn.nodes, ov)
	tn.sims = append(tn.sims, s)
	return ov
}

// grow builds an overlay of n nodes joining every gap through random
// members, then lets it settle.
func (tn *testNet) grow(n int, gap time.Duration, cfg Config) {
	tn.add(cfg).Start()
	for i := 1; i < n; i++ {
		tn.nw.RunFor(gap)
		boot := tn.nodes[tn.nw.Rand().IntN(len(tn.nodes))]
		tn.add(cfg).Join(boot.Self())
	}
	tn.nw.RunFor(30 * time.Second)
}

func (tn *testNet) live() (out []*Node) {
	for i, n := range tn.nodes {
		if tn.sims[i].Alive() {
			out = append(out, n)
		}
	}
	return out
}

func (tn *testNet) sortedLive() []id.ID {
	var ids []id.ID
	for _, n := range tn.live() {
		ids = append(ids, n.Self().ID)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i].Cmp(ids[j]) < 0 })
	return ids
}

// checkLeafSets verifies every live node's nearest neighbours are its true
// ring neighbours.
func (tn *testNet) checkLeafSets() int {
	ids := tn.sortedLive()
	pos := map[id.ID]int{}
	for i, x := range ids {
		pos[x] = i
	}
	bad := 0
	for _, n := range tn.live() {
		i := pos[n.Self().ID]
		succ, pred := ids[(i+1)%len(ids)], ids[(i-1+len(ids))%len(ids)]
		cw, ccw := n.LeafSet().Nearest()
		if cw.ID != succ || ccw.ID != pred {
			bad++
			tn.t.Logf("node %s: cw %s (want %s) ccw %s (want %s) joined=%v", n.Self().ID.Short(), cw.ID.Short(), succ.Short(), ccw.ID.Short(), pred.Short(), n.Joined())
		}
	}
	return bad
}

func TestJoinBuildsCorrectLeafSets(t *testing.T) {
	cfg := DefaultConfig()
	tn := newTestNet(t, 1, cfg)
	tn.grow(500, 100*time.Millisecond, cfg)
	if bad := tn.checkLeafSets(); bad > 0 {
		t.Fatalf("%d of %d nodes have wrong immediate neighbours", bad, len(tn.nodes))
	}
}
