package chunk

import (
	"math"

	"github.com/almcast/alm/id"
	"github.com/almcast/alm/wire"
)

// CBOR major types read by DecodeBorrowed.
const (
	majorUint  = 0
	majorNeg   = 1
	majorBytes = 2
	majorArray = 4
)

// chunkFields is the length of a chunk's CBOR array (every field but the
// unexported ones).
const chunkFields = 6

// DecodeBorrowed implements wire.Borrower: it decodes a chunk in the form
// every node encodes one (an array of the fields; the channel ID a 16-byte
// string; the packet list and signature byte strings, not null), its
// packets and signature slices of body. Anything else is left to the
// generic decoder.
func (c *Chunk) DecodeBorrowed(body []byte) bool {
	r := cborReader{b: body}
	if n, ok := r.head(majorArray); !ok || n != chunkFields {
		return false
	}
	var out Chunk
	ch, ok := r.bytes()
	if !ok || len(ch) != len(out.Channel) {
		return false
	}
	out.Channel = id.ID(ch)
	var ok1, ok2, ok3 bool
	out.Seq, ok1 = r.head(majorUint)
	out.Time, ok2 = r.int64()
	out.Duration, ok3 = r.int64()
	if !ok1 || !ok2 || !ok3 {
		return false
	}
	n, ok := r.head(majorArray)
	if !ok || n > wire.MaxArrayElements {
		return false
	}
	out.Packets = make([][]byte, n)
	for i := range out.Packets {
		if out.Packets[i], ok = r.bytes(); !ok {
			return false
		}
	}
	if out.Sig, ok = r.bytes(); !ok || r.off != len(body) {
		return false
	}
	out.raw = body
	*c = out
	c.rawAs = c.stamp(nil)
	return true
}

// EncodedBody implements wire.Encoded: the body c was decoded from in
// place, unless a field was replaced since (a copy with another sequence
// number, packet list or signature is encoded anew).
func (c *Chunk) EncodedBody() []byte {
	if c.raw == nil || c.stamp(nil) != c.rawAs {
		return nil
	}
	return c.raw
}

// cborReader reads definite-length CBOR items from b.
type cborReader struct {
	b   []byte
	off int
}

// head reads an item head of the given major type and returns its
// argument.
func (r *cborReader) head(major byte) (uint64, bool) {
	m, arg, n, ok := wire.Head(r.b[r.off:])
	if !ok || m != major {
		return 0, false
	}
	r.off += n
	return arg, true
}

// bytes reads a byte string and returns it as a slice of b whose capacity
// ends with it.
func (r *cborReader) bytes() ([]byte, bool) {
	n, ok := r.head(majorBytes)
	if !ok || n > uint64(len(r.b)-r.off) {
		return nil, false
	}
	end := r.off + int(n)
	s := r.b[r.off:end:end]
	r.off = end
	return s, true
}

// int64 reads an integer that fits an int64.
func (r *cborReader) int64() (int64, bool) {
	m, arg, n, ok := wire.Head(r.b[r.off:])
	if !ok || (m != majorUint && m != majorNeg) || arg > math.MaxInt64 {
		return 0, false
	}
	r.off += n
	if m == majorNeg {
		return -1 - int64(arg), true
	}
	return int64(arg), true
}
