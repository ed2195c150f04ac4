package env

import (
	"github.com/almcast/alm/id"
	"github.com/almcast/alm/wire"
)

// muxInline is how many protocols a Mux keeps inside itself; a node has a
// handful, and a message's dispatch then reads no memory but the Mux's
// own (in a large simulation that memory is rarely in the cache).
const muxInline = 6

// Mux dispatches a node's incoming messages to the core that owns their
// protocol (wire.Proto). Messages of a protocol with no handler are counted
// in Unhandled and dropped.
type Mux struct {
	n         int
	protos    [muxInline]string
	handlers  [muxInline]Handler
	more      []muxEntry // beyond muxInline
	Unhandled uint64
}

type muxEntry struct {
	proto string
	h     Handler
}

// NewMux returns an empty Mux.
func NewMux() *Mux { return &Mux{} }

// Handle routes messages of protocol proto to h, replacing any earlier one.
func (m *Mux) Handle(proto string, h Handler) {
	for i, p := range m.protos[:m.n] {
		if p == proto {
			m.handlers[i] = h
			return
		}
	}
	for i, e := range m.more {
		if e.proto == proto {
			m.more[i].h = h
			return
		}
	}
	if m.n < muxInline {
		m.protos[m.n], m.handlers[m.n] = proto, h
		m.n++
		return
	}
	m.more = append(m.more, muxEntry{proto, h})
}

// Receive implements Handler.
func (m *Mux) Receive(from id.Ref, msg wire.Message) {
	proto := wire.Proto(msg)
	for i, p := range m.protos[:m.n] {
		if p == proto {
			m.handlers[i].Receive(from, msg)
			return
		}
	}
	for _, e := range m.more {
		if e.proto == proto {
			e.h.Receive(from, msg)
			return
		}
	}
	m.Unhandled++
}
