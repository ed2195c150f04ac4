package qnet

import (
	"strings"
	"testing"
	"time"

	"github.com/almcast/alm/env"
)

func TestConfigValidate(t *testing.T) {
	d := DefaultConfig()
	if d.Listen != "127.0.0.1:0" || d.MaxQueue != 1024 || d.BadFrameLimit != 8 || d.MaxStreams != 16 || d.FrameShare != 0.85 {
		t.Errorf("defaults %+v", d)
	}
	if err := d.Validate(); err == nil || !strings.HasPrefix(err.Error(), "qnet: ") {
		t.Errorf("missing key: err %v", err)
	}
	good := testConfig(t)
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
	bad := []func(c *Config){
		func(c *Config) { c.MaxQueue = -1 },
		func(c *Config) { c.BadFrameLimit = -2 },
		func(c *Config) { c.IdleTimeout = -time.Second },
		func(c *Config) { c.Listen = "nonsense" },
		func(c *Config) { c.Shim.Loss = 1.5 },
		func(c *Config) { c.Shim.Latency = -time.Millisecond },
		func(c *Config) { c.FrameShare = 1.2 },
		func(c *Config) { c.FrameShare = -0.5 },
	}
	for i, f := range bad {
		c := good
		f(&c)
		if err := c.Validate(); err == nil {
			t.Errorf("case %d: no error", i)
		}
		if _, err := New(c, func(env.Env) env.Handler { return env.HandlerFunc(nil) }); err == nil {
			t.Errorf("case %d: New accepted it", i)
		}
	}
}

func TestStatsAdd(t *testing.T) {
	a := Stats{FramesSent: 1, SendDrops: 2, Dials: 3, BadVersion: 4, ConnsOpen: 5}
	a.Add(Stats{FramesSent: 10, SendDrops: 20, Dials: 30, BadVersion: 40, ConnsOpen: -1, Accepts: 7})
	if a.FramesSent != 11 || a.SendDrops != 22 || a.Dials != 33 || a.BadVersion != 44 || a.ConnsOpen != 4 || a.Accepts != 7 || a.BadFrames() != 44 {
		t.Errorf("%+v", a)
	}
}
