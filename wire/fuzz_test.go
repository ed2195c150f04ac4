package wire_test

import (
	"bytes"
	"errors"
	"reflect"
	"testing"

	"github.com/almcast/alm/id"
	"github.com/almcast/alm/overlay" // registers the overlay's message types
	"github.com/almcast/alm/wire"
)

// fuzzSeeds returns valid frames of every registered type (zero values and
// a few filled ones) and some broken frames.
func fuzzSeeds(tb testing.TB) [][]byte {
	var seeds [][]byte
	for _, typ := range wire.Types() {
		m, ok := wire.New(typ)
		if !ok {
			tb.Fatalf("New(%d) failed for a listed type", typ)
		}
		b, err := wire.Encode(m)
		if err != nil {
			tb.Fatalf("Encode zero %s: %v", wire.Name(m), err)
		}
		seeds = append(seeds, b)
	}
	ref := id.Ref{ID: id.FromUint128(1, 2), Addr: "10.0.0.1:4000"}
	filled := []wire.Message{
		&overlay.Route{MsgID: 7, Ack: 3, Key: id.FromUint128(3, 4), Origin: ref, Hops: 2, Sent: -5,
			Payload: wire.Any{M: &overlay.Lookup{N: 9}}},
		&overlay.Route{MsgID: 1, Payload: wire.Any{M: &overlay.JoinRequest{Joiner: ref, Nonce: 1}}},
		&overlay.StateRequest{Nonce: 1, Leaf: true, Rows: []uint8{0, 1, 31}},
		&overlay.StateReply{Nonce: 2, Leaf: []id.Ref{ref}, Table: []id.Ref{ref, {}}},
		&overlay.Heartbeat{Leaf: []id.Ref{ref}, Reply: true},
		&tNested{Tag: 1, Inner: wire.Any{M: &tNested{Inner: wire.Any{M: &tSmall{N: 300}}}}},
		&tBytes{B: []byte{1, 2, 3}, S: "abc"},
		&tValid{Vals: []uint16{1, 500, 65535}},
		&tMap{A: 1, M: map[uint64]uint64{2: 3}},
	}
	for _, m := range filled {
		b, err := wire.Encode(m)
		if err != nil {
			tb.Fatalf("Encode %#v: %v", m, err)
		}
		seeds = append(seeds, b)
	}
	route := seeds[len(seeds)-len(filled)]
	seeds = append(seeds,
		nil,
		[]byte{wire.Version},
		[]byte{2, 0, 1, 0x81, 0x00},            // bad version
		[]byte{wire.Version, 0xff, 0xfe, 0x80}, // unknown type
		route[:len(route)-1],                   // truncated
		append(append([]byte(nil), route...), 0x00),  // trailing byte
		[]byte{wire.Version, 0, 1, 0x9f, 0x00, 0xff}, // indefinite array
		[]byte{wire.Version, 0, 1, 0xc1, 0x81, 0x00}, // tag
	)
	return seeds
}

func FuzzDecode(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		m1, err := wire.Decode(in)
		if err != nil {
			if m1 != nil {
				t.Fatalf("Decode returned %#v with error %v", m1, err)
			}
			for _, s := range []error{wire.ErrShort, wire.ErrVersion, wire.ErrUnknownType, wire.ErrTooLarge, wire.ErrMalformed} {
				if errors.Is(err, s) {
					return
				}
			}
			t.Fatalf("Decode error %v is none of the sentinels", err)
		}
		b1, err := wire.Encode(m1)
		if err != nil {
			// The decoder is lenient about some fields (an id.ID takes
			// a byte string of any length, zero-filled or truncated),
			// so a message near its bound may grow past it.
			if errors.Is(err, wire.ErrTooLarge) {
				return
			}
			t.Fatalf("re-encoding %#v: %v", m1, err)
		}
		if _, ok := m1.(wire.Sizer); ok {
			if got := wire.Size(m1); got != len(b1) {
				t.Fatalf("Size(%#v) = %d, encoded %d bytes", m1, got, len(b1))
			}
		}
		m2, err := wire.Decode(b1)
		if err != nil {
			t.Fatalf("decoding re-encoded %#v: %v\n% x", m1, err, b1)
		}
		if !reflect.DeepEqual(m1, m2) {
			t.Fatalf("second decode differs:\n%#v\n%#v", m1, m2)
		}
		b2, err := wire.Encode(m2)
		if err != nil {
			t.Fatalf("second re-encoding of %#v: %v", m2, err)
		}
		// The encoder does not sort map keys (EncOptions{} leaves Sort
		// at SortNone), so a message with a map of two or more entries
		// encodes in Go's map order. No protocol message has a map; the
		// test type tMap does.
		if _, hasMap := m2.(*tMap); hasMap {
			return
		}
		if !bytes.Equal(b1, b2) {
			t.Fatalf("re-encoding unstable:\n% x\n% x", b1, b2)
		}
	})
}
