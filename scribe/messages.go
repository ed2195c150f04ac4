package scribe

import (
	"errors"

	"github.com/almcast/alm/id"
	"github.com/almcast/alm/wire"
)

// Proto is the protocol name of Scribe's messages, and of every message
// of the modes built on it (a mode has one protocol name, and its tree
// messages must reach it).
const Proto = "scribe"

// Wire types 100-199 belong to this package.
const (
	typeJoin wire.Type = 100 + iota
	typeAccept
	typeRefuse
	typeDrop
	typeLeave
	typeBeat
	typeRefresh
	typeAnycast
	typeNack
	typeMiss
	typeProbe
)

// Bounds on lists read from the network.
const (
	maxPath    = 64  // IDs in a path from the top
	maxEntries = 64  // groups in one Beat or Refresh
	maxVisited = 64  // nodes an anycast may visit
	maxTry     = 16  // siblings named in a Drop
	maxNack    = 32  // sequence numbers in one Nack
	refBytes   = 300 // generous bound on one encoded Ref
)

// Join asks to become a child in Group. It is routed towards the group ID
// (as an overlay payload) or sent directly when a full node hands it on.
type Join struct {
	_      struct{} `cbor:",toarray"`
	Group  id.ID
	Joiner id.Ref // the node that wants a parent
	Hops   uint8  // direct hand-ons so far
	Down   bool   // handed down once: never hand it up again
	Root   bool   // sent by the group's root to the top
	Spare  uint16 // the joiner's own free child slots in the group
	// Near says the joiner's last join went unanswered: the group's
	// root may not run Scribe (a node that does not watch the stream
	// drops what is delivered to it), so the first node on the route
	// whose leaf set spans the group ID stands in for it.
	Near bool
	// Lost names the joiner's parent that fell silent, when the join goes
	// straight to that parent's parent (the joiner's grandparent): the
	// receiver frees the silent child's slot for the joiner, so that the
	// orphan's subtree keeps its depth (zero: none).
	Lost id.ID
	// Kids is the joiner's children in the group: with Spare, the slots
	// it has in all, so a parent knows a new child's capacity before its
	// first refresh (an orphan returning with its subtree has few free
	// slots but many in all).
	Kids uint16
}

// Accept tells the joiner it is now the sender's child in Group. Path is
// the path from the top of the tree to the sender, inclusive.
type Accept struct {
	_     struct{} `cbor:",toarray"`
	Group id.ID
	Path  []id.ID
}

// Refuse tells a joiner that no parent was found on this attempt.
type Refuse struct {
	_     struct{} `cbor:",toarray"`
	Group id.ID
}

// Drop tells a child that the sender is no longer its parent in Group;
// Try names nodes (former siblings) that may take it.
type Drop struct {
	_     struct{} `cbor:",toarray"`
	Group id.ID
	Try   []id.Ref
}

// Leave tells a parent that the sender is no longer its child in Group.
type Leave struct {
	_     struct{} `cbor:",toarray"`
	Group id.ID
}

// BeatEntry is one group's part of a Beat.
type BeatEntry struct {
	_     struct{} `cbor:",toarray"`
	Group id.ID
	Path  []id.ID // top ... sender
	Spare uint16  // the sender's free child slots in the group
	// Up is the sender's own parent in the group (zero at the top): the
	// receiver's grandparent, which it joins first if the sender falls
	// silent.
	Up id.Ref
}

// Beat is a parent's heartbeat to one child, for every group in which the
// receiver is its child.
type Beat struct {
	_       struct{} `cbor:",toarray"`
	Entries []BeatEntry
}

// RefreshEntry is one group's part of a Refresh.
type RefreshEntry struct {
	_     struct{} `cbor:",toarray"`
	Group id.ID
	Spare uint16 // free child slots in the sender's subtree (itself first)
	Kids  uint16 // the sender's children in the group
	Own   uint16 // the sender's own free child slots in the group
	Room  uint16 // levels below the sender to its subtree's nearest free slot (0: its own; NoRoom: none)
}

// Refresh is a child's keep-alive to one parent, for every group in which
// the receiver is its parent.
type Refresh struct {
	_       struct{} `cbor:",toarray"`
	Entries []RefreshEntry
}

// Probe asks a parent for a beat at once, for the groups listed: the
// child has heard nothing from it for half its ParentTimeout
// (Config.ProbeParent).
type Probe struct {
	_      struct{} `cbor:",toarray"`
	Groups []id.ID
}

// Anycast searches the tree of Tree, depth first, for a node that takes
// Joiner as a child in Group (SplitStream's spare-capacity search). It is
// routed towards Tree, then sent from tree node to tree node.
type Anycast struct {
	_       struct{} `cbor:",toarray"`
	Tree    id.ID
	Group   id.ID
	Joiner  id.Ref
	Visited []id.ID
	// Any says the joiner's earlier searches failed: a node with room
	// should take it even where its policy would rather not.
	Any bool
}

// Nack asks the receiver for chunks the sender misses.
type Nack struct {
	_    struct{} `cbor:",toarray"`
	Seqs []uint64
}

// Miss answers a Nack for chunks the receiver will not send (it lacks
// them or its uplink is busy), so the asker tries elsewhere at once.
type Miss struct {
	_    struct{} `cbor:",toarray"`
	Seqs []uint64
}

// WireType implements wire.Message.
func (*Join) WireType() wire.Type { return typeJoin }

// WireType implements wire.Message.
func (*Accept) WireType() wire.Type { return typeAccept }

// WireType implements wire.Message.
func (*Refuse) WireType() wire.Type { return typeRefuse }

// WireType implements wire.Message.
func (*Drop) WireType() wire.Type { return typeDrop }

// WireType implements wire.Message.
func (*Leave) WireType() wire.Type { return typeLeave }

// WireType implements wire.Message.
func (*Beat) WireType() wire.Type { return typeBeat }

// WireType implements wire.Message.
func (*Refresh) WireType() wire.Type { return typeRefresh }

// WireType implements wire.Message.
func (*Anycast) WireType() wire.Type { return typeAnycast }

// WireType implements wire.Message.
func (*Nack) WireType() wire.Type { return typeNack }

// WireType implements wire.Message.
func (*Miss) WireType() wire.Type { return typeMiss }

// WireType implements wire.Message.
func (*Probe) WireType() wire.Type { return typeProbe }

var errTooMany = errors.New("scribe: too many entries")

// Validate bounds the path.
func (m *Accept) Validate() error {
	if len(m.Path) > maxPath {
		return errTooMany
	}
	return nil
}

// Validate bounds the list.
func (m *Drop) Validate() error {
	if len(m.Try) > maxTry {
		return errTooMany
	}
	return nil
}

// Validate bounds the lists.
func (m *Beat) Validate() error {
	if len(m.Entries) > maxEntries {
		return errTooMany
	}
	for _, e := range m.Entries {
		if len(e.Path) > maxPath {
			return errTooMany
		}
	}
	return nil
}

// Validate bounds the list.
func (m *Refresh) Validate() error {
	if len(m.Entries) > maxEntries {
		return errTooMany
	}
	return nil
}

// Validate bounds the list.
func (m *Probe) Validate() error {
	if len(m.Groups) > maxEntries {
		return errTooMany
	}
	return nil
}

// Validate bounds the list.
func (m *Anycast) Validate() error {
	if len(m.Visited) > maxVisited {
		return errTooMany
	}
	return nil
}

// Validate bounds the list.
func (m *Nack) Validate() error {
	if len(m.Seqs) > maxNack {
		return errTooMany
	}
	return nil
}

// Validate bounds the list.
func (m *Miss) Validate() error {
	if len(m.Seqs) > maxNack {
		return errTooMany
	}
	return nil
}

func init() {
	const idb = 20 // an encoded ID
	reg := func(t wire.Type, name string, max int, mk func() wire.Message) {
		wire.Register(t, "scribe."+name, Proto, max, mk)
	}
	reg(typeJoin, "join", 64+idb+refBytes, func() wire.Message { return new(Join) })
	reg(typeAccept, "accept", 64+idb*maxPath, func() wire.Message { return new(Accept) })
	reg(typeRefuse, "refuse", 64, func() wire.Message { return new(Refuse) })
	reg(typeDrop, "drop", 64+refBytes*maxTry, func() wire.Message { return new(Drop) })
	reg(typeLeave, "leave", 64, func() wire.Message { return new(Leave) })
	reg(typeBeat, "beat", 64+maxEntries*(40+refBytes+idb*maxPath), func() wire.Message { return new(Beat) })
	reg(typeRefresh, "refresh", 64+maxEntries*40, func() wire.Message { return new(Refresh) })
	reg(typeAnycast, "anycast", 128+refBytes+idb*maxVisited, func() wire.Message { return new(Anycast) })
	reg(typeNack, "nack", 64+10*maxNack, func() wire.Message { return new(Nack) })
	reg(typeMiss, "miss", 64+10*maxNack, func() wire.Message { return new(Miss) })
	reg(typeProbe, "probe", 64+idb*maxEntries, func() wire.Message { return new(Probe) })
}
