package main

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestSourceRestartProcesses kills `alm source` with SIGKILL while three
// players watch, and starts it again with the same key and address. The
// source numbers its chunks by the wall clock, so the new process goes on
// above every number the old one signed: the players take its chunks
// (numbered from the first the new source made) and play them. (With
// numbers from 0 at every start the players took the new chunks for
// copies of those they had played, and stopped.)
func TestSourceRestartProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	for _, mode := range []string{"forest", "mesh"} {
		t.Run(mode, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
			defer cancel()
			bin := cliBuild(t)
			sw := procsStart(t, ctx, bin, mode, 3)
			sw.waitPlaying(t, ctx, 30*time.Second)

			var oldNext uint64
			for _, pl := range sw.players {
				s, err := procsState(ctx, pl.admin)
				if err != nil || s.Buffer == nil {
					t.Fatalf("state of %s: %v\n%s", pl.name, err, sw.dump())
				}
				oldNext = max(oldNext, s.Buffer.Next)
			}
			sw.src.killed = true
			if err := sw.src.p.cmd.Process.Kill(); err != nil {
				t.Fatal(err)
			}
			if _, ok := sw.src.p.wait(10 * time.Second); !ok {
				t.Fatalf("source not ended 10 s after SIGKILL")
			}
			killed := time.Now()
			sw.src.killed = false
			sw.src.p = e2eStart(t, ctx, "source (again)", bin, sw.srcArgs...)
			if ch := sw.src.p.waitLine(t, ctx, true, "the channel on stdout", func(l string) bool { return strings.HasPrefix(l, "alm://") }); ch != sw.channel {
				t.Fatalf("the restarted source broadcasts %s, not %s", ch, sw.channel)
			}
			var first uint64 // the restarted source's newest chunk when first seen
			tick := time.NewTicker(200 * time.Millisecond)
			defer tick.Stop()
			for first == 0 {
				if s, err := procsState(ctx, sw.src.admin); err == nil && s.Buffer != nil && s.Buffer.High > 0 {
					first = s.Buffer.High
					break
				}
				select {
				case <-tick.C:
				case <-ctx.Done():
					t.Fatalf("the restarted source made no chunk\n%s", sw.dump())
				}
			}
			if first <= oldNext {
				t.Fatalf("the restarted source numbers from %d, not above the %d the players had reached", first, oldNext)
			}
			// Every player must play 2 s of the new source's stream.
			want := first + uint64(procsKeepPlaying/sw.chunk)
			for {
				done := 0
				var nexts []uint64
				for _, pl := range sw.players {
					s, err := procsState(ctx, pl.admin)
					if err == nil && s.Buffer != nil {
						nexts = append(nexts, s.Buffer.Next)
						if s.Buffer.Next >= want {
							done++
						}
					}
				}
				if done == len(sw.players) {
					t.Logf("%s: the players reached chunk %d (%d past the restarted source's first seen) %v after the kill; before it they were at %d",
						mode, want, want-first, time.Since(killed).Round(100*time.Millisecond), oldNext)
					break
				}
				select {
				case <-tick.C:
				case <-ctx.Done():
					names, states := procsStates(ctx, append(sw.players, sw.src))
					t.Fatalf("the players did not play the restarted source's chunks up to %d: next to play %v\n%s\n%s",
						want, nexts, procsModeStats(names, states), sw.dump())
				}
			}
		})
	}
}
