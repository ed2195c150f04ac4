package player

import "time"

// lateChunk is one chunk that came after its playout time.
type lateChunk struct {
	at, by time.Duration // when it came, and how late
}

// noteLate records a chunk that came late by `by` and raises the lag when
// enough have within the window (Config.MaxLag).
func (p *Player) noteLate(now, by time.Duration) {
	if p.cfg.MaxLag <= p.offset || p.cfg.RaiseAfter < 1 {
		return
	}
	keep := p.late[:0]
	for _, l := range p.late {
		if now-l.at < p.cfg.RaiseWindow {
			keep = append(keep, l)
		}
	}
	p.late = append(keep, lateChunk{at: now, by: by})
	if len(p.late) < p.cfg.RaiseAfter {
		return
	}
	var worst time.Duration
	for _, l := range p.late {
		worst = max(worst, l.by)
	}
	p.late = p.late[:0]
	p.raise(min(worst+p.dur+p.cfg.RaiseMargin, p.cfg.MaxLag-p.offset))
}

// raise pauses playout for d: every chunk from next on plays d later.
func (p *Player) raise(d time.Duration) {
	if d <= 0 {
		return
	}
	p.offset += d
	p.stats.Lag = p.offset
	p.stats.Raises++
	p.stats.Stalled += d
	if p.timer != nil {
		p.timer.Stop()
	}
	p.timer = p.e.After(p.deadline(p.next)-p.e.Now(), p.tick)
}
