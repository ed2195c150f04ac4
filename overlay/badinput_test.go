package overlay

import (
	"testing"
	"time"

	"github.com/almcast/alm/id"
	"github.com/almcast/alm/wire"
)

// TestBadInputLeavesNodeWorking feeds a node nonsense from a peer and
// checks it is counted, dropped, and the overlay still routes.
func TestBadInputLeavesNodeWorking(t *testing.T) {
	cfg := DefaultConfig()
	tn := newTestNet(t, 6, cfg)
	tn.grow(50, 100*time.Millisecond, cfg)
	victim := tn.nodes[10]
	peer := tn.nodes[11].Self()
	before := victim.Stats().BadInput
	leafBefore := victim.LeafSet().Len()

	victim.Receive(id.Ref{}, &Ping{Nonce: 1})                                                                                  // sender without identity
	victim.Receive(peer, &Route{Key: id.Random(tn.nw.Rand()), Origin: peer, Hops: 200, Payload: wire.Any{M: &Lookup{}}})       // too many hops
	victim.Receive(peer, &Route{Key: id.Random(tn.nw.Rand()), Origin: peer, Payload: wire.Any{M: &JoinRequest{Joiner: peer}}}) // join for another key
	victim.Receive(peer, &Pong{Nonce: 999999})                                                                                 // answer to nothing
	victim.Receive(peer, &StateReply{Nonce: 424242, Leaf: []id.Ref{{ID: id.Random(tn.nw.Rand()), Addr: "999999"}}})
	victim.Receive(peer, &Heartbeat{Leaf: []id.Ref{{}, {ID: victim.Self().ID, Addr: "x"}}}) // zero and self refs
	victim.Receive(peer, &Suspect{Node: victim.Self()})                                     // "you are dead"
	victim.Receive(peer, &Lookup{})                                                         // an application message sent as overlay input

	if got := victim.Stats().BadInput - before; got < 3 {
		t.Fatalf("bad input counted %d times, want at least 3", got)
	}
	if victim.LeafSet().Len() < leafBefore {
		t.Fatalf("leaf set shrank from %d to %d", leafBefore, victim.LeafSet().Len())
	}
	tn.nw.RunFor(time.Minute)
	if got := tn.lookups(200); got != 200 {
		t.Fatalf("after bad input %d of 200 lookups were right", got)
	}
}

func TestLeafSetOrdering(t *testing.T) {
	self := id.FromUint128(1<<63, 0)
	l := NewLeafSet(self, 4)
	add := func(hi uint64) id.Ref {
		r := id.Ref{ID: id.FromUint128(hi, 0), Addr: "a"}
		l.Insert(r)
		return r
	}
	far := add(1<<63 + 100)
	near := add(1<<63 + 1)
	add(1<<63 + 50)
	if cw, _ := l.Nearest(); cw.ID != near.ID {
		t.Fatalf("nearest clockwise = %s", cw.ID.Short())
	}
	if cw, _ := l.Sides(); len(cw) != 2 || cw[1].ID == far.ID {
		t.Fatalf("clockwise side kept the farthest node: %v", cw)
	}
	below := add(1<<63 - 7)
	if _, ccw := l.Nearest(); ccw.ID != below.ID {
		t.Fatal("counter-clockwise neighbour wrong")
	}
	add(1<<63 - 3)
	if !l.Full() || !l.InRange(id.FromUint128(1<<63+10, 0)) || l.InRange(id.FromUint128(1<<63-1000, 0)) {
		t.Fatal("range check wrong")
	}
	if !l.Remove(near.ID) || l.Contains(near.ID) {
		t.Fatal("remove failed")
	}
}

func TestTableSlotsAndAlternates(t *testing.T) {
	self, _ := id.Parse("a0000000000000000000000000000000")
	tb := NewTable(self)
	x, _ := id.Parse("a3000000000000000000000000000000")
	y, _ := id.Parse("a0510000000000000000000000000000")
	z, _ := id.Parse("a0520000000000000000000000000000")
	w, _ := id.Parse("a0530000000000000000000000000000")
	tb.Set(Entry{Ref: id.Ref{ID: x, Addr: "x"}})
	if r, c, _ := tb.Slot(x); r != 1 || c != 3 {
		t.Fatalf("slot of x = %d,%d", r, c)
	}
	if r, c, _ := tb.Slot(y); r != 2 || c != 5 {
		t.Fatalf("slot of y = %d,%d", r, c)
	}
	tb.Set(Entry{Ref: id.Ref{ID: y, Addr: "y"}})
	tb.AddAlt(id.Ref{ID: z, Addr: "z"})
	tb.AddAlt(id.Ref{ID: w, Addr: "w"})
	tb.AddAlt(id.Ref{ID: y, Addr: "y"}) // the entry itself is no alternate
	if got := len(tb.Alts(2, 5)); got != 2 {
		t.Fatalf("%d alternates", got)
	}
	if !tb.Remove(y) {
		t.Fatal("remove of the entry failed")
	}
	if e := tb.Get(2, 5); e.Ref.ID != z {
		t.Fatal("an alternate was not promoted")
	}
	if tb.Len() != 2 {
		t.Fatalf("len %d", tb.Len())
	}
}
