package datadriven

import (
	"crypto/ed25519"
	"testing"
	"time"

	"github.com/almcast/alm/chunk"
	"github.com/almcast/alm/env"
	"github.com/almcast/alm/id"
	"github.com/almcast/alm/overlay"
	"github.com/almcast/alm/player"
	"github.com/almcast/alm/sim"
)

// TestLeafAimsLater: with a target lag, a viewer whose upload is below
// LeafUpload times the rate adds LeafLag to it, and picks its start chunk
// for that lag; one with upload to spare keeps the target.
func TestLeafAimsLater(t *testing.T) {
	for _, c := range []struct {
		upload int64
		lag    time.Duration
		start  uint64
	}{
		// Chunk 100 began 3s ago; 0.5s of buffer and 0.15s to fetch.
		{2_000_000, 2700 * time.Millisecond, 104}, // 2.05s old
		{1_000_000, 4700 * time.Millisecond, 100}, // 4.05s old: the oldest held
	} {
		nw, err := sim.New(sim.DefaultConfig())
		if err != nil {
			t.Fatal(err)
		}
		key := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
		ch, _ := chunk.NewChannel(key.Public().(ed25519.PublicKey), "t")
		var m *Mode
		var h *fakeHost
		nw.Add(sim.NodeSpec{}, func(e env.Env) env.Handler {
			ov, _ := overlay.New(e, overlay.DefaultConfig())
			pl, _ := player.New(e, player.Config{Window: 100, TargetLag: 2700 * time.Millisecond}, nil)
			h = &fakeHost{e: e, ov: ov, ch: ch, key: key, upload: c.upload, startup: 500 * time.Millisecond, pl: pl,
				src: id.Ref{ID: id.FromUint128(9, 9), Addr: "src"}}
			m, err = New(h, DefaultConfig())
			return m
		})
		if err != nil {
			t.Fatal(err)
		}
		nw.RunFor(5 * time.Second)
		m.Start()
		if got := h.pl.TargetLag(); got != c.lag {
			t.Errorf("upload %d: target lag %v, want %v", c.upload, got, c.lag)
		}
		p := id.Ref{ID: id.FromUint128(1, 1), Addr: "pa"}
		m.hellos[p.ID] = 0
		m.Receive(p, &Welcome{Accept: true, Upload: 2_000_000, Map: WireMap{}})
		for _, q := range m.partners {
			for s := uint64(100); s <= 110; s++ {
				q.m.Set(s)
			}
		}
		m.clock0 = Clock{Seq: 100, Time: int64(m.e.Now() - 3*time.Second), Dur: int64(200 * time.Millisecond)}
		if !m.chooseStart() || m.start != c.start {
			t.Errorf("upload %d: start %d, want %d", c.upload, m.start, c.start)
		}
	}
}
