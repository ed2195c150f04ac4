package datadriven

import (
	"testing"
	"time"

	"github.com/almcast/alm/player"
)

// TestLeafAimsLater: with a target lag, a viewer whose upload is below
// LeafUpload times the rate adds LeafLag to it, and picks its start chunk
// for that lag; one with upload to spare keeps the target.
func TestLeafAimsLater(t *testing.T) {
	for _, c := range []struct {
		upload int64
		lag    time.Duration
		start  uint64
	}{
		// Chunk 100 began 3s ago; 0.5s of buffer and 0.15s to fetch.
		{2_000_000, 2700 * time.Millisecond, 104}, // 2.05s old
		{1_000_000, 4700 * time.Millisecond, 100}, // 4.05s old: the oldest held
	} {
		r := newRigWith(t, DefaultConfig(), 1, func(h *fakeHost) {
			h.upload, h.startup = c.upload, 500*time.Millisecond
			h.pl, _ = player.New(h.e, player.Config{Window: 100, TargetLag: 2700 * time.Millisecond}, nil)
		})
		if got := r.h.pl.TargetLag(); got != c.lag {
			t.Errorf("upload %d: target lag %v, want %v", c.upload, got, c.lag)
		}
		r.m.dur, r.m.chosen = 0, false // before the first chunk
		for _, p := range r.m.partners {
			p.next = 105 // playing: no crowd, so no StartBack bound
			for s := uint64(100); s <= 110; s++ {
				p.m.Set(s)
			}
		}
		r.m.clock0 = Clock{Seq: 100, Time: int64(r.m.e.Now() - 3*time.Second), Dur: int64(200 * time.Millisecond)}
		if !r.m.chooseStart() || r.m.start != c.start {
			t.Errorf("upload %d: start %d, want %d", c.upload, r.m.start, c.start)
		}
	}
}
