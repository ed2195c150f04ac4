package env

import "time"

// Steady calls f at start+period, start+2*period, ... on e's clock, where
// start is now: unlike Every, a call that runs late does not delay the
// ones after it, so the calls keep to the clock over any length of time.
// A call more than a period late is followed at once by those missed, up
// to maxCatchUp per wake-up (the rest follow on the next). Media clocks
// need this: over QUIC each timer fires a fraction of a millisecond late,
// and re-arming from the late call made a 20ms chunker run 3% slow. It
// returns a function that stops the calls.
func Steady(e Env, period time.Duration, f func()) (stop func()) {
	start := e.Now()
	var n int64 // calls made
	var t Timer
	stopped := false
	var tick func()
	tick = func() {
		for i := 0; i < maxCatchUp && !stopped; i++ {
			if start+time.Duration(n+1)*period > e.Now() {
				break
			}
			n++
			f()
		}
		if !stopped {
			t = e.After(max(start+time.Duration(n+1)*period-e.Now(), 0), tick)
		}
	}
	t = e.After(period, tick)
	return func() {
		stopped = true
		t.Stop()
	}
}

// maxCatchUp bounds the calls Steady makes in one wake-up.
const maxCatchUp = 64
