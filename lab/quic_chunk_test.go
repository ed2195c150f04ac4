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

func TestQUICLagMargin(t *testing.T) {
	sc := DefaultScenario()
	lag, maxLag := lagsMs("forest", sc, SharedLagMargin)
	own, ownMax := lagsMs("forest", sc, 0)
	m := float64(SharedLagMargin) / 1e6
	if lag != own+m || maxLag != ownMax+m || own == 0 || ownMax == 0 {
		t.Errorf("forest over QUIC: lags %v/%v, own %v/%v, want the own plus %v", lag, maxLag, own, ownMax, m)
	}
	if lag, maxLag := lagsMs("direct", sc, SharedLagMargin); lag != 0 || maxLag != 0 {
		t.Errorf("direct over QUIC: lags %v/%v, want none (direct buffers its startup delay)", lag, maxLag)
	}
	sc.TargetLag = 2 * time.Second // --target-lag wins, and sets no raising
	if lag, maxLag := lagsMs("mesh", sc, SharedLagMargin); lag != 2000 || maxLag != 0 {
		t.Errorf("mesh with --target-lag 2s: lags %v/%v, want 2000/0", lag, maxLag)
	}
	sc.TargetLag, sc.MaxLag = 0, 10*time.Second // --max-lag wins for the maximum
	if lag, maxLag := lagsMs("mesh", sc, SharedLagMargin); lag != float64(delivery.Lag("mesh", 0)+SharedLagMargin)/1e6 || maxLag != 10000 {
		t.Errorf("mesh with --max-lag 10s: lags %v/%v", lag, maxLag)
	}
}
