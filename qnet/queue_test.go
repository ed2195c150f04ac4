package qnet

import (
	"testing"
	"time"
)

// TestQueueBoundsDrop checks that a burst beyond a peer's queue is dropped
// and counted, and that what was queued still arrives.
func TestQueueBoundsDrop(t *testing.T) {
	cfg := testConfig(t)
	cfg.MaxQueue = 3
	a := startNode(t, cfg)
	defer a.stop(t)
	b := startNode(t, testConfig(t))
	defer b.stop(t)
	a.Do(func() {
		for range 10 {
			a.env.Send(b.Self(), &testMsg{Text: "burst"})
		}
	})
	for range 3 {
		b.next(t)
	}
	waitFor(t, "drops counted", func() bool { return a.Stats().SendDrops == 7 })
	if s := a.Stats(); s.FramesSent != 3 || s.StaleDrops != 0 {
		t.Errorf("stats %+v", s)
	}
}

// TestStaleFramesDropped checks that frames queued for longer than
// MaxQueueDelay are dropped and counted instead of sent late.
func TestStaleFramesDropped(t *testing.T) {
	cfg := testConfig(t)
	cfg.MaxQueueDelay = time.Nanosecond
	a := startNode(t, cfg)
	defer a.stop(t)
	b := startNode(t, testConfig(t))
	defer b.stop(t)
	a.send(b.Self(), &testMsg{Text: "late"})
	waitFor(t, "a stale drop", func() bool { return a.Stats().StaleDrops == 1 })
	if s := a.Stats(); s.SendDrops != 1 || s.FramesSent != 0 {
		t.Errorf("stats %+v", s)
	}
}
