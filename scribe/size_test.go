package scribe

import (
	"math/rand/v2"
	"testing"

	"github.com/almcast/alm/id"
	"github.com/almcast/alm/wire"
)

func randIDs(r *rand.Rand, n int) []id.ID {
	if n < 0 {
		return nil
	}
	out := make([]id.ID, n)
	for i := range out {
		out[i] = id.Random(r)
	}
	return out
}

func randRef(r *rand.Rand) id.Ref {
	return id.Ref{ID: id.Random(r), Addr: string(make([]byte, r.IntN(300)))}
}

// TestWireSizes checks every WireSize against the real encoding, and that
// every sample decodes back.
func TestWireSizes(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	big := func() uint64 { return r.Uint64() >> r.IntN(64) }
	for i := 0; i < 300; i++ {
		var beat Beat
		for j := r.IntN(20) - 1; j >= 0; j-- {
			beat.Entries = append(beat.Entries, BeatEntry{Group: id.Random(r), Path: randIDs(r, r.IntN(10)-1), Spare: uint16(big()), Up: randRef(r)})
		}
		var ref Refresh
		for j := r.IntN(20) - 1; j >= 0; j-- {
			ref.Entries = append(ref.Entries, RefreshEntry{Group: id.Random(r), Spare: uint16(big()), Kids: uint16(big())})
		}
		seqs := make([]uint64, r.IntN(maxNack))
		for j := range seqs {
			seqs[j] = big()
		}
		var try []id.Ref
		for j := r.IntN(5) - 1; j >= 0; j-- {
			try = append(try, randRef(r))
		}
		msgs := []wire.Message{
			&Join{Group: id.Random(r), Joiner: randRef(r), Hops: uint8(big()), Down: r.IntN(2) == 0},
			&Join{Group: id.Random(r), Joiner: randRef(r), Lost: id.Random(r), Near: true},
			&Accept{Group: id.Random(r), Path: randIDs(r, r.IntN(20)-1)},
			&Refuse{Group: id.Random(r)}, &Leave{Group: id.Random(r)},
			&Drop{Group: id.Random(r), Try: try},
			&beat, &ref,
			&Anycast{Tree: id.Random(r), Group: id.Random(r), Joiner: randRef(r), Visited: randIDs(r, r.IntN(30)-1)},
			&Nack{Seqs: seqs}, &Miss{Seqs: seqs}, &Nack{},
			&Probe{Groups: randIDs(r, r.IntN(10)-1)},
		}
		for _, m := range msgs {
			b, err := wire.Encode(m)
			if err != nil {
				t.Fatalf("%s: %v", wire.Name(m), err)
			}
			if got := m.(wire.Sizer).WireSize(); got != len(b) {
				t.Fatalf("%s: WireSize %d, encoded %d", wire.Name(m), got, len(b))
			}
			if _, err := wire.Decode(b); err != nil {
				t.Fatalf("%s: decode: %v", wire.Name(m), err)
			}
		}
	}
}

// TestLongListsRejected checks the decoder's bounds.
func TestLongListsRejected(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, m := range []wire.Message{
		&Accept{Group: id.Random(r), Path: randIDs(r, maxPath+1)},
		&Nack{Seqs: make([]uint64, maxNack+1)},
		&Probe{Groups: randIDs(r, maxEntries+1)},
		&Anycast{Tree: id.Random(r), Group: id.Random(r), Joiner: randRef(r), Visited: randIDs(r, maxVisited+1)},
	} {
		if err := m.(wire.Validator).Validate(); err == nil {
			t.Errorf("%s: an over-long list validates", wire.Name(m))
		}
	}
}
