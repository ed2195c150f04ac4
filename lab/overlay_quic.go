package lab

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/almcast/alm/env"
	"github.com/almcast/alm/id"
	"github.com/almcast/alm/identity"
	"github.com/almcast/alm/overlay"
	"github.com/almcast/alm/qnet"
)

// Defaults of the overlay experiment over QUIC. Time there is wall time,
// so the simulator's long defaults are replaced when left unchanged:
//
//   - Settle: QUICSettle instead of 30s.
//   - Rest: QUICRest instead of 2m (0 skips the measurement).
//   - Latency: no shim at all (plain loopback) instead of 50ms; any other
//     value is added one way to every packet by the qnet Shim.
//
// After Settle, the run also waits (at most QUICJoinWait) until every node
// has joined: over real sockets, under CPU load, a join's probes and
// handshakes can take seconds.
//
// JoinInterval (100ms), Repair (60s, only waited when Churn > 0) and the
// overlay's own timers are used as given. Stretch is not measured (null).
const (
	QUICSettle = 5 * time.Second
	QUICRest   = 10 * time.Second
	// QUICJoinWait bounds the wait, after Settle, for nodes still joining
	// (the simulator has none: its joins are done by then).
	QUICJoinWait = 30 * time.Second
	// QUICLookupGap spaces the lookups sent.
	QUICLookupGap = time.Millisecond
	// QUICLookupWait bounds the wait for lookups after the last is sent.
	QUICLookupWait = 30 * time.Second
	// quicCallWait bounds a call onto a node's event loop and a node's stop.
	quicCallWait = 30 * time.Second
)

// QUICOverlayConfig returns cfg with the fields left at their simulator
// defaults replaced by the QUIC defaults above, and the qnet Shim latency
// it implies (0: no shim).
func QUICOverlayConfig(cfg OverlayConfig) (OverlayConfig, time.Duration) {
	def := DefaultOverlayConfig()
	if cfg.Settle == def.Settle {
		cfg.Settle = QUICSettle
	}
	if cfg.Rest == def.Rest {
		cfg.Rest = QUICRest
	}
	shim := cfg.Latency
	if cfg.Latency == def.Latency {
		shim = 0
	}
	return cfg, shim
}

// quicPeer is one overlay node on its own qnet node and UDP socket.
type quicPeer struct {
	node   *qnet.Node
	ov     *overlay.Node // used on node's event loop only
	cancel context.CancelFunc
	done   chan error // Run's result
	alive  bool       // not killed (harness goroutine only)
	in     bool       // known to have joined (harness goroutine only)

	joinedFlag atomic.Bool // set on the event loop when polled and joined
	polling    atomic.Bool // a poll of Joined is queued
}

// quicRun is the state of one RunOverlayQUIC.
type quicRun struct {
	cfg   OverlayConfig
	shim  time.Duration
	epoch time.Time
	log   *slog.Logger
	rng   *rand.Rand
	peers []*quicPeer

	// Written by delivery callbacks on the nodes' event loops.
	mu         sync.Mutex
	records    []lookupRecord
	sortedLive []id.ID
	pending    int
	allDone    chan struct{}
}

// RunOverlayQUIC runs an overlay experiment over QUIC: cfg.Nodes qnet
// nodes in this process, each with its own key and UDP socket on
// 127.0.0.1, sharing one clock. It builds the overlay one join every
// JoinInterval (through a random node that has joined), settles (see
// QUICJoinWait), measures
// maintenance traffic over Rest, kills a share Churn of the nodes without
// notice, waits Repair, and routes Lookups lookups from random live nodes
// to random keys, 1ms apart. See QUICOverlayConfig for the defaults that
// differ from the simulator's. Every node is stopped before it returns.
func RunOverlayQUIC(ctx context.Context, cfg OverlayConfig) (res *OverlayResult, err error) {
	if cfg.Net == "" {
		cfg.Net = "quic"
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg, shim := QUICOverlayConfig(cfg)
	start := time.Now()
	r := &quicRun{
		cfg:     cfg,
		shim:    shim,
		epoch:   start,
		log:     slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
		rng:     rand.New(rand.NewPCG(cfg.Seed, 0x9e3779b97f4a7c15)),
		allDone: make(chan struct{}),
	}
	defer func() {
		if serr := r.stopAll(); serr != nil && err == nil {
			res, err = nil, serr
		}
	}()

	if err := r.build(ctx); err != nil {
		return nil, err
	}
	if err := sleepCtx(ctx, cfg.Settle); err != nil {
		return nil, err
	}
	if err := r.awaitJoined(ctx); err != nil {
		return nil, err
	}
	res = &OverlayResult{Net: "quic", Nodes: cfg.Nodes, Lookups: cfg.Lookups, Seed: cfg.Seed, JoinWallS: time.Since(start).Seconds()}

	if cfg.Rest > 0 {
		before, err := r.maintSum(ctx)
		if err != nil {
			return nil, err
		}
		if err := sleepCtx(ctx, cfg.Rest); err != nil {
			return nil, err
		}
		after, err := r.maintSum(ctx)
		if err != nil {
			return nil, err
		}
		res.MaintMsgsPerNodeS = float64(after-before) / float64(len(r.live())) / cfg.Rest.Seconds()
	}
	if cfg.Churn > 0 {
		live := r.live()
		kill := int(cfg.Churn * float64(len(live)))
		for _, i := range r.rng.Perm(len(live))[:kill] {
			if err := r.kill(live[i]); err != nil {
				return nil, err
			}
		}
		res.Killed = kill
		if err := sleepCtx(ctx, cfg.Repair); err != nil {
			return nil, err
		}
	}
	live := r.live()
	res.Live = len(live)
	if err := r.lookups(ctx, live); err != nil {
		return nil, err
	}
	var q qnet.Stats
	for _, p := range r.peers {
		q.Add(p.node.Stats())
	}
	res.Messages = q.FramesSent
	if err := r.report(ctx, q); err != nil {
		return nil, err
	}
	if err := r.stopAll(); err != nil {
		return nil, err
	}
	r.mu.Lock()
	summarise(res, r.records)
	r.mu.Unlock()
	res.Stretch = nil // needs a latency model; loopback has none
	res.WallS = time.Since(start).Seconds()
	res.PeakRSSMB = PeakRSSMB()
	return res, nil
}

// report logs the overlay's and qnet's counters, as a warning when some
// lookup went astray.
func (r *quicRun) report(ctx context.Context, q qnet.Stats) error {
	stats, err := onLoops(ctx, r.live(), func(p *quicPeer) overlay.Stats { return p.ov.Stats() })
	if err != nil {
		return err
	}
	var o overlay.Stats
	for _, s := range stats {
		o.HopTimeouts += s.HopTimeouts
		o.Reroutes += s.Reroutes
		o.RouteDrops += s.RouteDrops
		o.Deaths += s.Deaths
		o.Duplicates += s.Duplicates
		o.BadInput += s.BadInput
	}
	level := slog.LevelInfo
	if r.undelivered() > 0 || r.misrouted() > 0 {
		level = slog.LevelWarn
	}
	r.log.Log(ctx, level, "lab: quic overlay counters",
		"undelivered", r.undelivered(), "misrouted", r.misrouted(), "not_joined", r.notJoined(),
		"hop_timeouts", o.HopTimeouts, "reroutes", o.Reroutes, "route_drops", o.RouteDrops,
		"deaths", o.Deaths, "duplicates", o.Duplicates, "bad_input", o.BadInput,
		"frames_sent", q.FramesSent, "send_drops", q.SendDrops, "dials", q.Dials)
	return nil
}

func (r *quicRun) misrouted() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	c := 0
	for _, rec := range r.records {
		if rec.delivered && !rec.correct {
			c++
		}
	}
	return c
}

// build starts the first node and joins the others one by one, each
// through a random node known to have joined. The joined state is polled
// without waiting, so that slow event loops do not slow the join pace.
func (r *quicRun) build(ctx context.Context) error {
	first, err := r.add()
	if err != nil {
		return err
	}
	first.node.Do(first.ov.Start)
	first.in = true
	for i := 1; i < r.cfg.Nodes; i++ {
		if err := sleepCtx(ctx, r.cfg.JoinInterval); err != nil {
			return err
		}
		var in []*quicPeer
		for _, p := range r.peers {
			if !p.in && p.joinedFlag.Load() {
				p.in = true
			}
			if p.in {
				in = append(in, p)
			} else if !p.polling.Swap(true) {
				p.node.Do(func() {
					p.joinedFlag.Store(p.ov.Joined())
					p.polling.Store(false)
				})
			}
		}
		boot := in[r.rng.IntN(len(in))].node.Self()
		p, err := r.add()
		if err != nil {
			return err
		}
		p.node.Do(func() { p.ov.Join(boot) })
	}
	return nil
}

// add creates a node and runs it.
func (r *quicRun) add() (*quicPeer, error) {
	key, err := identity.Generate()
	if err != nil {
		return nil, err
	}
	p := &quicPeer{done: make(chan error, 1), alive: true}
	qc := qnet.Config{
		Key:    key,
		Listen: "127.0.0.1:0",
		Epoch:  r.epoch,
		Seed:   r.cfg.Seed + uint64(len(r.peers)),
		Log:    r.log,
		// Loopback paths need no MTU probes.
		NoMTUDiscovery: true,
	}
	qc.Shim.Latency = r.shim
	var buildErr error
	n, err := qnet.New(qc, func(e env.Env) env.Handler {
		ov, err := overlay.New(e, r.cfg.Overlay)
		if err != nil {
			buildErr = err
			return nil
		}
		p.ov = ov
		self := e.Self().ID
		ov.Register(overlay.LookupProto, &overlay.Lookups{Delivered: func(m *overlay.Msg, l *overlay.Lookup) {
			r.delivered(self, e.Now(), m, l)
		}})
		mux := env.NewMux()
		mux.Handle(overlay.Proto, ov)
		mux.Handle(overlay.LookupProto, ov)
		return mux
	})
	if err != nil {
		return nil, errors.Join(buildErr, err)
	}
	p.node = n
	runCtx, cancel := context.WithCancel(context.Background())
	p.cancel = cancel
	go func() { p.done <- n.Run(runCtx) }()
	r.peers = append(r.peers, p)
	return p, nil
}

// delivered records a lookup where it arrived; it runs on the event loop
// of the node that delivered it.
func (r *quicRun) delivered(self id.ID, now time.Duration, m *overlay.Msg, l *overlay.Lookup) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if l.N >= uint64(len(r.records)) {
		return
	}
	rec := &r.records[l.N]
	if rec.delivered {
		return
	}
	rec.delivered = true
	rec.hops = m.Hops
	rec.elapsed = now - m.Sent
	rec.correct = self == closest(r.sortedLive, rec.key)
	r.pending--
	if r.pending == 0 {
		close(r.allDone)
	}
}

// lookups routes the lookups from random live nodes and waits for them.
func (r *quicRun) lookups(ctx context.Context, live []*quicPeer) error {
	if r.cfg.Lookups == 0 {
		return nil
	}
	sorted := make([]id.ID, len(live))
	for i, p := range live {
		sorted[i] = p.node.Self().ID
	}
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Cmp(sorted[j]) < 0 })
	origins := make([]*quicPeer, r.cfg.Lookups)
	records := make([]lookupRecord, r.cfg.Lookups)
	for i := range records {
		o := r.rng.IntN(len(live))
		origins[i] = live[o]
		records[i] = lookupRecord{origin: o, key: id.Random(r.rng)}
	}
	r.mu.Lock()
	r.sortedLive = sorted
	r.records = records
	r.pending = len(records)
	r.mu.Unlock()

	tick := time.NewTicker(QUICLookupGap)
	defer tick.Stop()
	for i, p := range origins {
		if i > 0 {
			select {
			case <-tick.C:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		key, n := records[i].key, uint64(i)
		p.node.Do(func() { p.ov.Route(key, &overlay.Lookup{N: n}) })
	}
	wait := time.NewTimer(QUICLookupWait)
	defer wait.Stop()
	select {
	case <-r.allDone:
	case <-wait.C:
		r.log.Warn("lab: lookups still undelivered", "count", r.undelivered())
	case <-ctx.Done():
		return ctx.Err()
	}
	return nil
}

func (r *quicRun) undelivered() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.pending
}

// live returns the nodes not killed.
func (r *quicRun) live() []*quicPeer {
	var out []*quicPeer
	for _, p := range r.peers {
		if p.alive {
			out = append(out, p)
		}
	}
	return out
}

// notJoined counts live nodes not known to have joined.
func (r *quicRun) notJoined() int {
	c := 0
	for _, p := range r.live() {
		if !p.in {
			c++
		}
	}
	return c
}

// refreshJoined asks the live nodes not yet known to have joined whether
// they have.
func (r *quicRun) refreshJoined(ctx context.Context) error {
	var ask []*quicPeer
	for _, p := range r.live() {
		if !p.in {
			ask = append(ask, p)
		}
	}
	joined, err := onLoops(ctx, ask, func(p *quicPeer) bool { return p.ov.Joined() })
	if err != nil {
		return err
	}
	for i, p := range ask {
		p.in = joined[i]
	}
	return nil
}

// awaitJoined waits, at most QUICJoinWait, until every live node has
// joined.
func (r *quicRun) awaitJoined(ctx context.Context) error {
	deadline := time.NewTimer(QUICJoinWait)
	defer deadline.Stop()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		if err := r.refreshJoined(ctx); err != nil {
			return err
		}
		if r.notJoined() == 0 {
			return nil
		}
		select {
		case <-tick.C:
		case <-deadline.C:
			r.log.Warn("lab: nodes not joined after settling", "count", r.notJoined(), "waited", QUICJoinWait)
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// maintSum adds up the maintenance messages the live nodes have sent.
func (r *quicRun) maintSum(ctx context.Context) (uint64, error) {
	sent, err := onLoops(ctx, r.live(), func(p *quicPeer) uint64 { return p.ov.Stats().MaintSent })
	if err != nil {
		return 0, err
	}
	var s uint64
	for _, v := range sent {
		s += v
	}
	return s, nil
}

// onLoops runs f for every peer on its event loop, all at once, and
// returns the results in order.
func onLoops[T any](ctx context.Context, ps []*quicPeer, f func(p *quicPeer) T) ([]T, error) {
	type result struct {
		i int
		v T
	}
	ch := make(chan result, len(ps))
	for i, p := range ps {
		p.node.Do(func() { ch <- result{i, f(p)} })
	}
	out := make([]T, len(ps))
	timeout := time.NewTimer(quicCallWait)
	defer timeout.Stop()
	for range ps {
		select {
		case res := <-ch:
			out[res.i] = res.v
		case <-timeout.C:
			return nil, errors.New("lab: a node's event loop did not answer")
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return out, nil
}

// kill stops p without notice, as a crash would, and waits for it.
func (r *quicRun) kill(p *quicPeer) error {
	p.alive = false
	p.cancel()
	return waitStopped(p)
}

// stopAll stops every node still running and waits for all of them. It
// may be called more than once.
func (r *quicRun) stopAll() error {
	for _, p := range r.peers {
		p.cancel()
	}
	var errs []error
	for _, p := range r.peers {
		if err := waitStopped(p); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// waitStopped waits for p's Run to return, once.
func waitStopped(p *quicPeer) error {
	if p.done == nil {
		return nil
	}
	t := time.NewTimer(quicCallWait)
	defer t.Stop()
	select {
	case err := <-p.done:
		p.done = nil
		if err != nil {
			return fmt.Errorf("lab: node %s: %w", p.node.Self(), err)
		}
		return nil
	case <-t.C:
		return fmt.Errorf("lab: node %s did not stop", p.node.Self())
	}
}

// sleepCtx waits for d or until ctx is done.
func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
