package lab

import (
	"context"
	"runtime"
	"strings"
	"testing"
	"time"
)

func TestQUICOverlayConfigDefaults(t *testing.T) {
	def := DefaultOverlayConfig()
	def.Net = "quic"
	got, shim := QUICOverlayConfig(def)
	if got.Settle != QUICSettle || got.Rest != QUICRest || shim != 0 {
		t.Fatalf("defaults: settle %v rest %v shim %v", got.Settle, got.Rest, shim)
	}
	if got.Repair != def.Repair || got.JoinInterval != def.JoinInterval || got.Nodes != def.Nodes {
		t.Fatalf("changed fields it should keep: %+v", got)
	}
	asked := def
	asked.Settle, asked.Rest, asked.Latency = time.Second, 0, 20*time.Millisecond
	got, shim = QUICOverlayConfig(asked)
	if got.Settle != time.Second || got.Rest != 0 || shim != 20*time.Millisecond {
		t.Fatalf("user values not kept: settle %v rest %v shim %v", got.Settle, got.Rest, shim)
	}
}

func TestRunOverlayDispatchesQUIC(t *testing.T) {
	cfg := DefaultOverlayConfig()
	cfg.Net = "quic"
	cfg.Nodes = 0
	if _, err := RunOverlay(context.Background(), cfg); err == nil || !strings.Contains(err.Error(), "at least one node") {
		t.Fatalf("invalid config: err = %v", err)
	}
	cfg.Net = "tcp"
	cfg.Nodes = 1
	if _, err := RunOverlay(context.Background(), cfg); err == nil {
		t.Fatal("unknown net accepted")
	}
}

func TestRunOverlayQUICSmall(t *testing.T) {
	if testing.Short() {
		t.Skip("runs real QUIC nodes for several seconds")
	}
	base := runtime.NumGoroutine()
	cfg := DefaultOverlayConfig()
	cfg.Net = "quic"
	cfg.Nodes = 12
	cfg.Lookups = 100
	cfg.JoinInterval = 50 * time.Millisecond
	cfg.Settle = 2 * time.Second
	cfg.Rest = time.Second
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	res, err := RunOverlay(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%+v", *res)
	if res.Net != "quic" || res.Nodes != 12 || res.Live != 12 || res.Lookups != 100 {
		t.Errorf("result does not describe the run: %+v", *res)
	}
	if res.Delivered != 1 {
		t.Errorf("delivered %v (lost %d, misrouted %d), want 1", res.Delivered, res.Lost, res.Misrouted)
	}
	if res.Stretch != nil {
		t.Errorf("stretch %v, want none over quic", *res.Stretch)
	}
	if res.HopsMean <= 0 || res.HopsP99 < res.HopsMean || res.Messages == 0 || res.WallS <= 0 {
		t.Errorf("implausible figures: %+v", *res)
	}
	if res.MaintMsgsPerNodeS < 0 {
		t.Errorf("maintenance rate %v", res.MaintMsgsPerNodeS)
	}
	checkGoroutines(t, base)
}

// checkGoroutines fails if goroutines started since base are still running
// after a bounded wait (quic-go's may take a moment to return).
func checkGoroutines(t *testing.T, base int) {
	t.Helper()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	deadline := time.NewTimer(5 * time.Second)
	defer deadline.Stop()
	for runtime.NumGoroutine() > base {
		select {
		case <-tick.C:
		case <-deadline.C:
			buf := make([]byte, 1<<20)
			buf = buf[:runtime.Stack(buf, true)]
			t.Fatalf("%d goroutines left, %d before:\n%s", runtime.NumGoroutine(), base, buf)
		}
	}
}
