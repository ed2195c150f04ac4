package lab

import (
	"testing"
	"time"
)

func TestTuneInTime(t *testing.T) {
	for _, c := range []struct {
		viewers int
		set     time.Duration
		want    time.Duration
	}{
		{100, 0, time.Second},
		{1000, 0, time.Second},
		{10000, 0, 10 * time.Second},
		{100000, 0, 100 * time.Second},
		{10000, 2 * time.Second, 2 * time.Second},
	} {
		sc := DefaultScenario()
		sc.Viewers, sc.TuneIn = c.viewers, c.set
		if err := sc.Validate(); err != nil {
			t.Fatal(err)
		}
		if got := sc.TuneInTime(); got != c.want {
			t.Errorf("%d viewers, tune-in %v: %v, want %v", c.viewers, c.set, got, c.want)
		}
		if sc.TuneInS != c.want.Seconds() {
			t.Errorf("tune_in_s %v, want %v", sc.TuneInS, c.want.Seconds())
		}
	}
	sc := DefaultScenario()
	sc.TuneIn = -time.Second
	if sc.Validate() == nil {
		t.Error("a negative tune-in was accepted")
	}
}

func TestBufferDefaultAndValidation(t *testing.T) {
	sc := DefaultScenario()
	if err := sc.Validate(); err != nil {
		t.Fatal(err)
	}
	if sc.BufferMs != 1000 {
		t.Errorf("default buffer %v ms, want the shim's 1000", sc.BufferMs)
	}
	sc.Buffer = 200 * time.Millisecond
	if err := sc.Validate(); err != nil || sc.BufferMs != 200 {
		t.Errorf("buffer 200ms: %v ms, %v", sc.BufferMs, err)
	}
	sc.Buffer = -time.Second
	if err := sc.Validate(); err == nil {
		t.Error("a negative buffer passed validation")
	}
}

func TestTuneInTimeQUIC(t *testing.T) {
	sc := DefaultScenario()
	sc.Net, sc.JoinInterval = "quic", 20*time.Millisecond
	for _, c := range []struct {
		viewers int
		set     time.Duration
		want    time.Duration
	}{
		{10, 0, time.Second},
		{200, 0, 4 * time.Second},
		{200, 500 * time.Millisecond, 500 * time.Millisecond},
	} {
		sc.Viewers, sc.TuneIn = c.viewers, c.set
		if got := sc.TuneInTime(); got != c.want {
			t.Errorf("%d viewers, tune-in %v: %v, want %v", c.viewers, c.set, got, c.want)
		}
	}
}
