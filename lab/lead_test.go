package lab

import (
	"testing"
	"time"
)

func TestLeadValidation(t *testing.T) {
	sc := DefaultScenario()
	sc.Lead = 5 * time.Second
	if err := sc.Validate(); err != nil || sc.LeadS != 5 {
		t.Errorf("lead 5s: lead_s %v, %v", sc.LeadS, err)
	}
	sc.Lead = -time.Second
	if err := sc.Validate(); err == nil {
		t.Error("a negative lead passed validation")
	}
}

// TestMeshLead runs a small mesh in the simulator whose audience tunes
// in to a stream that has run for 10s: the viewers play at the mesh's
// target lag, and since chunks that old already exist they start well
// before the lag has passed, unlike an audience there at the start.
func TestMeshLead(t *testing.T) {
	run := func(lead time.Duration) ModeResult {
		return runMode(t, "mesh", 40, 20*time.Second, func(sc *Scenario) { sc.Lead = lead })
	}
	m := run(10 * time.Second)
	at0 := run(0)
	if m.ContinuityMean < 0.99 || m.LagMsP50 != at0.LagMsP50 {
		t.Errorf("lead 10s: continuity %.4f, lag p50 %vms (no lead: %vms)", m.ContinuityMean, m.LagMsP50, at0.LagMsP50)
	}
	if m.StartupMsP50 >= at0.StartupMsP50-200 {
		t.Errorf("startup p50 %vms with a lead, %vms without: want it shorter", m.StartupMsP50, at0.StartupMsP50)
	}
}
