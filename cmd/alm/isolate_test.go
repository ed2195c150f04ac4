package main

import (
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestLabQUICModesInOwnProcesses runs a two-mode QUIC scenario through the
// binary: each mode runs in a child process (lab-mode), and both results
// come back whole, in order, with the scenario's figures. The stream runs
// 8 s: over QUIC forest viewers play 3 s behind the source (its lag plus
// lab.SharedLagMargin), and with 4 s the last to tune in had sometimes
// not started by the end, so it was not judged (3 viewers of 4 in 4 of
// 9 runs).
func TestLabQUICModesInOwnProcesses(t *testing.T) {
	bin, ctx := cliSetup(t, 2*time.Minute)
	out, err := exec.CommandContext(ctx, bin, "lab", "--net", "quic", "--viewers", "4", "--modes", "forest,direct",
		"--source-upload", "8x", "--duration", "8s", "--json").Output()
	if err != nil {
		t.Fatalf("alm lab: %v", err)
	}
	var res struct {
		Modes []struct {
			Mode       string  `json:"mode"`
			Viewers    int     `json:"viewers"`
			Continuity float64 `json:"continuity_mean"`
			Pace       float64 `json:"source_pace"`
		} `json:"modes"`
	}
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("output is not the lab's JSON: %v\n%s", err, out)
	}
	if len(res.Modes) != 2 || res.Modes[0].Mode != "forest" || res.Modes[1].Mode != "direct" {
		t.Fatalf("modes %+v, want forest then direct", res.Modes)
	}
	for _, m := range res.Modes {
		if m.Viewers != 4 || m.Continuity <= 0 || m.Pace <= 0 {
			t.Errorf("%s: %+v, want 4 viewers that played and a source that kept pace", m.Mode, m)
		}
	}
}

// TestLabModeRejectsBadInput: the internal command fails cleanly on
// arguments or on input that is not a scenario.
func TestLabModeRejectsBadInput(t *testing.T) {
	bin, _ := cliSetup(t, time.Minute)
	if out, err := exec.Command(bin, labModeCommand, "extra").CombinedOutput(); err == nil {
		t.Fatalf("lab-mode with an argument succeeded: %s", out)
	}
	cmd := exec.Command(bin, labModeCommand)
	cmd.Stdin = strings.NewReader("not a scenario")
	if out, err := cmd.CombinedOutput(); err == nil {
		t.Fatalf("lab-mode on garbage succeeded: %s", out)
	}
}
