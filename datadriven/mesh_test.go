package datadriven

import (
	"testing"
	"time"
)

// TestMeshDelivers runs a small channel in the simulator: every viewer
// finds partners and plays the stream, and nothing unverified is served.
func TestMeshDelivers(t *testing.T) {
	w := newWorld(t, worldOpts{viewers: 40, upload: 2, srcUpload: 4, loss: 0.01, startup: 2 * time.Second})
	w.broadcast()
	w.nw.RunFor(25 * time.Second)
	if c := w.continuity(); c < 0.9 {
		t.Fatalf("continuity %.3f", c)
	}
	var forged uint64
	for i, v := range w.viewers {
		m := w.mode(i)
		if n := len(m.partners); n == 0 {
			t.Fatalf("viewer %d has no partners", i)
		}
		forged += v.StreamStats().Forged
		if v.Player().Stats().Started == 0 {
			t.Fatalf("viewer %d never started", i)
		}
	}
	if forged != 0 {
		t.Fatalf("%d forged chunks", forged)
	}
	if got := w.src.Mode().(*Mode).Summarize(nil); got["partners_mean"] != 0 {
		t.Fatal("summary of no viewers not zero")
	}
}

// TestMeshSurvivesDepartures kills a quarter of the viewers without
// notice: the rest replace their silent partners and keep playing.
func TestMeshSurvivesDepartures(t *testing.T) {
	w := newWorld(t, worldOpts{viewers: 40, upload: 2, srcUpload: 4, seed: 2, startup: 2 * time.Second})
	w.broadcast()
	w.nw.RunFor(10 * time.Second)
	for i := 0; i < 10; i++ {
		w.nodes[i*4].Do(w.viewers[i*4].Stop)
		w.nw.Kill(w.nodes[i*4])
	}
	before := make([]uint64, len(w.viewers))
	for i, v := range w.viewers {
		before[i] = v.Player().Stats().Played
	}
	w.nw.RunFor(20 * time.Second)
	var silent uint64
	for i, v := range w.viewers {
		if !w.nodes[i].Alive() {
			continue
		}
		silent += w.mode(i).stats.Silent
		if got := v.Player().Stats().Played - before[i]; got < 80 {
			t.Fatalf("viewer %d played %d chunks in 20s after the departures", i, got)
		}
		for _, p := range w.mode(i).partners {
			for k := 0; k < 10; k++ {
				if p.ref.ID == w.nodes[k*4].Self().ID {
					t.Fatalf("viewer %d still partners a dead node", i)
				}
			}
		}
	}
	if silent == 0 {
		t.Fatal("no silent partner was noticed")
	}
}
