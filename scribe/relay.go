package scribe

import (
	"errors"
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
	// MaxBacklog is how much the uplink may have queued before further
	// chunk copies wait in the relay (where control messages and repairs
	// overtake them). Only in runtimes that report their backlog.
	// Default 150ms.
	MaxBacklog time.Duration
	// MaxWait drops a chunk copy that waited this long in the relay: the
	// node is over its capacity, and the child repairs the chunk from a
	// peer with spare upload. Default 600ms.
	MaxWait time.Duration
	// CheckPeriod is how often the node looks for chunks that are late.
	// Default 100ms.
	CheckPeriod time.Duration
	// RepairMargin is how long after its expected arrival (its source
	// time plus the delay of its tree) a chunk is asked for. Default 150ms.
	RepairMargin time.Duration
	// RepairTimeout is how long one request waits for its chunk before
	// the next peer is asked. Default 350ms.
	RepairTimeout time.Duration
	// RepairTries bounds the requests for one chunk. Default 5.
	RepairTries int
	// ServeBacklog is the uplink backlog above which a node declines
	// requests (it answers Miss). Default 300ms.
	ServeBacklog time.Duration
	// Keep is how many recent chunks are kept to serve requests. Default
	// 100.
	Keep int
}

// DefaultRelayConfig returns the documented defaults.
func DefaultRelayConfig() RelayConfig {
	return RelayConfig{
		MaxBacklog:    150 * time.Millisecond,
		MaxWait:       600 * time.Millisecond,
		CheckPeriod:   100 * time.Millisecond,
		RepairMargin:  150 * time.Millisecond,
		RepairTimeout: 350 * time.Millisecond,
		RepairTries:   5,
		ServeBacklog:  300 * time.Millisecond,
		Keep:          100,
	}
}

// Validate reports the first field out of range.
func (c RelayConfig) Validate() error {
	switch {
	case c.MaxBacklog <= 0 || c.MaxWait <= 0 || c.CheckPeriod <= 0 || c.RepairTimeout <= 0 || c.ServeBacklog <= 0:
		return errors.New("scribe: relay periods and bounds must be positive")
	case c.RepairMargin < 0 || c.RepairTries < 0:
		return errors.New("scribe: repair margin and tries must not be negative")
	case c.Keep < 1 || c.Keep > 10000:
		return errors.New("scribe: relay keep must be in [1, 10000]")
	}
	return nil
}

// RelayStats counts a relay's work.
type RelayStats struct {
	Forwarded, Shed, Nacks, Served, Misses, Repaired, RepairFailed uint64
}

type copyOut struct {
	to     id.Ref
	c      *chunk.Chunk
	g      id.ID
	at     time.Duration
	urgent bool // a repair: no tree membership check, goes first
}

type want struct {
	seq   uint64
	tries int
	last  id.ID
	tried []id.ID
	next  time.Duration
	since time.Duration
}

// Relay forwards each fresh chunk to the node's children in the chunk's
// tree, paces the copies on the uplink, and repairs losses: a chunk late
// by more than RepairMargin is asked of the parent, then of peers.
type Relay struct {
	cfg     RelayConfig
	h       delivery.Host
	e       env.Env
	sc      *Scribe
	groupOf func(seq uint64) id.ID
	buf     map[uint64]*chunk.Chunk
	low     uint64
	high    uint64
	queue   []copyOut
	armed   bool
	// Timing: a reference chunk, and each tree's delay (arrival minus
	// source time, on this node's clock).
	refSeq   uint64
	refTime  int64
	dur      time.Duration
	haveRef  bool
	first    uint64
	checked  uint64
	delay    map[id.ID]time.Duration // smoothed delay plus 4 deviations
	est      map[id.ID]*estimate
	wants    map[uint64]*want
	wantList []uint64
	stats    RelayStats
	shedAt   time.Duration
	stop     func()
	stopped  bool
}

// NewRelay returns a relay for host h over sc; groupOf names the tree
// that carries each chunk.
func NewRelay(h delivery.Host, sc *Scribe, cfg RelayConfig, groupOf func(seq uint64) id.ID) (*Relay, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Relay{cfg: cfg, h: h, e: h.Env(), sc: sc, groupOf: groupOf, buf: map[uint64]*chunk.Chunk{},
		delay: map[id.ID]time.Duration{}, est: map[id.ID]*estimate{}, wants: map[uint64]*want{}}, nil
}

// Start starts looking for late chunks (viewers only).
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
	r.queue = nil
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
	if !fresh {
		return
	}
	g := r.groupOf(c.Seq)
	if !r.haveRef {
		r.haveRef = true
		r.refSeq, r.refTime = c.Seq, c.Time
		r.dur = time.Duration(c.Duration)
		if r.dur <= 0 {
			r.dur = 200 * time.Millisecond
		}
		r.first, r.checked = c.Seq, c.Seq
	}
	if from.ID == r.sc.Parent(g).ID {
		r.time(g, r.e.Now()-time.Duration(c.Time))
	}
	if w, ok := r.wants[c.Seq]; ok {
		r.stats.Repaired++
		delete(r.wants, w.seq)
	}
	r.store(c)
	if c.Seq+forwardWindow >= r.high {
		// Old chunks (repaired late) are not pushed: a child that has just
		// joined would take one for its first and play far behind.
		r.forward(c, from)
	}
}

// forwardWindow is how far behind the newest chunk a fresh chunk may be
// and still be pushed down the tree.
const forwardWindow = 24

func (r *Relay) store(c *chunk.Chunk) {
	r.buf[c.Seq] = c
	if c.Seq+1 > r.high {
		r.high = c.Seq + 1
	}
	if r.low+uint64(r.cfg.Keep) < r.high {
		for ; r.low+uint64(r.cfg.Keep) < r.high; r.low++ {
			delete(r.buf, r.low)
		}
	}
}

func (r *Relay) forward(c *chunk.Chunk, from id.Ref) {
	g := r.groupOf(c.Seq)
	now := r.e.Now()
	for _, ch := range r.sc.Children(g) {
		if ch.ID != from.ID {
			r.queue = append(r.queue, copyOut{to: ch, c: c, g: g, at: now})
		}
	}
	r.drain()
}

func (r *Relay) backlog() (time.Duration, bool) {
	if u, ok := r.e.(env.Uplink); ok {
		return u.Backlog(), true
	}
	return 0, false
}

// drain sends queued copies while the uplink has room, and waits for it
// to drain otherwise.
func (r *Relay) drain() {
	if r.stopped {
		return
	}
	now := r.e.Now()
	for len(r.queue) > 0 {
		b, known := r.backlog()
		if known && b >= r.cfg.MaxBacklog {
			if !r.armed {
				r.armed = true
				r.e.After(b-r.cfg.MaxBacklog+time.Millisecond, func() {
					r.armed = false
					r.drain()
				})
			}
			return
		}
		o := r.queue[0]
		r.queue[0] = copyOut{}
		r.queue = r.queue[1:]
		switch {
		case !o.urgent && (now-o.at > 4*r.cfg.MaxWait || now-o.at > r.cfg.MaxWait && r.sc.Kids(o.g, o.to.ID) == 0):
			// Over capacity: a leaf child's copy goes first; the child
			// hears at once and asks a peer.
			r.stats.Shed++
			r.shedAt = now
			r.h.Send(o.to, &Miss{Seqs: []uint64{o.c.Seq}})
		case !o.urgent && !r.sc.IsChild(o.g, o.to.ID):
		default:
			r.stats.Forwarded++
			r.h.Send(o.to, o.c)
		}
	}
	r.queue = nil
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
	var miss []uint64
	var send []copyOut
	now := r.e.Now()
	for _, seq := range n.Seqs {
		c, ok := r.buf[seq]
		if !ok && r.wants[seq] != nil && r.sc.IsChild(r.groupOf(seq), from.ID) {
			continue // we are repairing it too, and forward it when it comes
		}
		if !ok || b > r.cfg.ServeBacklog || r.overloaded(now) {
			miss = append(miss, seq)
			continue
		}
		r.stats.Served++
		send = append(send, copyOut{to: from, c: c, at: now, urgent: true})
	}
	if len(send) > 0 {
		// Repairs go before the copies waiting in the relay.
		r.queue = append(send, r.queue...)
		r.drain()
	}
	if len(miss) > 0 {
		r.h.Send(from, &Miss{Seqs: miss})
	}
}

// overloaded reports whether the node shed copies lately: it has no
// upload to spare for others' repairs.
func (r *Relay) overloaded(now time.Duration) bool {
	return r.shedAt > 0 && now-r.shedAt < time.Second
}

func (r *Relay) onMiss(from id.Ref, m *Miss) {
	now := r.e.Now()
	for _, seq := range m.Seqs {
		w, ok := r.wants[seq]
		switch {
		case ok && w.last == from.ID:
			w.next = now
		case !ok && !r.h.Has(seq) && r.haveRef && seq >= r.first && len(r.wants) < maxWants &&
			r.sc.Parent(r.groupOf(seq)).ID == from.ID:
			// The parent shed it: ask peers now.
			w = &want{seq: seq, since: now, next: now, tries: 1, last: from.ID, tried: []id.ID{from.ID}}
			r.wants[seq] = w
			r.wantList = append(r.wantList, seq)
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
	for m := r.checked; m < r.high; m++ {
		if r.groupOf(m) == g && !r.h.Has(m) {
			return false
		}
	}
	return true
}

// estimate smooths a tree's delay as TCP smooths round-trip times.
type estimate struct{ mean, dev time.Duration }

// time takes one delay sample of tree g.
func (r *Relay) time(g id.ID, d time.Duration) {
	e := r.est[g]
	if e == nil {
		e = &estimate{mean: d, dev: d / 4}
		r.est[g] = e
	} else {
		diff := d - e.mean
		if diff < 0 {
			diff = -diff
		}
		e.dev += (diff - e.dev) / 4
		e.mean += (d - e.mean) / 8
	}
	r.delay[g] = e.mean + 4*e.dev
}
