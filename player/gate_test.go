package player_test

import (
	"testing"
	"time"

	"github.com/almcast/alm/player"
)

// TestGateHoldsStart: a gated player keeps what comes, starts only once
// the gate opens, and starts at the oldest kept chunk at or after the
// gate's seq that still plays at the target lag; chunks before it are
// stale, not missed.
func TestGateHoldsStart(t *testing.T) {
	cfg := player.Config{Window: 100, TargetLag: time.Second, MinBuffer: 200 * time.Millisecond}
	r := newRig(t, cfg)
	open := false
	var from uint64
	r.p.SetGate(func() (uint64, bool) { return from, open })
	// Chunks 0, 2, 4 come 100ms after they are made (one stripe of two);
	// the other stripe starts at chunk 5. At 590ms the gate opens from 4
	// (5 less the other residue).
	for _, s := range []uint64{0, 2, 4} {
		r.arrive(s, time.Duration(s)*dur+100*time.Millisecond)
	}
	r.net.At(590*time.Millisecond, func() {
		if r.p.Next() != 0 {
			// Held back at a 1s lag at 590ms: nothing before chunk 0 is
			// due, so the estimate stays at 0.
			t.Errorf("next while held %d, want 0", r.p.Next())
		}
		if !r.p.Has(2) || r.p.Has(3) {
			t.Errorf("held: has 2 %v, has 3 %v; want true, false", r.p.Has(2), r.p.Has(3))
		}
		if st := r.p.Stats(); st.Started != 0 || st.Received != 3 {
			t.Errorf("before the gate opens: started %v, received %d; want 0, 3", st.Started, st.Received)
		}
		open, from = true, 4
	})
	r.arriveAll(5, 20, 100*time.Millisecond)
	r.net.Run(2950 * time.Millisecond) // chunk 19 plays at 2.9s
	st := r.p.Stats()
	if st.Lag != time.Second {
		t.Errorf("lag %v, want the 1s target", st.Lag)
	}
	// 4..19 play; 0 and 2 were kept but are before the start.
	if st.Played != 16 || st.Missed != 0 || st.Stale != 2 {
		t.Errorf("played %d missed %d stale %d, want 16, 0, 2", st.Played, st.Missed, st.Stale)
	}
	if got := st.StartupDelay(); got != 1300*time.Millisecond {
		t.Errorf("startup %v, want 1.3s (chunk 4 due at 1.4s, joined at 100ms)", got)
	}
}

// TestGateEstimatesNext: while held back, Next is the first chunk that
// would still play at the target lag, and it moves with time.
func TestGateEstimatesNext(t *testing.T) {
	r := shutRig(t, 100)
	r.arriveAll(0, 20, 50*time.Millisecond)
	r.net.At(1560*time.Millisecond, func() {
		// The newest chunk held is 15, 60ms old: 440ms more of lag
		// reaches back 4 chunks.
		if got := r.p.Next(); got != 11 {
			t.Errorf("next %d, want 11", got)
		}
	})
	r.net.Run(2 * time.Second)
	if st := r.p.Stats(); st.Started != 0 || st.Played+st.Missed != 0 {
		t.Errorf("a shut gate: started %v, played %d, missed %d", st.Started, st.Played, st.Missed)
	}
}

// TestGateFullWindowStarts: a gate that never opens does not hold more
// than Window chunks: the player then starts anyway.
func TestGateFullWindowStarts(t *testing.T) {
	r := shutRig(t, 8)
	r.arriveAll(0, 30, 50*time.Millisecond)
	r.net.Run(4 * time.Second)
	if st := r.p.Stats(); st.Started == 0 || st.Played == 0 {
		t.Errorf("started %v, played %d: want playing", st.Started, st.Played)
	}
}

// shutRig returns a rig whose player aims at a 500ms lag, keeps up to
// window chunks, and has a gate that never opens.
func shutRig(t *testing.T, window int) *rig {
	t.Helper()
	r := newRig(t, player.Config{Window: window, TargetLag: 500 * time.Millisecond, MinBuffer: 200 * time.Millisecond})
	r.p.SetGate(func() (uint64, bool) { return 0, false })
	return r
}
