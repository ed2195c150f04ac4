package overlay

import (
	"testing"
	"time"

	"github.com/almcast/alm/env"
	"github.com/almcast/alm/id"
	"github.com/almcast/alm/sim"
)

// probePair is an overlay node with the given upload and a silent peer
// that drops everything (a bare Mux), in a lossless simulator.
func probePair(t *testing.T, upload int64) (*sim.Network, *sim.Node, *Node, *sim.Node) {
	t.Helper()
	return probePairWith(t, upload, func(e env.Env) env.Env { return e })
}

// probePairWith is probePair with the overlay node's env passed through
// wrap.
func probePairWith(t *testing.T, upload int64, wrap func(env.Env) env.Env) (*sim.Network, *sim.Node, *Node, *sim.Node) {
	t.Helper()
	sc := sim.DefaultConfig()
	sc.Seed = 7
	sc.Loss = 0
	nw, err := sim.New(sc)
	if err != nil {
		t.Fatal(err)
	}
	var ov *Node
	a := nw.Add(sim.NodeSpec{Upload: upload}, func(e env.Env) env.Handler {
		ov, err = New(wrap(e), DefaultConfig())
		if err != nil {
			t.Fatal(err)
		}
		mux := env.NewMux()
		mux.Handle(Proto, ov)
		return mux
	})
	b := nw.Add(sim.NodeSpec{Upload: -1}, func(env.Env) env.Handler { return env.NewMux() })
	return nw, a, ov, b
}

// A node whose own uplink holds seconds of queue must not declare a live
// peer dead because its pings wait in that queue: the probe's wait counts
// from when the ping leaves.
func TestProbeWaitsForOwnUplink(t *testing.T) {
	nw, a, ov, b := probePair(t, 16_000)
	// A live peer that answers pings.
	pc := nw.Add(sim.NodeSpec{Upload: -1}, func(e env.Env) env.Handler {
		p, err := New(e, DefaultConfig())
		if err != nil {
			t.Fatal(err)
		}
		mux := env.NewMux()
		mux.Handle(Proto, p)
		return mux
	})
	var outcome *bool
	var got time.Duration
	a.Do(func() {
		// About 5s of queue on a 16 kbit/s uplink.
		leaf := make([]id.Ref, 24)
		for i := range leaf {
			leaf[i] = id.Ref{ID: id.FromUint128(1, uint64(i+1)), Addr: "x"}
		}
		for i := 0; i < 20; i++ {
			a.Send(b.Self(), &Heartbeat{Leaf: leaf})
		}
		if ov.backlog() < 3*time.Second {
			t.Fatalf("backlog %v, want seconds", ov.backlog())
		}
		ov.probeNode(pc.Self(), ov.cfg.ProbeTries, false, func(ok bool, rtt time.Duration) {
			outcome, got = &ok, rtt
		})
	})
	nw.RunFor(15 * time.Second)
	if outcome == nil || !*outcome {
		t.Fatal("live peer behind a thin, busy uplink was declared unreachable")
	}
	if got > time.Second {
		t.Fatalf("rtt %v counts the own queue", got)
	}
}

// An answer to an earlier ping of a probe proves the peer alive.
func TestLatePongOfEarlierTryCounts(t *testing.T) {
	nw, a, ov, b := probePair(t, -1)
	var outcome *bool
	var first uint64
	a.Do(func() {
		ov.probeNode(b.Self(), ov.cfg.ProbeTries, false, func(ok bool, _ time.Duration) { outcome = &ok })
		first = ov.probes[b.Self().ID].latest()
	})
	nw.RunFor(ov.cfg.ProbeTimeout + ov.cfg.ProbeTimeout/2)
	a.Do(func() {
		if p := ov.probes[b.Self().ID]; p == nil || p.latest() == first {
			t.Fatal("probe did not try again")
		}
		ov.Receive(b.Self(), &Pong{Nonce: first})
	})
	if outcome == nil || !*outcome {
		t.Fatal("pong to the first ping did not end the probe")
	}
	if len(ov.nonces) != 0 {
		t.Fatalf("%d nonces left behind", len(ov.nonces))
	}
}
