package qnet

import (
	"testing"
	"time"

	"github.com/almcast/alm/env"
	"github.com/almcast/alm/id"
)

// TestRetireIdleSkipsBusyPeers: the idle sweep forgets only peers that
// have been idle for the idle timeout with nothing queued or being
// written, and wakes their senders.
func TestRetireIdleSkipsBusyPeers(t *testing.T) {
	cfg := testConfig(t)
	n, err := New(cfg, func(env.Env) env.Handler { return env.NewMux() })
	if err != nil {
		t.Fatal(err)
	}
	defer n.shutdown(nil)
	now := time.Now()
	old := now.Add(-2 * n.cfg.IdleTimeout)
	mk := func(b byte, active time.Time) *peer {
		p := &peer{key: peerKey{id: id.ID{b}}, id: id.ID{b}, signal: make(chan struct{}, 1), active: active, running: true}
		n.peers[p.key] = p
		return p
	}
	idle := mk(1, old)
	full := mk(2, old)
	full.queue = []queued{{frame: []byte{1}, at: old}}
	writing := mk(3, old)
	writing.writing = old
	recent := mk(4, now.Add(-n.cfg.IdleTimeout/2))

	if got := n.retireIdle(now); got != 1 {
		t.Errorf("retired %d peers, want 1", got)
	}
	if _, ok := n.peers[idle.key]; ok || !idle.retired {
		t.Error("the idle peer was kept")
	}
	select {
	case <-idle.signal:
	default:
		t.Error("the idle peer's sender was not woken")
	}
	for _, p := range []*peer{full, writing, recent} {
		if _, ok := n.peers[p.key]; !ok || p.retired {
			t.Errorf("peer %d retired while busy or recent", p.id[0])
		}
	}
}

// TestSendAfterRetire: once its sender is retired, a peer gets a new one
// at the next Send, and the messages still arrive.
func TestSendAfterRetire(t *testing.T) {
	a := startNode(t, testConfig(t))
	defer a.stop(t)
	b := startNode(t, testConfig(t))
	defer b.stop(t)
	a.send(b.Self(), &testMsg{Text: "one"})
	if r := b.next(t); r.m.(*testMsg).Text != "one" {
		t.Fatalf("got %v", r.m)
	}
	retired := make(chan int, 1)
	// As if the idle timeout had passed since the write (the frame is
	// written by the time b has it).
	a.Do(func() { retired <- a.retireIdle(time.Now().Add(2 * a.cfg.IdleTimeout)) })
	if got := <-retired; got != 1 {
		t.Fatalf("retired %d peers, want 1", got)
	}
	a.send(b.Self(), &testMsg{Text: "two"})
	if r := b.next(t); r.m.(*testMsg).Text != "two" {
		t.Fatalf("got %v", r.m)
	}
}
