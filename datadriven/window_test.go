package datadriven

import (
	"testing"
	"time"

	"github.com/almcast/alm/player"
)

func TestWindowFor(t *testing.T) {
	cfg := DefaultConfig()
	for _, c := range []struct {
		dur  time.Duration
		want int
	}{
		{0, 64},
		{200 * time.Millisecond, 64},
		{50 * time.Millisecond, 256},
		{20 * time.Millisecond, 640},
		{time.Millisecond, 64 * MaxMapWords},
		{time.Hour, 64},
	} {
		if got := windowFor(cfg, c.dur); got != c.want {
			t.Errorf("windowFor(%v) = %d, want %d", c.dur, got, c.want)
		}
	}
	cfg.Window = 128
	if got := windowFor(cfg, 20*time.Millisecond); got != 128 {
		t.Errorf("a set window: %d, want 128", got)
	}
}

// TestMeshShortChunks plays 20ms chunks: the window covers the same time
// as with 200ms chunks, so chunks behind the newest by more than 64 can
// still be pulled before they are due. A fixed 64-chunk window (1.28s)
// fails this.
func TestMeshShortChunks(t *testing.T) {
	w := newWorld(t, worldOpts{viewers: 30, upload: 2, srcUpload: 4, loss: 0.01, seed: 3,
		startup: 2 * time.Second, chunk: 20 * time.Millisecond})
	w.broadcast()
	w.nw.RunFor(15 * time.Second)
	if c := w.continuity(); c < 0.98 {
		t.Fatalf("continuity %.3f with 20ms chunks", c)
	}
	if got := w.mode(0).window; got != 640 {
		t.Fatalf("window %d chunks, want 640", got)
	}
}

func TestLagScaledWaits(t *testing.T) {
	r := newRig(t, DefaultConfig(), 4)
	if got := r.m.lagScaled(time.Second); got != time.Second {
		t.Fatalf("no player: %v, want 1s", got)
	}
	for _, c := range []struct{ lag, want time.Duration }{
		{0, time.Second}, // no target lag
		{540 * time.Millisecond, 200 * time.Millisecond}, // a fifth of StartLag
		{4 * time.Second, time.Second},                   // never longer
	} {
		pl, err := player.New(r.m.e, player.Config{StartupDelay: time.Second, Window: 600, TargetLag: c.lag, MinBuffer: 100 * time.Millisecond}, nil)
		if err != nil {
			t.Fatal(err)
		}
		r.m.pl = pl
		if got := r.m.lagScaled(time.Second); got != c.want {
			t.Errorf("target lag %v: %v, want %v", c.lag, got, c.want)
		}
	}
}
