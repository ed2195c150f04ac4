package datadriven

import (
	"math/rand/v2"
	"testing"

	"github.com/almcast/alm/id"
	"github.com/almcast/alm/wire"
)

// TestWireSizes checks every WireSize against the real encoding.
func TestWireSizes(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 3))
	big := func() uint64 { return r.Uint64() >> r.IntN(64) }
	words := func() []uint64 {
		if r.IntN(5) == 0 {
			return nil
		}
		w := make([]uint64, 1+r.IntN(MaxMapWords))
		for i := range w {
			w[i] = big()
		}
		return w
	}
	seqs := func() []uint64 {
		if r.IntN(5) == 0 {
			return nil
		}
		s := make([]uint64, r.IntN(maxSeqs))
		for i := range s {
			s[i] = big()
		}
		return s
	}
	refs := func() []id.Ref {
		if r.IntN(3) == 0 {
			return nil
		}
		out := make([]id.Ref, r.IntN(maxPeers))
		for i := range out {
			out[i] = id.Ref{ID: id.Random(r), Addr: string(make([]byte, r.IntN(40)))}
		}
		return out
	}
	for i := 0; i < 500; i++ {
		wm := WireMap{Base: big(), Bits: words()}
		dep := make([]byte, r.IntN(17))
		for i := range dep {
			dep[i] = byte(r.IntN(256))
		}
		clk := Clock{Seq: big(), Time: int64(big() >> 1), Dur: int64(r.IntN(1 << 30))}
		msgs := []wire.Message{
			&Hello{Channel: id.Random(r), Upload: int64(big() >> 1), Map: wm, Depths: dep},
			&Welcome{Accept: r.IntN(2) == 0, Upload: int64(big() >> 1), Map: wm, Peers: refs(), Depths: dep, Clock: clk},
			&Have{Seq: big(), Queue: uint8(r.IntN(256)), Depth: uint8(r.IntN(256)), Next: big()},
			&Status{Map: wm, Depths: dep, Clock: clk, Next: big()},
			&Request{Seqs: seqs(), Urgent: uint8(r.IntN(5)), Next: big()},
			&Refuse{Seqs: seqs(), Busy: r.IntN(2) == 0},
			&Bye{Reason: uint8(r.IntN(256))},
			&Subscribe{Mask: uint16(r.IntN(1 << 16))},
			&SubAck{Mask: uint16(r.IntN(1 << 16)), Depths: dep, Peers: refs()},
			&Envelope{M: wire.Any{M: &Have{Seq: big()}}},
		}
		for _, m := range msgs {
			b, err := wire.Encode(m)
			if err != nil {
				t.Fatalf("%s: %v", wire.Name(m), err)
			}
			if got := m.(wire.Sizer).WireSize(); got != len(b) {
				t.Fatalf("%s: WireSize %d, encoded %d", wire.Name(m), got, len(b))
			}
		}
	}
}
