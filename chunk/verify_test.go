package chunk

import (
	"crypto/ed25519"
	"math/rand/v2"
	"testing"
)

// TestVerifySigMatchesStdlib checks verifySig against crypto/ed25519 on
// good signatures, flipped bits, other keys and bad lengths.
func TestVerifySigMatchesStdlib(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	seed := make([]byte, ed25519.SeedSize)
	for i := 0; i < 50; i++ {
		for j := range seed {
			seed[j] = byte(rng.Uint32())
		}
		priv := ed25519.NewKeyFromSeed(seed)
		pub := priv.Public().(ed25519.PublicKey)
		msg := make([]byte, rng.IntN(200))
		for j := range msg {
			msg[j] = byte(rng.Uint32())
		}
		sig := ed25519.Sign(priv, msg)
		cases := [][3][]byte{{pub, msg, sig}}
		bad := append([]byte(nil), sig...)
		bad[rng.IntN(len(bad))] ^= 1 << rng.IntN(8)
		cases = append(cases, [3][]byte{pub, msg, bad})
		if len(msg) > 0 {
			m2 := append([]byte(nil), msg...)
			m2[0] ^= 1
			cases = append(cases, [3][]byte{pub, m2, sig})
		}
		k2 := append([]byte(nil), pub...)
		k2[rng.IntN(len(k2))] ^= 1 << rng.IntN(8)
		cases = append(cases, [3][]byte{k2, msg, sig}, [3][]byte{pub, msg, sig[:63]}, [3][]byte{pub[:31], msg, sig})
		for n, c := range cases {
			want := len(c[0]) == ed25519.PublicKeySize && ed25519.Verify(c[0], c[1], c[2])
			if got := verifySig(c[0], c[1], c[2]); got != want {
				t.Fatalf("key %d case %d: verifySig %v, crypto/ed25519 %v", i, n, got, want)
			}
			if got := NewVerifier(c[0]).verifySig(c[1], c[2]); got != want {
				t.Fatalf("key %d case %d: Verifier %v, crypto/ed25519 %v", i, n, got, want)
			}
		}
	}
	// A key that is not a point on the curve is refused, as by the stdlib.
	notPoint := make([]byte, ed25519.PublicKeySize)
	notPoint[0] = 2 // y = 2 has no x
	if verifySig(notPoint, []byte("m"), make([]byte, ed25519.SignatureSize)) {
		t.Fatal("a key that is not a point verified")
	}
	if NewVerifier(notPoint).verifySig([]byte("m"), make([]byte, ed25519.SignatureSize)) {
		t.Fatal("a Verifier of a key that is not a point verified")
	}
}

func BenchmarkVerifySig(b *testing.B) {
	priv := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
	pub := priv.Public().(ed25519.PublicKey)
	msg := make([]byte, 32)
	sig := ed25519.Sign(priv, msg)
	b.Run("alm", func(b *testing.B) {
		for b.Loop() {
			verifySig(pub, msg, sig)
		}
	})
	b.Run("verifier", func(b *testing.B) {
		v := NewVerifier(pub)
		for b.Loop() {
			v.verifySig(msg, sig)
		}
	})
	b.Run("stdlib", func(b *testing.B) {
		for b.Loop() {
			ed25519.Verify(pub, msg, sig)
		}
	})
}
