package splitstream

import (
	"testing"
	"time"
)

// TestParentTimeout checks that the timeout stays as tuned up to 4
// stripes of 50ms chunks and grows with the time between a stripe's
// chunks beyond that.
func TestParentTimeout(t *testing.T) {
	const base = 700 * time.Millisecond
	for _, c := range []struct {
		k    int
		dur  time.Duration
		want time.Duration
	}{
		{4, 25 * time.Millisecond, base},
		{4, 50 * time.Millisecond, base},
		{1, 200 * time.Millisecond, base},
		{8, 50 * time.Millisecond, 1400 * time.Millisecond},
		{16, 25 * time.Millisecond, 1400 * time.Millisecond},
		{16, 50 * time.Millisecond, 2800 * time.Millisecond},
	} {
		if got := parentTimeout(base, c.k, c.dur); got != c.want {
			t.Errorf("parentTimeout(%v, %d, %v) = %v, want %v", base, c.k, c.dur, got, c.want)
		}
	}
}
