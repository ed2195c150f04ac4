package wire_test

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/fxamacker/cbor/v2"

	"github.com/almcast/alm/wire"
)

// Test-only message types, registered with numbers >= 61000 so they never
// collide with a protocol's.
const (
	typeSmall  wire.Type = 61000
	typeBytes  wire.Type = 61001
	typeNested wire.Type = 61002
	typeValid  wire.Type = 61003
	typeMap    wire.Type = 61004
	typeNone   wire.Type = 61999 // never registered

	maxSmall  = 32
	maxBytes  = 256
	maxNested = 1024
	maxValid  = 16 << 10
	maxMap    = 1024

	validMax = 8 // tValid.Validate rejects more values than this
)

type tSmall struct {
	_ struct{} `cbor:",toarray"`
	N uint64
}

type tBytes struct {
	_ struct{} `cbor:",toarray"`
	B []byte
	S string
}

type tNested struct {
	_     struct{} `cbor:",toarray"`
	Tag   uint8
	Inner wire.Any
}

type tValid struct {
	_    struct{} `cbor:",toarray"`
	Vals []uint16
}

// tMap is a map-encoded struct, to reach the map limits of the decoder.
type tMap struct {
	A uint64            `cbor:"1,keyasint"`
	M map[uint64]uint64 `cbor:"2,keyasint"`
}

type tUnregistered struct{ N int }

func (*tSmall) WireType() wire.Type        { return typeSmall }
func (*tBytes) WireType() wire.Type        { return typeBytes }
func (*tNested) WireType() wire.Type       { return typeNested }
func (*tValid) WireType() wire.Type        { return typeValid }
func (*tMap) WireType() wire.Type          { return typeMap }
func (*tUnregistered) WireType() wire.Type { return typeNone }

var errTooManyVals = errors.New("too many values")

func (m *tValid) Validate() error {
	if len(m.Vals) > validMax {
		return errTooManyVals
	}
	return nil
}

func init() {
	wire.Register(typeSmall, "test.small", "test", maxSmall, func() wire.Message { return new(tSmall) })
	wire.Register(typeBytes, "test.bytes", "test", maxBytes, func() wire.Message { return new(tBytes) })
	wire.Register(typeNested, "test.nested", "test", maxNested, func() wire.Message { return new(tNested) })
	wire.Register(typeValid, "test.valid", "test", maxValid, func() wire.Message { return new(tValid) })
	wire.Register(typeMap, "test.map", "test", maxMap, func() wire.Message { return new(tMap) })
}

// header returns a frame header for type t.
func header(t wire.Type) []byte { return []byte{wire.Version, byte(t >> 8), byte(t)} }

// frame returns a frame of type t with the given raw CBOR body.
func frame(t wire.Type, body ...byte) []byte { return append(header(t), body...) }

// mustCBOR encodes v with the default options of the CBOR library.
func mustCBOR(t testing.TB, v any) []byte {
	t.Helper()
	b, err := cbor.Marshal(v)
	if err != nil {
		t.Fatalf("cbor.Marshal(%v): %v", v, err)
	}
	return b
}

func mustEncode(t testing.TB, m wire.Message) []byte {
	t.Helper()
	b, err := wire.Encode(m)
	if err != nil {
		t.Fatalf("Encode(%#v): %v", m, err)
	}
	return b
}

func TestRoundTrip(t *testing.T) {
	msgs := []wire.Message{
		&tSmall{},
		&tSmall{N: 1},
		&tSmall{N: math.MaxUint64},
		&tBytes{},
		&tBytes{B: []byte{}, S: ""},
		&tBytes{B: []byte{0, 1, 2, 0xff}, S: "héllo"},
		&tBytes{B: bytes.Repeat([]byte{7}, 200)},
		&tNested{},
		&tNested{Tag: 3, Inner: wire.Any{M: &tSmall{N: 42}}},
		&tNested{Tag: 4, Inner: wire.Any{M: &tBytes{B: []byte("x"), S: "y"}}},
		&tNested{Tag: 5, Inner: wire.Any{M: &tNested{Tag: 6, Inner: wire.Any{M: &tSmall{N: 7}}}}},
		&tValid{},
		&tValid{Vals: []uint16{1, 2, 3, 65535}},
		&tMap{A: 9, M: map[uint64]uint64{1: 2}}, // one entry: the encoder does not sort map keys
	}
	for _, m := range msgs {
		b := mustEncode(t, m)
		if b[0] != wire.Version || wire.Type(b[1])<<8|wire.Type(b[2]) != m.WireType() {
			t.Errorf("%#v: bad header % x", m, b[:wire.HeaderLen])
		}
		if got := wire.Size(m); got != len(b) {
			t.Errorf("Size(%#v) = %d, encoded %d bytes", m, got, len(b))
		}
		got, err := wire.Decode(b)
		if err != nil {
			t.Errorf("Decode(Encode(%#v)): %v", m, err)
			continue
		}
		if !reflect.DeepEqual(got, m) {
			t.Errorf("round trip: got %#v, want %#v", got, m)
		}
		if b2 := mustEncode(t, got); !bytes.Equal(b, b2) {
			t.Errorf("%#v: re-encoding differs:\n% x\n% x", m, b, b2)
		}
		// Append appends to what is there.
		pre := []byte("prefix")
		ab, err := wire.Append(pre, m)
		if err != nil || !bytes.Equal(ab[:len(pre)], pre) || !bytes.Equal(ab[len(pre):], b) {
			t.Errorf("Append(%#v) = % x, %v", m, ab, err)
		}
	}
}

func TestRegistry(t *testing.T) {
	if got := wire.Name(&tSmall{}); got != "test.small" {
		t.Errorf("Name = %q", got)
	}
	if got := wire.Proto(&tBytes{}); got != "test" {
		t.Errorf("Proto = %q", got)
	}
	if got := wire.MaxSize(typeNested); got != maxNested {
		t.Errorf("MaxSize = %d", got)
	}
	if wire.Name(&tUnregistered{}) != "?" || wire.Proto(&tUnregistered{}) != "" || wire.MaxSize(typeNone) != 0 {
		t.Errorf("unregistered type: Name %q Proto %q MaxSize %d",
			wire.Name(&tUnregistered{}), wire.Proto(&tUnregistered{}), wire.MaxSize(typeNone))
	}
	if m, ok := wire.New(typeNone); ok || m != nil {
		t.Errorf("New(unregistered) = %v, %v", m, ok)
	}
	frame, err := wire.Encode(&tSmall{N: 7})
	if err != nil {
		t.Fatal(err)
	}
	name, proto := wire.FrameKind(frame)
	if name != "test.small" {
		t.Errorf("FrameKind name = %q", name)
	}
	if proto != "test" {
		t.Errorf("FrameKind proto = %q", proto)
	}
	if name, proto := wire.FrameKind(frame[:2]); name != "" || proto != "" {
		t.Error("a short frame has a type name or protocol")
	}
	m, ok := wire.New(typeValid)
	if _, isValid := m.(*tValid); !ok || !isValid {
		t.Errorf("New(typeValid) = %#v, %v", m, ok)
	}
	ts := wire.Types()
	seen := map[wire.Type]bool{}
	for i, typ := range ts {
		if i > 0 && ts[i-1] >= typ {
			t.Errorf("Types not sorted: %v", ts)
		}
		seen[typ] = true
		m, ok := wire.New(typ)
		if !ok || m.WireType() != typ {
			t.Errorf("New(%d) = %#v, %v", typ, m, ok)
		}
	}
	for _, typ := range []wire.Type{typeSmall, typeBytes, typeNested, typeValid, typeMap} {
		if !seen[typ] {
			t.Errorf("Types() lacks %d", typ)
		}
	}
	if seen[typeNone] {
		t.Errorf("Types() has unregistered %d", typeNone)
	}
}

func TestRegisterPanics(t *testing.T) {
	mk := func(typ wire.Type) func() wire.Message {
		return func() wire.Message {
			if typ == typeSmall {
				return new(tSmall)
			}
			return new(tUnregistered)
		}
	}
	cases := []struct {
		name string
		typ  wire.Type
		max  int
		mk   func() wire.Message
		want string
	}{
		{"duplicate", typeSmall, 64, mk(typeSmall), "registered twice"},
		{"bound zero", typeNone, 0, mk(typeNone), "bad size bound"},
		{"bound negative", typeNone, -1, mk(typeNone), "bad size bound"},
		{"bound header only", typeNone, wire.HeaderLen, mk(typeNone), "bad size bound"},
		{"bound over MaxFrame", typeNone, wire.MaxFrame + 1, mk(typeNone), "bad size bound"},
		{"constructor of another type", typeNone, 64, mk(typeSmall), "constructor makes type"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			defer func() {
				r := recover()
				if r == nil {
					t.Fatalf("Register did not panic")
				}
				if s := fmt.Sprint(r); !strings.Contains(s, c.want) {
					t.Errorf("panic %q, want it to mention %q", s, c.want)
				}
			}()
			wire.Register(c.typ, "test.bad", "test", c.max, c.mk)
		})
	}
	// None of the failed registrations took effect.
	if wire.MaxSize(typeNone) != 0 {
		t.Errorf("failed Register left type %d registered", typeNone)
	}
	if wire.MaxSize(typeSmall) != maxSmall {
		t.Errorf("duplicate Register changed the bound of %d", typeSmall)
	}
}

// nestArrays returns n nested one-element arrays around 0.
func nestArrays(n int) []byte {
	b := bytes.Repeat([]byte{0x81}, n)
	return append(b, 0x00)
}

func TestDecodeErrors(t *testing.T) {
	valid := mustEncode(t, &tSmall{N: 5})
	overBound := append(header(typeBytes), mustCBOR(t, []any{bytes.Repeat([]byte{1}, maxBytes), ""})...)
	arrayElems := func(n int) []byte {
		vals := make([]uint16, n)
		return append(header(typeValid), mustCBOR(t, []any{vals})...)
	}
	innerUnknown := append(header(typeNested), mustCBOR(t, []any{1, frame(typeNone, 0x80)})...)
	innerBadVersion := append(header(typeNested), mustCBOR(t, []any{1, append([]byte{9}, valid[1:]...)})...)
	innerShort := append(header(typeNested), mustCBOR(t, []any{1, valid[:2]})...)
	innerOversized := append(header(typeNested),
		mustCBOR(t, []any{1, append(header(typeBytes), mustCBOR(t, []any{bytes.Repeat([]byte{1}, maxBytes), ""})...)})...)
	innerMalformed := append(header(typeNested), mustCBOR(t, []any{1, frame(typeSmall, 0x81, 0x61, 'x')})...)
	innerInvalid := append(header(typeNested), mustCBOR(t, []any{1, arrayElems(validMax + 1)})...)
	innerTrailing := append(header(typeNested), mustCBOR(t, []any{1, append(append([]byte(nil), valid...), 0)})...)
	bigMap := map[uint64]uint64{}
	for i := range uint64(257) {
		bigMap[i] = 0
	}

	cases := []struct {
		name string
		in   []byte
		err  error
		msg  string // a part of the error text, if not empty
	}{
		{"empty", nil, wire.ErrShort, ""},
		{"one byte", []byte{wire.Version}, wire.ErrShort, ""},
		{"two bytes", valid[:2], wire.ErrShort, ""},
		{"version 0", append([]byte{0}, valid[1:]...), wire.ErrVersion, ""},
		{"version 2", append([]byte{2}, valid[1:]...), wire.ErrVersion, ""},
		{"version 255", append([]byte{255}, valid[1:]...), wire.ErrVersion, ""},
		{"unknown type", frame(typeNone, 0x81, 0x00), wire.ErrUnknownType, ""},
		{"type 0", frame(0, 0x80), wire.ErrUnknownType, ""},
		{"type 65535", frame(65535, 0x80), wire.ErrUnknownType, ""},
		{"over bound", overBound, wire.ErrTooLarge, ""},
		{"over bound by padding", append(frame(typeSmall, 0x81, 0x00), make([]byte, maxSmall)...), wire.ErrTooLarge, ""},
		{"over MaxFrame", append(frame(typeValid), make([]byte, wire.MaxFrame)...), wire.ErrTooLarge, ""},
		{"header only", header(typeSmall), wire.ErrMalformed, ""},
		{"truncated body", valid[:len(valid)-1], wire.ErrMalformed, ""},
		{"truncated uint", frame(typeSmall, 0x81, 0x1b, 0, 0), wire.ErrMalformed, ""},
		{"reserved additional info", frame(typeSmall, 0x81, 0x1c), wire.ErrMalformed, ""},
		{"stray break", frame(typeSmall, 0xff), wire.ErrMalformed, ""},
		{"wrong CBOR type", frame(typeSmall, 0x81, 0x61, 'x'), wire.ErrMalformed, ""},
		{"too few fields", frame(typeSmall, 0x80), wire.ErrMalformed, ""},
		{"too many fields", frame(typeSmall, 0x82, 0x00, 0x00), wire.ErrMalformed, ""},
		{"negative into uint", frame(typeSmall, 0x81, 0x20), wire.ErrMalformed, ""},
		{"uint16 overflow", append(header(typeValid), mustCBOR(t, []any{[]uint32{65536}})...), wire.ErrMalformed, ""},
		{"invalid UTF-8", append(header(typeBytes), mustCBOR(t, []any{[]byte{}, cbor.RawMessage{0x61, 0xff}})...), wire.ErrMalformed, ""},
		{"trailing zero", append(append([]byte(nil), valid...), 0x00), wire.ErrMalformed, "extraneous data"},
		{"trailing item", append(append([]byte(nil), valid...), valid[3:]...), wire.ErrMalformed, "extraneous data"},
		{"indefinite array", frame(typeSmall, 0x9f, 0x00, 0xff), wire.ErrMalformed, "indefinite-length"},
		{"indefinite bytes", append(header(typeBytes), 0x82, 0x5f, 0x41, 'a', 0xff, 0x60), wire.ErrMalformed, "indefinite-length"},
		{"indefinite text", append(header(typeBytes), 0x82, 0x40, 0x7f, 0x61, 'a', 0xff), wire.ErrMalformed, "indefinite-length"},
		{"indefinite map", frame(typeMap, 0xbf, 0x01, 0x00, 0xff), wire.ErrMalformed, "indefinite-length"},
		{"tagged body", frame(typeSmall, 0xc1, 0x81, 0x00), wire.ErrMalformed, "tag"},
		{"tagged field", frame(typeSmall, 0x81, 0xc2, 0x41, 0x01), wire.ErrMalformed, "tag"},
		{"self-described CBOR tag", frame(typeSmall, 0xd9, 0xd9, 0xf7, 0x81, 0x00), wire.ErrMalformed, "tag"},
		{"nested arrays over limit", frame(typeValid, nestArrays(17)...), wire.ErrMalformed, "max nested level"},
		{"nested arrays far over limit", frame(typeValid, nestArrays(1000)...), wire.ErrMalformed, "max nested level"},
		{"array over MaxArrayElements", arrayElems(4097), wire.ErrMalformed, "max number of elements"},
		{"map over MaxMapPairs", append(header(typeMap), mustCBOR(t, map[int]any{1: 0, 2: bigMap})...), wire.ErrMalformed, "key-value pairs"},
		{"duplicate map key", frame(typeMap, 0xa2, 0x01, 0x00, 0x01, 0x00), wire.ErrMalformed, "duplicate map key"},
		{"fails Validate", arrayElems(validMax + 1), wire.ErrMalformed, errTooManyVals.Error()},
		{"inner unknown type", innerUnknown, wire.ErrMalformed, "unknown message type"},
		{"inner bad version", innerBadVersion, wire.ErrMalformed, "unsupported frame version"},
		{"inner short", innerShort, wire.ErrMalformed, "shorter than its header"},
		{"inner over its bound", innerOversized, wire.ErrMalformed, "over its size bound"},
		{"inner malformed", innerMalformed, wire.ErrMalformed, "malformed"},
		{"inner fails Validate", innerInvalid, wire.ErrMalformed, errTooManyVals.Error()},
		{"inner trailing garbage", innerTrailing, wire.ErrMalformed, "extraneous data"},
		{"inner not a byte string", frame(typeNested, 0x82, 0x01, 0x81, 0x00), wire.ErrMalformed, ""},
	}
	sentinels := []error{wire.ErrShort, wire.ErrVersion, wire.ErrUnknownType, wire.ErrTooLarge, wire.ErrMalformed}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, err := wire.Decode(c.in)
			if err == nil {
				t.Fatalf("Decode(% x) = %#v, want error", trim(c.in), m)
			}
			if m != nil {
				t.Errorf("Decode returned message %#v with error", m)
			}
			if !errors.Is(err, c.err) {
				t.Errorf("Decode(% x) = %v, want %v", trim(c.in), err, c.err)
			}
			for _, s := range sentinels {
				if s != c.err && errors.Is(err, s) {
					t.Errorf("error %v also matches %v", err, s)
				}
			}
			if c.msg != "" && !strings.Contains(err.Error(), c.msg) {
				t.Errorf("error %q does not mention %q", err, c.msg)
			}
		})
	}
}

func trim(b []byte) []byte {
	if len(b) > 32 {
		return b[:32]
	}
	return b
}

// TestDecodeLimitsAccept checks that inputs just inside the limits decode.
func TestDecodeLimitsAccept(t *testing.T) {
	// Exactly at the size bound.
	m := &tBytes{B: bytes.Repeat([]byte{1}, maxBytes-wire.HeaderLen-1-2-1)}
	b := mustEncode(t, m)
	if len(b) != maxBytes {
		t.Fatalf("test frame is %d bytes, want %d", len(b), maxBytes)
	}
	if _, err := wire.Decode(b); err != nil {
		t.Errorf("frame at the bound: %v", err)
	}
	// MaxArrayElements elements pass the decoder, and then fail Validate.
	vals := make([]uint16, 4096)
	_, err := wire.Decode(append(header(typeValid), mustCBOR(t, []any{vals})...))
	if !errors.Is(err, wire.ErrMalformed) || !strings.Contains(err.Error(), errTooManyVals.Error()) {
		t.Errorf("4096 elements: %v, want Validate's error", err)
	}
	// Nested Any frames 20 deep: every frame starts a new nesting count.
	var inner wire.Message = &tSmall{N: 1}
	for i := range 20 {
		inner = &tNested{Tag: uint8(i), Inner: wire.Any{M: inner}}
	}
	b = mustEncode(t, inner)
	got, err := wire.Decode(b)
	if err != nil {
		t.Fatalf("20 nested Any: %v", err)
	}
	if !reflect.DeepEqual(got, inner) {
		t.Errorf("20 nested Any: round trip differs")
	}
	// A nil Any is CBOR null; an empty byte string decodes to nil too.
	for _, body := range [][]byte{{0x82, 0x01, 0xf6}, {0x82, 0x01, 0x40}} {
		got, err := wire.Decode(frame(typeNested, body...))
		if err != nil || got.(*tNested).Inner.M != nil {
			t.Errorf("Decode(% x) = %#v, %v; want nil inner", body, got, err)
		}
	}
}

func TestEncodeErrors(t *testing.T) {
	big := &tBytes{B: make([]byte, maxBytes)}
	buf := []byte("keep")
	out, err := wire.Append(buf, big)
	if !errors.Is(err, wire.ErrTooLarge) {
		t.Errorf("Append over the bound: %v, want ErrTooLarge", err)
	}
	if string(out) != "keep" {
		t.Errorf("failed Append changed buf to %q", out)
	}
	if _, err := wire.Encode(big); !errors.Is(err, wire.ErrTooLarge) {
		t.Errorf("Encode over the bound: %v, want ErrTooLarge", err)
	}
	if wire.Size(big) != 0 {
		t.Errorf("Size of unencodable message = %d, want 0", wire.Size(big))
	}
	// Exactly one byte over.
	m := &tBytes{B: bytes.Repeat([]byte{1}, maxBytes-wire.HeaderLen-1-2-1+1)}
	if _, err := wire.Encode(m); !errors.Is(err, wire.ErrTooLarge) {
		t.Errorf("Encode one byte over: %v, want ErrTooLarge", err)
	}
	if _, err := wire.Encode(&tUnregistered{}); !errors.Is(err, wire.ErrUnknownType) {
		t.Errorf("Encode unregistered: %v, want ErrUnknownType", err)
	}
	// An inner message over its own bound, in an outer one that has room.
	nested := &tNested{Inner: wire.Any{M: &tBytes{B: make([]byte, maxBytes)}}}
	if _, err := wire.Encode(nested); !errors.Is(err, wire.ErrTooLarge) {
		t.Errorf("Encode with oversized inner: %v, want ErrTooLarge", err)
	}
	nested = &tNested{Inner: wire.Any{M: &tUnregistered{}}}
	if _, err := wire.Encode(nested); !errors.Is(err, wire.ErrUnknownType) {
		t.Errorf("Encode with unregistered inner: %v, want ErrUnknownType", err)
	}
	// An inner message within its bound that makes the outer too large.
	var inner wire.Message = &tBytes{B: make([]byte, maxBytes-20)}
	for range 10 {
		inner = &tNested{Inner: wire.Any{M: inner}}
		if _, err := wire.Encode(inner); err != nil {
			if !errors.Is(err, wire.ErrTooLarge) {
				t.Errorf("Encode nested: %v, want ErrTooLarge", err)
			}
			return
		}
	}
}

func TestSizes(t *testing.T) {
	uints := []uint64{0, 1, 23, 24, 25, 255, 256, 257, 65535, 65536, 65537,
		1<<32 - 1, 1 << 32, 1<<32 + 1, 1<<63 - 1, 1 << 63, math.MaxUint64}
	for _, v := range uints {
		if got, want := wire.HeadSize(v), len(mustCBOR(t, v)); got != want {
			t.Errorf("HeadSize(%d) = %d, CBOR %d", v, got, want)
		}
		if v <= math.MaxInt64 {
			i := int64(v)
			if got, want := wire.IntSize(i), len(mustCBOR(t, i)); got != want {
				t.Errorf("IntSize(%d) = %d, CBOR %d", i, got, want)
			}
		}
		// Negative n is encoded as -1-n: -24 is one byte, -25 two.
		if v < math.MaxInt64 {
			for _, i := range []int64{-int64(v), -int64(v) - 1} {
				if got, want := wire.IntSize(i), len(mustCBOR(t, i)); got != want {
					t.Errorf("IntSize(%d) = %d, CBOR %d", i, got, want)
				}
			}
		}
	}
	if got, want := wire.IntSize(math.MinInt64), len(mustCBOR(t, int64(math.MinInt64))); got != want {
		t.Errorf("IntSize(MinInt64) = %d, CBOR %d", got, want)
	}
	for _, n := range []int{0, 1, 23, 24, 25, 255, 256, 257, 65535, 65536, 65537} {
		if got, want := wire.BytesSize(n), len(mustCBOR(t, make([]byte, n))); got != want {
			t.Errorf("BytesSize(%d) = %d, CBOR byte string %d", n, got, want)
		}
		if got, want := wire.BytesSize(n), len(mustCBOR(t, strings.Repeat("a", n))); got != want {
			t.Errorf("BytesSize(%d) = %d, CBOR text string %d", n, got, want)
		}
		if got, want := wire.HeadSize(uint64(n)), len(mustCBOR(t, make([]bool, n)))-n; got != want {
			t.Errorf("HeadSize(%d) = %d, CBOR array head %d", n, got, want)
		}
	}
	// Array heads above 2^32 cannot be built; check the head alone.
	for _, v := range []uint64{1<<32 - 1, 1 << 32} {
		var want int
		if v < 1<<32 {
			want = 5
		} else {
			want = 9
		}
		if got := wire.HeadSize(v); got != want {
			t.Errorf("HeadSize(%d) = %d, want %d", v, got, want)
		}
	}
	if wire.FrameSize(10) != wire.HeaderLen+10 {
		t.Errorf("FrameSize(10) = %d", wire.FrameSize(10))
	}
	// AnySize matches the encoding of an Any inside a message.
	anys := []wire.Any{
		{},
		{M: &tSmall{}},
		{M: &tSmall{N: 1 << 40}},
		{M: &tBytes{B: make([]byte, 10)}},
		{M: &tBytes{B: make([]byte, 30)}},
		{M: &tBytes{B: make([]byte, 240)}},
		{M: &tNested{Inner: wire.Any{M: &tBytes{B: make([]byte, 200)}}}},
	}
	for _, a := range anys {
		enc, err := cbor.Marshal(a)
		if err != nil {
			t.Fatalf("marshal Any: %v", err)
		}
		if got := wire.AnySize(a); got != len(enc) {
			t.Errorf("AnySize(%#v) = %d, encoded %d", a, got, len(enc))
		}
		m := &tNested{Inner: a}
		if got, want := wire.FrameSize(1+1+wire.AnySize(a)), len(mustEncode(t, m)); got != want {
			t.Errorf("frame with Any %#v: computed %d, encoded %d", a, got, want)
		}
	}
}
