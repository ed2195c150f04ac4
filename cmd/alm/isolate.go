package main

import (
	"bytes"
	"context"
	"encoding/gob"
	"errors"
	"fmt"
	"os"
	"os/exec"

	"github.com/almcast/alm/lab"
)

// labModeCommand is the hidden command that runs one mode of a scenario
// in a process of its own.
const labModeCommand = "lab-mode"

func init() {
	commands[labModeCommand] = command{"(internal) run one mode of a scenario read from stdin, for lab and demo", runLabMode}
}

// runModes runs every mode of the scenario. Over QUIC each mode runs in a
// fresh process of its own (this binary's lab-mode command), so that no
// mode inherits what an earlier one left in the process: every node of a
// QUIC run lives in one process, and modes run after others there did
// worse (200 viewers, --modes tree,forest,mesh: 0.9856, 0.7936, 0.4052;
// tree three times in a row: 0.7357, 0.4685, 0.2421), though runs on
// this machine vary so much that the order is not proven to be the cause.
// The simulator is deterministic and runs in process.
// With inProcess (a profile was asked for, which must see the nodes) the
// modes run in this process.
func runModes(ctx context.Context, sc lab.Scenario, inProcess bool) (*lab.StreamResult, error) {
	if sc.Net != "quic" || inProcess {
		return lab.RunStream(ctx, sc)
	}
	return lab.EachMode(ctx, sc, func(ctx context.Context, _ int, one lab.Scenario) (lab.ModeResult, error) {
		return runModeProcess(ctx, one)
	})
}

// runModeProcess runs the scenario's one mode in a child process and
// returns its result.
func runModeProcess(ctx context.Context, sc lab.Scenario) (lab.ModeResult, error) {
	var r lab.ModeResult
	exe, err := os.Executable()
	if err != nil {
		return r, fmt.Errorf("find this binary: %w", err)
	}
	var in bytes.Buffer
	if err := gob.NewEncoder(&in).Encode(sc); err != nil {
		return r, fmt.Errorf("encode scenario: %w", err)
	}
	cmd := exec.CommandContext(ctx, exe, labModeCommand)
	cmd.Stdin = &in
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return r, fmt.Errorf("mode process: %w", err)
	}
	if err := gob.NewDecoder(bytes.NewReader(out)).Decode(&r); err != nil {
		return r, fmt.Errorf("read mode result: %w", err)
	}
	return r, nil
}

// runLabMode is the lab-mode command: it reads a scenario with one mode
// (gob) from stdin, runs it and writes the mode's result (gob) to stdout.
func runLabMode(ctx context.Context, args []string) error {
	if len(args) > 0 {
		return errors.New("lab-mode takes no arguments (it reads its scenario from stdin)")
	}
	var sc lab.Scenario
	if err := gob.NewDecoder(os.Stdin).Decode(&sc); err != nil {
		return fmt.Errorf("read scenario: %w", err)
	}
	if len(sc.Modes) != 1 {
		return fmt.Errorf("scenario has %d modes, want 1", len(sc.Modes))
	}
	res, err := lab.RunStream(ctx, sc)
	if err != nil {
		return err
	}
	return gob.NewEncoder(os.Stdout).Encode(res.Modes[0])
}
