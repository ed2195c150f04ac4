package splitstream

import (
	"time"

	"github.com/almcast/alm/chunk"
	"github.com/almcast/alm/delivery"
	"github.com/almcast/alm/id"
	"github.com/almcast/alm/scribe"
	"github.com/almcast/alm/wire"
)

// Name is the name of the forest delivery mode.
const Name = "forest"

func init() {
	delivery.RegisterArg(Name, func(h delivery.Host, arg string) (delivery.Mode, error) {
		cfg := DefaultConfig()
		if arg != "" {
			k, err := ParseStripes(arg)
			if err != nil {
				return nil, err
			}
			cfg.Stripes = k
		}
		return New(h, cfg)
	})
	// Each hop sends a chunk whole to each child in turn: short chunks
	// keep hops short. Trees push every chunk with little jitter, so
	// viewers play in step at 1.5s (scenario U: lag p95 2767ms with a 2s
	// startup buffer, 1500ms with the target; continuity 0.9992 and
	// 0.9958), 1.4s later per tenfold of audience beyond 2,000: deeper
	// trees (10,000 viewers: continuity 0.974 at 1.5s, 0.9952 at 2.5s).
	// A viewer whose chunks keep coming late may raise its lag to 3s: in
	// scenario H, where stripe slots are scarce and trees deep, continuity
	// 0.966 at a flat 1.5s, 0.983 at a flat 2s, 0.982 raising (U keeps
	// its 1.5s lag p95). 25ms chunks rather than 50ms halve each hop's
	// burst and the wait for a loss to show (the stripe's next chunk):
	// scenario U seeds 1-3 0.9967, 0.9980, 0.9946 (lag p95 1500, 1500,
	// 1955ms) -> 0.9999, 0.9999, 0.9997 (1500 at each), churn 0.9938,
	// 0.9870, 0.9884 -> 0.9962, 0.9953, 0.9947, H 0.9859 -> 0.9905, for
	// overhead 0.045 -> 0.062 and, over QUIC, about 15% more CPU per byte.
	delivery.SetPreferences(Name, delivery.Preferences{ChunkDuration: 25 * time.Millisecond,
		Lag: 1500 * time.Millisecond, LagPerDecade: 1400 * time.Millisecond, MaxLag: 3 * time.Second})
}

// Forest is the forest mode on one node.
type Forest struct {
	cfg     Config
	h       delivery.Host
	sc      *scribe.Scribe
	relay   *scribe.Relay
	stripes []id.ID
	spare   id.ID
	home    int // the stripe this node forwards in
	cap     int // stripe children over all stripes
	rep     *scribe.RepairClock
	joined  time.Duration // when the viewer joined its stripes
	open    bool          // StartFrom has let the player start
	from    uint64        // where it let it start
	first   []uint64      // per stripe, its first chunk's seq plus one (0: none yet)
}

var _ delivery.Summarizer = (*Forest)(nil)

// New returns the forest mode for h.
func New(h delivery.Host, cfg Config) (*Forest, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	ch := h.Channel().ID()
	f := &Forest{cfg: cfg, h: h, spare: SpareID(ch), rep: scribe.NewRepairClock()}
	for s := 0; s < cfg.Stripes; s++ {
		f.stripes = append(f.stripes, StripeID(ch, s))
	}
	f.home = h.Env().Self().ID.Digit(0) % cfg.Stripes
	ev := scribe.Events{
		ParentLost: f.rep.Lost,
		Attached: func(g id.ID, _ id.Ref) {
			if g != f.spare {
				f.rep.Attached(g, h.Env().Now(), f.relay.Complete(g))
				f.relay.Attached(g)
			}
		},
	}
	var err error
	if f.sc, err = scribe.New(h.Env(), h.Overlay(), cfg.Scribe, f, ev, h.Send); err != nil {
		return nil, err
	}
	if f.relay, err = scribe.NewRelay(h, f.sc, cfg.Relay, f.stripeFor); err != nil {
		return nil, err
	}
	f.relay.SetStride(cfg.Stripes)
	return f, nil
}

func (f *Forest) stripeFor(seq uint64) id.ID { return f.stripes[seq%uint64(len(f.stripes))] }

// Proto implements delivery.Mode: the forest's messages are Scribe's.
func (f *Forest) Proto() string { return scribe.Proto }

// Start implements delivery.Mode.
func (f *Forest) Start() {
	k := len(f.stripes)
	if f.h.IsSource() {
		up := delivery.Usable(f.h)
		f.cap = OutCapacity(up, f.h.Rate(), k, f.cfg.Headroom, f.cfg.Overhead)
		if up <= 0 {
			f.cap = k * 4
		}
		for _, s := range f.stripes {
			f.sc.Create(s)
		}
		f.sc.Create(f.spare)
		f.sc.Start()
		return
	}
	f.serve()
	f.joined = f.h.Env().Now()
	f.first = make([]uint64, k)
	for _, s := range f.stripes {
		f.sc.Join(s)
	}
	if f.cap > 0 {
		f.sc.Join(f.spare)
	}
	f.relay.Start()
}

// Relay implements delivery.Relayer: a node that does not watch (yet)
// serves the stripes whose joins are routed to it, as their root, without
// joining any.
func (f *Forest) Relay() {
	f.serve()
	f.relay.Start()
}

// serve sets a viewer up to take children.
func (f *Forest) serve() {
	k := len(f.stripes)
	up := delivery.Usable(f.h)
	f.cap = min(OutCapacity(up, f.h.Rate(), k, f.cfg.Headroom, f.cfg.Overhead), f.cfg.MaxChildren)
	if up <= 0 {
		f.cap = k // unknown upload: one copy of the stream
	}
	f.sc.SetFeeder(f.h.Source())
	f.sc.SetSpareTree(f.spare)
	if m := f.h.Meta(); m != nil {
		f.sc.SetParentTimeout(parentTimeout(f.cfg.Scribe.ParentTimeout, k, time.Duration(m.ChunkDuration)))
	}
	f.sc.Start()
}

// Receive implements env.Handler.
func (f *Forest) Receive(from id.Ref, m wire.Message) {
	if !f.sc.Receive(from, m) {
		f.relay.Receive(from, m)
	}
}

// Publish implements delivery.Mode.
func (f *Forest) Publish(c *chunk.Chunk) { f.relay.Publish(c) }

// Chunk implements delivery.Mode.
func (f *Forest) Chunk(from id.Ref, c *chunk.Chunk, fresh bool) {
	f.relay.Chunk(from, c, fresh)
	if fresh {
		f.rep.Data(f.stripeFor(c.Seq), f.h.Env().Now())
		if f.first != nil && !f.open {
			if s := c.Seq % uint64(len(f.first)); f.first[s] == 0 || c.Seq+1 < f.first[s] {
				f.first[s] = c.Seq + 1
			}
		}
	}
}

// StartFrom implements delivery.Starter. A viewer's stripes attach one by
// one as their joins find places, and a player that started on the first
// chunk to come would miss the chunks of stripes still looking for a
// parent (in the lab, 50 viewers tuning in together: every miss of a 20s
// run fell in its first two seconds of playout). So the player waits
// until every stripe has delivered, or StartWait has passed, and starts
// where each stripe that delivered brings every chunk.
func (f *Forest) StartFrom() (uint64, bool) {
	if f.open {
		return f.from, true
	}
	var from uint64
	got := 0
	for _, s := range f.first {
		if s > 0 {
			got++
			from = max(from, s-1)
		}
	}
	if got == 0 || got < len(f.first) && f.h.Env().Now()-f.joined < f.cfg.StartWait {
		return 0, false
	}
	// Stripe s brings every chunk from its first on: from the newest of
	// those firsts, less the stripes' other residues, nothing is missing.
	k := uint64(len(f.first))
	f.open, f.from = true, max(from+1, k)-k
	return f.from, true
}

// Stop implements delivery.Mode.
func (f *Forest) Stop() {
	f.sc.Stop()
	f.relay.Stop()
}

// Leave implements delivery.Mode.
func (f *Forest) Leave() {
	f.sc.Leave()
	f.relay.Stop()
}

// Scribe returns the mode's Scribe (for tests and tools).
func (f *Forest) Scribe() *scribe.Scribe { return f.sc }

// Stripes returns the stripe IDs.
func (f *Forest) Stripes() []id.ID { return f.stripes }

// Home returns the index of the node's home stripe.
func (f *Forest) Home() int { return f.home }

// Capacity returns the node's cap on stripe children.
func (f *Forest) Capacity() int { return f.cap }

// Stats implements delivery.Mode.
func (f *Forest) Stats() map[string]float64 {
	out := map[string]float64{"children": float64(f.total()), "cap": float64(f.cap), "stripes": float64(len(f.stripes))}
	if !f.h.IsSource() {
		var sum, n, dmax, orphan, interior float64
		for _, s := range f.stripes {
			d := f.sc.Depth(s)
			if d < 0 {
				orphan = 1
				continue
			}
			sum += float64(d)
			n++
			dmax = max(dmax, float64(d))
			if f.sc.ChildCount(s) > 0 {
				interior++
			}
		}
		out["hops_sum"], out["hops_n"], out["depth_max"] = sum, n, dmax
		out["orphan"], out["interior_stripes"] = orphan, interior
	}
	scribe.AddStats(out, f.sc.Stats(), f.relay.Stats())
	f.rep.AddTo(out)
	return out
}

// Summarize implements delivery.Summarizer.
func (f *Forest) Summarize(viewers []map[string]float64) map[string]float64 {
	return scribe.Summarize(viewers, true)
}
