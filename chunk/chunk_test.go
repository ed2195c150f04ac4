package chunk

import (
	"crypto/ed25519"
	"errors"
	"strings"
	"testing"

	"github.com/almcast/alm/wire"
)

func testKey(b byte) ed25519.PrivateKey {
	seed := make([]byte, ed25519.SeedSize)
	seed[0] = b
	return ed25519.NewKeyFromSeed(seed)
}

func TestChannelStringRoundTrip(t *testing.T) {
	k := testKey(1)
	ch, err := NewChannel(k.Public().(ed25519.PublicKey), "news-1")
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParseChannel(ch.String())
	if err != nil || got.String() != ch.String() || got.ID() != ch.ID() {
		t.Fatalf("round trip: %v %v", got, err)
	}
	for _, bad := range []string{"", "http://x/y", "alm://zz/news", "alm://" + strings.Repeat("ab", 32), "alm://" + strings.Repeat("ab", 32) + "/bad name", "alm://" + strings.Repeat("ab", 31) + "/n"} {
		if _, err := ParseChannel(bad); !errors.Is(err, ErrChannel) {
			t.Errorf("ParseChannel(%q) = %v, want ErrChannel", bad, err)
		}
	}
}

func TestSignVerifyAndForgery(t *testing.T) {
	k := testKey(2)
	ch, _ := NewChannel(k.Public().(ed25519.PublicKey), "tv")
	c := &Chunk{Channel: ch.ID(), Seq: 7, Time: 123, Duration: 200e6, Packets: [][]byte{{1, 2, 3}, {4}}}
	c.Sign(k)
	if err := c.Verify(ch); err != nil {
		t.Fatal(err)
	}
	frame, err := wire.Encode(c)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.WireSize(); got != len(frame) {
		t.Fatalf("WireSize %d, encoded %d", got, len(frame))
	}
	m, err := wire.Decode(frame)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.(*Chunk).Verify(ch); err != nil {
		t.Fatalf("decoded chunk does not verify: %v", err)
	}
	forged := *c
	forged.Packets = [][]byte{{1, 2, 3}, {5}}
	if err := forged.Verify(ch); !errors.Is(err, ErrSignature) {
		t.Fatalf("forged payload: %v", err)
	}
	replayed := *c
	replayed.Seq = 8
	if err := replayed.Verify(ch); !errors.Is(err, ErrSignature) {
		t.Fatalf("re-numbered chunk: %v", err)
	}
	other, _ := NewChannel(testKey(3).Public().(ed25519.PublicKey), "tv")
	if err := c.Verify(other); !errors.Is(err, ErrChannelID) {
		t.Fatalf("other channel: %v", err)
	}
	signedByOther := *c
	signedByOther.Sign(testKey(3))
	if err := signedByOther.Verify(ch); !errors.Is(err, ErrSignature) {
		t.Fatalf("chunk signed by another key: %v", err)
	}
}

func TestMetaSignVerify(t *testing.T) {
	k := testKey(4)
	ch, _ := NewChannel(k.Public().(ed25519.PublicKey), "radio")
	m := &Meta{Channel: ch.ID(), Name: ch.Name, Key: ch.Key, SDP: "v=0\r\n", ChunkDuration: 200e6, Rate: 1e6}
	m.Sign(k)
	frame, err := wire.Encode(m)
	if err != nil {
		t.Fatal(err)
	}
	got, err := wire.Decode(frame)
	if err != nil {
		t.Fatal(err)
	}
	if err := got.(*Meta).Verify(ch); err != nil {
		t.Fatal(err)
	}
	m.SDP = "v=1\r\n"
	if err := m.Verify(ch); !errors.Is(err, ErrSignature) {
		t.Fatalf("changed SDP: %v", err)
	}
}
