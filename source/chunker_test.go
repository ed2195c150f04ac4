package source

import (
	"crypto/ed25519"
	"testing"
	"time"

	"github.com/almcast/alm/chunk"
	"github.com/almcast/alm/env"
	"github.com/almcast/alm/id"
	"github.com/almcast/alm/sim"
	"github.com/almcast/alm/wire"
)

// TestChunkerNumbersAndTimes: the chunker cuts a signed chunk every
// Duration, numbered from FirstSeq up, whose source times start at the
// chunker's start and follow Zero + seq*Duration (what the channel's
// metadata tells players), whatever the first number.
func TestChunkerNumbersAndTimes(t *testing.T) {
	key := ed25519.NewKeyFromSeed(make([]byte, 32))
	ch, err := chunk.NewChannel(key.Public().(ed25519.PublicKey), "t")
	if err != nil {
		t.Fatal(err)
	}
	const dur = 25 * time.Millisecond
	for _, first := range []uint64{0, uint64(time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC).UnixNano()) / uint64(dur)} {
		nw, err := sim.New(sim.DefaultConfig())
		if err != nil {
			t.Fatal(err)
		}
		node := nw.Add(sim.NodeSpec{}, func(env.Env) env.Handler { return env.HandlerFunc(func(id.Ref, wire.Message) {}) })
		nw.RunFor(time.Second) // the chunker starts at a source time other than 0
		cfg := DefaultChunkerConfig()
		cfg.Duration, cfg.FirstSeq = dur, first
		var got []*chunk.Chunk
		var c *Chunker
		node.Do(func() {
			c, err = NewChunker(node, cfg, key, ch, func(ck *chunk.Chunk) { got = append(got, ck) })
		})
		if err != nil {
			t.Fatal(err)
		}
		nw.RunFor(10*dur + dur/2)
		if len(got) != 10 {
			t.Fatalf("first %d: %d chunks in 10 periods", first, len(got))
		}
		for i, ck := range got {
			if ck.Seq != first+uint64(i) {
				t.Errorf("first %d: chunk %d numbered %d", first, i, ck.Seq)
			}
			if want := c.Start() + time.Duration(i)*dur; ck.Timestamp() != want {
				t.Errorf("first %d: chunk %d at %v, want %v", first, i, ck.Timestamp(), want)
			}
			if c.Zero()+time.Duration(ck.Seq)*dur != ck.Timestamp() {
				t.Errorf("first %d: chunk %d: Zero %v + seq*dur is not its time %v", first, i, c.Zero(), ck.Timestamp())
			}
			if err := ck.VerifyKey(ch.Key); err != nil {
				t.Errorf("first %d: chunk %d: %v", first, i, err)
			}
		}
		node.Do(c.Stop)
	}
	cfg := DefaultChunkerConfig()
	cfg.FirstSeq = 1 << 62
	if cfg.Validate() == nil {
		t.Error("a first number whose times overflow passed Validate")
	}
}
