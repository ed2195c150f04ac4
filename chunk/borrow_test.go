package chunk

import (
	"bytes"
	"crypto/ed25519"
	"reflect"
	"testing"

	"github.com/fxamacker/cbor/v2"

	"github.com/almcast/alm/wire"
)

// signedFrame returns a signed chunk of the given packets and its frame.
func signedFrame(t testing.TB, pkts [][]byte) (*Chunk, Channel, []byte) {
	t.Helper()
	k := testKey(5)
	ch, _ := NewChannel(k.Public().(ed25519.PublicKey), "tv")
	c := &Chunk{Channel: ch.ID(), Seq: 300, Time: -5, Duration: 50e6, Packets: pkts}
	c.Sign(k)
	frame, err := wire.Encode(c)
	if err != nil {
		t.Fatal(err)
	}
	return c, ch, frame
}

// TestDecodeBorrowed: a chunk decoded from a frame handed over equals the
// one sent and verifies, its packets are slices of the frame (no copies),
// appending to a packet does not write over the next one, and it encodes
// to the frame it came in (a copy with a field changed encodes anew).
func TestDecodeBorrowed(t *testing.T) {
	c, ch, frame := signedFrame(t, [][]byte{bytes.Repeat([]byte{7}, 1200), {}, {1, 2, 3}})
	m, err := wire.DecodeBorrowed(frame)
	if err != nil {
		t.Fatal(err)
	}
	got := m.(*Chunk)
	if err := got.Verify(ch); err != nil {
		t.Fatalf("borrowed chunk does not verify: %v", err)
	}
	if got.Seq != c.Seq || got.Time != c.Time || got.Duration != c.Duration || !reflect.DeepEqual(got.Packets, c.Packets) || !bytes.Equal(got.Sig, c.Sig) {
		t.Fatalf("decoded %+v, sent %+v", got, c)
	}
	if &got.Packets[0][0] != &frame[bytes.Index(frame, c.Packets[0])] {
		t.Fatal("packet copied, not borrowed from the frame")
	}
	_ = append(got.Packets[1], 9)
	if !bytes.Equal(got.Packets[2], []byte{1, 2, 3}) {
		t.Fatal("append to a borrowed packet wrote over the next")
	}
	// Encoded again it is the body as received, unless a field changed.
	again, err := wire.Encode(got)
	if err != nil || !bytes.Equal(again, frame) {
		t.Fatalf("encoded again: %x, %v", again, err)
	}
	renumbered := *got
	renumbered.Seq++
	if renumbered.EncodedBody() != nil {
		t.Fatal("a renumbered copy kept the old encoding")
	}
	b, _ := wire.Encode(&renumbered)
	if m, err := wire.Decode(b); err != nil || m.(*Chunk).Seq != c.Seq+1 {
		t.Fatalf("renumbered copy encoded as %v, %v", m, err)
	}
	// Decode, as a caller that keeps its buffer calls it, copies.
	m, err = wire.Decode(frame)
	if err != nil {
		t.Fatal(err)
	}
	if &m.(*Chunk).Packets[0][0] == &frame[bytes.Index(frame, c.Packets[0])] {
		t.Fatal("Decode kept a slice of the caller's frame")
	}
}

// TestDecodeBorrowedFallsBack: encodings every node would not write (a
// null packet list) still decode as the generic decoder decodes them, and
// bad ones fail as before.
func TestDecodeBorrowedFallsBack(t *testing.T) {
	c, _, _ := signedFrame(t, nil)
	frame, err := wire.Encode(c) // nil packets: CBOR null
	if err != nil {
		t.Fatal(err)
	}
	m, err := wire.DecodeBorrowed(frame)
	if err != nil {
		t.Fatal(err)
	}
	if m.(*Chunk).Seq != c.Seq {
		t.Fatal("fallback decoded a different chunk")
	}
	_, _, good := signedFrame(t, [][]byte{{1}})
	for _, bad := range [][]byte{good[:len(good)-1], append(append([]byte(nil), good...), 0)} {
		if _, err := wire.DecodeBorrowed(bad); err == nil {
			t.Fatalf("accepted %x", bad)
		}
	}
}

// FuzzDecodeBorrowed checks the borrowing decoder against CBOR's: whatever
// body it takes, the generic decoder takes too and decodes to the same
// chunk, and encoding it again gives the body back; whatever it leaves, it
// leaves the chunk untouched.
func FuzzDecodeBorrowed(f *testing.F) {
	_, _, frame := signedFrame(f, [][]byte{{1, 2, 3}, {}, bytes.Repeat([]byte{4}, 300)})
	f.Add(frame[wire.HeaderLen:])
	_, _, frame = signedFrame(f, [][]byte{})
	f.Add(frame[wire.HeaderLen:])
	_, _, frame = signedFrame(f, nil)
	f.Add(frame[wire.HeaderLen:])
	f.Add([]byte{0x86, 0x50})
	f.Add([]byte{0x9f, 0xff})
	f.Fuzz(func(t *testing.T, body []byte) {
		var fast Chunk
		if !fast.DecodeBorrowed(body) {
			if !reflect.DeepEqual(fast, Chunk{}) {
				t.Fatalf("refused %x but changed the chunk", body)
			}
			return
		}
		var slow Chunk
		if err := cbor.Unmarshal(body, &slow); err != nil {
			t.Fatalf("took %x, which CBOR refuses: %v", body, err)
		}
		if !bytes.Equal(fast.EncodedBody(), body) {
			t.Fatalf("%x: kept %x to encode again", body, fast.EncodedBody())
		}
		fast.raw, fast.rawAs = nil, stamp{}
		if !reflect.DeepEqual(fast, slow) {
			t.Fatalf("%x: borrowed %+v, CBOR %+v", body, fast, slow)
		}
	})
}

// BenchmarkEncodeChunk encodes a 200 ms chunk of a 1 Mbit/s stream as a
// mesh node serves one: decoded from a frame in place (its body kept) or
// built anew.
func BenchmarkEncodeChunk(b *testing.B) {
	pkts := make([][]byte, 21)
	for i := range pkts {
		pkts[i] = bytes.Repeat([]byte{byte(i)}, 1200)
	}
	c, _, frame := signedFrame(b, pkts)
	m, err := wire.DecodeBorrowed(frame)
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name string
		c    *Chunk
	}{{"kept", m.(*Chunk)}, {"anew", c}} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(frame)))
			for b.Loop() {
				if _, err := wire.Encode(bc.c); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
