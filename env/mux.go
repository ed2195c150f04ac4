package env

import (
	"github.com/almcast/alm/id"
	"github.com/almcast/alm/wire"
)

// Mux dispatches a node's incoming messages to the core that owns their
// protocol (wire.Proto). Messages of a protocol with no handler are counted
// in Unhandled and dropped.
type Mux struct {
	handlers  map[string]Handler
	Unhandled uint64
}

// NewMux returns an empty Mux.
func NewMux() *Mux { return &Mux{handlers: map[string]Handler{}} }

// Handle routes messages of protocol proto to h, replacing any earlier one.
func (m *Mux) Handle(proto string, h Handler) { m.handlers[proto] = h }

// Receive implements Handler.
func (m *Mux) Receive(from id.Ref, msg wire.Message) {
	h, ok := m.handlers[wire.Proto(msg)]
	if !ok {
		m.Unhandled++
		return
	}
	h.Receive(from, msg)
}
