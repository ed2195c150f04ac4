package overlay

import (
	"github.com/almcast/alm/id"
	"github.com/almcast/alm/wire"
)

// LookupProto is the protocol of the lookup application.
const LookupProto = "lookup"

const typeLookup wire.Type = 90

// Lookup is the payload of a test lookup: it is routed to a key and
// reported where it is delivered.
type Lookup struct {
	_ struct{} `cbor:",toarray"`
	N uint64
}

// WireType implements wire.Message.
func (*Lookup) WireType() wire.Type { return typeLookup }

func init() {
	wire.Register(typeLookup, "lookup.lookup", LookupProto, 128, func() wire.Message { return new(Lookup) })
}

// Lookups is a KBR application that reports each Lookup where it is
// delivered; `alm overlay` and the tests use it to measure routing.
type Lookups struct {
	// Delivered is called on the node responsible for the key.
	Delivered func(m *Msg, l *Lookup)
}

// Forward lets every lookup pass.
func (a *Lookups) Forward(*Msg, id.Ref) bool { return true }

// Deliver reports the lookup.
func (a *Lookups) Deliver(m *Msg) {
	if l, ok := m.Payload.(*Lookup); ok && a.Delivered != nil {
		a.Delivered(m, l)
	}
}

// LeafSetChanged ignores leaf-set changes.
func (a *Lookups) LeafSetChanged(id.Ref, bool) {}
