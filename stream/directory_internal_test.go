package stream

import (
	"crypto/ed25519"
	"fmt"
	"testing"
	"time"

	"github.com/almcast/alm/chunk"
	"github.com/almcast/alm/env"
	"github.com/almcast/alm/id"
	"github.com/almcast/alm/overlay"
	"github.com/almcast/alm/sim"
)

// TestDirectoryMakesRoom: a node keeps directory entries for at most
// maxDirectory channels; once full it refuses a new channel while every
// entry is renewed, and takes it once entries have lapsed, so that a
// long-running node does not shut new channels out for good.
func TestDirectoryMakesRoom(t *testing.T) {
	nw, err := sim.New(sim.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	key := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
	own, _ := chunk.NewChannel(key.Public().(ed25519.PublicKey), "own")
	var n *Node
	nw.Add(sim.NodeSpec{}, func(e env.Env) env.Handler {
		ov, _ := overlay.New(e, overlay.DefaultConfig())
		n, err = New(e, ov, own, DefaultConfig(), nil)
		if err != nil {
			t.Fatal(err)
		}
		return n
	})
	src := id.Ref{ID: id.FromUint128(9, 9), Addr: "source"}
	announce := func(i int) bool {
		ch, _ := chunk.NewChannel(key.Public().(ed25519.PublicKey), fmt.Sprintf("c%d", i))
		m := chunk.Meta{Channel: ch.ID(), Key: ch.Key, Name: ch.Name, ChunkDuration: int64(200 * time.Millisecond)}
		m.Sign(key)
		return n.onAnnounce(&Announce{Meta: m, Source: src})
	}
	for i := range maxDirectory {
		if !announce(i) {
			t.Fatalf("entry %d refused below the bound", i)
		}
	}
	if announce(maxDirectory) {
		t.Fatal("a channel past the bound taken while every entry is live")
	}
	if !announce(0) {
		t.Fatal("a known channel's renewal refused at the bound")
	}
	nw.RunFor(n.dirLive())
	if !announce(0) {
		t.Fatal("renewal refused")
	}
	if !announce(maxDirectory) {
		t.Fatal("a new channel refused after the other entries lapsed")
	}
	if len(n.dir) != 2 {
		t.Fatalf("%d entries kept, want the 2 renewed", len(n.dir))
	}
}
