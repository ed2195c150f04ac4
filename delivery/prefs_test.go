package delivery

import (
	"testing"
	"time"
)

func TestChunkDuration(t *testing.T) {
	SetPreferences("test-short", Preferences{ChunkDuration: 50 * time.Millisecond})
	cases := []struct {
		mode string
		d    time.Duration
		want time.Duration
	}{
		{"test-short", 0, 50 * time.Millisecond},
		{"test-short", 300 * time.Millisecond, 300 * time.Millisecond},
		{"test-none", 0, DefaultChunkDuration},
		{"test-none", 20 * time.Millisecond, 20 * time.Millisecond},
	}
	for _, c := range cases {
		if got := ChunkDuration(c.mode, c.d); got != c.want {
			t.Errorf("ChunkDuration(%q, %v) = %v, want %v", c.mode, c.d, got, c.want)
		}
	}
}

func TestLag(t *testing.T) {
	SetPreferences("test-lag", Preferences{Lag: 1500 * time.Millisecond})
	cases := []struct {
		mode string
		d    time.Duration
		want time.Duration
	}{
		{"test-lag", 0, 1500 * time.Millisecond},
		{"test-lag", 2 * time.Second, 2 * time.Second},
		{"test-lag", -1, 0},
		{"test-none", 0, 0},
		{"test-none", time.Second, time.Second},
	}
	for _, c := range cases {
		if got := Lag(c.mode, c.d); got != c.want {
			t.Errorf("Lag(%q, %v) = %v, want %v", c.mode, c.d, got, c.want)
		}
	}
}

func TestLagFor(t *testing.T) {
	SetPreferences("test-scaled", Preferences{Lag: time.Second, LagPerDecade: time.Second})
	cases := []struct {
		mode string
		d    time.Duration
		size float64
		want time.Duration
	}{
		{"test-scaled", 0, 100, time.Second},
		{"test-scaled", 0, 2000, time.Second},
		{"test-scaled", 0, 20000, 2 * time.Second},
		{"test-scaled", 0, 200000, 3 * time.Second},
		{"test-scaled", 500 * time.Millisecond, 100000, 500 * time.Millisecond}, // set: as given
		{"test-scaled", -1, 100000, 0},
		{"test-none", 0, 100000, 0},
	}
	for _, c := range cases {
		got := LagFor(c.mode, c.d, c.size)
		if diff := got - c.want; diff < -time.Millisecond || diff > time.Millisecond {
			t.Errorf("LagFor(%q, %v, %v) = %v, want %v", c.mode, c.d, c.size, got, c.want)
		}
	}
}

func TestMaxLagFor(t *testing.T) {
	SetPreferences("test-raise", Preferences{Lag: time.Second, LagPerDecade: time.Second, MaxLag: 3 * time.Second})
	SetPreferences("test-fixed", Preferences{Lag: time.Second})
	cases := []struct {
		mode      string
		target, d time.Duration
		size      float64
		want      time.Duration
	}{
		{"test-raise", 0, 0, 1000, 3 * time.Second},
		{"test-raise", 0, 0, 20000, 4 * time.Second}, // shifted with the lag
		{"test-raise", 0, 5 * time.Second, 1000, 5 * time.Second},
		{"test-raise", 0, -1, 1000, 0},
		{"test-raise", 2 * time.Second, 0, 1000, 0}, // a lag set by hand stays
		{"test-raise", -1, 0, 1000, 0},
		{"test-raise", 2 * time.Second, 4 * time.Second, 1000, 4 * time.Second},
		{"test-fixed", 0, 0, 1000, 0},
		{"test-none", 0, 0, 1000, 0},
	}
	for _, c := range cases {
		if got := MaxLagFor(c.mode, c.target, c.d, c.size); got != c.want {
			t.Errorf("MaxLagFor(%q, %v, %v, %v) = %v, want %v", c.mode, c.target, c.d, c.size, got, c.want)
		}
	}
}

func TestRaiseAfter(t *testing.T) {
	SetPreferences("test-raise", Preferences{RaiseAfter: 24})
	if got := RaiseAfter("test-raise"); got != 24 {
		t.Errorf("RaiseAfter(test-raise) = %d, want 24", got)
	}
	if got := RaiseAfter("test-none"); got != 0 {
		t.Errorf("RaiseAfter(test-none) = %d, want 0 (the player's default)", got)
	}
}

func TestLagsMargin(t *testing.T) {
	SetPreferences("margintest", Preferences{Lag: time.Second, MaxLag: 3 * time.Second})
	SetPreferences("marginnone", Preferences{})
	m := 500 * time.Millisecond
	for _, tc := range []struct {
		name            string
		target, d       time.Duration
		wantLag, wantMx time.Duration
	}{
		{"margintest", 0, 0, 1500 * time.Millisecond, 3500 * time.Millisecond},
		{"margintest", 0, 5 * time.Second, 1500 * time.Millisecond, 5 * time.Second},
		{"margintest", 2 * time.Second, 0, 2 * time.Second, 0},
		{"margintest", -1, 0, 0, 0},
		{"marginnone", 0, 0, 0, 0},
	} {
		lag, mx := Lags(tc.name, tc.target, tc.d, m, 0)
		if lag != tc.wantLag || mx != tc.wantMx {
			t.Errorf("Lags(%s, %v, %v) = %v, %v, want %v, %v", tc.name, tc.target, tc.d, lag, mx, tc.wantLag, tc.wantMx)
		}
	}
}
