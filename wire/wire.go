// Package wire is the one codec for every protocol message of alm: a frame
// is a version byte, a two-byte message type and a CBOR body
// (github.com/fxamacker/cbor/v2) decoded with limits. Each message type is
// registered once with its owning protocol and a size bound; unknown,
// oversized or malformed frames are rejected with an error.
package wire

import (
	"errors"
	"fmt"
	"sync"

	"github.com/fxamacker/cbor/v2"
)

// Version is the frame format version written by this build.
const Version = 1

// HeaderLen is the length of a frame header: version and type.
const HeaderLen = 3

// MaxFrame bounds every frame, whatever its type.
const MaxFrame = 1 << 20

// Type identifies a message type on the wire.
type Type uint16

// Message is implemented by every protocol message. Messages are values
// that are never changed after they are sent: the simulator hands the same
// value to the receiver.
type Message interface {
	WireType() Type
}

// Errors returned by Decode. They are wrapped, so test with errors.Is.
var (
	ErrShort       = errors.New("wire: frame shorter than its header")
	ErrVersion     = errors.New("wire: unsupported frame version")
	ErrUnknownType = errors.New("wire: unknown message type")
	ErrTooLarge    = errors.New("wire: frame over its size bound")
	ErrMalformed   = errors.New("wire: malformed message body")
)

type spec struct {
	name  string
	proto string
	max   int
	make  func() Message
	nests bool // carries another message in an Any
}

// specs is indexed by type. It is written only by Register, which runs in
// init functions, so reads need no lock.
var (
	mu    sync.Mutex
	specs [1 << 16]*spec
)

// Register adds a message type. proto names the protocol core that owns it
// (messages are dispatched to it), max bounds its encoded frame in bytes and
// mk returns a new zero value (a pointer) to decode into. It panics on a
// duplicate type, as registration happens in init functions.
func Register(t Type, name, proto string, max int, mk func() Message) {
	mu.Lock()
	defer mu.Unlock()
	if old := specs[t]; old != nil {
		panic(fmt.Sprintf("wire: type %d registered twice (%s, %s)", t, old.name, name))
	}
	if max <= HeaderLen || max > MaxFrame {
		panic(fmt.Sprintf("wire: bad size bound %d for %s", max, name))
	}
	if got := mk().WireType(); got != t {
		panic(fmt.Sprintf("wire: %s constructor makes type %d, not %d", name, got, t))
	}
	specs[t] = &spec{name: name, proto: proto, max: max, make: mk}
}

// Carrier marks type t as one that carries another message in an Any.
// A carrier may not itself be carried: nesting stops at one level, so a
// frame cannot make its decoder work in proportion to the square of its
// size. Call it from init, after Register.
func Carrier(t Type) {
	mu.Lock()
	defer mu.Unlock()
	if specs[t] == nil {
		panic(fmt.Sprintf("wire: Carrier(%d) of an unregistered type", t))
	}
	specs[t].nests = true
}

func lookup(t Type) (*spec, bool) {
	s := specs[t]
	return s, s != nil
}

// Name returns the registered name of m's type ("?" if unregistered).
func Name(m Message) string {
	if s, ok := lookup(m.WireType()); ok {
		return s.name
	}
	return "?"
}

// Proto returns the protocol that owns m's type ("" if unregistered).
func Proto(m Message) string {
	if s, ok := lookup(m.WireType()); ok {
		return s.proto
	}
	return ""
}

// FrameKind returns the registered name of a frame's type and the
// protocol that owns it, read from its header (both "" if the frame is
// short or its type unregistered).
func FrameKind(frame []byte) (name, proto string) {
	if len(frame) < HeaderLen {
		return "", ""
	}
	if s, ok := lookup(Type(frame[1])<<8 | Type(frame[2])); ok {
		return s.name, s.proto
	}
	return "", ""
}

// MaxSize returns the size bound of type t (0 if unregistered).
func MaxSize(t Type) int {
	if s, ok := lookup(t); ok {
		return s.max
	}
	return 0
}

// Types lists the registered types in order; for tests and docs.
func Types() []Type {
	var out []Type
	for t, s := range specs {
		if s != nil {
			out = append(out, Type(t))
		}
	}
	return out
}

// New returns a zero value of type t, or false if t is unknown.
func New(t Type) (Message, bool) {
	s, ok := lookup(t)
	if !ok {
		return nil, false
	}
	return s.make(), true
}

var (
	encMode cbor.EncMode
	decMode cbor.DecMode
)

// MaxArrayElements bounds the length of a CBOR array in a frame body; the
// decoder refuses longer ones, and so must a message's own (Borrower).
const MaxArrayElements = 4096

func init() {
	var err error
	encMode, err = cbor.EncOptions{Sort: cbor.SortCoreDeterministic}.EncMode()
	if err != nil {
		panic(err)
	}
	decMode, err = cbor.DecOptions{
		MaxNestedLevels:  16,
		MaxArrayElements: MaxArrayElements,
		MaxMapPairs:      256,
		IndefLength:      cbor.IndefLengthForbidden,
		TagsMd:           cbor.TagsForbidden,
		DupMapKey:        cbor.DupMapKeyEnforcedAPF,
	}.DecMode()
	if err != nil {
		panic(err)
	}
}

// Append encodes m as a frame appended to buf.
func Append(buf []byte, m Message) ([]byte, error) {
	t := m.WireType()
	s, ok := lookup(t)
	if !ok {
		return buf, fmt.Errorf("%w: %d", ErrUnknownType, t)
	}
	body, err := encodedBody(m)
	if err != nil {
		return buf, fmt.Errorf("wire: encode %s: %w", s.name, err)
	}
	if HeaderLen+len(body) > s.max {
		return buf, fmt.Errorf("%w: %s is %d bytes, bound %d", ErrTooLarge, s.name, HeaderLen+len(body), s.max)
	}
	buf = append(buf, Version, byte(t>>8), byte(t))
	return append(buf, body...), nil
}

// Encode returns m as a frame.
func Encode(m Message) ([]byte, error) { return Append(nil, m) }

// Size returns the encoded frame length of m, or 0 if it cannot be encoded.
func Size(m Message) int {
	if s, ok := m.(Sizer); ok {
		return s.WireSize()
	}
	b, err := Encode(m)
	if err != nil {
		return 0
	}
	return len(b)
}

// Sizer may be implemented by large messages to report their frame size
// without being encoded (the simulator asks for every message's size).
type Sizer interface {
	WireSize() int
}

// Decode parses one frame. It never panics on bad input; every failure is
// one of the errors above, wrapped with detail.
func Decode(frame []byte) (Message, error) {
	return decode(frame, false)
}

// decode parses one frame, with its message type's own decoder if it has
// one and borrow allows it (see Borrower).
func decode(frame []byte, borrow bool) (Message, error) {
	s, err := header(frame)
	if err != nil {
		return nil, err
	}
	m := s.make()
	body := frame[HeaderLen:]
	if b, ok := m.(Borrower); !ok || !borrow || !b.DecodeBorrowed(body) {
		if err := decMode.Unmarshal(body, m); err != nil {
			return nil, fmt.Errorf("%w: %s: %v", ErrMalformed, s.name, err)
		}
	}
	if v, ok := m.(Validator); ok {
		if err := v.Validate(); err != nil {
			return nil, fmt.Errorf("%w: %s: %v", ErrMalformed, s.name, err)
		}
	}
	return m, nil
}

// Validator may be implemented by messages whose fields have limits beyond
// what the CBOR decoder checks (list lengths, value ranges).
type Validator interface {
	Validate() error
}
