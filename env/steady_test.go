package env

import (
	"log/slog"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/almcast/alm/id"
	"github.com/almcast/alm/wire"
)

// lateEnv is an Env whose timers all fire late by a fixed amount, as
// timers do on a busy machine; run fires them in order.
type lateEnv struct {
	now     time.Duration
	late    time.Duration
	pending []*lateTimer
}

type lateTimer struct {
	at      time.Duration
	f       func()
	stopped bool
}

func (t *lateTimer) Stop() bool { was := !t.stopped; t.stopped = true; return was }

func (e *lateEnv) Self() id.Ref              { return id.Ref{} }
func (e *lateEnv) Now() time.Duration        { return e.now }
func (e *lateEnv) Send(id.Ref, wire.Message) {}
func (e *lateEnv) Rand() *rand.Rand          { return rand.New(rand.NewPCG(1, 2)) }
func (e *lateEnv) Log() *slog.Logger         { return slog.New(slog.DiscardHandler) }
func (e *lateEnv) After(d time.Duration, f func()) Timer {
	t := &lateTimer{at: e.now + d + e.late, f: f}
	e.pending = append(e.pending, t)
	return t
}

// run fires timers in time order until the clock passes until.
func (e *lateEnv) run(until time.Duration) {
	for {
		var next *lateTimer
		at := 0
		for i, t := range e.pending {
			if !t.stopped && (next == nil || t.at < next.at) {
				next, at = t, i
			}
		}
		if next == nil || next.at > until {
			return
		}
		e.pending = append(e.pending[:at], e.pending[at+1:]...)
		e.now = next.at
		next.f()
	}
}

func TestSteadyKeepsToTheClock(t *testing.T) {
	const period = 20 * time.Millisecond
	e := &lateEnv{late: 600 * time.Microsecond}
	steady, every := 0, 0
	Steady(e, period, func() { steady++ })
	Every(e, period, 0, func() { every++ })
	e.run(10 * time.Second)
	if steady < 499 || steady > 500 {
		t.Errorf("Steady made %d calls in 10s of 20ms periods, want 499-500", steady)
	}
	if every > 490 {
		t.Errorf("Every made %d calls: the late timers should have slowed it (the test no longer shows the drift)", every)
	}
}

func TestSteadyCatchesUpAndStops(t *testing.T) {
	e := &lateEnv{late: 95 * time.Millisecond} // each wake-up nearly 10 periods late
	calls := 0
	stop := Steady(e, 10*time.Millisecond, func() { calls++ })
	e.run(time.Second)
	if calls < 90 || calls > 100 {
		t.Errorf("%d calls in 1s of 10ms periods, want 90-100", calls)
	}
	stop()
	before := calls
	e.run(2 * time.Second)
	if calls != before {
		t.Errorf("%d calls after stop", calls-before)
	}
}
