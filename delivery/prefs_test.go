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
