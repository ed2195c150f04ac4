package main

// The tree and forest modes (Scribe and SplitStream).
import (
	"fmt"

	_ "github.com/almcast/alm/scribe"
	"github.com/almcast/alm/splitstream"
)

// stripesUsage documents the -stripes flag of alm source and alm lab.
const stripesUsage = "forest: number of stripes, 1 to 16 (0: the forest's default, 4)"

// modeSpec is the mode spec for mode with the -stripes flag's value: the
// forest with k stripes, or mode itself when k is 0. A stripe count for
// any other mode, or outside 1 to 16, is an error.
func modeSpec(mode string, k int) (string, error) {
	switch {
	case k == 0:
		return mode, nil
	case mode != splitstream.Name:
		return "", fmt.Errorf("-stripes is for -mode %s, not %s", splitstream.Name, mode)
	}
	if err := splitstream.CheckStripes(k); err != nil {
		return "", fmt.Errorf("-stripes: %w", err)
	}
	return splitstream.Spec(k), nil
}
