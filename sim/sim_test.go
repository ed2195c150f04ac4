package sim

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/almcast/alm/env"
	"github.com/almcast/alm/id"
	"github.com/almcast/alm/wire"
)

type ping struct {
	_    struct{} `cbor:",toarray"`
	N    int
	Body []byte
}

const pingType wire.Type = 60100

func (*ping) WireType() wire.Type { return pingType }

func init() {
	wire.Register(pingType, "simtest.ping", "simtest", 1<<20, func() wire.Message { return new(ping) })
}

// echoNet builds n nodes that record what they receive and bounce each
// ping with N>0 back with N-1.
func echoNet(t *testing.T, cfg Config, n int) (*Network, *strings.Builder) {
	t.Helper()
	nw, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var log strings.Builder
	for i := 0; i < n; i++ {
		var e env.Env
		nw.Add(NodeSpec{}, func(x env.Env) env.Handler {
			e = x
			return env.HandlerFunc(func(from id.Ref, m wire.Message) {
				p := m.(*ping)
				fmt.Fprintf(&log, "%v %s<-%s %d\n", e.Now(), e.Self().Addr, from.Addr, p.N)
				if p.N > 0 {
					e.Send(from, &ping{N: p.N - 1})
				}
			})
		})
	}
	return nw, &log
}

func TestSameSeedSameRun(t *testing.T) {
	run := func(seed uint64) string {
		cfg := DefaultConfig()
		cfg.Seed = seed
		cfg.Loss = 0.1
		nw, log := echoNet(t, cfg, 20)
		for i, a := range nw.Nodes() {
			b := nw.Nodes()[(i*7+3)%20]
			a.Send(b.Self(), &ping{N: 10})
		}
		nw.RunFor(time.Minute)
		return log.String()
	}
	a, b := run(7), run(7)
	if a != b || a == "" {
		t.Fatal("same seed gave different runs")
	}
	if run(8) == a {
		t.Fatal("different seeds gave the same run")
	}
}

func TestLatencyAndUplinkSerialisation(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Jitter = 0
	nw, _ := echoNet(t, cfg, 2)
	a, b := nw.Nodes()[0], nw.Nodes()[1]
	a.upload = 8_000_000 // 1 MB/s
	var got []time.Duration
	b.handler = env.HandlerFunc(func(from id.Ref, m wire.Message) { got = append(got, nw.Now()) })
	body := make([]byte, 100_000)
	msg := &ping{Body: body}
	size := wire.Size(msg)
	a.Send(b.Self(), msg)
	a.Send(b.Self(), msg)
	nw.RunFor(10 * time.Second)
	if len(got) != 2 {
		t.Fatalf("got %d messages", len(got))
	}
	tx := time.Duration(float64(size*8) / 8e6 * float64(time.Second))
	lat := nw.Latency(a, b)
	if got[0] != tx+lat || got[1] != 2*tx+lat {
		t.Fatalf("arrivals %v, want %v and %v", got, tx+lat, 2*tx+lat)
	}
}

func TestMeanLatency(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Latency = 100 * time.Millisecond
	nw, _ := echoNet(t, cfg, 400)
	var sum time.Duration
	n := 0
	nodes := nw.Nodes()
	for i := range nodes {
		for j := i + 1; j < len(nodes); j++ {
			sum += nw.Latency(nodes[i], nodes[j])
			n++
		}
	}
	mean := sum / time.Duration(n)
	if mean < 90*time.Millisecond || mean > 110*time.Millisecond {
		t.Fatalf("mean latency %v, want about 100ms", mean)
	}
}

func TestLossKillAndTimers(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Loss = 0.5
	nw, _ := echoNet(t, cfg, 2)
	a, b := nw.Nodes()[0], nw.Nodes()[1]
	recv := 0
	b.handler = env.HandlerFunc(func(id.Ref, wire.Message) { recv++ })
	for i := 0; i < 1000; i++ {
		a.Send(b.Self(), &ping{})
	}
	nw.RunFor(time.Second)
	if recv < 400 || recv > 600 {
		t.Fatalf("received %d of 1000 at 50%% loss", recv)
	}
	fired := 0
	a.After(time.Second, func() { fired++ })
	stopped := a.After(time.Second, func() { fired += 100 })
	if !stopped.Stop() {
		t.Fatal("Stop of a pending timer returned false")
	}
	b.After(time.Second, func() { fired += 1000 })
	nw.Kill(b)
	for i := 0; i < 20; i++ {
		a.Send(b.Self(), &ping{})
	}
	nw.RunFor(2 * time.Second)
	if fired != 1 {
		t.Fatalf("fired = %d, want only the live, unstopped timer", fired)
	}
	if nw.Stats().DeadDrops == 0 {
		t.Fatal("a message to a dead node was not counted")
	}
}

func TestQueueLimitDrops(t *testing.T) {
	cfg := DefaultConfig()
	cfg.QueueLimit = time.Second
	nw, _ := echoNet(t, cfg, 2)
	a, b := nw.Nodes()[0], nw.Nodes()[1]
	a.upload = 160_000 // 20 kB/s
	for i := 0; i < 100; i++ {
		a.Send(b.Self(), &ping{Body: make([]byte, 2000)})
	}
	if nw.Stats().QueueDrops == 0 || a.Backlog() > 2*time.Second {
		t.Fatalf("queue drops %d, backlog %v", nw.Stats().QueueDrops, a.Backlog())
	}
}

func TestSmallMessagesGoAheadOfQueuedLargeOnes(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Jitter = 0
	cfg.Priority = 1024
	nw, _ := echoNet(t, cfg, 2)
	a, b := nw.Nodes()[0], nw.Nodes()[1]
	a.upload = 8_000_000
	var got []int
	b.handler = env.HandlerFunc(func(from id.Ref, m wire.Message) { got = append(got, len(m.(*ping).Body)) })
	a.Send(b.Self(), &ping{Body: make([]byte, 100_000)})
	a.Send(b.Self(), &ping{Body: make([]byte, 100_000)})
	a.Send(b.Self(), &ping{Body: make([]byte, 10)})
	nw.RunFor(time.Second)
	if len(got) != 3 || got[0] != 10 {
		t.Fatalf("arrival order by size: %v, want the small one first", got)
	}
}

func TestNodeByAddress(t *testing.T) {
	nw, err := New(DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 12; i++ {
		nw.Add(NodeSpec{}, func(env.Env) env.Handler { return env.NewMux() })
	}
	for _, c := range []struct {
		addr string
		want int
	}{{"0", 0}, {"7", 7}, {"11", 11}, {"12", -1}, {"", -1}, {"01", -1}, {"-1", -1}, {"1x", -1}, {"99999999999", -1}} {
		got := nw.Node(c.addr)
		switch {
		case c.want < 0 && got != nil:
			t.Errorf("Node(%q) = %v, want nil", c.addr, got.Self())
		case c.want >= 0 && got != nw.Nodes()[c.want]:
			t.Errorf("Node(%q) is not node %d", c.addr, c.want)
		}
	}
}
