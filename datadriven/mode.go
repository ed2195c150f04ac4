package datadriven

import (
	"time"

	"github.com/almcast/alm/chunk"
	"github.com/almcast/alm/delivery"
	"github.com/almcast/alm/env"
	"github.com/almcast/alm/gossip"
	"github.com/almcast/alm/id"
	"github.com/almcast/alm/player"
	"github.com/almcast/alm/wire"
)

// Name is the mode's name.
const Name = "mesh"

func init() {
	delivery.Register(Name, func(h delivery.Host) (delivery.Mode, error) { return New(h, DefaultConfig()) })
	// Viewers play in step at the lag the start chunk is picked for
	// (StartLag) rather than buffering a startup delay after whatever
	// chunk comes first: measured in scenario U, lag p95 4.25s -> 2.7s
	// and startup p95 4.0s -> 3.0s. A viewer whose chunks keep coming
	// late may raise its lag to 4s (leaves: LeafLag more): at 10,000
	// viewers continuity 0.919 -> 0.940, with churn 0.9932 -> 0.9958, U
	// and H as they were. Larger audiences mean deeper push trees: 2.5s
	// more per tenfold beyond 2,000 viewers (10,000, seed 1: 0.9047 at
	// 2.7s, 0.9804 with 1s per tenfold, 0.9931 with 2s, 0.9934 with
	// 2.5s; seeds 2 and 3: 0.968 and 0.984 with 2s, 0.980 and 0.989
	// with 2.5s).
	delivery.SetPreferences(Name, delivery.Preferences{Lag: DefaultConfig().StartLag, MaxLag: 4 * time.Second,
		LagPerDecade: 2500 * time.Millisecond})
}

// Stats counts what a node's mesh did.
type Stats struct {
	// Requests counts chunks requested; Received fresh chunks that came;
	// Payload their media bytes; DupBytes media bytes that came twice.
	Requests, Received, Payload, DupBytes uint64
	// Served counts chunks sent to partners; Refused requested chunks
	// refused (RefusedBusy of them for a full queue).
	Served, Refused, RefusedBusy uint64
	// Timeouts counts requests that went unanswered; Refusals requests
	// partners refused.
	Timeouts, Refusals uint64
	// Silent, Failing and Replaced count partners dropped for silence,
	// for unanswered requests or broken promises, and as least useful.
	Silent, Failing, Replaced uint64
	// BadInput counts malformed or oversized maps, floods and messages
	// from strangers.
	BadInput uint64
	// HelloRefused counts partnership requests this node turned down;
	// HelloUnanswered those the source let go unanswered, past its
	// budget for refusals (refusalBudget).
	HelloRefused, HelloUnanswered uint64
	// DupPush counts duplicates that a parent pushed; Pushed fresh chunks
	// a parent pushed.
	DupPush, Pushed uint64
	// Climbs counts partnerships asked of the parent's parent to rise in
	// the home substream; Trimmed partners dropped for being beyond
	// MaxPartners.
	Climbs, Trimmed uint64
	// Passed counts chunks not sent to a partner whose player had passed
	// them (see playout.go).
	Passed uint64
}

// Mode is the mesh on one node. Call it on the node's event loop only.
type Mode struct {
	cfg       Config
	h         delivery.Host
	e         env.Env
	g         *gossip.Node
	pl        *player.Player
	source    bool
	running   bool
	held      *BufferMap
	store     []*chunk.Chunk // ring of held chunks, index seq mod Window
	partners  []*partner
	pids      []id.ID                 // partners' IDs, in step with partners: partner searches them without touching each partner
	hellos    map[id.ID]time.Duration // hellos unanswered: when each left
	refusals  int                     // refusals sent this tick (the source's budget)
	lapsed    map[id.ID]time.Duration // hellos that timed out: until when an answer is still taken
	shunned   map[id.ID]time.Duration
	reqs      map[uint64]*request
	dropLo    uint64              // requests below it were dropped as passed (dropPassed)
	failed    map[uint64]*partner // the partner a request last timed out at
	start     uint64              // first chunk to play (viewer); valid if chosen
	chosen    bool
	t0        time.Duration // source time of chunk 0
	dur       time.Duration // chunk duration (0: no chunk seen yet)
	busy      time.Duration // when this node's uplink is free, by its own count
	queue     []pending     // requests taken, not yet sent
	wake      env.Timer     // pumps the queue when the uplink frees
	ticks     int
	heardSeq  []uint64        // ring: seq first heard of (notice or chunk)
	heardAt   []time.Duration // ring: when
	stops     []func()
	stats     Stats
	window    int       // the buffer map's window in chunks (see Config.Window)
	flood     int       // requests a partner may make per tick
	told      [16]uint8 // depths last told to children
	sought    [16]time.Duration
	deepSeeks [16]depthBackoff  // per substream: seeks for a shallower parent
	clock0    Clock             // the freshest partner clock heard before a chunk came
	lastDepth [16]uint8         // depth per substream at the last parent choice
	orphanAt  [16]time.Duration // when it lost its parent
	pushing   time.Duration     // source: since when it has had push children (0: none)
	pushTop   [16]uint64        // per substream: newest seq its parent pushed, + 1
	up        id.Ref            // the parent's parent in the home substream
	climbAt   time.Duration     // no climb before
	climbs    depthBackoff      // climbs in the home substream
}

// New returns the mesh mode for h.
func New(h delivery.Host, cfg Config) (*Mode, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	m := &Mode{cfg: cfg, h: h, e: h.Env(), hellos: map[id.ID]time.Duration{}, lapsed: map[id.ID]time.Duration{},
		shunned: map[id.ID]time.Duration{}, reqs: map[uint64]*request{}, failed: map[uint64]*partner{}}
	m.size(h.Meta())
	for j := range m.told {
		m.told[j], m.lastDepth[j] = NoDepth, NoDepth
	}
	if gh, ok := h.(interface{ Gossip() *gossip.Node }); ok && gh.Gossip() != nil {
		// The node's own membership, whose rendezvous serves whatever
		// mode the node runs; its messages need no envelope.
		m.g = gh.Gossip()
	} else {
		g, err := gossip.New(m.e, h.Overlay(), m.sendGossip, cfg.Gossip)
		if err != nil {
			return nil, err
		}
		m.g = g
	}
	return m, nil
}

func (m *Mode) sendGossip(to id.Ref, msg wire.Message) {
	m.h.Send(to, &Envelope{M: wire.Any{M: msg}})
}

// Proto implements delivery.Mode.
func (m *Mode) Proto() string { return Proto }

// Gossip returns the node's membership.
func (m *Mode) Gossip() *gossip.Node { return m.g }

// Start implements delivery.Mode.
func (m *Mode) Start() {
	if m.running {
		return
	}
	m.running = true
	m.size(m.h.Meta()) // nothing is held before Start
	m.source = m.h.IsSource()
	m.pl = m.h.Player()
	if m.pl != nil && m.pl.TargetLag() > 0 && !m.source {
		if up, rate := m.upload(), m.h.Rate(); up > 0 && float64(up) < m.cfg.LeafUpload*float64(rate) {
			m.pl.SetTargetLag(m.pl.TargetLag() + m.cfg.LeafLag)
			if m.pl.MaxLag() > 0 {
				m.pl.SetMaxLag(m.pl.MaxLag() + m.cfg.LeafLag)
			}
		}
	}
	m.g.OnPeers(m.fill)
	if err := m.g.Join(m.h.Channel().ID(), m.source); err != nil {
		m.e.Log().Debug("datadriven: join gossip", "err", err)
	}
	m.stops = append(m.stops, env.Every(m.e, m.cfg.Tick, 0.1, m.tick))
	if !m.source {
		// If the rendezvous has nobody to offer, the source is the way in.
		m.e.After(m.cfg.HelloTimeout/2, func() {
			if m.running && len(m.partners) == 0 && len(m.hellos) == 0 {
				if src := m.h.Source(); !src.IsZero() {
					m.hello(src)
				}
			}
		})
	}
}

// Stop implements delivery.Mode.
func (m *Mode) Stop() {
	m.running = false
	for _, s := range m.stops {
		s()
	}
	m.stops = nil
	m.g.Stop()
	for _, r := range m.reqs {
		r.timer.Stop()
	}
	if m.wake != nil {
		m.wake.Stop()
	}
}

// Leave implements delivery.Mode: partners are told.
func (m *Mode) Leave() {
	for _, p := range m.partners {
		m.h.Send(p.ref, &Bye{})
	}
	m.Stop()
}

// Publish implements delivery.Mode: the source holds the chunk and tells
// its partners.
func (m *Mode) Publish(c *chunk.Chunk) {
	if !m.running {
		return
	}
	m.hold(c, id.Ref{})
}

// Chunk implements delivery.Mode.
func (m *Mode) Chunk(from id.Ref, c *chunk.Chunk, fresh bool) {
	if !m.running {
		return
	}
	p := m.partner(from.ID)
	if r, ok := m.reqs[c.Seq]; ok {
		m.done(r, from.ID)
	}
	if p != nil && p.parent&m.bit(c.Seq) != 0 {
		j := c.Seq % uint64(m.cfg.Substreams)
		m.pushTop[j] = max(m.pushTop[j], c.Seq+1)
	}
	if !fresh {
		m.stats.DupBytes += uint64(c.Payload())
		if p != nil && p.parent&m.bit(c.Seq) != 0 {
			m.stats.DupPush++
		}
		return
	}
	m.noteHeard(c.Seq)
	delete(m.failed, c.Seq)
	m.stats.Received++
	m.stats.Payload += uint64(c.Payload())
	if p != nil {
		p.recv += uint64(c.Payload())
		p.heard = m.e.Now()
		p.m.Set(c.Seq)
		if p.source {
			// The source holds every chunk before the one it pushed.
			for s := c.Seq - min(c.Seq, 8); s < c.Seq; s++ {
				p.m.Set(s)
			}
		}
		if p.parent&m.bit(c.Seq) != 0 {
			p.pushedAt = m.e.Now()
			m.stats.Pushed++
		}
	}
	first := m.dur == 0
	m.hold(c, from)
	if first && !m.source {
		m.parents() // subscribe now the start is fixed
	}
	m.schedule()
}

// hold keeps an accepted (or published) chunk for serving and tells the
// partners that lack it.
func (m *Mode) hold(c *chunk.Chunk, from id.Ref) {
	if !m.keep(c) {
		return
	}
	if !m.serves() {
		return
	}
	pushed := m.push(c, from)
	have := &Have{Seq: c.Seq, Queue: queueUnits(m.wait()), Next: m.playing()}
	if m.cfg.Substreams > 0 {
		have.Depth = m.depth(int(c.Seq % uint64(m.cfg.Substreams)))
	}
	for _, p := range m.partners {
		if p.ref.ID == from.ID || p.m.Has(c.Seq) || !p.ready || pushed&p.subs != 0 && p.subs&m.bit(c.Seq) != 0 {
			continue
		}
		m.send(p, have)
	}
	m.pump()
}

// keep puts c in the window (the first chunk fixes the stream's clock)
// and reports whether it was new.
func (m *Mode) keep(c *chunk.Chunk) bool {
	if m.dur == 0 && c.Duration > 0 {
		m.dur = time.Duration(c.Duration)
		m.t0 = time.Duration(c.Time) - time.Duration(c.Seq)*m.dur
	}
	if !m.held.Set(c.Seq) {
		return false
	}
	m.store[c.Seq%uint64(len(m.store))] = c
	return true
}

// serve sends a held chunk to a partner and counts it against this
// node's upload.
func (m *Mode) serve(p *partner, c *chunk.Chunk) {
	m.stats.Served++
	p.given += uint64(c.Payload())
	p.m.Set(c.Seq)
	m.send(p, c)
	if up := m.upload(); up > 0 {
		m.busy = max(m.busy, m.e.Now()) + time.Duration(float64(c.WireSize()*8)/float64(up)*float64(time.Second))
	}
}

func queueUnits(d time.Duration) uint8 {
	u := d / (10 * time.Millisecond)
	if u > 255 {
		return 255
	}
	return uint8(u)
}

// stored returns a held chunk of the window.
func (m *Mode) stored(seq uint64) *chunk.Chunk {
	if !m.held.Has(seq) {
		return nil
	}
	c := m.store[seq%uint64(len(m.store))]
	if c == nil || c.Seq != seq {
		return nil
	}
	return c
}

// clock tells partners how seqs map to source time.
func (m *Mode) clock() Clock {
	n, ok := m.held.Newest()
	if !ok || m.dur == 0 {
		return Clock{}
	}
	return Clock{Seq: n, Time: int64(m.t0 + time.Duration(n)*m.dur), Dur: int64(m.dur)}
}

// hearClock takes a partner's clock while this node has no chunk.
func (m *Mode) hearClock(c Clock) {
	if c.Dur > 0 && c.Dur <= int64(time.Minute) && (m.clock0.Dur == 0 || c.Seq > m.clock0.Seq) {
		m.clock0 = c
	}
}

// serves reports whether this node's upload is worth offering: a node
// that cannot carry a quarter of the stream only takes.
func (m *Mode) serves() bool {
	up, rate := m.upload(), m.h.Rate()
	return up == 0 || rate == 0 || up*4 >= rate
}

// send sends a mode message to a partner.
func (m *Mode) send(p *partner, msg wire.Message) {
	p.sent = m.e.Now()
	m.h.Send(p.ref, msg)
}

// Receive implements env.Handler.
func (m *Mode) Receive(from id.Ref, msg wire.Message) {
	if !m.running {
		if e, ok := msg.(*Envelope); ok && e.M.M != nil {
			m.g.Receive(from, e.M.M) // a rendezvous answers even before it watches
		}
		return
	}
	switch msg := msg.(type) {
	case *Hello:
		m.onHello(from, msg)
	case *Welcome:
		m.onWelcome(from, msg)
	case *Have:
		m.onHave(from, msg)
	case *Status:
		m.onStatus(from, msg)
	case *Request:
		m.onRequest(from, msg)
	case *Refuse:
		m.onRefuse(from, msg)
	case *Bye:
		if p := m.partner(from.ID); p != nil {
			m.drop(p, 0)
			m.fill()
		}
	case *Subscribe:
		m.onSubscribe(from, msg)
	case *SubAck:
		m.onSubAck(from, msg)
	case *Envelope:
		if msg.M.M == nil {
			m.stats.BadInput++
			return
		}
		m.g.Receive(from, msg.M.M)
	default:
		m.stats.BadInput++
	}
}

// Stats implements delivery.Mode.
func (m *Mode) Stats() map[string]float64 {
	s, g := m.stats, m.g.Stats()
	var dsum, dmax, orphan float64
	for j := 0; j < m.cfg.Substreams; j++ {
		if d := m.depth(j); d == NoDepth {
			orphan++
		} else {
			dsum += float64(d)
			dmax = max(dmax, float64(d))
		}
	}
	return map[string]float64{
		"pushed":           float64(s.Pushed),
		"depth_sum":        dsum,
		"depth_max":        dmax,
		"orphan":           orphan,
		"partners":         float64(len(m.partners)),
		"requests":         float64(s.Requests),
		"received":         float64(s.Received),
		"payload_bytes":    float64(s.Payload),
		"dup_bytes":        float64(s.DupBytes),
		"served":           float64(s.Served),
		"refused":          float64(s.Refused),
		"hello_unanswered": float64(s.HelloUnanswered),
		"refused_busy":     float64(s.RefusedBusy),
		"timeouts":         float64(s.Timeouts),
		"refusals":         float64(s.Refusals),
		"silent":           float64(s.Silent),
		"failing":          float64(s.Failing),
		"replaced":         float64(s.Replaced),
		"bad_input":        float64(s.BadInput),
		"dup_push":         float64(s.DupPush),
		"climbs":           float64(s.Climbs),
		"trimmed":          float64(s.Trimmed),
		"passed":           float64(s.Passed),
		"member_asks":      float64(g.Asks),
		"member_answers":   float64(g.Answers),
		"member_on_path":   float64(g.OnPath),
	}
}

// MeshStats returns the node's counters.
func (m *Mode) MeshStats() Stats { return m.stats }
