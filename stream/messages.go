package stream

import (
	"github.com/almcast/alm/chunk"
	"github.com/almcast/alm/id"
	"github.com/almcast/alm/wire"
)

// Proto is the protocol name of the channel directory's messages.
const Proto = "stream"

// Wire types 520-539 belong to this package.
const (
	typeAnnounce wire.Type = 520
	typeFind     wire.Type = 521
	typeFound    wire.Type = 522
)

// Announce is routed by the source to the channel's ID: the node
// responsible for it (the rendezvous) keeps the metadata and the source's
// address for viewers.
type Announce struct {
	_      struct{} `cbor:",toarray"`
	Meta   chunk.Meta
	Source id.Ref
}

// Find is routed by a viewer to the channel's ID.
type Find struct {
	_       struct{} `cbor:",toarray"`
	Channel id.ID
	Viewer  id.Ref
}

// Found answers a Find; an empty Source means the rendezvous knows no
// source for the channel yet.
type Found struct {
	_      struct{} `cbor:",toarray"`
	Meta   chunk.Meta
	Source id.Ref
}

// WireType implements wire.Message.
func (*Announce) WireType() wire.Type { return typeAnnounce }

// WireType implements wire.Message.
func (*Find) WireType() wire.Type { return typeFind }

// WireType implements wire.Message.
func (*Found) WireType() wire.Type { return typeFound }

func init() {
	wire.Register(typeAnnounce, "stream.announce", Proto, chunk.MaxSDPSize+2048, func() wire.Message { return new(Announce) })
	wire.Register(typeFind, "stream.find", Proto, 512, func() wire.Message { return new(Find) })
	wire.Register(typeFound, "stream.found", Proto, chunk.MaxSDPSize+2048, func() wire.Message { return new(Found) })
}
