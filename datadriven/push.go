package datadriven

import (
	"math/bits"
	"time"

	"github.com/almcast/alm/chunk"
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

// pushSlots is how many substream subscriptions this node takes.
func (m *Mode) pushSlots() int {
	up, rate := m.h.Upload(), m.h.Rate()
	if m.cfg.Substreams == 0 || !m.serves() {
		return 0
	}
	if up <= 0 || rate <= 0 {
		return m.cfg.Substreams * m.cfg.MaxPartners / 2
	}
	share := m.cfg.PushShare
	if m.source {
		share = m.cfg.SourceSlots
	}
	return int(float64(up) / float64(rate) * float64(m.cfg.Substreams) * share)
}

func (m *Mode) pushUsed() int {
	n := 0
	for _, p := range m.partners {
		n += bits.OnesCount16(p.subs)
	}
	return n
}

// push sends c to the partners subscribed to its substream; it returns
// the substream bit if it pushed.
func (m *Mode) push(c *chunk.Chunk, from id.Ref) uint16 {
	b := m.bit(c.Seq)
	if b == 0 {
		return 0
	}
	for _, p := range m.partners {
		if p.subs&b == 0 || p.ref.ID == from.ID || p.m.Has(c.Seq) {
			continue
		}
		m.serve(p, c)
	}
	return b
}

// onSubscribe grants what the upload has room for.
func (m *Mode) onSubscribe(from id.Ref, s *Subscribe) {
	p := m.partner(from.ID)
	if p == nil {
		m.h.Send(from, &Bye{})
		return
	}
	p.heard = m.e.Now()
	free := m.pushSlots() - m.pushUsed() + bits.OnesCount16(p.subs)
	var grant uint16
	off := m.e.Rand().IntN(m.cfg.Substreams)
	for i := 0; i < m.cfg.Substreams && free > 0; i++ {
		if j := (i + off) % m.cfg.Substreams; s.Mask&(1<<j) != 0 {
			grant |= 1 << j
			free--
		}
	}
	p.subs = grant
	m.send(p, &SubAck{Mask: grant})
}

func (m *Mode) onSubAck(from id.Ref, a *SubAck) {
	p := m.partner(from.ID)
	if p == nil {
		return
	}
	p.heard = m.e.Now()
	if refused := p.want &^ a.Mask; refused != 0 {
		p.noPushMask |= refused
		p.noPush = m.e.Now() + 5*m.cfg.Tick
	}
	p.parent = a.Mask
	p.pushedAt = m.e.Now()
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
	for _, p := range m.partners {
		if p.parent&b != 0 {
			return m.heardFor(seq) < m.cfg.PushGrace
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

// parents picks, for each substream, the partner furthest ahead in it,
// and moves a subscription when another partner is ahead of the current
// parent by two chunks of the substream or more.
func (m *Mode) parents() {
	if m.cfg.Substreams == 0 || m.source || m.dur == 0 && !m.chosen {
		return
	}
	k := uint64(m.cfg.Substreams)
	want := map[*partner]uint16{}
	for _, p := range m.partners {
		want[p] = p.parent
	}
	now := m.e.Now()
	for j := 0; j < m.cfg.Substreams; j++ {
		b := uint16(1) << j
		own, haveOwn := m.newestIn(m.held, j)
		var cur, best *partner
		var curN, bestN uint64
		for _, p := range m.partners {
			if !p.ready || !m.partnerServes(p) {
				continue
			}
			n, ok := m.newestIn(p.m, j)
			if !ok {
				continue
			}
			if p.parent&b != 0 {
				cur, curN = p, n
			}
			// A parent must not be behind this node, nor its child in
			// the substream: either may be its descendant and would
			// close a loop (longer loops fall behind and are left).
			ahead := (!haveOwn || n >= own) && p.subs&b == 0
			if now >= p.noPush {
				p.noPushMask = 0
			}
			if ahead && p.noPushMask&b == 0 && (best == nil || n > bestN || n == bestN && p.out < best.out) {
				best, bestN = p, n
			}
		}
		if best == nil || best == cur {
			continue
		}
		if cur != nil && bestN < curN+2*k && cur.late&cur.wasLate&b == 0 {
			continue
		}
		if cur != nil {
			want[cur] &^= b
		}
		want[best] |= b
	}
	for _, p := range m.partners {
		p.wasLate, p.late = p.late, 0
		if w := want[p]; w != p.parent {
			p.want = w
			m.send(p, &Subscribe{Mask: w})
			if w&^p.parent == 0 {
				p.parent = w // giving up needs no answer
			}
		}
	}
}
