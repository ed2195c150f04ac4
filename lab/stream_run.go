package lab

import (
	"context"
	"fmt"
)

// RunStream runs every mode of the scenario in turn, each with the same
// seed and population.
func RunStream(ctx context.Context, sc Scenario) (*StreamResult, error) {
	if err := sc.Validate(); err != nil {
		return nil, err
	}
	out := &StreamResult{Scenario: sc, RMax: sc.RMax()}
	for _, m := range sc.Modes {
		var r ModeResult
		var err error
		switch sc.Net {
		case "sim":
			r, err = RunStreamSim(ctx, sc, m)
		case "quic":
			r, err = RunStreamQUIC(ctx, sc, m)
		default:
			err = fmt.Errorf("lab: net %q is not available for streaming yet", sc.Net)
		}
		if err != nil {
			return nil, fmt.Errorf("lab: mode %s: %w", m, err)
		}
		out.Modes = append(out.Modes, r)
	}
	return out, nil
}
