package datadriven

import (
	"sort"
	"time"

	"github.com/almcast/alm/chunk"
	"github.com/almcast/alm/env"
	"github.com/almcast/alm/id"
)

// Push-pull: besides pulling, a viewer subscribes to one partner per
// substream, which pushes the substream's chunks as soon as it holds them,
// so a chunk crosses a hop in one transfer instead of a notice, a request
// and a transfer. Parents are picked from the buffer maps (the partner
// furthest ahead in the substream) and changed when another partner runs
// ahead of them; pulls fill in whatever pushes miss.

// bit returns the substream mask bit of seq (0 with push off).
func (m *Mode) bit(seq uint64) uint16 {
	if m.cfg.Substreams == 0 {
		return 0
	}
	return 1 << (seq % uint64(m.cfg.Substreams))
}

// deepDepth is the depth beyond which a node looks for a shallower
// parent by asking down from the top again.
const deepDepth = 3

// maxDepth bounds push depths: a parent this deep counts as none, so a
// loop formed on stale depths counts up to it and breaks.
const maxDepth = 32

// NoDepth is the depth of a node that has no push parent in a substream.
const NoDepth = 255

// home is the substream in which node x forwards pushes: as in
// SplitStream, each viewer is an interior node of one substream tree only
// and a leaf of the others, so the trees stay shallow and a departure
// costs about one substream.
func (m *Mode) home(x id.ID) int {
	if m.cfg.Substreams == 0 {
		return 0
	}
	return int(x[len(x)-1]) % m.cfg.Substreams
}

// forwards reports whether partner p forwards substream j: the source
// forwards every substream; a viewer its home substream, if its upload
// (as it advertised it) carries at least one child there. A node that
// cannot forward is a leaf everywhere: it gets no forwarder's priority,
// push-down or climb, so the slots near the source go to nodes that pass
// the stream on.
func (m *Mode) forwards(p *partner, j int) bool {
	if p.source {
		return true
	}
	return m.home(p.ref.ID) == j && m.canForward(p.upload)
}

// canForward reports whether a node with this upload (bit/s, 0: unknown)
// carries at least one push child in its home substream.
func (m *Mode) canForward(upload int64) bool {
	if m.cfg.Substreams == 0 {
		return false
	}
	return upload <= 0 || m.h.Rate() <= 0 || float64(upload)*m.cfg.PushShare >= m.substreamRate()
}

// substreamRate is the bit rate of one substream with 3% headroom.
func (m *Mode) substreamRate() float64 {
	return float64(m.h.Rate()) / float64(m.cfg.Substreams) * 1.03
}

// pushSlots is how many children this node takes in substream j: a
// viewer only in its home substream, as many as its upload carries
// (floor(upload / (rate/Substreams * 1.03))); the source splits its slots
// evenly over the substreams.
func (m *Mode) pushSlots(j int) int {
	up, rate := m.upload(), m.h.Rate()
	if m.cfg.Substreams == 0 || !m.serves() {
		return 0
	}
	if up <= 0 || rate <= 0 {
		if m.source || j == m.home(m.e.Self().ID) {
			return m.cfg.MaxPartners
		}
		return 0
	}
	total := int(float64(up) * m.cfg.PushShare / m.substreamRate())
	if m.source {
		k := m.cfg.Substreams
		n := total / k
		if j < total%k {
			n++
		}
		return max(n, 1)
	}
	if j != m.home(m.e.Self().ID) {
		return 0
	}
	return total
}

// pushUsed counts this node's children in substream j.
func (m *Mode) pushUsed(j int) int {
	b := uint16(1) << j
	n := 0
	for _, p := range m.partners {
		if p.subs&b != 0 {
			n++
		}
	}
	return n
}

// depth is this node's push depth in substream j: hops from the source.
func (m *Mode) depth(j int) uint8 {
	if m.source {
		return 0
	}
	b := uint16(1) << j
	for _, p := range m.partners {
		if p.parent&b != 0 {
			if p.depth[j] >= maxDepth {
				return NoDepth // a loop counting up, or a chain too long
			}
			return p.depth[j] + 1
		}
	}
	return NoDepth
}

// depths lists this node's depths, one per substream.
func (m *Mode) depths() []byte {
	d := make([]byte, m.cfg.Substreams)
	for j := range d {
		d[j] = m.depth(j)
	}
	return d
}

// setDepths takes a partner's advertised depths.
func (m *Mode) setDepths(p *partner, d []byte) {
	for j := 0; j < len(d) && j < m.cfg.Substreams && j < len(p.depth); j++ {
		p.depth[j] = d[j]
	}
}

// depthChanged tells this node's children when its depths changed, so
// that theirs follow.
func (m *Mode) depthChanged() {
	if m.cfg.Substreams == 0 {
		return
	}
	d := m.depths()
	var changed uint16
	for j := range d {
		if d[j] != m.told[j] {
			changed |= 1 << j
			m.told[j] = d[j]
		}
	}
	if changed == 0 {
		return
	}
	for _, p := range m.partners {
		if p.subs&changed != 0 {
			m.send(p, m.subAck(p))
		}
	}
}

// push queues c for the partners subscribed to its substream (the send
// queue takes those that forward the substream first; see pending.rank);
// it returns the substream bit. The caller pumps the queue.
func (m *Mode) push(c *chunk.Chunk, from id.Ref) uint16 {
	b := m.bit(c.Seq)
	if b == 0 {
		return 0
	}
	j := int(c.Seq % uint64(m.cfg.Substreams))
	for _, p := range m.partners {
		if p.subs&b == 0 || p.ref.ID == from.ID || p.m.Has(c.Seq) {
			continue
		}
		if m.passed(p, c.Seq) {
			m.stats.Passed++
			continue
		}
		m.queue = append(m.queue, pending{p: p, seq: c.Seq, push: true, fwd: m.forwards(p, j)})
	}
	return b
}

// subAck is what this node tells child p of its subscription: the
// substreams granted, its depths, and, for a child that forwards a
// granted substream, this node's own parent in it, so that a deep child
// can climb (see climb).
func (m *Mode) subAck(p *partner) *SubAck {
	a := &SubAck{Mask: p.subs, Depths: m.depths()}
	if j := m.home(p.ref.ID); p.subs&(1<<j) != 0 && m.forwards(p, j) {
		if q := m.parentIn(j); q != nil && !q.source {
			a.Peers = []id.Ref{q.ref}
		}
	}
	return a
}

// parentIn returns this node's parent in substream j, or nil.
func (m *Mode) parentIn(j int) *partner {
	for _, p := range m.partners {
		if p.parent&(1<<j) != 0 {
			return p
		}
	}
	return nil
}

// climbDepth is the home depth from which a forwarder climbs: it asks
// its parent's parent (not the source) to take it as a child, which that
// node does by pushing a leaf down, so forwarders rise above leaves and
// the forwarding tree stays shallow.
const climbDepth = 3

// climb asks the parent's parent in this node's home substream to be a
// partner, at most once per climbPeriod ticks; parents() then subscribes
// to it, as it is shallower than the parent.
func (m *Mode) climb() {
	if m.cfg.Substreams == 0 || m.source || m.up.IsZero() {
		return
	}
	now := m.e.Now()
	h := m.home(m.e.Self().ID)
	if m.pushSlots(h) == 0 {
		return // a leaf everywhere gains nothing by rising
	}
	d := m.depth(h)
	if d == NoDepth || d < climbDepth || now < m.climbAt {
		return
	}
	if m.partner(m.up.ID) != nil || m.up.ID == m.e.Self().ID {
		return
	}
	if _, ok := m.hellos[m.up.ID]; ok {
		return
	}
	if until, ok := m.shunned[m.up.ID]; ok && now < until {
		return
	}
	// The wait doubles while climbs leave the depth as it was (the
	// grandparent refuses, or takes us only to trim us again), up to
	// maxClimbWait ticks.
	m.climbAt = now + m.climbs.tried(d, climbPeriod*m.cfg.Tick, maxClimbWait*m.cfg.Tick)
	m.stats.Climbs++
	m.hello(m.up)
}

// climbPeriod is how many ticks apart a forwarder tries to climb at
// first, and maxClimbWait at most.
const (
	climbPeriod  = 2
	maxClimbWait = 64
)

// raises reports whether a node with home depths d would be a shallower
// parent for this node's home substream than its current one: such a
// node is worth a partnership beyond MaxPartners.
func (m *Mode) raises(x id.ID, d []byte) bool {
	h := m.home(m.e.Self().ID)
	if m.cfg.Substreams == 0 || m.home(x) != h || h >= len(d) || d[h] == NoDepth || m.pushSlots(h) == 0 {
		return false
	}
	mine := m.depth(h)
	return mine != NoDepth && int(d[h])+1 < int(mine)
}

// lowers reports whether a node with upload and depths d that forwards this node's
// home substream would rise by becoming its child there: such a node is
// taken as a partner beyond MaxPartners.
func (m *Mode) lowers(x id.ID, upload int64, d []byte) bool {
	h := m.home(m.e.Self().ID)
	if m.cfg.Substreams == 0 || m.source || m.home(x) != h || !m.canForward(upload) || m.pushSlots(h) == 0 || h >= len(d) {
		return false
	}
	mine := m.depth(h)
	return mine != NoDepth && (d[h] == NoDepth || int(d[h]) > int(mine)+1)
}

// onSubscribe grants what the upload has room for; a forwarder of the
// substream may take the slot of a leaf (SplitStream's push-down).
func (m *Mode) onSubscribe(from id.Ref, s *Subscribe) {
	p := m.partner(from.ID)
	if p == nil {
		m.h.Send(from, &Bye{})
		return
	}
	p.heard = m.e.Now()
	var grant uint16
	for j := 0; j < m.cfg.Substreams; j++ {
		b := uint16(1) << j
		if s.Mask&b == 0 {
			continue
		}
		if m.source && !m.forwards(p, j) {
			continue // the source feeds each substream's forwarders only
		}
		if p.subs&b != 0 || m.pushUsed(j) < m.pushSlots(j) {
			grant |= b
			continue
		}
		if !m.forwards(p, j) || m.pushSlots(j) == 0 {
			continue
		}
		// The leaf pushed down is the one with the most upload: it
		// finds a new parent, or pulls, most easily.
		var leaf *partner
		for _, q := range m.partners {
			if q.subs&b != 0 && !m.forwards(q, j) && (leaf == nil || q.upload > leaf.upload) {
				leaf = q
			}
		}
		if leaf != nil {
			leaf.subs &^= b
			m.send(leaf, m.subAck(leaf))
			grant |= b
		}
	}
	p.subs = grant
	ack := m.subAck(p)
	if refused := s.Mask &^ grant; refused != 0 {
		ack.Peers = m.forwarders(refused, p.ref.ID, 4)
	}
	m.send(p, ack)
}

// forwarders lists up to k partners that forward one of the substreams in
// mask, shallowest first (for referrals).
func (m *Mode) forwarders(mask uint16, skip id.ID, k int) []id.Ref {
	var c []*partner
	for _, i := range m.e.Rand().Perm(len(m.partners)) {
		p := m.partners[i]
		if p.ref.ID == skip || p.source || !m.partnerServes(p) {
			continue
		}
		if j := m.home(p.ref.ID); mask&(1<<j) != 0 && m.forwards(p, j) && p.depth[j] != NoDepth {
			c = append(c, p)
		}
	}
	sort.SliceStable(c, func(a, b int) bool {
		return c[a].depth[m.home(c[a].ref.ID)] < c[b].depth[m.home(c[b].ref.ID)]
	})
	out := make([]id.Ref, 0, k)
	for _, p := range c {
		if len(out) == k {
			break
		}
		out = append(out, p.ref)
	}
	return out
}

// seekMembers asks up to k members of the gossip view that forward a
// substream in need to be partners.
func (m *Mode) seekMembers(need uint16, k int) {
	var refs []id.Ref
	for _, r := range m.g.Sample(m.cfg.Gossip.ViewSize) {
		if len(refs) < k && need&(1<<m.home(r.ID)) != 0 && m.partner(r.ID) == nil {
			refs = append(refs, r)
		}
	}
	if len(refs) == 0 {
		m.g.Ask()
	}
	m.seek(refs, need, k)
}

// seek asks forwarders of substreams this node lacks a parent for to be
// partners, so that the next parent choice has them (a referral names
// nodes a level further down the tree, so repeated refusals walk down it).
// It sends at most k hellos.
func (m *Mode) seek(refs []id.Ref, need uint16, k int) {
	now := m.e.Now()
	for _, r := range refs {
		if k <= 0 || len(m.partners)+len(m.hellos) >= m.maxPartners() {
			return
		}
		if r.ID == m.e.Self().ID || r.ID == id.Zero || r.Addr == "" || need&(1<<m.home(r.ID)) == 0 {
			continue
		}
		if _, ok := m.hellos[r.ID]; ok || m.partner(r.ID) != nil {
			continue
		}
		if until, ok := m.shunned[r.ID]; ok && now < until {
			continue
		}
		m.hello(r)
		k--
	}
}

func (m *Mode) onSubAck(from id.Ref, a *SubAck) {
	p := m.partner(from.ID)
	if p == nil {
		return
	}
	p.heard = m.e.Now()
	m.setDepths(p, a.Depths)
	if refused := (p.want | p.parent) &^ a.Mask; refused != 0 {
		p.noPushMask |= refused
		p.noPush = m.e.Now() + 5*m.cfg.Tick
		m.seek(a.Peers, refused, seekOrphan)
	} else if h := m.home(m.e.Self().ID); a.Mask&(1<<h) != 0 && len(a.Peers) == 1 {
		m.up = a.Peers[0] // the parent's parent in the home substream
	}
	mask := a.Mask & p.want // an ack sent before our last Subscribe may name more
	if got := mask &^ p.parent; got != 0 {
		// A new parent took over: the old ones of those substreams stop.
		for _, q := range m.partners {
			if q != p && q.parent&got != 0 {
				q.parent &^= got
				q.want = q.parent
				m.send(q, &Subscribe{Mask: q.parent})
			}
		}
	}
	p.parent = mask
	p.want = mask
	p.pushedAt = m.e.Now()
	m.depthChanged()
}

// noteHeard records when this node first heard of seq.
func (m *Mode) noteHeard(seq uint64) {
	i := seq % uint64(len(m.heardSeq))
	if m.heardSeq[i] != seq+1 {
		m.heardSeq[i], m.heardAt[i] = seq+1, m.e.Now()
	}
}

// heardFor is how long ago this node first heard of seq (0: never).
func (m *Mode) heardFor(seq uint64) time.Duration {
	i := seq % uint64(len(m.heardSeq))
	if m.heardSeq[i] != seq+1 {
		return 0
	}
	return m.e.Now() - m.heardAt[i]
}

// awaitPush reports whether seq should be left to its parent's push a
// while longer.
func (m *Mode) awaitPush(seq uint64) bool {
	b := m.bit(seq)
	if b == 0 {
		return false
	}
	if seq < m.pushTop[seq%uint64(m.cfg.Substreams)] {
		return false // a later chunk of the substream came: this one was lost
	}
	for _, p := range m.partners {
		if p.parent&b != 0 {
			if m.heardFor(seq) < m.lagScaled(m.cfg.PushGrace)+env.Slack(m.e) {
				return true
			}
			d, known := m.deadline(seq)
			return known && m.cfg.PushWait > 0 && d-m.e.Now() > m.lagScaled(m.cfg.PushWait)
		}
	}
	return false
}

// markLate notes that the parent of seq's substream did not push it in
// time (it is being pulled).
func (m *Mode) markLate(seq uint64) {
	b := m.bit(seq)
	for _, p := range m.partners {
		if p.parent&b != 0 {
			p.late |= b
		}
	}
}

// newestIn returns the newest seq of substream j in a map.
func (m *Mode) newestIn(bm *BufferMap, j int) (uint64, bool) {
	n, ok := bm.Newest()
	if !ok {
		return 0, false
	}
	k := uint64(m.cfg.Substreams)
	for s := n; s+uint64(bm.Size()) > n && s >= bm.Base(); s-- {
		if s%k == uint64(j) && bm.Has(s) {
			return s, true
		}
		if s == 0 {
			break
		}
	}
	return 0, false
}

// deepPeriod is how long a node at depth mine (deeper than deepDepth)
// in substream j waits between seeks for a shallower parent: 5 ticks
// after it last got shallower, doubling with each seek that left it as
// deep as before, up to maxDeepWait ticks. In a tree of 1,000 viewers
// most leaves stay deeper than deepDepth for good, and seeking every 5
// ticks made most of the steady state's hellos (and refusals, whose
// referrals were tried in turn).
func (m *Mode) deepPeriod(j int, mine uint8) time.Duration {
	return m.deepSeeks[j].period(mine, 5*m.cfg.Tick)
}

// soughtDeep records a seek for a shallower parent in substream j from
// depth mine (see deepPeriod).
func (m *Mode) soughtDeep(j int, mine uint8) {
	m.deepSeeks[j].tried(mine, 5*m.cfg.Tick, maxDeepWait*m.cfg.Tick)
}

// depthBackoff spaces tries to get shallower (climbs, seeks): the wait
// doubles with each try that leaves the node as deep as before, and
// starts over once it is shallower.
type depthBackoff struct {
	wait time.Duration // after the last try (0: none yet)
	at   uint8         // the depth it was made from
}

// period is the wait before a try from depth d: base at first or once
// shallower than at the last try, else the doubled wait.
func (b depthBackoff) period(d uint8, base time.Duration) time.Duration {
	if b.wait == 0 || d < b.at {
		return base
	}
	return b.wait
}

// tried records a try from depth d and returns the wait after it, at
// most most.
func (b *depthBackoff) tried(d uint8, base, most time.Duration) time.Duration {
	if b.wait == 0 || d < b.at {
		b.wait = base
	} else {
		b.wait = min(2*b.wait, most)
	}
	b.at = d
	return b.wait
}

// maxDeepWait bounds the wait between seeks for a shallower parent, in
// ticks.
const maxDeepWait = 80

// parents picks, for each substream, the shallowest partner that
// forwards it (its home substream, or the source), nearest by measured
// service time among equals, and moves a subscription when a shallower
// one appears or the parent keeps being late (the old parent pushes until
// the new one grants). Only partners shallower than this node are taken,
// as deeper ones may be its descendants. A viewer subscribes as soon as it
// has partners, before its first chunk: measured, this cut the startup
// delay of a 1,000-viewer flash crowd by a second, and the first chunk is
// then the freshest its parents have.
func (m *Mode) parents() {
	if m.cfg.Substreams == 0 || m.source {
		return
	}
	want := map[*partner]uint16{}
	for _, p := range m.partners {
		want[p] = p.parent
	}
	now := m.e.Now()
	for _, p := range m.partners {
		if now >= p.noPush {
			p.noPushMask = 0
		}
	}
	for j := 0; j < m.cfg.Substreams; j++ {
		b := uint16(1) << j
		mine := m.depth(j)
		if mine != NoDepth {
			m.lastDepth[j] = mine
		} else if m.lastDepth[j] != NoDepth {
			m.lastDepth[j], m.orphanAt[j] = NoDepth, now
		}
		var cur, best *partner
		for _, p := range m.partners {
			if p.parent&b != 0 {
				cur = p
			}
		}
		for _, p := range m.partners {
			if !p.ready || !m.partnerServes(p) || p.subs&b != 0 || p.noPushMask&b != 0 {
				continue
			}
			if !m.forwards(p, j) {
				continue
			}
			d := p.depth[j]
			if d == NoDepth || mine != NoDepth && d >= mine && p != cur {
				continue
			}
			if mine == NoDepth && d+1 >= m.lastDepth[j] && now-m.orphanAt[j] < 2*m.cfg.Tick {
				// Just orphaned: a node not shallower than we were may be
				// our descendant until our lost depth has reached it.
				continue
			}
			if best == nil || d < best.depth[j] || d == best.depth[j] && m.service(p) < m.service(best) {
				best = p
			}
		}
		orphan := best == nil && cur == nil && now-m.sought[j] >= 2*m.cfg.Tick
		if orphan || mine != NoDepth && mine > deepDepth && now-m.sought[j] >= m.deepPeriod(j, mine) {
			// No partner forwards this substream, or only deep ones:
			// try members that forward it; their refusals name
			// forwarders further down. An orphan now and then asks the
			// source, whose referrals start at the top (rarely: with
			// many viewers the source's upload must go to chunks).
			m.sought[j] = now
			if !orphan {
				m.soughtDeep(j, mine)
			}
			m.seekMembers(1<<j, 2)
			if best == nil && cur == nil && m.e.Rand().IntN(8) == 0 {
				if src := m.h.Source(); !src.IsZero() && m.partner(src.ID) == nil {
					if _, ok := m.hellos[src.ID]; !ok {
						m.hello(src)
					}
				}
			}
		}
		if best == nil || best == cur {
			continue
		}
		if cur != nil && cur.depth[j] != NoDepth && best.depth[j] >= cur.depth[j] && cur.late&cur.wasLate&b == 0 {
			continue
		}
		// The current parent keeps pushing until the new one grants the
		// substream (onSubAck), so the switch loses nothing.
		want[best] |= b
	}
	for _, p := range m.partners {
		if w := want[p]; w != p.parent {
			p.want = w
			m.send(p, &Subscribe{Mask: w})
			if w&^p.parent == 0 {
				p.parent = w // giving up needs no answer
			}
		}
	}
	m.depthChanged()
}
