package env

import (
	"github.com/almcast/alm/id"
	"github.com/almcast/alm/wire"
)

// Mux dispatches a node's incoming messages to the core that owns their
// protocol (wire.Proto). Messages of a protocol with no handler are counted
// in Unhandled and dropped.
type Mux struct {
	protos    []string // a node has a handful: a slice beats a map
	handlers  []Handler
	Unhandled uint64
}

// NewMux returns an empty Mux.
func NewMux() *Mux { return &Mux{} }

// Handle routes messages of protocol proto to h, replacing any earlier one.
func (m *Mux) Handle(proto string, h Handler) {
	for i, p := range m.protos {
		if p == proto {
			m.handlers[i] = h
			return
		}
	}
	m.protos = append(m.protos, proto)
	m.handlers = append(m.handlers, h)
}

// Receive implements Handler.
func (m *Mux) Receive(from id.Ref, msg wire.Message) {
	proto := wire.Proto(msg)
	for i, p := range m.protos {
		if p == proto {
			m.handlers[i].Receive(from, msg)
			return
		}
	}
	m.Unhandled++
}
