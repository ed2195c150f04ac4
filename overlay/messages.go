package overlay

import (
	"errors"

	"github.com/almcast/alm/id"
	"github.com/almcast/alm/wire"
)

// Proto is the protocol name of the overlay's own messages.
const Proto = "overlay"

// Wire types 1-99 belong to the overlay.
const (
	typePing wire.Type = 1 + iota
	typePong
	typeRoute
	typeRouteAck
	typeStateRequest
	typeStateReply
	typeJoinRequest
	typeJoinReply
	typeAnnounce
	typeHeartbeat
	typeLeave
	typeSuspect
)

const (
	maxLeafRefs  = 64
	maxTableRefs = id.Digits * id.Base
	refBytes     = 300 // generous bound on one encoded Ref
)

// Ping asks a node to answer with a Pong; it measures liveness and RTT.
type Ping struct {
	_     struct{} `cbor:",toarray"`
	Nonce uint64
}

// Pong answers a Ping.
type Pong struct {
	_     struct{} `cbor:",toarray"`
	Nonce uint64
}

// Route carries an application message towards the node responsible for
// Key, one hop at a time.
type Route struct {
	_       struct{} `cbor:",toarray"`
	MsgID   uint64   // chosen by the origin; receivers drop duplicates
	Ack     uint64   // hop sequence to acknowledge; 0: no ack wanted
	Key     id.ID
	Origin  id.Ref
	Hops    uint8
	Sent    int64 // origin's Now() in ns when first sent
	Payload wire.Any
}

// RouteAck acknowledges one hop of a Route.
type RouteAck struct {
	_   struct{} `cbor:",toarray"`
	Ack uint64
}

// StateRequest asks a node for its leaf set and routing-table rows.
type StateRequest struct {
	_     struct{} `cbor:",toarray"`
	Nonce uint64
	Leaf  bool
	Rows  []uint8 // rows wanted; empty: none
}

// StateReply answers a StateRequest. The receiver works out each entry's
// routing-table slot itself.
type StateReply struct {
	_     struct{} `cbor:",toarray"`
	Nonce uint64
	Leaf  []id.Ref
	Table []id.Ref
}

// JoinRequest is routed (inside a Route) to the joining node's own ID.
type JoinRequest struct {
	_      struct{} `cbor:",toarray"`
	Joiner id.Ref
	Nonce  uint64
	Check  bool // a joined node checking its leaf set: only the last node answers, with its leaf set
}

// JoinReply is sent to the joining node by every node its JoinRequest
// passes: the rows of their tables that fit the joiner and, from the last
// node, its leaf set.
type JoinReply struct {
	_     struct{} `cbor:",toarray"`
	Nonce uint64
	Final bool
	Table []id.Ref
	Leaf  []id.Ref
}

// Announce tells a node that the sender has joined and may belong in its
// leaf set or routing table. RTT is the round-trip time the sender measured
// to the receiver (0: not measured); the receiver only uses it to skip a
// probe when the sender would not beat its current entry, and measures
// itself before it replaces anything.
type Announce struct {
	_   struct{} `cbor:",toarray"`
	RTT int64
}

// Heartbeat is sent to the immediate neighbours with the sender's leaf set.
type Heartbeat struct {
	_     struct{} `cbor:",toarray"`
	Leaf  []id.Ref
	Reply bool // sent back to a node that missed nodes between us
}

// Leave announces a graceful departure with the leaver's leaf set, so the
// receivers can fill the hole at once.
type Leave struct {
	_    struct{} `cbor:",toarray"`
	Leaf []id.Ref
}

// Suspect tells leaf-set members that the sender found Node dead; each
// receiver probes it itself before it believes so.
type Suspect struct {
	_    struct{} `cbor:",toarray"`
	Node id.Ref
}

func (*Ping) WireType() wire.Type         { return typePing }
func (*Pong) WireType() wire.Type         { return typePong }
func (*Route) WireType() wire.Type        { return typeRoute }
func (*RouteAck) WireType() wire.Type     { return typeRouteAck }
func (*StateRequest) WireType() wire.Type { return typeStateRequest }
func (*StateReply) WireType() wire.Type   { return typeStateReply }
func (*JoinRequest) WireType() wire.Type  { return typeJoinRequest }
func (*JoinReply) WireType() wire.Type    { return typeJoinReply }
func (*Announce) WireType() wire.Type     { return typeAnnounce }
func (*Heartbeat) WireType() wire.Type    { return typeHeartbeat }
func (*Leave) WireType() wire.Type        { return typeLeave }
func (*Suspect) WireType() wire.Type      { return typeSuspect }

var errTooMany = errors.New("too many entries")

// Validate bounds the lists.
func (m *StateRequest) Validate() error {
	if len(m.Rows) > id.Digits {
		return errTooMany
	}
	return nil
}

// Validate bounds the lists.
func (m *StateReply) Validate() error {
	if len(m.Leaf) > maxLeafRefs || len(m.Table) > maxTableRefs {
		return errTooMany
	}
	return nil
}

// Validate bounds the lists.
func (m *JoinReply) Validate() error {
	if len(m.Leaf) > maxLeafRefs || len(m.Table) > maxTableRefs {
		return errTooMany
	}
	return nil
}

// Validate bounds the lists.
func (m *Heartbeat) Validate() error {
	if len(m.Leaf) > maxLeafRefs {
		return errTooMany
	}
	return nil
}

// Validate bounds the lists.
func (m *Leave) Validate() error {
	if len(m.Leaf) > maxLeafRefs {
		return errTooMany
	}
	return nil
}

// Validate requires a payload.
func (m *Route) Validate() error {
	if m.Payload.M == nil {
		return errors.New("route without payload")
	}
	return nil
}

func init() {
	small := 64 + refBytes
	list := 64 + refBytes*(maxTableRefs+maxLeafRefs)
	reg := func(t wire.Type, name string, max int, mk func() wire.Message) {
		wire.Register(t, "overlay."+name, Proto, max, mk)
	}
	reg(typePing, "ping", small, func() wire.Message { return new(Ping) })
	reg(typePong, "pong", small, func() wire.Message { return new(Pong) })
	reg(typeRoute, "route", 256<<10, func() wire.Message { return new(Route) })
	wire.Carrier(typeRoute)
	reg(typeRouteAck, "route_ack", small, func() wire.Message { return new(RouteAck) })
	reg(typeStateRequest, "state_request", small, func() wire.Message { return new(StateRequest) })
	reg(typeStateReply, "state_reply", list, func() wire.Message { return new(StateReply) })
	reg(typeJoinRequest, "join_request", small, func() wire.Message { return new(JoinRequest) })
	reg(typeJoinReply, "join_reply", list, func() wire.Message { return new(JoinReply) })
	reg(typeAnnounce, "announce", small, func() wire.Message { return new(Announce) })
	reg(typeHeartbeat, "heartbeat", 64+refBytes*maxLeafRefs, func() wire.Message { return new(Heartbeat) })
	reg(typeLeave, "leave", 64+refBytes*maxLeafRefs, func() wire.Message { return new(Leave) })
	reg(typeSuspect, "suspect", small, func() wire.Message { return new(Suspect) })
}
