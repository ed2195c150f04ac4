package overlay

import (
	"github.com/almcast/alm/id"
	"github.com/almcast/alm/wire"
)

// The simulator asks every message for its size; these give it exactly
// without encoding. TestWireSizes checks them against the codec.

func refSize(r id.Ref) int { return 1 + wire.BytesSize(len(r.ID)) + wire.BytesSize(len(r.Addr)) }

func refsSize(rs []id.Ref) int {
	n := wire.HeadSize(uint64(len(rs)))
	for _, r := range rs {
		n += refSize(r)
	}
	return n
}

func boolSize(bool) int { return 1 }

// WireSize implements wire.Sizer.
func (m *Ping) WireSize() int { return wire.FrameSize(1 + wire.HeadSize(m.Nonce)) }

// WireSize implements wire.Sizer.
func (m *Pong) WireSize() int { return wire.FrameSize(1 + wire.HeadSize(m.Nonce)) }

// WireSize implements wire.Sizer.
func (m *RouteAck) WireSize() int { return wire.FrameSize(1 + wire.HeadSize(m.Ack)) }

// WireSize implements wire.Sizer.
func (m *Announce) WireSize() int { return wire.FrameSize(1 + wire.IntSize(m.RTT)) }

// WireSize implements wire.Sizer.
func (m *Suspect) WireSize() int { return wire.FrameSize(1 + refSize(m.Node)) }

// WireSize implements wire.Sizer.
func (m *Heartbeat) WireSize() int { return wire.FrameSize(1 + refsSize(m.Leaf) + boolSize(m.Reply)) }

// WireSize implements wire.Sizer.
func (m *Leave) WireSize() int { return wire.FrameSize(1 + refsSize(m.Leaf)) }

// WireSize implements wire.Sizer.
func (m *StateRequest) WireSize() int {
	rows := wire.BytesSize(len(m.Rows))
	if m.Rows == nil {
		rows = 1 // nil slice encodes as null
	}
	return wire.FrameSize(1 + wire.HeadSize(m.Nonce) + boolSize(m.Leaf) + rows)
}

func nilOr(rs []id.Ref) int {
	if rs == nil {
		return 1
	}
	return refsSize(rs)
}

// WireSize implements wire.Sizer.
func (m *StateReply) WireSize() int {
	return wire.FrameSize(1 + wire.HeadSize(m.Nonce) + nilOr(m.Leaf) + nilOr(m.Table))
}

// WireSize implements wire.Sizer.
func (m *JoinReply) WireSize() int {
	return wire.FrameSize(1 + wire.HeadSize(m.Nonce) + boolSize(m.Final) + nilOr(m.Table) + nilOr(m.Leaf))
}

// WireSize implements wire.Sizer.
func (m *JoinRequest) WireSize() int {
	return wire.FrameSize(1 + refSize(m.Joiner) + wire.HeadSize(m.Nonce) + boolSize(m.Check))
}

// WireSize implements wire.Sizer.
func (m *Route) WireSize() int {
	return wire.FrameSize(1 + wire.HeadSize(m.MsgID) + wire.HeadSize(m.Ack) + wire.BytesSize(len(m.Key)) +
		refSize(m.Origin) + wire.HeadSize(uint64(m.Hops)) + wire.IntSize(m.Sent) + wire.AnySize(m.Payload))
}

// WireSize implements wire.Sizer.
func (m *Lookup) WireSize() int { return wire.FrameSize(1 + wire.HeadSize(m.N)) }
