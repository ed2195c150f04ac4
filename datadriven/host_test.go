package datadriven

import (
	"crypto/ed25519"
	"testing"
	"time"

	"github.com/almcast/alm/chunk"
	"github.com/almcast/alm/env"
	"github.com/almcast/alm/id"
	"github.com/almcast/alm/overlay"
	"github.com/almcast/alm/player"
	"github.com/almcast/alm/sim"
	"github.com/almcast/alm/wire"
)

// sent is one message a fake host sent.
type sent struct {
	to id.Ref
	m  wire.Message
}

// fakeHost is a delivery.Host that records what the mode sends.
type fakeHost struct {
	e       env.Env
	ov      *overlay.Node
	ch      chunk.Channel
	key     ed25519.PrivateKey
	src     id.Ref
	upload  int64
	source  bool
	startup time.Duration
	pl      *player.Player
	out     []sent
}

func (h *fakeHost) Env() env.Env                     { return h.e }
func (h *fakeHost) Overlay() *overlay.Node           { return h.ov }
func (h *fakeHost) Channel() chunk.Channel           { return h.ch }
func (h *fakeHost) IsSource() bool                   { return h.source }
func (h *fakeHost) Source() id.Ref                   { return h.src }
func (h *fakeHost) Upload() int64                    { return h.upload }
func (h *fakeHost) Rate() int64                      { return 1_000_000 }
func (h *fakeHost) Accept(id.Ref, *chunk.Chunk) bool { return true }
func (h *fakeHost) Has(uint64) bool                  { return false }
func (h *fakeHost) Send(to id.Ref, m wire.Message)   { h.out = append(h.out, sent{to, m}) }
func (h *fakeHost) Meta() *chunk.Meta                { return nil }
func (h *fakeHost) Player() *player.Player           { return h.pl }
func (h *fakeHost) StartupDelay() time.Duration      { return h.startup }
func (h *fakeHost) take() []sent                     { o := h.out; h.out = nil; return o }
func (h *fakeHost) chunk(seq uint64) *chunk.Chunk {
	c := &chunk.Chunk{Channel: h.ch.ID(), Seq: seq, Time: int64(seq) * int64(200*time.Millisecond),
		Duration: int64(200 * time.Millisecond), Packets: [][]byte{make([]byte, 1000)}}
	c.Sign(h.key)
	return c
}

// rig is one mesh node on a fake host in a simulator, with made-up
// partners that never answer unless the test makes them.
type rig struct {
	t   *testing.T
	nw  *sim.Network
	h   *fakeHost
	m   *Mode
	ref []id.Ref // peer references
}

func newRig(t *testing.T, cfg Config, peers int) *rig {
	t.Helper()
	return newRigWith(t, cfg, peers, nil)
}

// newRigWith is newRig with setup run on the host before the mode is
// made and started (nil: none).
func newRigWith(t *testing.T, cfg Config, peers int, setup func(*fakeHost)) *rig {
	t.Helper()
	nw, err := sim.New(sim.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	key := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
	ch, _ := chunk.NewChannel(key.Public().(ed25519.PublicKey), "t")
	r := &rig{t: t, nw: nw}
	nw.Add(sim.NodeSpec{}, func(e env.Env) env.Handler {
		ov, _ := overlay.New(e, overlay.DefaultConfig())
		r.h = &fakeHost{e: e, ov: ov, ch: ch, key: key, upload: 2_000_000, src: id.Ref{ID: id.FromUint128(9, 9), Addr: "src"}}
		if setup != nil {
			setup(r.h)
		}
		r.m, err = New(r.h, cfg)
		return r.m
	})
	if err != nil {
		t.Fatal(err)
	}
	r.m.Start()
	r.m.dur = 200 * time.Millisecond // playing: no start-chunk phase
	r.m.chosen = true
	for i := 0; i < peers; i++ {
		p := id.Ref{ID: id.FromUint128(1, uint64(i+1)), Addr: "p" + string(rune('a'+i))}
		r.ref = append(r.ref, p)
		r.m.hellos[p.ID] = 0
		r.m.Receive(p, &Welcome{Accept: true, Upload: 2_000_000, Map: WireMap{}})
	}
	r.h.take()
	return r
}

// has makes peer i announce seqs.
func (r *rig) has(i int, seqs ...uint64) {
	for _, s := range seqs {
		r.m.Receive(r.ref[i], &Have{Seq: s})
	}
}

// requests returns the chunks requested of each peer in the messages
// sent since the last call.
func (r *rig) requests() map[string][]uint64 {
	out := map[string][]uint64{}
	for _, s := range r.h.take() {
		if q, ok := s.m.(*Request); ok {
			out[s.to.Addr] = append(out[s.to.Addr], q.Seqs...)
		}
	}
	return out
}

// keep puts chunk seq in the node's window without telling or pushing
// it to anyone.
func (r *rig) keep(seq uint64) { r.m.keep(r.h.chunk(seq)) }

func noPush(c *Config) *Config { c.Substreams = 0; return c }
