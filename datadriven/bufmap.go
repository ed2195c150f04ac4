package datadriven

import (
	"errors"
	"fmt"

	"github.com/bits-and-blooms/bitset"
)

// MaxMapWords bounds a buffer map on the wire: 16 words, 1024 chunks.
const MaxMapWords = 16

// BufferMap records which chunks of a sliding window of sequence numbers,
// [Base, Base+Size), a node holds. Chunk seq is bit seq mod Size of a
// bitset, so the window slides by clearing the bits it leaves behind,
// without moving the others, and the words go on the wire as they are.
type BufferMap struct {
	base uint64
	size uint
	bits *bitset.BitSet
	top  uint64 // highest seq set + 1 (0: none)
}

// NewBufferMap returns an empty map over a window of size chunks, rounded
// up to a multiple of 64.
func NewBufferMap(size int) *BufferMap {
	words := (size + 63) / 64
	if words < 1 {
		words = 1
	}
	return &BufferMap{size: uint(words) * 64, bits: bitset.New(uint(words) * 64)}
}

// Base is the oldest sequence number in the window.
func (b *BufferMap) Base() uint64 { return b.base }

// Size is the window's length in chunks.
func (b *BufferMap) Size() int { return int(b.size) }

// Has reports whether seq is in the window and held.
func (b *BufferMap) Has(seq uint64) bool {
	return seq >= b.base && seq-b.base < uint64(b.size) && b.bits.Test(uint(seq%uint64(b.size)))
}

// Set marks seq held, sliding the window forward if seq is past its end.
// It reports false for a seq behind the window.
func (b *BufferMap) Set(seq uint64) bool {
	if seq < b.base {
		return false
	}
	if seq-b.base >= uint64(b.size) {
		b.Slide(seq - uint64(b.size) + 1)
	}
	b.bits.Set(uint(seq % uint64(b.size)))
	if seq+1 > b.top {
		b.top = seq + 1
	}
	return true
}

// Clear marks seq not held.
func (b *BufferMap) Clear(seq uint64) {
	if !b.Has(seq) {
		return
	}
	b.bits.Clear(uint(seq % uint64(b.size)))
	if seq+1 == b.top {
		b.retop()
	}
}

// Slide moves the window's start forward to base, forgetting the chunks
// before it. A base behind the current one is ignored.
func (b *BufferMap) Slide(base uint64) {
	if base <= b.base {
		return
	}
	if base-b.base >= uint64(b.size) {
		b.bits.ClearAll()
	} else {
		for s := b.base; s < base; s++ {
			b.bits.Clear(uint(s % uint64(b.size)))
		}
	}
	b.base = base
	if b.top < base {
		b.top = 0
	}
}

// retop finds the newest held chunk again.
func (b *BufferMap) retop() {
	b.top = 0
	for s := b.base + uint64(b.size); s > b.base; s-- {
		if b.bits.Test(uint((s - 1) % uint64(b.size))) {
			b.top = s
			return
		}
	}
}

// Newest returns the highest held sequence number.
func (b *BufferMap) Newest() (uint64, bool) {
	if b.top == 0 {
		return 0, false
	}
	return b.top - 1, true
}

// Count returns how many chunks are held.
func (b *BufferMap) Count() int { return int(b.bits.Count()) }

// Wire returns the map as sent to partners.
func (b *BufferMap) Wire() WireMap {
	w := b.bits.Words()
	return WireMap{Base: b.base, Bits: append([]uint64(nil), w...)}
}

// Errors of FromWire; wrapped, so test with errors.Is.
var (
	ErrMapTooLarge = errors.New("datadriven: buffer map too large")
	ErrMapBad      = errors.New("datadriven: malformed buffer map")
)

// FromWire checks a map received from a partner: at most maxWords words
// (and MaxMapWords), no bits set past the end of the sequence space.
func FromWire(w WireMap, maxWords int) (*BufferMap, error) {
	if maxWords > MaxMapWords {
		maxWords = MaxMapWords
	}
	if len(w.Bits) > maxWords {
		return nil, fmt.Errorf("%w: %d words, limit %d", ErrMapTooLarge, len(w.Bits), maxWords)
	}
	if len(w.Bits) == 0 {
		m := NewBufferMap(64)
		m.base = w.Base
		return m, nil
	}
	size := uint(len(w.Bits)) * 64
	if w.Base > ^uint64(0)-uint64(size) {
		return nil, fmt.Errorf("%w: base %d at the end of the sequence space", ErrMapBad, w.Base)
	}
	m := &BufferMap{base: w.Base, size: size, bits: bitset.From(append([]uint64(nil), w.Bits...))}
	m.retop()
	return m, nil
}
