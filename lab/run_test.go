package lab

import (
	"context"
	"testing"
	"time"
)

// runMode runs one mode in the simulator over the default scenario with
// viewers viewers for d, after set adjusts the scenario (nil: nothing).
func runMode(t *testing.T, mode string, viewers int, d time.Duration, set func(*Scenario)) ModeResult {
	t.Helper()
	sc := DefaultScenario()
	sc.Viewers, sc.Modes, sc.Duration = viewers, []string{mode}, d
	if set != nil {
		set(&sc)
	}
	if err := sc.Validate(); err != nil {
		t.Fatal(err)
	}
	res, err := RunStream(context.Background(), sc)
	if err != nil {
		t.Fatal(err)
	}
	return res.Modes[0]
}
