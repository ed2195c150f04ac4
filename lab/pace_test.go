package lab

import (
	"testing"
	"time"
)

// TestSourceKeepsPaceSim: in the simulator the source takes the stream in
// at its nominal rate.
func TestSourceKeepsPaceSim(t *testing.T) {
	r := runMode(t, "direct", 5, 10*time.Second, func(sc *Scenario) { sc.SourceUpload = 20 })
	if r.SourcePace < 0.99 || r.SourcePace > 1.01 {
		t.Fatalf("source pace %.4f, want 1", r.SourcePace)
	}
}

// TestStreamQUICSmall runs a small forest over real QUIC on loopback: the
// viewers play, nothing forged is played, and the source keeps pace with
// the clock (a chunker that re-armed its timer from each late call ran
// 5% slow here: pace 0.944).
func TestStreamQUICSmall(t *testing.T) {
	if testing.Short() {
		t.Skip("runs 10s of stream over QUIC")
	}
	r := runMode(t, "forest", 8, 10*time.Second, func(sc *Scenario) { sc.Net = "quic" })
	if r.Viewers != 8 || r.ForgedPlayed != 0 {
		t.Fatalf("viewers %d, forged played %d", r.Viewers, r.ForgedPlayed)
	}
	if r.ContinuityMean < 0.9 {
		t.Errorf("continuity %.3f", r.ContinuityMean)
	}
	if r.SourcePace < 0.97 {
		t.Errorf("source pace %.4f: the source fell behind the clock", r.SourcePace)
	}
}
