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
