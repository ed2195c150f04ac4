package qnet

import (
	"testing"
	"time"

	"github.com/almcast/alm/env"
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

// TestQueueDelay checks that a peer's queue delay counts the frames its
// sender holds while it cannot write them (here a dial that goes
// unanswered), and falls back to 0 once they are gone.
func TestQueueDelay(t *testing.T) {
	b := startNode(t, testConfig(t))
	cfg := testConfig(t)
	cfg.HandshakeTimeout = 300 * time.Millisecond
	cfg.Shim.Loss = 1 // nothing a sends arrives: its dial to b hangs
	a := startNode(t, cfg)
	defer a.stop(t)
	defer b.stop(t)
	qd := a.env.(env.PeerQueue)
	if d := qd.QueueDelay(b.Self().ID); d != 0 {
		t.Fatalf("queue delay %v before any send", d)
	}
	a.send(b.Self(), &testMsg{Text: "waits"})
	waitFor(t, "a queue delay of 100ms", func() bool { return qd.QueueDelay(b.Self().ID) >= 100*time.Millisecond })
	if d := a.LongestWait(); d < 100*time.Millisecond {
		t.Errorf("longest wait %v, want the queue delay", d)
	}
	if w := a.WorstQueue(); !w.Dialing || w.Wait < 100*time.Millisecond || w.SRTT != 0 {
		t.Errorf("worst queue %+v, want one waiting for its dial", w)
	}
	waitFor(t, "the dial to fail", func() bool { return a.Stats().SendDrops == 1 })
	waitFor(t, "the queue delay to clear", func() bool { return qd.QueueDelay(b.Self().ID) == 0 })
	if w := a.WorstQueue(); w != (QueueState{}) {
		t.Errorf("worst queue %+v once nothing waits", w)
	}
}
