package datadriven

import (
	"time"

	"github.com/almcast/alm/delivery"
	"github.com/almcast/alm/env"
	"github.com/almcast/alm/id"
)

// pending is a chunk this node owes a partner and has not yet sent: a
// request it took, or a push to a child.
type pending struct {
	p      *partner
	seq    uint64
	urgent bool // a request near its deadline
	push   bool // a push to a child
	fwd    bool // the child forwards the chunk's substream
}

// rank orders the send queue: urgent requests, then pushes to children
// that forward them, then pushes to leaves, then other requests.
func (q pending) rank() int {
	switch {
	case q.urgent:
		return 0
	case q.push && q.fwd:
		return 1
	case q.push:
		return 2
	}
	return 3
}

// backlog is how long a chunk sent now would wait on this node's uplink:
// the runtime's figure if it has one, else this node's own count.
func (m *Mode) backlog() time.Duration {
	var b time.Duration
	if u, ok := m.e.(env.Uplink); ok {
		b = u.Backlog()
	}
	if own := m.busy - m.e.Now(); own > b {
		b = own
	}
	return b
}

// chunkTime is how long one chunk takes on this node's uplink (0:
// unknown).
func (m *Mode) chunkTime() time.Duration {
	up, rate := m.upload(), m.h.Rate()
	if up <= 0 || rate <= 0 || m.dur == 0 {
		return 0
	}
	return time.Duration(float64(m.dur) * float64(rate) / float64(up))
}

// wait is how long a request taken now would wait before its chunk
// starts to leave, were it served after everything queued (pushes
// included). Urgent requests are refused on this figure too although
// they go first: taking them beyond it starves the pushes, which makes
// more chunks urgent downstream (measured: the mesh collapses).
func (m *Mode) wait() time.Duration {
	return m.backlog() + time.Duration(len(m.queue))*m.chunkTime()
}

// onRequest takes a partner's request: chunks not held (or outside the
// window) are refused at once; held ones join the send queue while it is
// short, and are refused as busy beyond, so the partner asks elsewhere.
func (m *Mode) onRequest(from id.Ref, r *Request) {
	p := m.partner(from.ID)
	if p == nil || len(r.Seqs) > maxSeqs {
		m.stats.BadInput++
		if len(r.Seqs) <= maxSeqs {
			m.h.Send(from, &Refuse{Seqs: r.Seqs})
		}
		return
	}
	p.heard = m.e.Now()
	m.hearNext(p, r.Next)
	seqs := r.Seqs
	if room := m.flood - p.asked; len(seqs) > room {
		// A flood: the excess is dropped and counted.
		m.stats.BadInput++
		seqs = seqs[:max(room, 0)]
	}
	p.asked += len(r.Seqs)
	var missing, busy []uint64
	for i, seq := range seqs {
		switch {
		case m.stored(seq) == nil:
			missing = append(missing, seq)
		case m.wait() > m.cfg.MaxQueue:
			busy = append(busy, seq)
		default:
			m.queue = append(m.queue, pending{p: p, seq: seq, urgent: i < int(r.Urgent)})
		}
	}
	if len(missing) > 0 {
		m.stats.Refused += uint64(len(missing))
		m.send(p, &Refuse{Seqs: missing})
	}
	if len(busy) > 0 {
		m.stats.Refused += uint64(len(busy))
		m.stats.RefusedBusy += uint64(len(busy))
		m.send(p, &Refuse{Seqs: busy, Busy: true})
	}
	m.pump()
}

// next removes and returns the queued chunk to send next: by rank (see
// pending.rank), in arrival order within a rank, except that among
// ordinary requests the newest chunk goes first, which spreads the stream
// fastest (older chunks have more holders). Entries that can no longer be
// sent are dropped on the way (see live): requests that newer ones kept
// waiting would otherwise stay queued for good, and wait() would count
// them, refuse every request as busy and tell partners so. It returns
// false when nothing is left to send.
func (m *Mode) next() (pending, bool) {
	kept := m.queue[:0]
	best := -1
	for _, q := range m.queue {
		if !m.live(q) {
			continue
		}
		kept = append(kept, q)
		if best < 0 {
			best = len(kept) - 1
			continue
		}
		b := kept[best]
		if r, rb := q.rank(), b.rank(); r < rb || r == rb && r == 3 && q.seq > b.seq {
			best = len(kept) - 1
		}
	}
	clear(m.queue[len(kept):])
	m.queue = kept
	if best < 0 {
		return pending{}, false
	}
	q := m.queue[best]
	m.queue = append(m.queue[:best], m.queue[best+1:]...)
	return q, true
}

// live reports whether queued entry q can still be sent: its chunk is
// held, its partner still one, a push still wanted (the partner is still
// the child in its substream and lacks the chunk), and the partner's
// player has not passed the chunk (counted in Passed).
func (m *Mode) live(q pending) bool {
	if q.p.gone || m.stored(q.seq) == nil {
		return false
	}
	if q.push && (q.p.subs&m.bit(q.seq) == 0 || q.p.m.Has(q.seq)) {
		return false
	}
	if m.passed(q.p, q.seq) {
		m.stats.Passed++
		return false
	}
	return true
}

// pump sends queued chunks (pushes and requests) while the uplink has
// room for them, keeping the uplink's own queue short so that control
// messages and urgent chunks do not wait behind it.
func (m *Mode) pump() {
	for len(m.queue) > 0 {
		if b := m.backlog(); b > m.chunkTime()/2 {
			if m.wake == nil {
				m.wake = m.e.After(b-m.chunkTime()/2, func() {
					m.wake = nil
					if m.running {
						m.pump()
					}
				})
			}
			return
		}
		q, ok := m.next()
		if !ok {
			return
		}
		m.serve(q.p, m.stored(q.seq))
	}
}

// onRefuse hands refused chunks back to the scheduler. A partner that
// refuses a chunk its map promised has broken a promise.
func (m *Mode) onRefuse(from id.Ref, rf *Refuse) {
	p := m.partner(from.ID)
	if p == nil {
		return
	}
	now := m.e.Now()
	p.heard = now
	for _, seq := range rf.Seqs {
		r, ok := m.reqs[seq]
		if !ok || r.p != p {
			continue
		}
		r.timer.Stop()
		delete(m.reqs, seq)
		p.out--
		m.stats.Refusals++
		if m.dur == 0 && seq == m.start {
			m.chosen = false
		}
		if rf.Busy {
			p.busyTil = now + m.service(p)/2
			continue
		}
		p.m.Clear(seq)
		p.fails++
	}
	if p.fails >= m.cfg.MaxFailures {
		m.fail(p)
	}
	m.schedule()
}

func (m *Mode) onHave(from id.Ref, h *Have) {
	p := m.partner(from.ID)
	if p == nil {
		m.h.Send(from, &Bye{}) // it still takes us for a partner
		return
	}
	p.heard = m.e.Now()
	p.m.Set(h.Seq)
	if m.cfg.Substreams > 0 && !p.source {
		p.depth[h.Seq%uint64(m.cfg.Substreams)] = h.Depth
	}
	p.queue, p.queueAt = time.Duration(h.Queue)*10*time.Millisecond, p.heard
	m.hearNext(p, h.Next)
	m.noteHeard(h.Seq)
	if _, asked := m.reqs[h.Seq]; !asked && !m.held.Has(h.Seq) {
		m.schedule()
	}
}

func (m *Mode) onStatus(from id.Ref, s *Status) {
	p := m.partner(from.ID)
	if p == nil {
		m.h.Send(from, &Bye{})
		return
	}
	bm, err := FromWire(s.Map, MaxMapWords)
	if err != nil {
		m.stats.BadInput++
		m.h.Send(p.ref, &Bye{})
		m.drop(p, 60*m.cfg.Tick)
		m.fill()
		return
	}
	p.heard = m.e.Now()
	p.m = bm
	m.hearNext(p, s.Next)
	m.hearClock(s.Clock)
	if !p.source {
		m.setDepths(p, s.Depths)
	}
	m.schedule()
}

// upload is the part of this node's upload its messages can use
// (delivery.Usable).
func (m *Mode) upload() int64 { return delivery.Usable(m.h) }
