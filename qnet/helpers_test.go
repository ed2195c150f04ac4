package qnet

import (
	"context"
	"log/slog"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/almcast/alm/env"
	"github.com/almcast/alm/id"
	"github.com/almcast/alm/identity"
	"github.com/almcast/alm/wire"
)

// Test message types, well above the protocol range.
const (
	typeTest  wire.Type = 60001
	typeSmall wire.Type = 60002
)

// testMsg is a message of any size up to wire.MaxFrame.
type testMsg struct {
	_    struct{} `cbor:",toarray"`
	Text string
	Data []byte
}

func (*testMsg) WireType() wire.Type { return typeTest }

// smallMsg has a small size bound, for oversized frames.
type smallMsg struct {
	_    struct{} `cbor:",toarray"`
	Text string
}

func (*smallMsg) WireType() wire.Type { return typeSmall }

func init() {
	wire.Register(typeTest, "qnet.test", "qnettest", wire.MaxFrame, func() wire.Message { return &testMsg{} })
	wire.Register(typeSmall, "qnet.small", "qnettest", 256, func() wire.Message { return &smallMsg{} })
}

func TestMain(m *testing.M) {
	dupGrace = 100 * time.Millisecond
	os.Exit(m.Run())
}

const waitLong = 10 * time.Second

type received struct {
	from id.Ref
	m    wire.Message
	at   time.Duration
}

// testNode is a running node whose handler records what it receives and
// answers "ping" with "pong".
type testNode struct {
	*Node
	env    env.Env
	recv   chan received
	cancel context.CancelFunc
	done   chan error
}

func quiet() *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

func testConfig(t *testing.T) Config {
	t.Helper()
	k, err := identity.Generate()
	if err != nil {
		t.Fatal(err)
	}
	return Config{Key: k, Log: quiet()}
}

func startNode(t *testing.T, cfg Config) *testNode {
	t.Helper()
	tn := &testNode{recv: make(chan received, 10000), done: make(chan error, 1)}
	n, err := New(cfg, func(e env.Env) env.Handler {
		tn.env = e
		return env.HandlerFunc(func(from id.Ref, m wire.Message) {
			tn.recv <- received{from, m, e.Now()}
			if tm, ok := m.(*testMsg); ok && tm.Text == "ping" {
				e.Send(from, &testMsg{Text: "pong", Data: tm.Data})
			}
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	tn.Node = n
	ctx, cancel := context.WithCancel(context.Background())
	tn.cancel = cancel
	go func() { tn.done <- n.Run(ctx) }()
	return tn
}

func (tn *testNode) stop(t *testing.T) {
	t.Helper()
	tn.cancel()
	select {
	case err := <-tn.done:
		if err != nil {
			t.Errorf("Run: %v", err)
		}
	case <-time.After(waitLong):
		t.Fatal("Run did not return")
	}
}

// send sends m from tn to to on tn's event loop.
func (tn *testNode) send(to id.Ref, m wire.Message) {
	tn.Do(func() { tn.env.Send(to, m) })
}

// next waits for tn's next received message.
func (tn *testNode) next(t *testing.T) received {
	t.Helper()
	select {
	case r := <-tn.recv:
		return r
	case <-time.After(waitLong):
		t.Fatalf("%s: no message received", tn.Self())
		return received{}
	}
}

// waitFor polls cond until it holds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(waitLong)
	for !cond() {
		select {
		case <-tick.C:
		case <-deadline:
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// checkGoroutines fails if goroutines started since base are still running.
func checkGoroutines(t *testing.T, base int) {
	t.Helper()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(5 * time.Second)
	for runtime.NumGoroutine() > base {
		select {
		case <-tick.C:
		case <-deadline:
			buf := make([]byte, 1<<20)
			buf = buf[:runtime.Stack(buf, true)]
			var ours []string
			for _, g := range strings.Split(string(buf), "\n\n") {
				if strings.Contains(g, "quic-go") || strings.Contains(g, "qnet") {
					ours = append(ours, g)
				}
			}
			t.Fatalf("%d goroutines left, %d before:\n%s", runtime.NumGoroutine(), base, strings.Join(ours, "\n\n"))
		}
	}
}

// runBench runs n in the background and returns a function that stops it.
func runBench(n *Node) func() {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { n.Run(ctx); close(done) }()
	return func() { cancel(); <-done }
}
