package scribe_test

import (
	"testing"
	"time"

	"github.com/almcast/alm/internal/simworld"
)

// world is the shared simulated stream (internal/simworld).
type world = simworld.World

const rate = simworld.Rate

// newWorld builds a source and n viewers of mode, each viewer uploading
// upload(i) bit/s, and lets the overlay settle. The lab runs this mode
// with 50ms chunks (--chunk 50ms).
func newWorld(t *testing.T, mode string, seed uint64, n int, loss float64, upload func(i int) int64) *world {
	t.Helper()
	return simworld.New(t, simworld.Options{Mode: mode, Seed: seed, Viewers: n, Loss: loss, Upload: upload,
		Chunk: 50 * time.Millisecond, Stagger: false})
}
