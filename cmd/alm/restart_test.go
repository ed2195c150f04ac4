package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/almcast/alm/admin"
	"github.com/almcast/alm/stream"
)

// restartChunk is the chunk duration of the restart test: short, so that
// an outage longer than the chunks a node takes past its newest
// (stream.Config.Keep × 4) lasts seconds, not minutes.
const restartChunk = 10 * time.Millisecond

// TestSourceRestartProcesses kills `alm source` with SIGKILL while three
// players watch, waits until the players' clocks have run on past more
// chunks than a node takes beyond its newest, and starts the source again
// with the same key and address. The source numbers its chunks by the
// wall clock, so the new process goes on above every number the old one
// signed, near where the players' clocks have got to: the players must
// take its chunks and play them. (With numbers from 0 at every start the
// players took the new chunks for copies of those they had played; with
// the bound on chunks ahead counted from the newest chunk held, they
// refused every chunk after an outage of more than 600 chunks.)
func TestSourceRestartProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	for _, mode := range []string{"forest", "mesh"} {
		t.Run(mode, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
			defer cancel()
			bin := cliBuild(t)
			sw := procsStart(t, ctx, bin, mode, 3, restartChunk)
			sw.waitPlaying(t, ctx, 30*time.Second)

			var oldHigh uint64
			for _, pl := range sw.players {
				s := restartState(t, ctx, sw, pl)
				oldHigh = max(oldHigh, s.Buffer.High)
			}
			sw.src.killed = true
			if err := sw.src.p.cmd.Process.Kill(); err != nil {
				t.Fatal(err)
			}
			if _, ok := sw.src.p.wait(10 * time.Second); !ok {
				t.Fatalf("source not ended 10 s after SIGKILL")
			}
			killed := time.Now()
			outage := oldHigh + uint64(stream.DefaultConfig().Keep)*4 + 100
			restartWait(t, ctx, sw, "the players' clocks to pass the outage", func() bool {
				for _, pl := range sw.players {
					if s, err := procsState(ctx, pl.admin); err != nil || s.Buffer == nil || s.Buffer.Next < outage {
						return false
					}
				}
				return true
			})
			sw.src.killed = false
			sw.src.p = e2eStart(t, ctx, "source (again)", bin, sw.srcArgs...)
			if ch := sw.src.p.waitLine(t, ctx, true, "the channel on stdout", func(l string) bool { return strings.HasPrefix(l, "alm://") }); ch != sw.channel {
				t.Fatalf("the restarted source broadcasts %s, not %s", ch, sw.channel)
			}
			sw.src.admin = adminAddr(t, ctx, sw.src.p)
			var first uint64 // the restarted source's newest chunk when first seen
			restartWait(t, ctx, sw, "the restarted source's first chunk", func() bool {
				s, err := procsState(ctx, sw.src.admin)
				if err == nil && s.Buffer != nil && s.Buffer.High > 0 {
					first = s.Buffer.High
				}
				return first > 0
			})
			if first <= outage {
				t.Fatalf("the restarted source numbers from %d, not above the %d the players' clocks had reached", first, outage)
			}
			// Every player must play 2 s of the new source's stream (80% of
			// its chunks, counted from when the source's first was seen).
			played := map[*procsNode]uint64{}
			for _, pl := range sw.players {
				played[pl] = restartState(t, ctx, sw, pl).Player.Played
			}
			want := uint64(procsKeepPlaying/sw.chunk) * 8 / 10
			restartWait(t, ctx, sw, "the players to play the restarted source's stream", func() bool {
				for _, pl := range sw.players {
					s, err := procsState(ctx, pl.admin)
					if err != nil || s.Player == nil || s.Player.Played < played[pl]+want {
						return false
					}
				}
				return true
			})
			t.Logf("%s: the players played %d chunks of the restarted source's stream %v after the kill (the newest chunk %d before it, %d after: %d chunks of outage)",
				mode, want, time.Since(killed).Round(100*time.Millisecond), oldHigh, first, first-oldHigh)
		})
	}
}

// restartState reads a player's state, which must hold its buffer and
// player figures.
func restartState(t *testing.T, ctx context.Context, sw *procsSwarm, pl *procsNode) *admin.State {
	t.Helper()
	s, err := procsState(ctx, pl.admin)
	if err != nil || s.Buffer == nil || s.Player == nil {
		t.Fatalf("state of %s: %v\n%s", pl.name, err, sw.dump())
	}
	return s
}

// restartWait polls done every 200 ms until it holds, failing the test
// with the swarm's state when ctx ends first.
func restartWait(t *testing.T, ctx context.Context, sw *procsSwarm, what string, done func() bool) {
	t.Helper()
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for !done() {
		select {
		case <-tick.C:
		case <-ctx.Done():
			names, states := procsStates(ctx, append(sw.players, sw.src))
			t.Fatalf("no %s\n%s\n%s", what, procsModeStats(names, states), sw.dump())
		}
	}
}
