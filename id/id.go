// Package id defines the 128-bit node and key identifiers of the overlay and
// the arithmetic Pastry needs on them: base-16 digits, shared prefixes and
// distances on the identifier ring.
package id

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"github.com/fxamacker/cbor/v2"
	"math/bits"
	"math/rand/v2"
)

// Bits is the length of an identifier in bits.
const Bits = 128

// B is the number of bits per routing digit (Pastry's b).
const B = 4

// Digits is the number of base-2^B digits in an identifier.
const Digits = Bits / B

// Base is the number of values a digit can take.
const Base = 1 << B

// ID is a 128-bit identifier, most significant byte first.
type ID [16]byte

// Zero is the all-zero identifier.
var Zero ID

// FromPublicKey derives a node ID from an ed25519 public key: the first 128
// bits of SHA-256 over the key. Node IDs are never chosen.
func FromPublicKey(pub ed25519.PublicKey) ID {
	sum := sha256.Sum256(pub)
	var out ID
	copy(out[:], sum[:16])
	return out
}

// Hash derives a key from arbitrary bytes (for example a channel name).
func Hash(b []byte) ID {
	sum := sha256.Sum256(b)
	var out ID
	copy(out[:], sum[:16])
	return out
}

// Random returns a uniformly random identifier drawn from r.
func Random(r *rand.Rand) ID {
	return FromUint128(r.Uint64(), r.Uint64())
}

// FromUint128 builds an identifier from its high and low 64-bit halves.
func FromUint128(hi, lo uint64) ID {
	var out ID
	binary.BigEndian.PutUint64(out[:8], hi)
	binary.BigEndian.PutUint64(out[8:], lo)
	return out
}

// Uint128 returns the high and low 64-bit halves of a.
func (a ID) Uint128() (hi, lo uint64) {
	return binary.BigEndian.Uint64(a[:8]), binary.BigEndian.Uint64(a[8:])
}

// Parse reads an identifier written as 32 hexadecimal digits.
func Parse(s string) (ID, error) {
	var out ID
	if len(s) != 2*len(out) {
		return out, fmt.Errorf("id: %q is not %d hex digits", s, 2*len(out))
	}
	if _, err := hex.Decode(out[:], []byte(s)); err != nil {
		return out, fmt.Errorf("id: parse %q: %w", s, err)
	}
	return out, nil
}

// String returns the identifier as 32 hexadecimal digits.
func (a ID) String() string { return hex.EncodeToString(a[:]) }

// Short returns the first 8 hexadecimal digits, for logs.
func (a ID) Short() string { return hex.EncodeToString(a[:4]) }

// Digit returns digit i (0 is the most significant) in base 2^B.
func (a ID) Digit(i int) int {
	b := a[i/2]
	if i%2 == 0 {
		return int(b >> 4)
	}
	return int(b & 0x0f)
}

// WithDigit returns a copy of a whose digit i is set to d.
func (a ID) WithDigit(i, d int) ID {
	if i%2 == 0 {
		a[i/2] = a[i/2]&0x0f | byte(d)<<4
	} else {
		a[i/2] = a[i/2]&0xf0 | byte(d)
	}
	return a
}

// SharedPrefix returns how many leading digits a and b have in common.
func (a ID) SharedPrefix(b ID) int {
	ah, al := a.Uint128()
	bh, bl := b.Uint128()
	if x := ah ^ bh; x != 0 {
		return bits.LeadingZeros64(x) / B
	}
	if x := al ^ bl; x != 0 {
		return (64 + bits.LeadingZeros64(x)) / B
	}
	return Digits
}

// Cmp compares a and b as unsigned integers.
func (a ID) Cmp(b ID) int {
	ah, al := a.Uint128()
	bh, bl := b.Uint128()
	switch {
	case ah < bh || (ah == bh && al < bl):
		return -1
	case a == b:
		return 0
	default:
		return 1
	}
}

// Sub returns a - b modulo 2^128: the clockwise distance from b to a.
func (a ID) Sub(b ID) ID {
	ah, al := a.Uint128()
	bh, bl := b.Uint128()
	lo, borrow := bits.Sub64(al, bl, 0)
	hi, _ := bits.Sub64(ah, bh, borrow)
	return FromUint128(hi, lo)
}

// Add returns a + b modulo 2^128.
func (a ID) Add(b ID) ID {
	ah, al := a.Uint128()
	bh, bl := b.Uint128()
	lo, carry := bits.Add64(al, bl, 0)
	hi, _ := bits.Add64(ah, bh, carry)
	return FromUint128(hi, lo)
}

// Distance returns the shorter way round the ring between a and b.
func Distance(a, b ID) ID {
	cw := a.Sub(b)
	ccw := b.Sub(a)
	if cw.Cmp(ccw) < 0 {
		return cw
	}
	return ccw
}

// Closer reports whether a is strictly closer to key than b on the ring.
// Equal distances are broken by the smaller identifier, so that exactly one
// node is responsible for any key.
func Closer(key, a, b ID) bool {
	switch Distance(key, a).Cmp(Distance(key, b)) {
	case -1:
		return true
	case 1:
		return false
	}
	return a.Cmp(b) < 0
}

// Float returns a/2^128 as a float in [0, 1), for plots and spreads.
func (a ID) Float() float64 {
	hi, lo := a.Uint128()
	return (float64(hi) + float64(lo)/(1<<64)) / (1 << 64)
}

// UnmarshalCBOR accepts exactly a 16-byte byte string: a shorter or longer
// one is an error, not padded or cut.
func (a *ID) UnmarshalCBOR(b []byte) error {
	var raw []byte
	if err := cbor.Unmarshal(b, &raw); err != nil {
		return fmt.Errorf("id: %w", err)
	}
	if len(raw) != len(a) {
		return fmt.Errorf("id: %d bytes, want %d", len(raw), len(a))
	}
	copy(a[:], raw)
	return nil
}
