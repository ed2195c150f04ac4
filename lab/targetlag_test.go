package lab

import (
	"testing"
	"time"
)

func TestParseLag(t *testing.T) {
	for s, want := range map[string]time.Duration{"auto": 0, "": 0, "off": -1, "1.2s": 1200 * time.Millisecond} {
		got, err := ParseLag(s)
		if err != nil || got != want {
			t.Errorf("ParseLag(%q) = %v, %v; want %v", s, got, err, want)
		}
	}
	for _, s := range []string{"0s", "-1s", "soon"} {
		if _, err := ParseLag(s); err == nil {
			t.Errorf("ParseLag(%q): no error", s)
		}
	}
}

// TestForestTargetLag runs a small forest in the simulator: at the
// forest's own 1.5s target lag its viewers play in step at that lag, well
// under what buffering the startup delay after the first chunk gives, and
// with the target off the lag is the first chunk's age plus the startup
// delay again.
func TestForestTargetLag(t *testing.T) {
	run := func(lag time.Duration) ModeResult {
		return runMode(t, "forest", 40, 40*time.Second, func(sc *Scenario) { sc.TargetLag = lag })
	}
	m := run(0) // forest's own
	if m.TargetLagMs != 1500 || m.LagMsP50 != 1500 {
		t.Errorf("1.5s: target %vms, lag p50 %vms; want both 1500", m.TargetLagMs, m.LagMsP50)
	}
	if m.MaxLagMs != 3000 || m.RaisesMean > 0.1 {
		t.Errorf("1.5s: max lag %vms, raises per viewer %v; want 3000 and (nearly) none", m.MaxLagMs, m.RaisesMean)
	}
	if m.ContinuityMean < 0.99 {
		t.Errorf("1.5s: continuity %.4f (off: %.4f)", m.ContinuityMean, run(-1).ContinuityMean)
	}
	off := run(-1)
	if off.TargetLagMs != 0 || off.MaxLagMs != 0 || off.LagMsP50 <= 2000 {
		t.Errorf("off: target %vms, max %vms, lag p50 %vms; want 0, 0 and above the 2s startup delay", off.TargetLagMs, off.MaxLagMs, off.LagMsP50)
	}
}
