package scribe

import (
	"errors"
	"math"
	"time"

	"github.com/almcast/alm/chunk"
	"github.com/almcast/alm/delivery"
	"github.com/almcast/alm/env"
	"github.com/almcast/alm/id"
	"github.com/almcast/alm/wire"
)

// RelayConfig tunes how a node forwards chunks down its trees and repairs
// what it lost.
type RelayConfig struct {
	// MaxBacklog is a safety valve: when the uplink already holds this
	// much, a copy for a child is not queued behind it; the child hears
	// at once (Miss) and asks elsewhere. With caps that fit the upload it
	// never triggers. Only in runtimes that report their backlog.
	// Default 1s.
	MaxBacklog time.Duration
	// CheckPeriod is how often the node looks for chunks that are late.
	// Default 50ms.
	CheckPeriod time.Duration
	// RepairMargin is how long after its expected arrival (its source
	// time plus the smoothed delay of its tree) a chunk that no later
	// chunk showed missing is asked for. Default 100ms.
	RepairMargin time.Duration
	// RepairTimeout is how long one request waits for its chunk before
	// it is asked again. Default 250ms.
	RepairTimeout time.Duration
	// ParentTries is how many requests for a chunk go to the parent in
	// its tree before peers are asked. Default 3.
	ParentTries int
	// ParentSilence: a parent that has sent nothing (no chunk, no
	// heartbeat) for longer is likely gone, though not yet given up
	// (Config.ParentTimeout): requests skip it and go to peers at once.
	// Default 500ms.
	ParentSilence time.Duration
	// RepairTries bounds the requests for one chunk. Default 6.
	RepairTries int
	// ServeBacklog is the uplink backlog above which a node declines
	// requests from nodes that are not its children (it answers Miss).
	// Default 50ms.
	ServeBacklog time.Duration
	// Window is how far behind the newest chunk a chunk may be and still
	// be pushed down the tree when it arrives late (repaired). Default 2s.
	Window time.Duration
	// GiveUp is how long after its expected arrival a missing chunk is no
	// longer asked for. Default 3s.
	GiveUp time.Duration
	// Keep is how many recent chunks are kept to serve requests. Default
	// 200.
	Keep int
	// ServeShare is the share of its upload a node may fill, over the
	// last second or so, before it declines requests from nodes that are
	// not its children. Default 0.85.
	ServeShare float64
	// RepairShare bounds the chunks a node asks for (each request for a
	// chunk, first or again) to this share of the stream's chunk rate on
	// average, with bursts of RepairBurst worth of the stream's chunks;
	// requests beyond wait. It keeps a storm of repairs from feeding
	// itself: when every node falls behind at once (all of them short of
	// CPU, say), the repairs they ask for load the uplinks and cores that
	// made the chunks late, and the requests outlive their cause. Default
	// 0: no bound.
	RepairShare float64
	// RepairBurst: see RepairShare. Default 1.5s.
	RepairBurst time.Duration
}

// DefaultRelayConfig returns the documented defaults.
func DefaultRelayConfig() RelayConfig {
	return RelayConfig{
		MaxBacklog:    time.Second,
		CheckPeriod:   50 * time.Millisecond,
		RepairMargin:  100 * time.Millisecond,
		RepairTimeout: 250 * time.Millisecond,
		ParentTries:   3,
		ParentSilence: 500 * time.Millisecond,
		RepairTries:   6,
		ServeBacklog:  50 * time.Millisecond,
		Window:        2 * time.Second,
		GiveUp:        3 * time.Second,
		Keep:          200,
		ServeShare:    0.85,
		RepairBurst:   1500 * time.Millisecond,
	}
}

// Validate reports the first field out of range.
func (c RelayConfig) Validate() error {
	switch {
	case c.MaxBacklog <= 0 || c.CheckPeriod <= 0 || c.RepairTimeout <= 0 || c.ServeBacklog <= 0 ||
		c.Window <= 0 || c.GiveUp <= 0 || c.ParentSilence <= 0:
		return errors.New("scribe: relay periods and bounds must be positive")
	case c.RepairMargin < 0 || c.RepairTries < 0 || c.ParentTries < 0:
		return errors.New("scribe: repair margin and tries must not be negative")
	case c.ServeShare <= 0 || c.ServeShare > 1:
		return errors.New("scribe: serve share must be in (0, 1]")
	case c.Keep < 1 || c.Keep > 10000:
		return errors.New("scribe: relay keep must be in [1, 10000]")
	case c.RepairShare < 0 || c.RepairShare > 0 && c.RepairBurst <= 0:
		return errors.New("scribe: repair share must not be negative, and its burst must be positive")
	}
	return nil
}

// RelayStats counts a relay's work.
type RelayStats struct {
	Forwarded, Shed, Skipped, Nacks, Served, Misses, Repaired, RepairFailed uint64
	// RepairsDeferred counts the chunks whose request waited for the
	// repair budget (RelayConfig.RepairShare) at least once.
	RepairsDeferred uint64
}

type want struct {
	seq      uint64
	tries    int
	last     id.ID
	tried    []id.ID
	next     time.Duration
	deferred bool // waited for the repair budget
}

// SkipFunc reports whether a node leaves the copy of chunk seq for child
// (one of n) in tree g to someone else. It must not depend on anything
// but its arguments, the node's capacity and what the node learnt of its
// own parent's skips: a child's request for a skipped chunk is answered
// Miss by the same rule.
type SkipFunc func(g id.ID, seq uint64, child id.ID, n int) bool

// Relay forwards each fresh chunk at once to the node's children in the
// chunk's tree (the caps keep the uplink within its capacity, so nothing
// waits in the relay), and repairs losses: a chunk that a later chunk of
// its tree shows missing, or that is late by more than RepairMargin, is
// asked of the parent (which has it, or forwards it when its own repair
// brings it), then of peers.
type Relay struct {
	cfg     RelayConfig
	h       delivery.Host
	e       env.Env
	up      env.Uplink    // e's uplink backlog, or nil where e has none
	pq      env.PeerQueue // e's per-peer queues, or nil where e has none
	sc      *Scribe
	groupOf func(seq uint64) id.ID
	stride  uint64 // chunks seq and seq+stride are in the same tree
	skip    SkipFunc
	spare   func() bool           // whether the node has upload to spare for peers
	peers   func(seq uint64) bool // whether the parent leaves seq to peers
	helper  id.Ref                // the last peer that repaired a chunk for us
	load    float64               // bytes sent, decaying with time constant loadTau
	loadAt  time.Duration         // when load was last brought up to date
	pend    map[uint64][]id.Ref
	buf     []held // ring of the Keep newest chunks, by seq mod Keep
	low     uint64
	high    uint64
	// Timing: a reference chunk, and each tree's delay (arrival minus
	// source time, on this node's clock).
	refSeq   uint64
	refTime  int64
	dur      time.Duration
	haveRef  bool
	first    uint64
	checked  uint64
	trees    []treeState   // per tree, in the order first seen
	slot     []int32       // index in trees of the tree of each residue mod stride
	timed    bool          // some tree has a delay estimate
	quiet    time.Duration // check has no work before then
	wants    map[uint64]*want
	wantList []uint64
	budget   budget // bounds the requests (RelayConfig.RepairShare)
	stats    RelayStats
	stop     func()
	stopped  bool
}

// NewRelay returns a relay for host h over sc; groupOf names the tree
// that carries each chunk.
func NewRelay(h delivery.Host, sc *Scribe, cfg RelayConfig, groupOf func(seq uint64) id.ID) (*Relay, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	r := &Relay{cfg: cfg, h: h, e: h.Env(), sc: sc, groupOf: groupOf, stride: 1,
		pend: map[uint64][]id.Ref{}, wants: map[uint64]*want{}}
	r.up, _ = r.e.(env.Uplink)
	r.pq, _ = r.e.(env.PeerQueue)
	return r, nil
}

// SetStride says that the trees take turns: chunk seq travels in the same
// tree as seq+stride (a forest of stride stripes).
func (r *Relay) SetStride(k int) {
	if k >= 1 {
		r.stride = uint64(k)
		r.slot = nil
	}
}

// SetSkip sets the rule by which copies are left to someone else.
func (r *Relay) SetSkip(f SkipFunc) { r.skip = f }

// SetPeersOnly sets the test of whether the parent leaves chunk seq to
// peers: such a chunk is asked of peers at once, never of the parent.
func (r *Relay) SetPeersOnly(f func(seq uint64) bool) { r.peers = f }

// leftToPeers reports whether the parent leaves chunk seq to peers
// (SetPeersOnly): its requests skip the parent's tries.
func (r *Relay) leftToPeers(seq uint64) bool { return r.peers != nil && r.peers(seq) }

// SetSpare sets the test of whether the node serves peers that are not
// its children (default: always, when its uplink is idle enough).
func (r *Relay) SetSpare(f func() bool) { r.spare = f }

// Start starts looking for late chunks (viewers only).
// The timer beats on, but a round returns at once while nothing can be
// due (see wake).
func (r *Relay) Start() {
	if r.stop == nil {
		r.stop = env.Every(r.e, r.cfg.CheckPeriod, 0.1, r.check)
	}
}

// Stop halts the relay.
func (r *Relay) Stop() {
	r.stopped = true
	if r.stop != nil {
		r.stop()
	}
}

// Stats returns the counters.
func (r *Relay) Stats() RelayStats { return r.stats }

// Publish stores a chunk the source made and sends it down its tree.
func (r *Relay) Publish(c *chunk.Chunk) {
	r.store(c)
	r.forward(c, id.Ref{})
}

// Chunk takes a chunk the host checked: a fresh one is stored, timed and
// forwarded to the children of its tree.
func (r *Relay) Chunk(from id.Ref, c *chunk.Chunk, fresh bool) {
	r.sc.Heard(from.ID)
	if !fresh || r.stopped {
		return
	}
	now := r.e.Now()
	g := r.groupOf(c.Seq)
	t := r.tree(c.Seq)
	if !r.haveRef {
		r.haveRef = true
		r.refSeq, r.refTime = c.Seq, c.Time
		r.dur = time.Duration(c.Duration)
		if r.dur <= 0 {
			r.dur = 200 * time.Millisecond
		}
		r.first, r.checked = c.Seq, c.Seq
		r.budget = newBudget(r.cfg.RepairShare, r.cfg.RepairBurst, r.dur, now)
	}
	fromParent := from.ID == r.sc.Parent(g).ID
	if fromParent {
		r.time(t, now-time.Duration(c.Time))
		t.lastAt, t.hasLastAt = now, true
		// Its chunks are not asked for by time before the parent has
		// been silent for a while.
		r.wake(now + r.silence())
	}
	if _, ok := r.wants[c.Seq]; ok {
		r.stats.Repaired++
		r.dropWant(c.Seq)
		if !fromParent && from.ID != r.h.Source().ID {
			r.helper = from
		}
	}
	r.store(c)
	// Chunks of a tree come from the parent in order: the ones skipped
	// over were lost on the way.
	if fromParent {
		l, ok := t.last, t.hasLast
		if !ok {
			// The tree's first chunk here: its chunks since the node's
			// first one (which the player starts from) are due too, as
			// far back as a late chunk is still worth having.
			l = r.first
			if back := uint64(r.cfg.Window / r.dur); c.Seq > l+back {
				l = c.Seq - back
			}
		}
		if p := r.h.Player(); p != nil && p.Next() > l {
			l = p.Next() // older ones are past their playout time
		}
		if c.Seq > l {
			n := 0
			for m := c.Seq - r.stride; m+r.stride > l && m >= r.first && m < c.Seq && n < maxWants; m -= r.stride {
				r.ask(m, now)
				n++
				if m < r.stride {
					break
				}
			}
		}
	}
	if !t.hasLast || c.Seq+1 > t.last {
		t.last, t.hasLast = c.Seq+1, true
	}
	if time.Duration(r.high-c.Seq)*r.dur <= r.cfg.Window && !r.played(c.Seq) {
		// Old chunks (repaired late) are not pushed: a child that has just
		// joined would take one for its first and play far behind. Nor
		// are chunks past their playout time: the copies would only delay
		// the children's fresh chunks.
		r.forward(c, from)
	}
	if ps, ok := r.pend[c.Seq]; ok {
		delete(r.pend, c.Seq)
		for _, p := range ps {
			if b, _ := r.backlog(); b <= r.cfg.ServeBacklog && r.idle(c, r.cfg.ServeShare) {
				r.stats.Served++
				r.sent(wire.Size(c))
				r.h.Send(p, c)
			}
		}
	}
	r.retry()
}

func (r *Relay) store(c *chunk.Chunk) {
	if r.buf == nil {
		r.buf = make([]held, r.cfg.Keep)
	}
	if c.Seq < r.low {
		return // older than the window: not kept
	}
	if c.Seq+1 > r.high {
		// check looks up to high+2*stride.
		r.expect(r.high+2*r.stride, c.Seq+1+2*r.stride)
		r.high = c.Seq + 1
	}
	if keep := uint64(r.cfg.Keep); r.low+keep < r.high {
		r.low = r.high - keep
		for seq := range r.pend {
			if seq < r.low {
				delete(r.pend, seq)
			}
		}
	}
	r.buf[c.Seq%uint64(len(r.buf))] = held{c: c}
}

func (r *Relay) forward(c *chunk.Chunk, from id.Ref) {
	g := r.groupOf(c.Seq)
	kids := r.sc.Children(g)
	if len(kids) > 0 {
		b, _ := r.backlog()
		// A child asking for it before it could have left the uplink is
		// impatient, not missing it.
		if h := r.slotOf(c.Seq); h != nil {
			h.sentAt, h.fwdAt, h.sent = r.e.Now()+b, r.e.Now(), true
		}
	}
	for _, ch := range kids {
		if ch.ID == from.ID {
			continue
		}
		if r.skip != nil && r.skip(g, c.Seq, ch.ID, len(kids)) {
			// Left to a peer with upload to spare: the child hears at
			// once and asks one.
			r.stats.Skipped++
			r.h.Send(ch, &Miss{Seqs: []uint64{c.Seq}})
			continue
		}
		if r.congested(ch.ID) {
			r.stats.Shed++
			r.h.Send(ch, &Miss{Seqs: []uint64{c.Seq}})
			continue
		}
		r.stats.Forwarded++
		r.sent(wire.Size(c))
		r.h.Send(ch, c)
		r.sc.Fed(g, ch.ID)
	}
}

// loadTau is the time constant of the relay's estimate of its own upload
// rate.
const loadTau = time.Second

// sent counts n bytes sent now in the upload estimate.
func (r *Relay) sent(n int) {
	r.decay()
	r.load += float64(n)
}

func (r *Relay) decay() {
	now := r.e.Now()
	if dt := now - r.loadAt; dt > 0 {
		r.load *= math.Exp(-float64(dt) / float64(loadTau))
		r.loadAt = now
	}
}

// idle reports whether the node may serve a peer that is not its child
// one more copy of c: its recent upload rate, with that copy, stays within
// share of its capacity (always, when the capacity is unknown).
func (r *Relay) idle(c *chunk.Chunk, share float64) bool {
	up := r.h.Upload()
	if up <= 0 {
		return true
	}
	r.decay()
	bits := (r.load + float64(wire.Size(c))) * 8 / loadTau.Seconds()
	return bits <= float64(up)*share
}

// congested reports whether a copy sent to peer to now would wait longer
// than MaxBacklog before it leaves: the uplink's backlog and, where the
// runtime queues each peer's messages apart, the peer's own queue.
func (r *Relay) congested(to id.ID) bool {
	b, ok := r.backlog()
	return ok && b+r.queued(to) > r.cfg.MaxBacklog
}

// queued is how long the messages waiting for peer to in its own queue
// have waited (env.PeerQueue; 0 where the runtime has no such queues).
func (r *Relay) queued(to id.ID) time.Duration {
	if r.pq != nil {
		return r.pq.QueueDelay(to)
	}
	return 0
}

func (r *Relay) backlog() (time.Duration, bool) {
	if r.up != nil {
		return r.up.Backlog(), true
	}
	return 0, false
}

// Receive handles repair requests and answers; it reports whether m was
// one.
func (r *Relay) Receive(from id.Ref, m wire.Message) bool {
	switch m := m.(type) {
	case *Nack:
		r.onNack(from, m)
	case *Miss:
		r.onMiss(from, m)
	default:
		return false
	}
	return true
}

func (r *Relay) onNack(from id.Ref, n *Nack) {
	if r.stopped {
		return
	}
	b, _ := r.backlog()
	stuck := r.queued(from.ID) > r.cfg.MaxBacklog // the asker's own queue (asked once)
	var miss []uint64
	for _, seq := range n.Seqs {
		h := r.slotOf(seq)
		var c *chunk.Chunk
		var sentAt, fwdAt time.Duration
		ok := h != nil
		if ok {
			c, sentAt, fwdAt = h.c, h.sentAt, h.fwdAt
		}
		g := r.groupOf(seq)
		child := r.sc.IsChild(g, from.ID)
		if child && r.skip != nil && r.skip(g, seq, from.ID, r.sc.ChildCount(g)) {
			child = false // left to peers: served only from spare upload
		}
		switch {
		case !ok && child && r.wants[seq] != nil:
			// We are repairing it too, and forward it when it comes.
		case !ok && !child && seq >= r.low && seq < r.high+4*r.stride && len(r.pend[seq]) < 4 &&
			(r.spare == nil || r.spare()) && len(r.pend) < maxWants:
			// Not here yet: it goes to the asker when it comes.
			r.pend[seq] = append(r.pend[seq], from)
		case !ok || !child && (b > r.cfg.ServeBacklog || r.spare != nil && !r.spare() || !r.idle(c, r.cfg.ServeShare)):
			miss = append(miss, seq)
		case child && stuck:
			// The child's own queue holds more than MaxBacklog (its
			// connection takes less than is sent to it): the copy would
			// come late and hold up the chunks behind it, so a peer
			// serves. (A full uplink alone does not refuse a child: in
			// the simulator's scenario U with churn the tree played
			// 0.9866 serving children there, 0.9784 refusing them.)
			miss = append(miss, seq)
		case child && r.e.Now() < sentAt+r.cfg.RepairTimeout && r.sc.ChildSince(g, from.ID) <= fwdAt:
			// Still on its way (or just lost): the child asks again. (A
			// child taken since it went down never had it: it is served.)
		default:
			r.stats.Served++
			r.sent(wire.Size(c))
			r.h.Send(from, c)
		}
	}
	if len(miss) > 0 {
		r.stats.Misses++
		r.h.Send(from, &Miss{Seqs: miss})
	}
}

func (r *Relay) onMiss(from id.Ref, m *Miss) {
	if r.stopped {
		return
	}
	now := r.e.Now()
	for _, seq := range m.Seqs {
		if w, ok := r.wants[seq]; ok {
			if w.last == from.ID {
				w.next = now
			}
			if r.leftToPeers(seq) {
				w.tries = max(w.tries, r.cfg.ParentTries)
			}
			continue
		}
		if r.sc.Parent(r.groupOf(seq)).ID == from.ID {
			// The parent could not send it: ask peers now.
			if w := r.ask(seq, now); w != nil {
				w.tries = r.cfg.ParentTries
				w.tried = append(w.tried, from.ID)
			}
		}
	}
	r.retry()
}

// ask notes that seq is missing and due now; it returns the want, or nil.
func (r *Relay) ask(seq uint64, now time.Duration) *want {
	if !r.haveRef || seq < r.first || seq < r.low || r.h.Has(seq) || len(r.wants) >= maxWants || r.played(seq) {
		return nil
	}
	if w, ok := r.wants[seq]; ok {
		return w
	}
	w := &want{seq: seq, next: now}
	if r.leftToPeers(seq) {
		w.tries = r.cfg.ParentTries
	}
	r.wants[seq] = w
	r.wake(now)
	r.wantList = append(r.wantList, seq)
	return w
}

// played reports whether chunk seq is past its playout time everywhere:
// the node's player has passed it and players aim at one target lag
// (clocks in step), so no other player is due it either. Such a chunk is
// neither asked for nor pushed down.
func (r *Relay) played(seq uint64) bool {
	p := r.h.Player()
	return p != nil && p.TargetLag() > 0 && p.Next() > seq
}

// Attached asks at once for the chunks of tree g that the node misses and
// may still play, when it has a new parent there: they went past while
// it had none, and the new parent (which the requests go to first) most
// likely holds them. Waiting for the parent's first chunk to show the gap
// would cost up to a stripe's chunk interval.
func (r *Relay) Attached(g id.ID) {
	if !r.haveRef || r.stopped {
		return
	}
	now := r.e.Now()
	from := r.checked
	if p := r.h.Player(); p != nil && p.Next() > from {
		from = p.Next()
	}
	for m := from; m < r.high; m++ {
		if r.groupOf(m) == g {
			r.ask(m, now)
		}
	}
	r.retry()
}

// Complete reports whether the node holds every chunk of tree g from its
// first chunk to the newest it has seen.
func (r *Relay) Complete(g id.ID) bool {
	if !r.haveRef {
		return true
	}
	r.advance(r.e.Now())
	for m := r.checked; m < r.high; m++ {
		if r.groupOf(m) == g && !r.h.Has(m) {
			return false
		}
	}
	return true
}

// estimate smooths a tree's delay as TCP smooths round-trip times.
type estimate struct{ mean, dev time.Duration }

// time takes one delay sample of tree t.
func (r *Relay) time(t *treeState, d time.Duration) {
	r.timed = true
	e := &t.est
	if !t.hasEst {
		t.hasEst = true
		*e = estimate{mean: d, dev: d / 4}
		return
	}
	diff := d - e.mean
	if diff < 0 {
		diff = -diff
	}
	e.dev += (diff - e.dev) / 4
	e.mean += (d - e.mean) / 8
}
