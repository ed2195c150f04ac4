package datadriven

import "time"

// lagScaled shrinks a wait tuned for playback at StartLag (Urgent,
// PushGrace, PushWait, MinTimeout) in proportion for a viewer whose
// player aims for a shorter target lag: d * lag / StartLag, never more
// than d. Players without a target lag keep the waits as they are. With
// a 500ms lag and the waits unscaled, every chunk was urgent at once and
// was pulled while its push was on its way (measured with 20ms chunks
// and no added latency: dup_ratio 0.38, arrival p50 304ms).
func (m *Mode) lagScaled(d time.Duration) time.Duration {
	if m.pl == nil || m.cfg.StartLag <= 0 {
		return d
	}
	lag := m.pl.TargetLag()
	if lag <= 0 || lag >= m.cfg.StartLag {
		return d
	}
	return time.Duration(float64(d) * float64(lag) / float64(m.cfg.StartLag))
}
