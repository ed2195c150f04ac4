package datadriven

// A chunk that reaches a viewer after its player has passed it is wasted
// upload, and in a flash crowd the waste feeds itself: chunks that come
// late are forwarded late, and at 10,000 viewers most of what was sent
// came after its playout time (measured in the lab: 35,000 late arrivals
// a second against 15,000 in time at the worst). So each node tells its
// partners its playout point with its notices, maps and requests, and
// sends no partner a chunk its player has passed.

// playing is this node's playout point for its partners: the next chunk
// its player plays, plus one, or 0 when it is not playing.
func (m *Mode) playing() uint64 {
	if m.pl == nil || m.source || m.pl.Stats().Started == 0 {
		return 0
	}
	return m.pl.Next() + 1
}

// hearNext records a partner's playout point (next: plus one, 0 unknown).
func (m *Mode) hearNext(p *partner, next uint64) {
	if next > 0 {
		p.next, p.nextAt = next, m.e.Now()
	}
}

// passed reports whether p's player has passed seq, by its last word and
// the chunks played since at one per chunk duration. A player that raised
// its lag meanwhile is further back than that: it pulls what it misses,
// and its requests carry its playout point again.
func (m *Mode) passed(p *partner, seq uint64) bool {
	if p.next == 0 || m.dur <= 0 {
		return false
	}
	played := uint64((m.e.Now() - p.nextAt) / m.dur)
	return seq+1 < p.next+played
}

// dropPassed forgets requests for chunks this node's player has passed:
// they free their partners' request slots at once, without counting
// against them. schedule calls it on every notice, so it looks at the
// requests only when the player has moved on since the last look.
func (m *Mode) dropPassed(lo uint64) {
	if lo <= m.dropLo {
		return
	}
	m.dropLo = lo
	for seq, r := range m.reqs {
		if seq < lo {
			r.timer.Stop()
			delete(m.reqs, seq)
			r.p.out--
		}
	}
}
