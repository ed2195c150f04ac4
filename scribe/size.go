package scribe

import (
	"github.com/almcast/alm/id"
	"github.com/almcast/alm/wire"
)

// The simulator asks every message for its size; these give it exactly
// without encoding. TestWireSizes checks them against the codec.

const idSize = 1 + id.Bits/8 // an ID encodes as a 16-byte string

func refSize(r id.Ref) int { return 1 + wire.BytesSize(len(r.ID)) + wire.BytesSize(len(r.Addr)) }

func idsSize(ids []id.ID) int {
	if ids == nil {
		return 1
	}
	return wire.HeadSize(uint64(len(ids))) + len(ids)*idSize
}

func seqsSize(s []uint64) int {
	if s == nil {
		return 1
	}
	n := wire.HeadSize(uint64(len(s)))
	for _, v := range s {
		n += wire.HeadSize(v)
	}
	return n
}

func boolSize(bool) int { return 1 }

// WireSize implements wire.Sizer.
func (m *Join) WireSize() int {
	return wire.FrameSize(1 + idSize + refSize(m.Joiner) + wire.HeadSize(uint64(m.Hops)) + boolSize(m.Down) + boolSize(m.Root) + wire.HeadSize(uint64(m.Spare)) + boolSize(m.Near) + idSize + wire.HeadSize(uint64(m.Kids)))
}

// WireSize implements wire.Sizer.
func (m *Accept) WireSize() int { return wire.FrameSize(1 + idSize + idsSize(m.Path)) }

// WireSize implements wire.Sizer.
func (m *Refuse) WireSize() int { return wire.FrameSize(1 + idSize) }

// WireSize implements wire.Sizer.
func (m *Leave) WireSize() int { return wire.FrameSize(1 + idSize) }

// WireSize implements wire.Sizer.
func (m *Drop) WireSize() int {
	n := 1 + idSize
	if m.Try == nil {
		n++
	} else {
		n += wire.HeadSize(uint64(len(m.Try)))
		for _, r := range m.Try {
			n += refSize(r)
		}
	}
	return wire.FrameSize(n)
}

// WireSize implements wire.Sizer.
func (m *Beat) WireSize() int {
	n := 1
	if m.Entries == nil {
		n++
	} else {
		n += wire.HeadSize(uint64(len(m.Entries)))
		for _, e := range m.Entries {
			n += 1 + idSize + idsSize(e.Path) + wire.HeadSize(uint64(e.Spare)) + refSize(e.Up)
		}
	}
	return wire.FrameSize(n)
}

// WireSize implements wire.Sizer.
func (m *Refresh) WireSize() int {
	n := 1
	if m.Entries == nil {
		n++
	} else {
		n += wire.HeadSize(uint64(len(m.Entries)))
		for _, e := range m.Entries {
			n += 1 + idSize + wire.HeadSize(uint64(e.Spare)) + wire.HeadSize(uint64(e.Kids)) + wire.HeadSize(uint64(e.Own)) + wire.HeadSize(uint64(e.Room))
		}
	}
	return wire.FrameSize(n)
}

// WireSize implements wire.Sizer.
func (m *Anycast) WireSize() int {
	return wire.FrameSize(1 + 2*idSize + refSize(m.Joiner) + idsSize(m.Visited) + 1) // + the bool
}

// WireSize implements wire.Sizer.
func (m *Probe) WireSize() int { return wire.FrameSize(1 + idsSize(m.Groups)) }

// WireSize implements wire.Sizer.
func (m *Nack) WireSize() int { return wire.FrameSize(1 + seqsSize(m.Seqs)) }

// WireSize implements wire.Sizer.
func (m *Miss) WireSize() int { return wire.FrameSize(1 + seqsSize(m.Seqs)) }
