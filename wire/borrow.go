package wire

import (
	"encoding/binary"
	"fmt"
)

// Borrower may be implemented by a message type whose frames are large
// and simple (a chunk of media): it decodes a body itself, keeping slices
// of the body for its byte strings instead of copies, which spares the
// receiver the generic decoder's per-string allocations and copies.
type Borrower interface {
	Message
	// DecodeBorrowed decodes body into the message, its byte strings
	// referring into body, and reports whether it did. On false it
	// leaves the message untouched for the generic decoder, which then
	// decides. It must accept only bodies the generic decoder accepts, and
	// decode them to the same value.
	DecodeBorrowed(body []byte) bool
}

// Encoded may be implemented by a Borrower that keeps the body it was
// decoded from: Append writes that body as it is rather than encoding the
// message again (a mesh node serves a chunk it received to every partner
// that asks).
type Encoded interface {
	// EncodedBody returns the body the message was decoded from, or nil
	// if it has none or was changed since.
	EncodedBody() []byte
}

// encodedBody returns m's CBOR body: the one it keeps, or a new encoding.
func encodedBody(m Message) ([]byte, error) {
	if e, ok := m.(Encoded); ok {
		if body := e.EncodedBody(); body != nil {
			return body, nil
		}
	}
	return encMode.Marshal(m)
}

// DecodeBorrowed is Decode for a caller that hands frame over: the message
// may keep slices of frame, which must not change afterwards.
func DecodeBorrowed(frame []byte) (Message, error) {
	return decode(frame, true)
}

// header checks a frame's header against the registry and returns its
// type's spec.
func header(frame []byte) (*spec, error) {
	if len(frame) < HeaderLen {
		return nil, ErrShort
	}
	if frame[0] != Version {
		return nil, fmt.Errorf("%w: %d", ErrVersion, frame[0])
	}
	t := Type(binary.BigEndian.Uint16(frame[1:3]))
	s, ok := lookup(t)
	if !ok {
		return nil, fmt.Errorf("%w: %d", ErrUnknownType, t)
	}
	if len(frame) > s.max {
		return nil, fmt.Errorf("%w: %s frame of %d bytes, bound %d", ErrTooLarge, s.name, len(frame), s.max)
	}
	return s, nil
}

// Head reads the head of a CBOR data item at the start of b: its major
// type (0-7), its argument and the head's length. It reports false for
// an item this package's decoder would not take as a definite-length head
// (indefinite lengths, reserved values) or a short b.
func Head(b []byte) (major byte, arg uint64, n int, ok bool) {
	if len(b) == 0 {
		return 0, 0, 0, false
	}
	major, info := b[0]>>5, b[0]&0x1f
	switch {
	case info < 24:
		return major, uint64(info), 1, true
	case info > 27:
		return 0, 0, 0, false
	}
	n = 1 << (info - 24) // 1, 2, 4 or 8 bytes follow
	if len(b) < 1+n {
		return 0, 0, 0, false
	}
	for _, c := range b[1 : 1+n] {
		arg = arg<<8 | uint64(c)
	}
	return major, arg, 1 + n, true
}
