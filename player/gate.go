package player

import (
	"cmp"
	"slices"
	"time"

	"github.com/almcast/alm/chunk"
)

// Gate tells a player that has not started yet whether it may: ok once
// the delivery mode expects every chunk from seq from on (a forest viewer
// once each of its stripes has delivered).
type Gate func() (from uint64, ok bool)

// SetGate makes the player wait for g before it starts. Until g reports
// ok it keeps the chunks offered (up to Window of them) without playing;
// then it starts with the oldest kept chunk at or after from that still
// plays at the target lag (the newest at or after from when none does;
// without a target lag the oldest at or after from), so that a viewer
// does not start on a chunk whose neighbours have no way to it yet. It
// has effect only before the first chunk.
func (p *Player) SetGate(g Gate) {
	if !p.first {
		p.gate = g
	}
}

// hold keeps c while the gate is shut and starts playback once it opens.
func (p *Player) hold(c *chunk.Chunk) bool {
	p.Join()
	i, found := search(p.held, c.Seq)
	if found {
		p.stats.Duplicates++
		return false
	}
	now := p.e.Now()
	p.held = slices.Insert(p.held, i, c)
	p.received(c, now)
	from, ok := p.gate()
	if !ok && len(p.held) < p.cfg.Window {
		return true
	}
	held := p.held
	p.held, p.gate = nil, nil
	start := p.pick(held, from)
	p.begin(held[start], now)
	for _, h := range held[start:] {
		if h.Seq < p.next+uint64(p.cfg.Window) {
			p.buf.put(h, p.next)
		} else {
			p.stats.Stale++
		}
	}
	p.stats.Stale += uint64(start)
	return true
}

// pick returns the index in held (sorted by seq) of the chunk to start
// with: see SetGate.
func (p *Player) pick(held []*chunk.Chunk, from uint64) int {
	i, _ := search(held, from)
	if i == len(held) {
		return len(held) - 1
	}
	if p.cfg.TargetLag <= 0 {
		return i
	}
	now := p.e.Now()
	for j := i; j < len(held); j++ {
		if now-held[j].Timestamp()+p.cfg.MinBuffer <= p.cfg.TargetLag {
			return j
		}
	}
	return len(held) - 1
}

// heldAt returns the index of seq among the chunks kept while the gate is
// shut, or -1.
func (p *Player) heldAt(seq uint64) int {
	if i, found := search(p.held, seq); found {
		return i
	}
	return -1
}

// search finds seq in held, sorted by seq: its index, or where it goes.
func search(held []*chunk.Chunk, seq uint64) (int, bool) {
	return slices.BinarySearchFunc(held, seq, func(h *chunk.Chunk, seq uint64) int {
		return cmp.Compare(h.Seq, seq)
	})
}

// heldNext is Next while the gate holds the player back: the first seq
// whose source time is at most TargetLag ago, by the newest chunk held.
func (p *Player) heldNext() uint64 {
	c := p.held[len(p.held)-1]
	dur := time.Duration(c.Duration)
	if dur <= 0 {
		return 0
	}
	// How far the playout point at the target lag is past c's source
	// time, in chunks, rounded up (Go's division rounds towards zero,
	// which is up for a negative d).
	d := p.e.Now() - p.cfg.TargetLag - c.Timestamp()
	n := d / dur
	if d%dur > 0 {
		n++
	}
	return uint64(max(int64(c.Seq)+int64(n), 0))
}
