package lab

import (
	"testing"
	"time"
)

// TestMeshTenMillisecondChunks runs the shortest chunks the lab allows
// with no added latency and a 500ms lag, the low-delay setting, for an
// audience tuning in to a stream that has run 10s. A supplier serves the
// newest of its ordinary requests first, and the older ones used to stay
// in its send queue once they could no longer be sent: at 2.5ms a chunk
// on the source's uplink, 60 of them made it refuse every request as
// busy; about 20s after the audience tuned in the mesh stopped and never
// came back (continuity 0.63).
func TestMeshTenMillisecondChunks(t *testing.T) {
	m := runMode(t, "mesh", 100, 30*time.Second, func(sc *Scenario) {
		sc.Latency, sc.Chunk, sc.TargetLag, sc.Lead, sc.Seed = 0, 10*time.Millisecond, 500*time.Millisecond, 10*time.Second, 1
	})
	if m.ContinuityMean < 0.99 {
		t.Errorf("continuity %.4f with 10ms chunks (arrival p95 %vms)", m.ContinuityMean, m.ArrivalMsP95)
	}
}
