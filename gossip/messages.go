package gossip

import (
	"errors"

	"github.com/almcast/alm/id"
	"github.com/almcast/alm/wire"
)

// Proto is the protocol name of gossip messages.
const Proto = "gossip"

// Wire types 400-499 belong to gossip.
const (
	typeAnnounce     wire.Type = 400
	typePeers        wire.Type = 401
	typeShuffle      wire.Type = 402
	typeShuffleReply wire.Type = 403
)

// maxEntries bounds every list of entries on the wire.
const maxEntries = 64

// refBytes is a generous bound on one encoded entry.
const refBytes = 320

// Entry is a member and how long ago (ms) it was last known alive.
type Entry struct {
	_   struct{} `cbor:",toarray"`
	Ref id.Ref
	Age uint32
}

// Announce is routed to a channel's ID: the rendezvous adds the origin to
// its sample (unless Hidden) and, if Want > 0, answers with up to Want
// members in a Peers message (announce and get_peers in one).
type Announce struct {
	_      struct{} `cbor:",toarray"`
	Topic  id.ID
	Want   uint8
	Hidden bool
}

// Peers hands a sample of members to a node.
type Peers struct {
	_     struct{} `cbor:",toarray"`
	Topic id.ID
	Peers []Entry
}

// Shuffle offers entries of the sender's view (its own among them) and
// asks for as many back.
type Shuffle struct {
	_     struct{} `cbor:",toarray"`
	Topic id.ID
	Peers []Entry
}

// ShuffleReply answers a Shuffle with entries of the receiver's view.
type ShuffleReply struct {
	_     struct{} `cbor:",toarray"`
	Topic id.ID
	Peers []Entry
}

// WireType implements wire.Message.
func (*Announce) WireType() wire.Type { return typeAnnounce }

// WireType implements wire.Message.
func (*Peers) WireType() wire.Type { return typePeers }

// WireType implements wire.Message.
func (*Shuffle) WireType() wire.Type { return typeShuffle }

// WireType implements wire.Message.
func (*ShuffleReply) WireType() wire.Type { return typeShuffleReply }

var errTooMany = errors.New("gossip: too many entries")

func checkEntries(es []Entry) error {
	if len(es) > maxEntries {
		return errTooMany
	}
	return nil
}

// Validate bounds the list.
func (m *Peers) Validate() error { return checkEntries(m.Peers) }

// Validate bounds the list.
func (m *Shuffle) Validate() error { return checkEntries(m.Peers) }

// Validate bounds the list.
func (m *ShuffleReply) Validate() error { return checkEntries(m.Peers) }

func refSize(r id.Ref) int { return 1 + wire.BytesSize(len(r.ID)) + wire.BytesSize(len(r.Addr)) }

func entriesSize(es []Entry) int {
	if es == nil {
		return 1
	}
	n := wire.HeadSize(uint64(len(es)))
	for _, e := range es {
		n += 1 + refSize(e.Ref) + wire.HeadSize(uint64(e.Age))
	}
	return n
}

func topicSize(t id.ID) int { return wire.BytesSize(len(t)) }

// WireSize implements wire.Sizer.
func (m *Announce) WireSize() int {
	return wire.FrameSize(1 + topicSize(m.Topic) + wire.HeadSize(uint64(m.Want)) + 1)
}

// WireSize implements wire.Sizer.
func (m *Peers) WireSize() int { return wire.FrameSize(1 + topicSize(m.Topic) + entriesSize(m.Peers)) }

// WireSize implements wire.Sizer.
func (m *Shuffle) WireSize() int {
	return wire.FrameSize(1 + topicSize(m.Topic) + entriesSize(m.Peers))
}

// WireSize implements wire.Sizer.
func (m *ShuffleReply) WireSize() int {
	return wire.FrameSize(1 + topicSize(m.Topic) + entriesSize(m.Peers))
}

func init() {
	list := 64 + refBytes*maxEntries
	wire.Register(typeAnnounce, "gossip.announce", Proto, 128, func() wire.Message { return new(Announce) })
	wire.Register(typePeers, "gossip.peers", Proto, list, func() wire.Message { return new(Peers) })
	wire.Register(typeShuffle, "gossip.shuffle", Proto, list, func() wire.Message { return new(Shuffle) })
	wire.Register(typeShuffleReply, "gossip.shuffle_reply", Proto, list, func() wire.Message { return new(ShuffleReply) })
}
