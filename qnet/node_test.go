package qnet

import (
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/almcast/alm/id"
)

func TestAllToAll(t *testing.T) {
	base := runtime.NumGoroutine()
	const n = 5
	epoch := time.Now()
	nodes := make([]*testNode, n)
	for i := range nodes {
		cfg := testConfig(t)
		cfg.Epoch = epoch
		nodes[i] = startNode(t, cfg)
	}
	for i, a := range nodes {
		for j, b := range nodes {
			if i != j {
				a.send(b.Self(), &testMsg{Text: fmt.Sprintf("%d->%d", i, j), Data: make([]byte, 1000*(i+1))})
			}
		}
	}
	byID := map[id.ID]int{}
	for i, a := range nodes {
		byID[a.Self().ID] = i
	}
	for j, b := range nodes {
		seen := map[int]bool{}
		for range n - 1 {
			r := b.next(t)
			i, ok := byID[r.from.ID]
			if !ok || r.from.Addr != nodes[i].Self().Addr {
				t.Fatalf("node %d: message from unknown %v", j, r.from)
			}
			m := r.m.(*testMsg)
			if m.Text != fmt.Sprintf("%d->%d", i, j) || len(m.Data) != 1000*(i+1) {
				t.Errorf("node %d: got %q with %d bytes from %d", j, m.Text, len(m.Data), i)
			}
			seen[i] = true
		}
		if len(seen) != n-1 {
			t.Errorf("node %d heard from %d nodes", j, len(seen))
		}
	}
	for i, a := range nodes {
		waitFor(t, fmt.Sprintf("node %d to settle on one connection per peer", i), func() bool {
			return a.Stats().ConnsOpen == n-1
		})
		s := a.Stats()
		if s.FramesSent != n-1 || s.FramesReceived != n-1 || s.SendDrops != 0 || s.BadFrames() != 0 {
			t.Errorf("node %d stats %+v", i, s)
		}
	}
	for _, a := range nodes {
		a.stop(t)
	}
	for i, a := range nodes {
		if c := a.Stats().ConnsOpen; c != 0 {
			t.Errorf("node %d: %d connections open after stop", i, c)
		}
	}
	checkGoroutines(t, base)
}

func TestConnectionReuse(t *testing.T) {
	base := runtime.NumGoroutine()
	a := startNode(t, testConfig(t))
	b := startNode(t, testConfig(t))
	const count = 200
	for i := range count {
		a.send(b.Self(), &testMsg{Text: fmt.Sprint(i)})
	}
	for range count {
		if r := b.next(t); r.from != a.Self() {
			t.Fatalf("from %v, want %v", r.from, a.Self())
		}
	}
	for i := range count {
		b.send(a.Self(), &testMsg{Text: fmt.Sprint(i)})
	}
	for range count {
		if r := a.next(t); r.from != b.Self() {
			t.Fatalf("from %v, want %v", r.from, b.Self())
		}
	}
	sa, sb := a.Stats(), b.Stats()
	if sa.Dials != 1 || sb.Dials != 0 || sa.Accepts != 0 || sb.Accepts != 1 {
		t.Errorf("dials/accepts: a %d/%d, b %d/%d; want 1/0, 0/1", sa.Dials, sa.Accepts, sb.Dials, sb.Accepts)
	}
	if sa.ConnsOpen != 1 || sb.ConnsOpen != 1 {
		t.Errorf("connections open: a %d, b %d", sa.ConnsOpen, sb.ConnsOpen)
	}
	a.stop(t)
	b.stop(t)
	// A sender counts its frames once its write returns, which may be
	// after the receiver has them: count after both stopped.
	sa, sb = a.Stats(), b.Stats()
	if sa.FramesSent != count || sb.FramesReceived != count || sa.FramesReceived != count {
		t.Errorf("frames: a %+v, b %+v", sa, sb)
	}
	if got := a.FramesSentByType(); len(got) != 1 || got["qnet.test"] != count {
		t.Errorf("frames sent by type: %v, want %d qnet.test", got, count)
	}
	checkGoroutines(t, base)
}

func TestSimultaneousDialKeepsOne(t *testing.T) {
	base := runtime.NumGoroutine()
	for round := range 5 {
		a := startNode(t, testConfig(t))
		b := startNode(t, testConfig(t))
		a.send(b.Self(), &testMsg{Text: "a"})
		b.send(a.Self(), &testMsg{Text: "b"})
		a.next(t)
		b.next(t)
		waitFor(t, "one connection", func() bool {
			return a.Stats().ConnsOpen == 1 && b.Stats().ConnsOpen == 1
		})
		for i := range 20 {
			a.send(b.Self(), &testMsg{Text: fmt.Sprint(i)})
			b.send(a.Self(), &testMsg{Text: fmt.Sprint(i)})
		}
		for range 20 {
			a.next(t)
			b.next(t)
		}
		sa, sb := a.Stats(), b.Stats()
		if sa.ConnsOpen != 1 || sb.ConnsOpen != 1 || sa.SendDrops+sb.SendDrops != 0 {
			t.Errorf("round %d: a %+v, b %+v", round, sa, sb)
		}
		a.stop(t)
		b.stop(t)
	}
	checkGoroutines(t, base)
}

func TestSelfSend(t *testing.T) {
	a := startNode(t, testConfig(t))
	defer a.stop(t)
	a.send(a.Self(), &testMsg{Text: "me"})
	if r := a.next(t); r.from != a.Self() || r.m.(*testMsg).Text != "me" {
		t.Errorf("got %+v", r)
	}
}

func TestIDMismatchRejected(t *testing.T) {
	base := runtime.NumGoroutine()
	a := startNode(t, testConfig(t))
	b := startNode(t, testConfig(t))
	wrong := id.Ref{ID: id.Hash([]byte("not b")), Addr: b.Self().Addr}
	a.send(wrong, &testMsg{Text: "lost"})
	waitFor(t, "rejection", func() bool {
		s := a.Stats()
		return s.PeersRejected == 1 && s.SendDrops == 1
	})
	if s := b.Stats(); s.FramesReceived != 0 || s.ConnsOpen != 0 {
		t.Errorf("b accepted something: %+v", s)
	}
	a.send(b.Self(), &testMsg{Text: "ping"})
	if r := b.next(t); r.m.(*testMsg).Text != "ping" {
		t.Errorf("b got %+v", r)
	}
	if r := a.next(t); r.m.(*testMsg).Text != "pong" || r.from != b.Self() {
		t.Errorf("a got %+v", r)
	}
	a.stop(t)
	b.stop(t)
	checkGoroutines(t, base)
}

func TestSendByAddressOnly(t *testing.T) {
	base := runtime.NumGoroutine()
	a := startNode(t, testConfig(t))
	b := startNode(t, testConfig(t))
	a.send(id.Ref{Addr: b.Self().Addr}, &testMsg{Text: "ping"})
	if r := b.next(t); r.from != a.Self() {
		t.Errorf("b heard from %v, want %v", r.from, a.Self())
	}
	if r := a.next(t); r.from != b.Self() || r.m.(*testMsg).Text != "pong" {
		t.Errorf("a got %+v", r)
	}
	a.send(b.Self(), &testMsg{Text: "by id"})
	a.send(id.Ref{Addr: b.Self().Addr}, &testMsg{Text: "by addr"})
	b.next(t)
	b.next(t)
	if s := a.Stats(); s.Dials != 1 || s.ConnsOpen != 1 {
		t.Errorf("a: %d dials, %d connections; want 1, 1", s.Dials, s.ConnsOpen)
	}
	a.stop(t)
	b.stop(t)
	checkGoroutines(t, base)
}
