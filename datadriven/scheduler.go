package datadriven

import (
	"sort"
	"time"

	"github.com/almcast/alm/env"
	"github.com/almcast/alm/id"
)

// request is one chunk asked of a partner.
type request struct {
	seq   uint64
	p     *partner
	sent  time.Duration
	timer env.Timer
}

// candidate is a chunk the scheduler may ask for.
type candidate struct {
	seq       uint64
	suppliers int
	urgent    bool
}

// order sorts candidates: urgent chunks first, earliest deadline first;
// then the rest rarest first, older first among equals.
func order(cs []candidate) {
	sort.Slice(cs, func(i, j int) bool {
		a, b := cs[i], cs[j]
		if a.urgent != b.urgent {
			return a.urgent
		}
		if !a.urgent && a.suppliers != b.suppliers {
			return a.suppliers < b.suppliers
		}
		return a.seq < b.seq
	})
}

// deadline returns the playout time of seq on this node's clock; ok is
// false before playback is set up.
func (m *Mode) deadline(seq uint64) (time.Duration, bool) {
	if m.pl == nil || m.dur == 0 {
		return 0, false
	}
	return m.t0 + time.Duration(seq)*m.dur + m.pl.Stats().Lag, true
}

// available reports whether p can take a request for seq now.
func (m *Mode) available(p *partner, seq uint64, now time.Duration) bool {
	return p.ready && p.out < m.cfg.MaxOutstanding && now >= p.busyTil && m.partnerServes(p) && p.m.Has(seq)
}

// service estimates how long p takes to answer one request.
func (m *Mode) service(p *partner) time.Duration {
	if p.svc > 0 {
		return p.svc
	}
	est := 150 * time.Millisecond
	if p.upload > 0 && m.h.Rate() > 0 && m.dur > 0 {
		est += time.Duration(float64(m.dur) * float64(m.h.Rate()) / float64(p.upload))
	}
	return est
}

// low returns the first chunk this node still needs; ok is false while
// the starting chunk is not chosen.
func (m *Mode) low() (uint64, bool) {
	if m.dur == 0 {
		return m.start, m.chosen
	}
	if m.pl != nil {
		return m.pl.Next(), true
	}
	return m.start, true
}

// chooseStart picks the chunk to start playing at. With partners' clocks
// and the player's startup delay known, it is the oldest chunk that two
// partners hold (one, with one partner) among those young enough that
// playback lags the source by about StartLag (or the player's target
// lag): the player's lag is its buffer after the first chunk plus that
// chunk's age, so an older first chunk buys time for the chunks after
// it, which partners already hold; but no more than StartBack chunks
// behind the newest, which would all have to be pulled at once. Otherwise it is the newest chunk half
// its partners hold, less StartBehind.
func (m *Mode) chooseStart() bool {
	var newest []uint64
	maps := 0
	for _, p := range m.partners {
		if n, ok := p.m.Newest(); ok && m.partnerServes(p) {
			newest = append(newest, n)
			maps++
		}
	}
	if len(newest) == 0 {
		return false
	}
	sort.Slice(newest, func(i, j int) bool { return newest[i] > newest[j] })
	if s, ok := m.timedStart(newest[0], min(maps, 2)); ok {
		m.start, m.chosen = s, true
		return true
	}
	s := newest[(len(newest)-1)/2]
	s -= min(s, uint64(m.cfg.StartBehind))
	m.start, m.chosen = s, true
	return true
}

// timedStart finds the start chunk for StartLag (see chooseStart).
func (m *Mode) timedStart(top uint64, need int) (uint64, bool) {
	c := m.clock0
	if meta := m.h.Meta(); c.Dur <= 0 && meta != nil && meta.ChunkDuration > 0 {
		// The channel's signed metadata has the stream's start and
		// chunk duration: chunk seq began at Start + seq*ChunkDuration.
		c = Clock{Time: meta.Start, Dur: meta.ChunkDuration}
	}
	lag := m.cfg.StartLag
	if m.pl != nil && m.pl.TargetLag() > 0 {
		lag = m.pl.TargetLag()
	}
	if lag <= 0 || c.Dur <= 0 {
		return 0, false
	}
	age := lag - m.h.StartupDelay() - fetchTime
	if age <= 0 {
		return 0, false
	}
	at := int64(m.e.Now() - age) // source time of the chunk to start at
	var s uint64
	if d := (at - c.Time) / c.Dur; d >= 0 {
		s = c.Seq + uint64(d)
	} else if uint64(-d) < c.Seq {
		s = c.Seq - uint64(-d)
	}
	if top >= uint64(m.window) {
		s = max(s, top-uint64(m.window)+1)
	}
	if back := uint64(m.cfg.StartBack); top >= back && !m.settled() {
		s = max(s, top-back)
	}
	if s > top {
		return top, true // nothing that young yet: the newest there is
	}
	for ; need >= 1; need-- {
		for q := s; q <= top; q++ {
			n := 0
			for _, p := range m.partners {
				if p.m.Has(q) && m.partnerServes(p) {
					n++
				}
			}
			if n >= need {
				return q, true
			}
		}
	}
	return 0, false
}

// settled reports whether at least half the node's partners are playing:
// it joins an established swarm, whose buffers can spare a backlog, not
// a crowd tuning in with it (see Config.StartBack).
func (m *Mode) settled() bool {
	playing := 0
	for _, p := range m.partners {
		if p.next > 0 {
			playing++
		}
	}
	return 2*playing >= len(m.partners)
}

// fetchTime is about how long fetching the first chunk takes.
const fetchTime = 150 * time.Millisecond

// schedule asks partners for missing chunks, as many as their
// outstanding-request bounds allow.
func (m *Mode) schedule() {
	if m.source || !m.running || len(m.partners) == 0 {
		return
	}
	now := m.e.Now()
	if m.dur == 0 {
		// Nothing held yet: fetch the starting chunk alone, so that it
		// is the first the player gets.
		if !m.chosen && !m.chooseStart() {
			return
		}
		if _, asked := m.reqs[m.start]; !asked {
			m.assign([]candidate{{seq: m.start, urgent: true}}, now)
		}
		return
	}
	lo, _ := m.low()
	m.dropPassed(lo)
	var hi uint64
	found := false
	for _, p := range m.partners {
		if n, ok := p.m.Newest(); ok && (!found || n > hi) {
			hi, found = n, true
		}
	}
	if !found || hi < lo {
		return
	}
	if max := lo + uint64(m.window) - 1; hi > max {
		hi = max
	}
	var cs []candidate
	urgentWithin := m.lagScaled(m.cfg.Urgent)
	for seq := lo; seq <= hi; seq++ {
		if m.held.Has(seq) {
			continue
		}
		if _, asked := m.reqs[seq]; asked {
			continue
		}
		d, known := m.deadline(seq)
		urgent := known && d-now < urgentWithin
		if !urgent && m.awaitPush(seq) {
			continue
		}
		n := 0
		for _, p := range m.partners {
			if p.ready && p.m.Has(seq) && m.partnerServes(p) {
				n++
			}
		}
		if n == 0 {
			continue
		}
		cs = append(cs, candidate{seq: seq, suppliers: n, urgent: urgent})
	}
	if len(cs) == 0 {
		return
	}
	order(cs)
	m.assign(cs, now)
}

// assign asks, for each candidate in order, the partner expected to
// deliver it soonest, and sends one request per partner.
func (m *Mode) assign(cs []candidate, now time.Duration) {
	batches := map[*partner][]uint64{}
	urgent := map[*partner]uint8{}
	// A request waits behind this node's own uplink queue before it
	// leaves; on a thin uplink that may be seconds, which the timeout
	// must not count against the partner.
	queued := m.backlog()
	// A node whose event loop runs late (over QUIC, short of CPU) hears
	// of pushes and answers late too: it waits longer rather than
	// pulling twice (env.Slack; 0 in the simulator).
	slack := env.Slack(m.e)
	grace, minTimeout := m.lagScaled(m.cfg.PushGrace)+slack, m.lagScaled(m.cfg.MinTimeout)
	var order []*partner
	for _, c := range cs {
		var best *partner
		var bestCost time.Duration
		for _, p := range m.partners {
			if !m.available(p, c.seq, now) {
				continue
			}
			cost := time.Duration(p.out+1)*m.service(p) + max(0, p.queue-(now-p.queueAt))
			if m.failed[c.seq] == p {
				cost += m.cfg.MaxTimeout // it let this chunk down once
			}
			if best == nil || cost < bestCost {
				best, bestCost = p, cost
			}
		}
		if best == nil {
			continue
		}
		if _, ok := batches[best]; !ok {
			order = append(order, best)
		}
		batches[best] = append(batches[best], c.seq)
		if m.heardFor(c.seq) >= grace {
			m.markLate(c.seq) // partners had it long since: the push is late
		}
		if c.urgent {
			urgent[best]++
		}
		best.out++
		r := &request{seq: c.seq, p: best, sent: now}
		timeout := 3 * m.service(best)
		timeout = max(minTimeout, min(timeout, m.cfg.MaxTimeout)) + queued + slack
		r.timer = m.e.After(timeout, func() { m.timeout(r) })
		m.reqs[c.seq] = r
	}
	for _, p := range order {
		m.stats.Requests += uint64(len(batches[p]))
		m.send(p, &Request{Seqs: batches[p], Urgent: urgent[p], Next: m.playing()})
	}
}

// done settles a request whose chunk came (from from).
func (m *Mode) done(r *request, from id.ID) {
	r.timer.Stop()
	delete(m.reqs, r.seq)
	r.p.out--
	if r.p.ref.ID == from {
		sample := m.e.Now() - r.sent
		if r.p.svc == 0 {
			r.p.svc = sample
		} else {
			r.p.svc = (3*r.p.svc + sample) / 4
		}
		r.p.fails = 0
	}
}

// timeout gives up on a request: the partner is marked down and the
// chunk asked of someone else.
func (m *Mode) timeout(r *request) {
	if !m.running || m.reqs[r.seq] != r {
		return
	}
	delete(m.reqs, r.seq)
	m.stats.Timeouts++
	p := r.p
	p.out--
	p.fails++
	if len(m.failed) > 4*m.window {
		clear(m.failed)
	}
	m.failed[r.seq] = p
	p.svc = min(2*m.service(p), m.cfg.MaxTimeout)
	if m.dur == 0 && r.seq == m.start {
		m.chosen = false
	}
	if p.fails >= m.cfg.MaxFailures {
		m.fail(p)
	}
	m.schedule()
}

// fail replaces a partner that does not deliver what it promises.
func (m *Mode) fail(p *partner) {
	m.stats.Failing++
	m.h.Send(p.ref, &Bye{})
	m.drop(p, 60*m.cfg.Tick)
	m.fill()
}
