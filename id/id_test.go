package id

import (
	"crypto/ed25519"
	"math/rand/v2"
	"testing"
)

func TestDigitsAndPrefix(t *testing.T) {
	a, _ := Parse("0123456789abcdef0123456789abcdef")
	for i := 0; i < Digits; i++ {
		if got, want := a.Digit(i), i%16; got != want {
			t.Fatalf("digit %d = %d, want %d", i, got, want)
		}
	}
	b := a.WithDigit(5, 0)
	if got := a.SharedPrefix(b); got != 5 {
		t.Fatalf("shared prefix = %d, want 5", got)
	}
	if got := a.SharedPrefix(a); got != Digits {
		t.Fatalf("self prefix = %d", got)
	}
	c := a.WithDigit(20, 9)
	if got := a.SharedPrefix(c); got != 20 {
		t.Fatalf("low-half prefix = %d, want 20", got)
	}
	if b.Digit(5) != 0 || b.Digit(4) != 4 || b.Digit(6) != 6 {
		t.Fatalf("WithDigit changed the wrong digit: %s", b)
	}
}

func TestRingArithmetic(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 1000; i++ {
		a, b := Random(r), Random(r)
		if a.Sub(b).Add(b) != a {
			t.Fatal("sub/add do not invert")
		}
		if Distance(a, b) != Distance(b, a) {
			t.Fatal("distance not symmetric")
		}
		if Closer(a, b, b) {
			t.Fatal("a node is not closer than itself")
		}
		if Closer(a, b, a) {
			t.Fatal("nothing is closer to a key than the key itself")
		}
	}
	zero := Zero
	max := FromUint128(^uint64(0), ^uint64(0))
	one := FromUint128(0, 1)
	if Distance(zero, max) != one {
		t.Fatalf("wrap-around distance = %s", Distance(zero, max))
	}
	if !Closer(zero, max, FromUint128(0, 2)) {
		t.Fatal("the ring does not wrap")
	}
	// Ties break towards the smaller identifier.
	if !Closer(FromUint128(0, 2), one, FromUint128(0, 3)) {
		t.Fatal("tie not broken by the smaller ID")
	}
}

func TestFromPublicKeyIsStableAndParses(t *testing.T) {
	pub := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize)).Public().(ed25519.PublicKey)
	a, b := FromPublicKey(pub), FromPublicKey(pub)
	if a != b || a == Zero {
		t.Fatal("ID derivation not stable")
	}
	p, err := Parse(a.String())
	if err != nil || p != a {
		t.Fatalf("parse round trip: %v", err)
	}
	if _, err := Parse("xyz"); err == nil {
		t.Fatal("bad ID parsed")
	}
}
