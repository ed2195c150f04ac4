package lab

import (
	"testing"
	"time"
)

// TestControlFirst: control-first is a simulator setting (over QUIC the
// shim's uplink decides) and changes the run: with uplinks nearly full,
// the mesh's buffer maps and requests no longer wait behind chunks, so
// viewers start sooner and miss less (at 1.2 times the rate of upload:
// continuity 0.984 -> 0.9999, startup p95 5.4 -> 5.0 s).
func TestControlFirst(t *testing.T) {
	sc := DefaultScenario()
	sc.Net, sc.ControlFirst = "quic", true
	if err := sc.Validate(); err == nil {
		t.Error("control-first over QUIC passed validation")
	}
	set := func(cf bool) func(*Scenario) {
		return func(sc *Scenario) {
			sc.ControlFirst = cf
			sc.Upload = []UploadClass{{Mult: 1.2, Percent: 100}}
		}
	}
	fifo := runMode(t, "mesh", 200, 20*time.Second, set(false))
	first := runMode(t, "mesh", 200, 20*time.Second, set(true))
	t.Logf("startup p95: first in, first out %.0f ms, control first %.0f ms; continuity %.4f, %.4f",
		fifo.StartupMsP95, first.StartupMsP95, fifo.ContinuityMean, first.ContinuityMean)
	if first.ContinuityMean <= fifo.ContinuityMean {
		t.Errorf("continuity %.4f with control first, %.4f without", first.ContinuityMean, fifo.ContinuityMean)
	}
	if first.StartupMsP95 >= fifo.StartupMsP95 {
		t.Errorf("startup p95 %.0f ms with control first, %.0f without", first.StartupMsP95, fifo.StartupMsP95)
	}
}
