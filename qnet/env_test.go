package qnet

import (
	"runtime"
	"testing"
	"time"

	"github.com/almcast/alm/env"
)

func TestTimers(t *testing.T) {
	base := runtime.NumGoroutine()
	a := startNode(t, testConfig(t))
	fired := make(chan string, 10)
	stopped := make(chan bool, 2)
	a.Do(func() {
		e := a.env
		start := e.Now()
		e.After(20*time.Millisecond, func() {
			if e.Now()-start < 20*time.Millisecond {
				t.Error("timer fired early")
			}
			fired <- "first"
		})
		x := e.After(30*time.Millisecond, func() { fired <- "stopped" })
		e.After(60*time.Millisecond, func() { fired <- "last" })
		stopped <- x.Stop()
		stopped <- x.Stop()
	})
	if !<-stopped || <-stopped {
		t.Error("Stop: want true, then false")
	}
	seen := map[string]bool{}
	for len(seen) < 2 {
		select {
		case got := <-fired:
			if got != "first" && got != "last" {
				t.Fatalf("%q fired", got)
			}
			seen[got] = true
		case <-time.After(waitLong):
			t.Fatalf("timers did not fire; fired %v", seen)
		}
	}
	var timed uint64
	for _, c := range a.Stats().TimerLate {
		timed += c
	}
	if timed != 2 {
		t.Errorf("%d timer callbacks timed, want the 2 that fired", timed)
	}

	// Stop after firing reports false; Every repeats until stopped.
	ticks := make(chan int, 10)
	a.Do(func() {
		n := 0
		var stop func()
		stop = env.Every(a.env, 5*time.Millisecond, 0.1, func() {
			n++
			ticks <- n
			if n == 3 {
				stop()
			}
		})
	})
	for want := 1; want <= 3; want++ {
		select {
		case got := <-ticks:
			if got != want {
				t.Fatalf("tick %d, want %d", got, want)
			}
		case <-time.After(waitLong):
			t.Fatal("Every stalled")
		}
	}

	// A timer pending when the node stops never runs.
	a.Do(func() { a.env.After(30*time.Millisecond, func() { fired <- "after stop" }) })
	a.stop(t)
	select {
	case got := <-fired:
		t.Errorf("callback %q ran after stop", got)
	case <-time.After(100 * time.Millisecond):
	}
	a.Do(func() { t.Error("Do ran after stop") })
	checkGoroutines(t, base)
}

func TestRandSeededByKeyAndSeed(t *testing.T) {
	cfg := testConfig(t)
	draw := func(cfg Config) uint64 {
		n, err := New(cfg, func(env.Env) env.Handler { return env.HandlerFunc(nil) })
		if err != nil {
			t.Fatal(err)
		}
		defer n.closeSocket()
		return n.env.Rand().Uint64()
	}
	a, b := draw(cfg), draw(cfg)
	cfg.Seed = 7
	c := draw(cfg)
	if a != b || a == c {
		t.Errorf("draws %x %x %x: want equal for the same key and seed only", a, b, c)
	}
	if d := draw(testConfig(t)); d == a {
		t.Error("different keys draw the same")
	}
}

func TestNowCountsFromEpoch(t *testing.T) {
	cfg := testConfig(t)
	cfg.Epoch = time.Now().Add(-time.Hour)
	n, err := New(cfg, func(env.Env) env.Handler { return env.HandlerFunc(nil) })
	if err != nil {
		t.Fatal(err)
	}
	defer n.closeSocket()
	if now := n.Env().Now(); now < time.Hour || now > 2*time.Hour {
		t.Errorf("Now %v, want about an hour", now)
	}
}

func TestTimerLateHistogram(t *testing.T) {
	var c counters
	for _, d := range []time.Duration{0, time.Millisecond, 3 * time.Millisecond, 30 * time.Millisecond, 700 * time.Millisecond, 5 * time.Second} {
		c.noteTimerLate(d)
	}
	s := c.snapshot()
	want := [len(TimerLateEdges) + 1]uint64{2, 1, 0, 1, 0, 1, 1}
	if s.TimerLate != want {
		t.Fatalf("buckets %v, want %v", s.TimerLate, want)
	}
	var sum Stats
	sum.Add(s)
	sum.Add(s)
	if sum.TimerLate[0] != 4 {
		t.Errorf("Add: first bucket %d, want 4", sum.TimerLate[0])
	}
	for p, want := range map[float64]time.Duration{10: time.Millisecond, 50: 5 * time.Millisecond, 60: 100 * time.Millisecond, 99: 2 * time.Second} {
		if got := s.TimerLateP(p); got != want {
			t.Errorf("p%v: %v, want %v", p, got, want)
		}
	}
	if got := (Stats{}).TimerLateP(95); got != 0 {
		t.Errorf("no timers: p95 %v, want 0", got)
	}
}
