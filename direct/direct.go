// Package direct is the client-server baseline delivery mode: every viewer
// subscribes to the source, and the source sends every chunk to every
// viewer. It is what the peer-to-peer modes must beat: the source's upload
// caps the audience.
package direct

import (
	"time"

	"github.com/almcast/alm/chunk"
	"github.com/almcast/alm/delivery"
	"github.com/almcast/alm/env"
	"github.com/almcast/alm/id"
	"github.com/almcast/alm/wire"
)

// Name is the mode's name.
const Name = "direct"

// Proto is the protocol name of the mode's messages.
const Proto = "direct"

const (
	typeSubscribe   wire.Type = 540
	typeUnsubscribe wire.Type = 541
)

// Refresh is how often a viewer renews its subscription; the source drops
// a viewer not heard from for Expiry.
const (
	Refresh = 10 * time.Second
	Expiry  = 35 * time.Second
)

// Subscribe asks the source for the stream (and renews the request).
type Subscribe struct {
	_       struct{} `cbor:",toarray"`
	Channel id.ID
}

// Unsubscribe tells the source the viewer leaves.
type Unsubscribe struct {
	_       struct{} `cbor:",toarray"`
	Channel id.ID
}

// WireType implements wire.Message.
func (*Subscribe) WireType() wire.Type { return typeSubscribe }

// WireType implements wire.Message.
func (*Unsubscribe) WireType() wire.Type { return typeUnsubscribe }

func init() {
	wire.Register(typeSubscribe, "direct.subscribe", Proto, 64, func() wire.Message { return new(Subscribe) })
	wire.Register(typeUnsubscribe, "direct.unsubscribe", Proto, 64, func() wire.Message { return new(Unsubscribe) })
	delivery.Register(Name, New)
}

type viewer struct {
	ref  id.Ref
	seen time.Duration
}

// Mode is the direct mode on one node.
type Mode struct {
	h       delivery.Host
	e       env.Env
	viewers []viewer // source only, in order of subscription
	stops   []func()
	sent    uint64
}

// New returns the direct mode for h.
func New(h delivery.Host) (delivery.Mode, error) {
	return &Mode{h: h, e: h.Env()}, nil
}

// Proto implements delivery.Mode.
func (m *Mode) Proto() string { return Proto }

// Start implements delivery.Mode.
func (m *Mode) Start() {
	if m.h.IsSource() {
		m.stops = append(m.stops, env.Every(m.e, Refresh, 0, m.expire))
		return
	}
	m.subscribe()
	m.stops = append(m.stops, env.Every(m.e, Refresh, 0.1, m.subscribe))
}

func (m *Mode) subscribe() {
	if src := m.h.Source(); !src.IsZero() {
		m.h.Send(src, &Subscribe{Channel: m.h.Channel().ID()})
	}
}

func (m *Mode) expire() {
	now := m.e.Now()
	kept := m.viewers[:0]
	for _, v := range m.viewers {
		if now-v.seen <= Expiry {
			kept = append(kept, v)
		}
	}
	m.viewers = kept
}

// Receive implements env.Handler.
func (m *Mode) Receive(from id.Ref, msg wire.Message) {
	if !m.h.IsSource() {
		return
	}
	switch msg := msg.(type) {
	case *Subscribe:
		if msg.Channel != m.h.Channel().ID() {
			return
		}
		for i := range m.viewers {
			if m.viewers[i].ref.ID == from.ID {
				m.viewers[i].seen = m.e.Now()
				m.viewers[i].ref = from
				return
			}
		}
		m.viewers = append(m.viewers, viewer{ref: from, seen: m.e.Now()})
	case *Unsubscribe:
		for i := range m.viewers {
			if m.viewers[i].ref.ID == from.ID {
				m.viewers = append(m.viewers[:i], m.viewers[i+1:]...)
				return
			}
		}
	}
}

// Publish implements delivery.Mode: one copy to every viewer.
func (m *Mode) Publish(c *chunk.Chunk) {
	for _, v := range m.viewers {
		m.h.Send(v.ref, c)
		m.sent++
	}
}

// Chunk implements delivery.Mode: viewers forward nothing.
func (m *Mode) Chunk(id.Ref, *chunk.Chunk, bool) {}

// Stop implements delivery.Mode.
func (m *Mode) Stop() {
	for _, s := range m.stops {
		s()
	}
	m.stops = nil
}

// Leave implements delivery.Mode.
func (m *Mode) Leave() {
	if src := m.h.Source(); !m.h.IsSource() && !src.IsZero() {
		m.h.Send(src, &Unsubscribe{Channel: m.h.Channel().ID()})
	}
	m.Stop()
}

// Stats implements delivery.Mode.
func (m *Mode) Stats() map[string]float64 {
	return map[string]float64{"viewers": float64(len(m.viewers)), "copies_sent": float64(m.sent)}
}

// Peers lists the source's viewers (for alm inspect).
func (m *Mode) Peers() map[string]any {
	if !m.h.IsSource() {
		return map[string]any{"source": m.h.Source().String()}
	}
	out := make([]string, 0, len(m.viewers))
	for _, v := range m.viewers {
		out = append(out, v.ref.String())
	}
	return map[string]any{"viewers": out}
}
