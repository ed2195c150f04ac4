package overlay

import (
	"testing"
	"time"

	"github.com/almcast/alm/env"
	"github.com/almcast/alm/sim"
)

// probeSilent probes a peer that never answers from a node whose env
// reports late, and returns when the probe gave up.
func probeSilent(t *testing.T, late time.Duration) time.Duration {
	t.Helper()
	nw, a, ov, b := probePairWith(t, -1, func(e env.Env) env.Env { return sim.Lagging(e, late) })
	var gaveUp time.Duration
	a.Do(func() {
		ov.probeNode(b.Self(), ov.cfg.ProbeTries, false, func(ok bool, _ time.Duration) {
			if ok {
				t.Error("a silent peer answered")
			}
			gaveUp = nw.Now()
		})
	})
	nw.RunFor(time.Minute)
	if gaveUp == 0 {
		t.Fatal("the probe never ended")
	}
	return gaveUp
}

// A node that runs late waits longer before it gives up on a peer: its
// own lateness is likely its peers' too (one loaded machine), and timing
// out live peers there made a stalled process collapse.
func TestProbeWaitsWhileLate(t *testing.T) {
	onTime := probeSilent(t, 0)
	late := probeSilent(t, 500*time.Millisecond)
	cfg := DefaultConfig()
	if want := onTime + time.Duration(cfg.ProbeTries)*time.Second; late < want {
		t.Fatalf("late node gave up after %v, on time %v: want at least %v", late, onTime, want)
	}
}
