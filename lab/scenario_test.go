package lab

import (
	"testing"
	"time"

	"github.com/almcast/alm/overlay"
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

func TestJoinIntervalDefault(t *testing.T) {
	for _, c := range []struct {
		net     string
		viewers int
		set     time.Duration
		want    time.Duration
	}{
		{"sim", 1000, 0, 20 * time.Millisecond},
		{"sim", 10000, 0, 20 * time.Millisecond},
		{"sim", 20000, 0, 10 * time.Millisecond},
		{"sim", 100000, 0, 2 * time.Millisecond},
		{"sim", 100000, 20 * time.Millisecond, 20 * time.Millisecond},
		{"quic", 100000, 0, 20 * time.Millisecond},
		{"quic", 200, 50 * time.Millisecond, 50 * time.Millisecond},
	} {
		sc := DefaultScenario()
		sc.Net, sc.Viewers, sc.JoinInterval = c.net, c.viewers, c.set
		if err := sc.Validate(); err != nil {
			t.Fatal(err)
		}
		if sc.JoinInterval != c.want || sc.JoinIntervalS != c.want.Seconds() {
			t.Errorf("%s, %d viewers, join interval %v: %v (%v s), want %v", c.net, c.viewers, c.set, sc.JoinInterval, sc.JoinIntervalS, c.want)
		}
	}
	sc := DefaultScenario()
	sc.JoinInterval = -time.Millisecond
	if sc.Validate() == nil {
		t.Error("a negative join interval was accepted")
	}
}

func TestTuneInTimeQUIC(t *testing.T) {
	sc := DefaultScenario()
	sc.Net = "quic"
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

func TestUplinkValidation(t *testing.T) {
	for _, c := range []struct {
		net, uplink, want string
		ok                bool
	}{
		{"sim", "", UplinkFIFO, true},
		{"quic", "", UplinkFIFO, true},
		{"quic", UplinkFair, UplinkFair, true},
		{"quic", UplinkFIFO, UplinkFIFO, true},
		{"sim", UplinkFair, "", false},
		{"quic", "red", "", false},
	} {
		sc := DefaultScenario()
		sc.Net, sc.Uplink = c.net, c.uplink
		err := sc.Validate()
		if (err == nil) != c.ok {
			t.Errorf("%s, uplink %q: error %v, want ok=%v", c.net, c.uplink, err, c.ok)
			continue
		}
		if c.ok && sc.Uplink != c.want {
			t.Errorf("%s, uplink %q: %q used, want %q", c.net, c.uplink, sc.Uplink, c.want)
		}
	}
}

// TestPNS: proximity neighbour selection is on in the simulator and off
// over QUIC unless the scenario says, and the scenario's choice is every
// node's overlay's, and only that.
func TestPNS(t *testing.T) {
	for _, c := range []struct {
		net, set, want string
	}{
		{"sim", "", PNSOn}, {"quic", "", PNSOff}, {"quic", PNSAuto, PNSOff},
		{"sim", PNSOff, PNSOff}, {"quic", PNSOn, PNSOn},
	} {
		sc := DefaultScenario()
		sc.Net, sc.PNS = c.net, c.set
		if err := sc.Validate(); err != nil {
			t.Fatal(err)
		}
		want := overlay.DefaultConfig()
		want.PNS = c.want == PNSOn
		if sc.PNS != c.want || sc.overlay() != want {
			t.Errorf("%s with %q: pns %q, overlay %+v; want %q", c.net, c.set, sc.PNS, sc.overlay(), c.want)
		}
	}
	sc := DefaultScenario()
	sc.PNS = "maybe"
	if err := sc.Validate(); err == nil {
		t.Error("pns maybe: no error")
	}
}
