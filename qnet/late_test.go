package qnet

import (
	"testing"
	"time"
)

// A node's lateness is the largest timer delay noted, held for lateHold
// and fading after it at a second a second; a smaller delay within the
// hold does not lower it.
func TestLatenessHoldsAndFades(t *testing.T) {
	var n Node
	t0 := time.Unix(1000, 0)
	if got := n.lateness(t0); got != 0 {
		t.Fatalf("fresh node: lateness %v, want 0", got)
	}
	n.noteLate(t0, 800*time.Millisecond)
	n.noteLate(t0.Add(time.Second), 100*time.Millisecond)
	cases := []struct {
		at   time.Duration
		want time.Duration
	}{
		{0, 800 * time.Millisecond},
		{lateHold, 800 * time.Millisecond},
		{lateHold + 300*time.Millisecond, 500 * time.Millisecond},
		{lateHold + 800*time.Millisecond, 0},
		{lateHold + 5*time.Second, 0},
	}
	for _, c := range cases {
		if got := n.lateness(t0.Add(c.at)); got != c.want {
			t.Errorf("%v after: lateness %v, want %v", c.at, got, c.want)
		}
	}
	// Once faded, a new delay counts in full.
	t1 := t0.Add(time.Minute)
	n.noteLate(t1, 50*time.Millisecond)
	if got := n.lateness(t1); got != 50*time.Millisecond {
		t.Fatalf("new delay: lateness %v, want 50ms", got)
	}
}
