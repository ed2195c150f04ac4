package scribe_test

import (
	"testing"
	"time"

	"github.com/almcast/alm/chunk"
	"github.com/almcast/alm/env"
	"github.com/almcast/alm/id"
	"github.com/almcast/alm/internal/simworld"
	"github.com/almcast/alm/scribe"
	"github.com/almcast/alm/sim"
	"github.com/almcast/alm/wire"
)

// slowPeerEnv reports a second of queue for one peer, as a QUIC runtime
// does for a peer whose connection takes less than is sent to it.
type slowPeerEnv struct {
	env.Env
	slow *id.ID
}

func (s slowPeerEnv) Backlog() time.Duration { return s.Env.(env.Uplink).Backlog() }

func (s slowPeerEnv) QueueDelay(to id.ID) time.Duration {
	if to == *s.slow {
		return time.Second
	}
	return 0
}

// TestTreeCongestedChild: once the source's queue to one of its children
// holds more than MaxBacklog, the source sends that child no more chunks,
// live or repaired (they would come late and hold up the chunks behind
// them), and tells it so; the child gets them from peers and keeps
// playing.
func TestTreeCongestedChild(t *testing.T) {
	var slow id.ID
	w := simworld.New(t, simworld.Options{Mode: scribe.TreeName, Seed: 3, Viewers: 20,
		Upload: func(int) int64 { return 2 * rate }, Chunk: 50 * time.Millisecond,
		Wrap: func(i int, e env.Env) env.Env {
			if i == 0 {
				return slowPeerEnv{Env: e, slow: &slow}
			}
			return e
		}})
	w.Start()
	w.NW.RunFor(10 * time.Second)
	g := w.Ch.ID()
	kids := w.Sts[0].Mode().(*scribe.Tree).Scribe().Children(g)
	if len(kids) == 0 {
		t.Fatal("the source has no children")
	}
	slow = kids[0].ID
	x := -1
	for i, n := range w.Nodes {
		if n.Self().ID == slow {
			x = i
		}
	}
	chunks, misses := 0, 0
	w.NW.Trace = func(from, to *sim.Node, m wire.Message, _ int, _ bool) {
		if from != w.Nodes[0] || to.Self().ID != slow {
			return
		}
		switch m.(type) {
		case *chunk.Chunk:
			chunks++
		case *scribe.Miss:
			misses++
		}
	}
	before := w.Sts[x].Player().Stats()
	w.NW.RunFor(10 * time.Second)
	w.NW.Trace = nil
	after := w.Sts[x].Player().Stats()
	if chunks != 0 || misses == 0 {
		t.Errorf("the source sent the congested child %d chunks and %d misses, want none and some", chunks, misses)
	}
	played, missed := after.Played-before.Played, after.Missed-before.Missed
	if played < 150 || float64(played) < 0.99*float64(played+missed) {
		t.Errorf("the congested child played %d and missed %d chunks in 10s", played, missed)
	}
}
