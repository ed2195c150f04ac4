package datadriven

import (
	"errors"

	"github.com/almcast/alm/id"
	"github.com/almcast/alm/wire"
)

// Proto is the protocol name of the mesh's messages.
const Proto = "mesh"

// Wire types 300-399 belong to this package.
const (
	typeHello     wire.Type = 300
	typeWelcome   wire.Type = 301
	typeHave      wire.Type = 302
	typeStatus    wire.Type = 303
	typeRequest   wire.Type = 304
	typeRefuse    wire.Type = 305
	typeBye       wire.Type = 306
	typeEnvelope  wire.Type = 307
	typeSubscribe wire.Type = 308
	typeSubAck    wire.Type = 309
)

// Limits on lists in messages.
const (
	maxSeqs  = 64
	maxPeers = 16
)

// WireMap is a buffer map on the wire: Bits holds the window's bitset
// words; chunk seq in [Base, Base+64*len(Bits)) is bit seq mod the window
// size. An empty Bits says nothing is held.
type WireMap struct {
	_    struct{} `cbor:",toarray"`
	Base uint64
	Bits []uint64
}

// Hello asks for a partnership and carries the sender's buffer map,
// upload capacity (bit/s, 0: unknown) and push depth per substream
// (Depths: hops from the source, NoDepth when it has no parent).
type Hello struct {
	_       struct{} `cbor:",toarray"`
	Channel id.ID
	Upload  int64
	Map     WireMap
	Depths  []byte
}

// Welcome answers a Hello. A refusal carries other members to try.
type Welcome struct {
	_      struct{} `cbor:",toarray"`
	Accept bool
	Upload int64
	Map    WireMap
	Peers  []id.Ref
	Depths []byte
	Clock  Clock
}

// Have tells partners that the sender now holds chunk Seq (a Chainsaw
// notice: a chunk is announced as soon as it is held), and how long its
// upload queue is, in units of 10ms, so they can pick the supplier that
// answers soonest. Next is the sender's playout point (see Request).
type Have struct {
	_     struct{} `cbor:",toarray"`
	Seq   uint64
	Queue uint8
	Depth uint8
	Next  uint64
}

// Status carries the sender's whole buffer map, to a partner that has
// heard nothing from it for a while: it repairs lost notices and shows
// the partnership is alive.
type Status struct {
	_      struct{} `cbor:",toarray"`
	Map    WireMap
	Depths []byte
	Clock  Clock
	Next   uint64 // the sender's playout point (see Request)
}

// Clock tells a partner how the stream's sequence numbers map to source
// time: chunk Seq began at source time Time (ns) and chunks last Dur ns
// (zero: nothing held yet). A joining viewer uses it to pick the chunk to
// start at, so that its playback lag is what it aims for.
type Clock struct {
	_    struct{} `cbor:",toarray"`
	Seq  uint64
	Time int64
	Dur  int64
}

// Request asks a partner for chunks; the first Urgent of them are close
// to their playout deadline and should go first. Next is the sender's
// playout point: the next chunk its player plays, plus one (0: it is not
// playing); a partner sends it no chunk its player has passed.
type Request struct {
	_      struct{} `cbor:",toarray"`
	Seqs   []uint64
	Urgent uint8
	Next   uint64
}

// Refuse answers requested chunks the sender will not send: not held or
// outside its window, or (Busy) its upload queue is full.
type Refuse struct {
	_    struct{} `cbor:",toarray"`
	Seqs []uint64
	Busy bool
}

// Bye ends a partnership.
type Bye struct {
	_      struct{} `cbor:",toarray"`
	Reason uint8
}

// Subscribe asks a partner to push the chunks of the substreams in Mask
// (bit j: chunks whose seq mod Substreams is j) as soon as it holds them;
// it replaces any earlier subscription to that partner (0: none).
type Subscribe struct {
	_    struct{} `cbor:",toarray"`
	Mask uint16
}

// SubAck answers a Subscribe with the substreams the partner will push and
// its depths; a parent whose depth changes sends it again unasked. A
// refusal names other forwarders of the refused substreams to try, one
// level further down (SplitStream's push-down); a grant to a child that
// forwards the substream names the parent's own parent in it (none for the
// source), so that a deep child can climb.
type SubAck struct {
	_      struct{} `cbor:",toarray"`
	Mask   uint16
	Depths []byte
	Peers  []id.Ref
}

// Envelope carries a gossip message between mesh nodes.
type Envelope struct {
	_ struct{} `cbor:",toarray"`
	M wire.Any
}

// WireType implements wire.Message.
func (*Hello) WireType() wire.Type { return typeHello }

// WireType implements wire.Message.
func (*Welcome) WireType() wire.Type { return typeWelcome }

// WireType implements wire.Message.
func (*Have) WireType() wire.Type { return typeHave }

// WireType implements wire.Message.
func (*Status) WireType() wire.Type { return typeStatus }

// WireType implements wire.Message.
func (*Request) WireType() wire.Type { return typeRequest }

// WireType implements wire.Message.
func (*Refuse) WireType() wire.Type { return typeRefuse }

// WireType implements wire.Message.
func (*Bye) WireType() wire.Type { return typeBye }

// WireType implements wire.Message.
func (*Envelope) WireType() wire.Type { return typeEnvelope }

// WireType implements wire.Message.
func (*Subscribe) WireType() wire.Type { return typeSubscribe }

// WireType implements wire.Message.
func (*SubAck) WireType() wire.Type { return typeSubAck }

var errTooMany = errors.New("datadriven: too many entries")

func checkDepths(d []byte) error {
	if len(d) > 16 {
		return errTooMany
	}
	return nil
}

func checkMap(w WireMap) error {
	if len(w.Bits) > MaxMapWords {
		return ErrMapTooLarge
	}
	return nil
}

// Validate bounds the map.
func (m *Hello) Validate() error {
	if err := checkDepths(m.Depths); err != nil {
		return err
	}
	return checkMap(m.Map)
}

// Validate bounds the map and the referrals.
func (m *Welcome) Validate() error {
	if len(m.Peers) > maxPeers || checkDepths(m.Depths) != nil {
		return errTooMany
	}
	return checkMap(m.Map)
}

// Validate bounds the map.
func (m *Status) Validate() error {
	if err := checkDepths(m.Depths); err != nil {
		return err
	}
	return checkMap(m.Map)
}

// Validate bounds the depths.
func (m *SubAck) Validate() error {
	if len(m.Peers) > maxPeers {
		return errTooMany
	}
	return checkDepths(m.Depths)
}

// Validate bounds the list.
func (m *Request) Validate() error {
	if len(m.Seqs) > maxSeqs {
		return errTooMany
	}
	return nil
}

// Validate bounds the list.
func (m *Refuse) Validate() error {
	if len(m.Seqs) > maxSeqs {
		return errTooMany
	}
	return nil
}

// Validate requires a payload.
func (m *Envelope) Validate() error {
	if m.M.M == nil {
		return errors.New("datadriven: empty envelope")
	}
	return nil
}

func init() {
	small := 64 + 10*maxSeqs
	maps := 64 + 9*MaxMapWords
	reg := func(t wire.Type, name string, max int, mk func() wire.Message) {
		wire.Register(t, "mesh."+name, Proto, max, mk)
	}
	reg(typeHello, "hello", maps+96, func() wire.Message { return new(Hello) })
	reg(typeWelcome, "welcome", maps+96+300*maxPeers, func() wire.Message { return new(Welcome) })
	reg(typeHave, "have", 40, func() wire.Message { return new(Have) })
	reg(typeStatus, "status", maps+32, func() wire.Message { return new(Status) })
	reg(typeRequest, "request", small, func() wire.Message { return new(Request) })
	reg(typeRefuse, "refuse", small, func() wire.Message { return new(Refuse) })
	reg(typeBye, "bye", 32, func() wire.Message { return new(Bye) })
	reg(typeEnvelope, "envelope", 32<<10, func() wire.Message { return new(Envelope) })
	reg(typeSubscribe, "subscribe", 32, func() wire.Message { return new(Subscribe) })
	reg(typeSubAck, "sub_ack", 64+300*maxPeers, func() wire.Message { return new(SubAck) })
	wire.Carrier(typeEnvelope)
}
