package env_test

import (
	"fmt"
	"testing"

	"github.com/almcast/alm/env"
	"github.com/almcast/alm/id"
	"github.com/almcast/alm/wire"
)

// muxMsg is a message of one of the test's protocols.
type muxMsg struct{ t wire.Type }

func (m *muxMsg) WireType() wire.Type { return m.t }

// muxBase is the first of the test's wire types, one protocol each.
const muxBase wire.Type = 0xfe00

const muxProtos = 9 // more than a Mux keeps inline

func init() {
	for i := range muxProtos {
		t := muxBase + wire.Type(i)
		wire.Register(t, fmt.Sprintf("muxtest.m%d", i), fmt.Sprintf("muxtest%d", i), 64,
			func() wire.Message { return &muxMsg{t: t} })
	}
}

type countHandler struct{ n int }

func (h *countHandler) Receive(id.Ref, wire.Message) { h.n++ }

func TestMuxDispatchesEveryProtocol(t *testing.T) {
	m := env.NewMux()
	hs := make([]*countHandler, muxProtos)
	for i := range hs {
		hs[i] = &countHandler{}
		m.Handle(fmt.Sprintf("muxtest%d", i), hs[i])
	}
	// Replacing a handler, inline and beyond, leaves one per protocol.
	for _, i := range []int{1, muxProtos - 1} {
		hs[i] = &countHandler{}
		m.Handle(fmt.Sprintf("muxtest%d", i), hs[i])
	}
	for i := range muxProtos {
		for range i + 1 {
			m.Receive(id.Ref{}, &muxMsg{t: muxBase + wire.Type(i)})
		}
	}
	for i, h := range hs {
		if h.n != i+1 {
			t.Errorf("protocol %d: %d messages, want %d", i, h.n, i+1)
		}
	}
	m.Receive(id.Ref{}, &muxMsg{t: muxBase + 100})
	if m.Unhandled != 1 {
		t.Errorf("Unhandled = %d, want 1", m.Unhandled)
	}
}
