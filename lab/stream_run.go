package lab

import (
	"context"
	"fmt"
)

// RunStream runs every mode of the scenario in turn, each with the same
// seed and population.
func RunStream(ctx context.Context, sc Scenario) (*StreamResult, error) {
	return EachMode(ctx, sc, func(ctx context.Context, _ int, one Scenario) (ModeResult, error) {
		m := one.Modes[0]
		switch one.Net {
		case "sim":
			return RunStreamSim(ctx, one, m)
		case "quic":
			return RunStreamQUIC(ctx, one, m)
		}
		return ModeResult{}, fmt.Errorf("lab: net %q is not available for streaming yet", one.Net)
	})
}

// EachMode validates sc and runs its modes in turn through run, which
// gets the mode's index and the scenario with that mode alone, and
// gathers the results.
func EachMode(ctx context.Context, sc Scenario, run func(ctx context.Context, i int, one Scenario) (ModeResult, error)) (*StreamResult, error) {
	if err := sc.Validate(); err != nil {
		return nil, err
	}
	out := &StreamResult{Scenario: sc, RMax: sc.RMax()}
	for i, m := range sc.Modes {
		one := sc
		one.Modes = []string{m}
		r, err := run(ctx, i, one)
		if err != nil {
			return nil, fmt.Errorf("lab: mode %s: %w", m, err)
		}
		out.Modes = append(out.Modes, r)
	}
	return out, nil
}
