package lab

import (
	"testing"
	"time"

	"github.com/almcast/alm/delivery"
)

func TestQUICChunkFloor(t *testing.T) {
	for _, tc := range []struct {
		mode  string
		chunk time.Duration
		want  time.Duration
	}{
		{"forest", 0, SharedChunkFloor},
		{"tree", 0, SharedChunkFloor},
		{"mesh", 0, delivery.ChunkDuration("mesh", 0)},
		{"forest", 20 * time.Millisecond, 20 * time.Millisecond}, // --chunk wins
		{"mesh", 50 * time.Millisecond, 50 * time.Millisecond},
	} {
		if got := quicChunk(tc.mode, tc.chunk); got != tc.want {
			t.Errorf("quicChunk(%s, %v) = %v, want %v", tc.mode, tc.chunk, got, tc.want)
		}
	}
	// The floor must be above what the tree modes ask for, or it does nothing.
	if d := delivery.ChunkDuration("forest", 0); d >= SharedChunkFloor {
		t.Errorf("forest's own chunk %v is not below the floor %v", d, SharedChunkFloor)
	}
}
