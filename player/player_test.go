package player_test

import (
	"testing"
	"time"

	"github.com/almcast/alm/chunk"
	"github.com/almcast/alm/env"
	"github.com/almcast/alm/id"
	"github.com/almcast/alm/player"
	"github.com/almcast/alm/sim"
	"github.com/almcast/alm/wire"
)

const dur = 100 * time.Millisecond

// rig is one player on a simulated node, fed chunks at chosen instants.
type rig struct {
	net *sim.Network
	p   *player.Player
}

func newRig(t *testing.T, cfg player.Config) *rig {
	t.Helper()
	net, err := sim.New(sim.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	r := &rig{net: net}
	net.Add(sim.NodeSpec{}, func(e env.Env) env.Handler {
		r.p, err = player.New(e, cfg, nil)
		return env.HandlerFunc(func(id.Ref, wire.Message) {})
	})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// arrive offers chunk seq (made at seq*dur) at virtual time at.
func (r *rig) arrive(seq uint64, at time.Duration) {
	c := &chunk.Chunk{Seq: seq, Time: int64(time.Duration(seq) * dur), Duration: int64(dur)}
	r.net.At(at, func() { r.p.Offer(c) })
}

// arriveAll offers chunks from..to-1, each delay after it is made.
func (r *rig) arriveAll(from, to uint64, delay time.Duration) {
	for s := from; s < to; s++ {
		r.arrive(s, time.Duration(s)*dur+delay)
	}
}

// TestStartupDelayFromFirstChunk: every chunk plays the startup delay
// after the first chunk's arrival delay, so a chunk slower than the first
// by more than the buffer is missed, and one that comes late is counted.
func TestStartupDelayFromFirstChunk(t *testing.T) {
	r := newRig(t, player.Config{StartupDelay: 300 * time.Millisecond, Window: 100})
	// Chunk 0 arrives after 100ms; 1 after 500ms (slow path); 2..9 after 100ms.
	r.arrive(0, 100*time.Millisecond)
	r.arrive(1, dur+500*time.Millisecond)
	for s := uint64(2); s < 10; s++ {
		r.arrive(s, time.Duration(s)*dur+100*time.Millisecond)
	}
	r.net.Run(3 * time.Second)
	st := r.p.Stats()
	if st.Lag != 400*time.Millisecond {
		t.Errorf("lag %v, want 400ms (100ms arrival + 300ms buffer)", st.Lag)
	}
	if st.Missed == 0 || st.Late == 0 {
		t.Errorf("missed %d late %d: chunk 1 arrived 100ms after its playout time and should be missed", st.Missed, st.Late)
	}
}

// TestTargetLag: with a target lag every chunk from the first plays that
// long after its source time, and a first chunk too old for the target
// gets the minimum buffer instead.
func TestTargetLag(t *testing.T) {
	cfg := player.Config{StartupDelay: 2 * time.Second, Window: 100, TargetLag: time.Second, MinBuffer: 200 * time.Millisecond}
	r := newRig(t, cfg)
	// Chunk 5 (made at 500ms) is first, after 100ms; chunk 4 comes
	// behind it and is stale; chunk 7 takes 950ms and plays, chunk 8
	// takes 1.05s and is missed.
	r.arrive(5, 600*time.Millisecond)
	r.arrive(4, 700*time.Millisecond)
	r.arrive(6, 700*time.Millisecond)
	r.arrive(7, 1650*time.Millisecond)
	r.arrive(8, 1850*time.Millisecond)
	r.arriveAll(9, 20, 100*time.Millisecond)
	r.net.Run(2950 * time.Millisecond) // chunk 19 plays at 2.9s
	st := r.p.Stats()
	if st.Lag != time.Second {
		t.Errorf("lag %v, want the 1s target", st.Lag)
	}
	if st.Played != 14 || st.Missed != 1 || st.Stale != 1 || st.Late != 1 {
		t.Errorf("played %d missed %d stale %d late %d, want 14, 1, 1, 1", st.Played, st.Missed, st.Stale, st.Late)
	}
	if got := st.StartupDelay(); got != 900*time.Millisecond {
		t.Errorf("startup %v, want 900ms (chunk 5 due at 1.5s, joined at 600ms)", got)
	}

	// A first chunk 900ms old: the target leaves 100ms, less than the
	// 200ms minimum, so the lag is 1.1s.
	r = newRig(t, cfg)
	r.arrive(0, 900*time.Millisecond)
	r.net.Run(2 * time.Second)
	if st := r.p.Stats(); st.Lag != 1100*time.Millisecond {
		t.Errorf("old first chunk: lag %v, want 1.1s", st.Lag)
	}
}

func TestValidate(t *testing.T) {
	for _, c := range []player.Config{
		{StartupDelay: -1, Window: 1},
		{Window: 0},
		{Window: 1, TargetLag: -1},
		{Window: 1, MinBuffer: -1},
		{Window: 1, MaxLag: -1},
		{Window: 1, MaxLag: time.Second},
	} {
		if c.Validate() == nil {
			t.Errorf("%+v: no error", c)
		}
	}
	if err := player.DefaultConfig().Validate(); err != nil {
		t.Error(err)
	}
}

// TestPlaysInOrderAndCountsMisses: a full stream plays whole; a gap is a
// miss; duplicates and chunks too far ahead are counted, not kept.
func TestPlaysInOrderAndCountsMisses(t *testing.T) {
	r := newRig(t, player.Config{StartupDelay: 200 * time.Millisecond, Window: 20})
	r.net.At(0, r.p.Join)
	for s := uint64(0); s < 20; s++ {
		if s == 7 {
			continue // lost
		}
		r.arrive(s, time.Duration(s)*dur+50*time.Millisecond)
	}
	r.arrive(3, 3*dur+60*time.Millisecond)   // duplicate
	r.arrive(500, 5*dur+70*time.Millisecond) // far beyond the window
	r.net.Run(19*dur + 250*time.Millisecond) // chunk 19 is due at 19*dur+250ms
	st := r.p.Stats()
	if st.Played != 19 || st.Missed != 1 {
		t.Errorf("played %d missed %d, want 19 and 1", st.Played, st.Missed)
	}
	if st.Duplicates != 1 || st.Stale != 1 {
		t.Errorf("duplicates %d stale %d, want 1 and 1", st.Duplicates, st.Stale)
	}
	if got := st.Continuity(); got != 0.95 {
		t.Errorf("continuity %v, want 0.95", got)
	}
	if st.StartupDelay() != 250*time.Millisecond {
		t.Errorf("startup %v, want 250ms (50ms first arrival + 200ms buffer)", st.StartupDelay())
	}
}

// TestRaiseLag: once RaiseAfter chunks came late within the window, the
// player pauses for the worst lateness plus a chunk plus the margin, at
// most up to MaxLag, and plays on at the raised lag; fewer late chunks
// leave the lag alone.
func TestRaiseLag(t *testing.T) {
	cfg := player.Config{Window: 100, TargetLag: time.Second, MinBuffer: 200 * time.Millisecond,
		MaxLag: 2 * time.Second, RaiseAfter: 3, RaiseWindow: 10 * time.Second, RaiseMargin: 100 * time.Millisecond}
	runSet := func(cfg player.Config, raiseAfter int) player.Stats {
		r := newRig(t, cfg)
		r.p.SetRaiseAfter(raiseAfter) // a mode's count (below 1: the config's)
		for s := uint64(0); s < 40; s++ {
			d := 100 * time.Millisecond
			if s >= 10 && s <= 12 {
				d = 1350 * time.Millisecond // 350ms after its playout time
			}
			r.arrive(s, time.Duration(s)*dur+d)
		}
		r.net.Run(5500 * time.Millisecond) // chunk 39 plays at 5.45s once raised
		return r.p.Stats()
	}
	run := func(cfg player.Config) player.Stats { return runSet(cfg, 0) }
	st := run(cfg)
	if st.Lag != 1550*time.Millisecond || st.Raises != 1 || st.Stalled != 550*time.Millisecond {
		t.Errorf("lag %v raises %d stalled %v, want 1.55s, 1, 550ms", st.Lag, st.Raises, st.Stalled)
	}
	if st.Played != 37 || st.Missed != 3 || st.Late != 3 {
		t.Errorf("played %d missed %d late %d, want 37, 3, 3", st.Played, st.Missed, st.Late)
	}

	capped := cfg
	capped.MaxLag = 1200 * time.Millisecond
	if st := run(capped); st.Lag != 1200*time.Millisecond || st.Stalled != 200*time.Millisecond {
		t.Errorf("capped: lag %v stalled %v, want 1.2s and 200ms", st.Lag, st.Stalled)
	}

	fewer := cfg
	fewer.RaiseAfter = 4
	if st := run(fewer); st.Lag != time.Second || st.Raises != 0 {
		t.Errorf("three late chunks with RaiseAfter 4: lag %v raises %d, want 1s and none", st.Lag, st.Raises)
	}
	if st := runSet(fewer, 3); st.Raises != 1 {
		t.Errorf("RaiseAfter 4 set to 3 by the mode: raises %d, want 1", st.Raises)
	}
	if st := runSet(cfg, 4); st.Raises != 0 {
		t.Errorf("RaiseAfter 3 set to 4 by the mode: raises %d, want none", st.Raises)
	}
}
