package scribe_test

import (
	"testing"
	"time"

	"github.com/almcast/alm/scribe"
	"github.com/almcast/alm/sim"
	"github.com/almcast/alm/wire"
)

// TestTreeQuietBeats: while chunks flow down a tree, parents send few
// beats (the children hear them through the data), and the tree holds.
// Beating every child each period would be about 2.5 beats a second per
// viewer.
func TestTreeQuietBeats(t *testing.T) {
	w := newWorld(t, scribe.TreeName, 4, 30, 0, func(int) int64 { return 2 * rate })
	w.Start()
	w.NW.RunFor(10 * time.Second)
	beats := 0
	w.NW.Trace = func(_, _ *sim.Node, m wire.Message, _ int, _ bool) {
		if _, ok := m.(*scribe.Beat); ok {
			beats++
		}
	}
	w.NW.RunFor(10 * time.Second)
	w.NW.Trace = nil
	checkTree(t, w)
	if per := float64(beats) / 30 / 10; per > 1 {
		t.Errorf("%.2f beats a second per viewer while data flows, want at most 1", per)
	}
	hi := w.Newest()
	for v := 1; v < len(w.Nodes); v++ {
		if got := w.Received(v, hi-100, hi-40); got < 0.95 {
			t.Errorf("viewer %d holds %.2f of the recent chunks", v, got)
		}
	}
}
