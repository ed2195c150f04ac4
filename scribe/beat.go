package scribe

import (
	"slices"
	"time"

	"github.com/almcast/alm/id"
)

// beatSent is what a child was last told in a beat, and when.
type beatSent struct {
	at    time.Duration
	spare uint16
	up    id.ID
	path  []id.ID
}

// beatQuiet is how many beat periods a child that is being sent data may
// go without a beat whose news it already has.
const beatQuiet = 4

// beatDue reports whether child c gets beat entry e now, and notes it as
// sent if so (always, without Config.QuietBeats). Data flowing to the
// child tells it the parent lives (the child counts chunks as heard), so
// a beat goes only when the entry has news (path, spare room, the
// parent's own parent), when no data went to the child for a beat period,
// or every beatQuiet periods. (In the simulator a tree or forest sent
// about as many beats as chunks; over QUIC each costs a packet and an
// acknowledgement.)
func (s *Scribe) beatDue(c *child, e *BeatEntry, now time.Duration) bool {
	if !s.cfg.QuietBeats {
		return true
	}
	b := &c.beat
	quiet := now-c.fed < s.cfg.BeatPeriod && now-b.at < beatQuiet*s.cfg.BeatPeriod
	if quiet && b.at > 0 && b.spare == e.Spare && b.up == e.Up.ID && slices.Equal(b.path, e.Path) {
		return false
	}
	b.at, b.spare, b.up = now, e.Spare, e.Up.ID
	b.path = append(b.path[:0], e.Path...)
	return true
}
