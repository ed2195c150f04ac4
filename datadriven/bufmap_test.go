package datadriven

import (
	"errors"
	"testing"

	"github.com/almcast/alm/wire"
)

func TestBufferMapSlides(t *testing.T) {
	b := NewBufferMap(64)
	for _, s := range []uint64{0, 1, 5, 63} {
		if !b.Set(s) {
			t.Fatalf("Set(%d) failed", s)
		}
	}
	if n, _ := b.Newest(); n != 63 || b.Count() != 4 || !b.Has(5) || b.Has(6) {
		t.Fatalf("newest %d count %d", n, b.Count())
	}
	// Past the end: the window slides so that 70 is its last chunk.
	b.Set(70)
	if b.Base() != 7 || b.Has(0) || b.Has(5) || !b.Has(63) || !b.Has(70) || b.Count() != 2 {
		t.Fatalf("after slide: base %d count %d", b.Base(), b.Count())
	}
	if b.Set(3) {
		t.Fatal("Set behind the window succeeded")
	}
	b.Clear(70)
	if n, _ := b.Newest(); n != 63 {
		t.Fatalf("newest after clear %d", n)
	}
	b.Slide(1000)
	if b.Count() != 0 {
		t.Fatal("slide far did not empty the map")
	}
	if _, ok := b.Newest(); ok {
		t.Fatal("empty map has a newest chunk")
	}
}

// TestBufferMapDeltas: a partner's copy kept up to date by notices equals
// the holder's map sent in full.
func TestBufferMapDeltas(t *testing.T) {
	own := NewBufferMap(128)
	seen, err := FromWire(own.Wire(), MaxMapWords)
	if err != nil {
		t.Fatal(err)
	}
	for s := uint64(0); s < 400; s += 1 + s%3 {
		own.Set(s)
		seen.Set(s) // the Have notice
	}
	full, err := FromWire(own.Wire(), MaxMapWords)
	if err != nil {
		t.Fatal(err)
	}
	for s := uint64(0); s < 400; s++ {
		if own.Has(s) != seen.Has(s) || own.Has(s) != full.Has(s) {
			t.Fatalf("seq %d: own %v delta %v full %v", s, own.Has(s), seen.Has(s), full.Has(s))
		}
	}
}

func TestBufferMapWireRoundTrip(t *testing.T) {
	b := NewBufferMap(128)
	for _, s := range []uint64{1000, 1001, 1050, 1127} {
		b.Set(s)
	}
	frame, err := wire.Encode(&Status{Map: b.Wire()})
	if err != nil {
		t.Fatal(err)
	}
	m, err := wire.Decode(frame)
	if err != nil {
		t.Fatal(err)
	}
	got, err := FromWire(m.(*Status).Map, MaxMapWords)
	if err != nil {
		t.Fatal(err)
	}
	for s := uint64(990); s < 1140; s++ {
		if got.Has(s) != b.Has(s) {
			t.Fatalf("seq %d differs", s)
		}
	}
}

func TestBufferMapRejects(t *testing.T) {
	if _, err := FromWire(WireMap{Bits: make([]uint64, MaxMapWords+1)}, MaxMapWords); !errors.Is(err, ErrMapTooLarge) {
		t.Fatalf("oversized map: %v", err)
	}
	if _, err := FromWire(WireMap{Base: ^uint64(0) - 3, Bits: []uint64{1}}, MaxMapWords); !errors.Is(err, ErrMapBad) {
		t.Fatalf("map at the end of the sequence space: %v", err)
	}
	// An oversized map is refused by the codec too.
	big := &Status{Map: WireMap{Bits: make([]uint64, MaxMapWords+1)}}
	if _, err := wire.Encode(big); err == nil {
		if _, err := wire.Decode(mustFrame(t, big)); err == nil {
			t.Fatal("oversized map decoded")
		}
	}
}

func mustFrame(t *testing.T, m wire.Message) []byte {
	t.Helper()
	b, err := wire.Encode(m)
	if err != nil {
		t.Skip("codec refuses to encode it")
	}
	return b
}

// FuzzBufferMap decodes arbitrary frames as mesh messages and exercises
// any buffer map in them: nothing may panic, and a map that is accepted
// keeps its invariants.
func FuzzBufferMap(f *testing.F) {
	b := NewBufferMap(64)
	b.Set(3)
	b.Set(40)
	for _, m := range []wire.Message{&Status{Map: b.Wire()}, &Hello{Map: b.Wire()}, &Have{Seq: 7}, &Request{Seqs: []uint64{1, 2}}} {
		frame, err := wire.Encode(m)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(frame)
	}
	f.Fuzz(func(t *testing.T, frame []byte) {
		m, err := wire.Decode(frame)
		if err != nil {
			return
		}
		var w WireMap
		switch m := m.(type) {
		case *Status:
			w = m.Map
		case *Hello:
			w = m.Map
		case *Welcome:
			w = m.Map
		default:
			return
		}
		bm, err := FromWire(w, MaxMapWords)
		if err != nil {
			return
		}
		if bm.Count() > bm.Size() {
			t.Fatalf("count %d over size %d", bm.Count(), bm.Size())
		}
		if n, ok := bm.Newest(); ok && !bm.Has(n) {
			t.Fatalf("newest %d not held", n)
		}
		bm.Set(bm.Base() + uint64(bm.Size()) + 5)
		if bm.Count() > bm.Size() {
			t.Fatal("count over size after a slide")
		}
	})
}
