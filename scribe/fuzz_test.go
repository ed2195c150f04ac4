package scribe

import (
	"math/rand/v2"
	"testing"

	"github.com/almcast/alm/id"
	"github.com/almcast/alm/wire"
)

// FuzzDecode decodes arbitrary frames as Scribe's messages: the decoder
// must not panic, and a message it returns must be within its bounds and
// encode again to a frame that decodes.
func FuzzDecode(f *testing.F) {
	r := rand.New(rand.NewPCG(5, 6))
	seeds := []wire.Message{
		&Join{Group: id.Random(r), Joiner: randRef(r), Hops: 3, Root: true},
		&Accept{Group: id.Random(r), Path: randIDs(r, 3)},
		&Refuse{Group: id.Random(r)}, &Leave{Group: id.Random(r)},
		&Drop{Group: id.Random(r), Try: []id.Ref{randRef(r)}},
		&Beat{Entries: []BeatEntry{{Group: id.Random(r), Path: randIDs(r, 2), Spare: 3, Up: randRef(r)}}},
		&Refresh{Entries: []RefreshEntry{{Group: id.Random(r), Spare: 1, Kids: 2, Own: 1, Room: NoRoom}}},
		&Anycast{Tree: id.Random(r), Group: id.Random(r), Joiner: randRef(r), Visited: randIDs(r, 2)},
		&Nack{Seqs: []uint64{1, 2, 300}}, &Miss{Seqs: []uint64{7}},
		&Probe{Groups: randIDs(r, 4)}, &Probe{},
	}
	for _, m := range seeds {
		b, err := wire.Encode(m)
		if err != nil {
			f.Fatalf("%s: %v", wire.Name(m), err)
		}
		f.Add(b)
		f.Add(b[:len(b)-1])
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		m, err := wire.Decode(in)
		if err != nil {
			return
		}
		if v, ok := m.(wire.Validator); ok {
			if err := v.Validate(); err != nil {
				t.Fatalf("%s decoded out of its bounds: %v", wire.Name(m), err)
			}
		}
		b, err := wire.Encode(m)
		if err != nil {
			t.Fatalf("%s: encode again: %v", wire.Name(m), err)
		}
		if _, err := wire.Decode(b); err != nil {
			t.Fatalf("%s: decode again: %v", wire.Name(m), err)
		}
	})
}
