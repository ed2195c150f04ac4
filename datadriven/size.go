package datadriven

import (
	"github.com/almcast/alm/id"
	"github.com/almcast/alm/wire"
)

// Exact frame sizes for the messages the simulator sends often;
// TestWireSizes checks them against the codec.

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

func clockSize(c Clock) int {
	return 1 + wire.HeadSize(c.Seq) + wire.IntSize(c.Time) + wire.IntSize(c.Dur)
}

func mapSize(w WireMap) int { return 1 + wire.HeadSize(w.Base) + seqsSize(w.Bits) }

func refsSize(rs []id.Ref) int {
	if rs == nil {
		return 1
	}
	n := wire.HeadSize(uint64(len(rs)))
	for _, r := range rs {
		n += 1 + wire.BytesSize(len(r.ID)) + wire.BytesSize(len(r.Addr))
	}
	return n
}

// WireSize implements wire.Sizer.
func (m *Hello) WireSize() int {
	return wire.FrameSize(1 + wire.BytesSize(len(m.Channel)) + wire.IntSize(m.Upload) + mapSize(m.Map) + wire.BytesSize(len(m.Depths)))
}

// WireSize implements wire.Sizer.
func (m *Welcome) WireSize() int {
	return wire.FrameSize(1 + 1 + wire.IntSize(m.Upload) + mapSize(m.Map) + refsSize(m.Peers) + wire.BytesSize(len(m.Depths)) + clockSize(m.Clock))
}

// WireSize implements wire.Sizer.
func (m *Have) WireSize() int {
	return wire.FrameSize(1 + wire.HeadSize(m.Seq) + wire.HeadSize(uint64(m.Queue)) + wire.HeadSize(uint64(m.Depth)) + wire.HeadSize(m.Next))
}

// WireSize implements wire.Sizer.
func (m *Status) WireSize() int {
	return wire.FrameSize(1 + mapSize(m.Map) + wire.BytesSize(len(m.Depths)) + clockSize(m.Clock) + wire.HeadSize(m.Next))
}

// WireSize implements wire.Sizer.
func (m *Request) WireSize() int {
	return wire.FrameSize(1 + seqsSize(m.Seqs) + wire.HeadSize(uint64(m.Urgent)) + wire.HeadSize(m.Next))
}

// WireSize implements wire.Sizer.
func (m *Refuse) WireSize() int { return wire.FrameSize(1 + seqsSize(m.Seqs) + 1) }

// WireSize implements wire.Sizer.
func (m *Bye) WireSize() int { return wire.FrameSize(1 + wire.HeadSize(uint64(m.Reason))) }

// WireSize implements wire.Sizer.
func (m *Subscribe) WireSize() int { return wire.FrameSize(1 + wire.HeadSize(uint64(m.Mask))) }

// WireSize implements wire.Sizer.
func (m *SubAck) WireSize() int {
	return wire.FrameSize(1 + wire.HeadSize(uint64(m.Mask)) + wire.BytesSize(len(m.Depths)) + refsSize(m.Peers))
}

// WireSize implements wire.Sizer.
func (m *Envelope) WireSize() int { return wire.FrameSize(1 + wire.AnySize(m.M)) }
