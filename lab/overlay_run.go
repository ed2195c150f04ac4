package lab

import (
	"context"
	"fmt"
)

// RunOverlay runs an overlay experiment on the network cfg.Net names.
func RunOverlay(ctx context.Context, cfg OverlayConfig) (*OverlayResult, error) {
	switch cfg.Net {
	case "sim", "":
		return RunOverlaySim(ctx, cfg)
	case "quic":
		return RunOverlayQUIC(ctx, cfg)
	}
	return nil, fmt.Errorf("lab: net %q not available", cfg.Net)
}
