package qnet

import (
	"bytes"
	"context"
	"runtime"
	"testing"

	"github.com/almcast/alm/env"
	"github.com/almcast/alm/id"
	"github.com/almcast/alm/wire"
)

// TestForwardLargeMessage checks that a received message sent on, which
// reuses its received frame, arrives intact, as do messages sent after it.
func TestForwardLargeMessage(t *testing.T) {
	base := runtime.NumGoroutine()
	a := startNode(t, testConfig(t))
	c := startNode(t, testConfig(t))
	to := c.Self()
	b, err := New(testConfig(t), func(e env.Env) env.Handler {
		return env.HandlerFunc(func(_ id.Ref, m wire.Message) {
			e.Send(to, m)
			e.Send(to, &testMsg{Text: "after"})
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.Run(ctx) }()
	data := bytes.Repeat([]byte("chunk "), 2000)
	for _, text := range []string{"one", "two"} {
		a.send(b.Self(), &testMsg{Text: text, Data: data})
		r := c.next(t)
		if m, ok := r.m.(*testMsg); !ok || m.Text != text || !bytes.Equal(m.Data, data) {
			t.Fatalf("forwarded %q: got %T %.20v", text, r.m, r.m)
		}
		if m := c.next(t).m.(*testMsg); m.Text != "after" || m.Data != nil {
			t.Fatalf("after %q: got %.20v", text, m)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Error(err)
	}
	a.stop(t)
	c.stop(t)
	checkGoroutines(t, base)
}
