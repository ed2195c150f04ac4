package lab

import (
	"context"
	"sort"
	"time"

	"github.com/almcast/alm/env"
	"github.com/almcast/alm/id"
	"github.com/almcast/alm/overlay"
	"github.com/almcast/alm/sim"
)

type simPeer struct {
	node *sim.Node
	ov   *overlay.Node
}

// lookupRecord is one lookup in flight or done.
type lookupRecord struct {
	origin    int // index into the peer list
	key       id.ID
	delivered bool
	correct   bool
	hops      int
	elapsed   time.Duration
	direct    time.Duration
}

// RunOverlaySim runs an overlay experiment in the simulator.
func RunOverlaySim(ctx context.Context, cfg OverlayConfig) (*OverlayResult, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	start := time.Now()
	scfg := sim.DefaultConfig()
	scfg.Seed = cfg.Seed
	scfg.Latency = cfg.Latency
	// Like FreePastry's Euclidean model: a link's latency is its length,
	// so route and direct latencies compare exactly.
	scfg.Jitter = 0
	nw, err := sim.New(scfg)
	if err != nil {
		return nil, err
	}
	var peers []*simPeer
	var records []lookupRecord
	var sortedLive []id.ID
	byAddr := map[string]int{}
	add := func() *simPeer {
		p := &simPeer{}
		idx := len(peers)
		p.node = nw.Add(sim.NodeSpec{}, func(e env.Env) env.Handler {
			ov, err := overlay.New(e, cfg.Overlay)
			if err != nil {
				panic(err) // validated above
			}
			p.ov = ov
			mux := env.NewMux()
			mux.Handle(overlay.Proto, ov)
			mux.Handle(overlay.LookupProto, ov)
			ov.Register(overlay.LookupProto, &overlay.Lookups{Delivered: func(m *overlay.Msg, l *overlay.Lookup) {
				if l.N >= uint64(len(records)) {
					return
				}
				r := &records[l.N]
				if r.delivered {
					return
				}
				r.delivered = true
				r.hops = m.Hops
				r.elapsed = e.Now() - m.Sent
				r.correct = e.Self().ID == closest(sortedLive, r.key)
				r.direct = nw.Latency(peers[r.origin].node, peers[idx].node)
			}})
			return mux
		})
		byAddr[p.node.Self().Addr] = idx
		peers = append(peers, p)
		return p
	}
	first := add()
	first.ov.Start()
	for i := 1; i < cfg.Nodes; i++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		nw.RunFor(cfg.JoinInterval)
		boot := peers[nw.Rand().IntN(len(peers))]
		p := add()
		p.ov.Join(boot.node.Self())
	}
	nw.RunFor(cfg.Settle)
	joinWall := time.Since(start)

	res := &OverlayResult{Net: "sim", Nodes: cfg.Nodes, Lookups: cfg.Lookups, Seed: cfg.Seed, JoinWallS: joinWall.Seconds()}
	if cfg.Rest > 0 {
		before := maintSum(peers)
		nw.RunFor(cfg.Rest)
		res.MaintMsgsPerNodeS = float64(maintSum(peers)-before) / float64(len(nw.Live())) / cfg.Rest.Seconds()
	}
	if cfg.Churn > 0 {
		live := nw.Live()
		kill := int(cfg.Churn * float64(len(live)))
		perm := nw.Rand().Perm(len(live))
		for _, i := range perm[:kill] {
			nw.Kill(live[i])
		}
		res.Killed = kill
		nw.RunFor(cfg.Repair)
	}
	live := nw.Live()
	res.Live = len(live)
	for _, n := range live {
		sortedLive = append(sortedLive, n.Self().ID)
	}
	sort.Slice(sortedLive, func(i, j int) bool { return sortedLive[i].Cmp(sortedLive[j]) < 0 })
	records = make([]lookupRecord, cfg.Lookups)
	for i := range records {
		o := live[nw.Rand().IntN(len(live))]
		records[i] = lookupRecord{origin: byAddr[o.Self().Addr], key: id.Random(nw.Rand())}
		i := i
		nw.At(nw.Now()+time.Duration(i)*time.Millisecond, func() {
			p := peers[records[i].origin]
			p.node.Do(func() { p.ov.Route(records[i].key, &overlay.Lookup{N: uint64(i)}) })
		})
	}
	nw.RunFor(time.Duration(cfg.Lookups)*time.Millisecond + 30*time.Second)
	summarise(res, records)
	res.WallS = time.Since(start).Seconds()
	res.Messages = nw.Stats().Sent
	res.PeakRSSMB = PeakRSSMB()
	return res, nil
}

func maintSum(peers []*simPeer) uint64 {
	var s uint64
	for _, p := range peers {
		if p.node.Alive() {
			s += p.ov.Stats().MaintSent
		}
	}
	return s
}

func summarise(res *OverlayResult, records []lookupRecord) {
	var hops, lat []float64
	var route, direct time.Duration
	for _, r := range records {
		switch {
		case !r.delivered:
			res.Lost++
		case !r.correct:
			res.Misrouted++
		default:
			hops = append(hops, float64(r.hops))
			lat = append(lat, float64(r.elapsed)/float64(time.Millisecond))
			route += r.elapsed
			direct += r.direct
		}
	}
	if len(records) > 0 {
		res.Delivered = float64(len(hops)) / float64(len(records))
	}
	res.HopsMean = Mean(hops)
	res.HopsP99 = Percentile(hops, 99)
	res.LatencyP50 = Percentile(lat, 50)
	res.LatencyP99 = Percentile(append([]float64(nil), lat...), 99)
	if direct > 0 {
		s := float64(route) / float64(direct)
		res.Stretch = &s
	}
}
