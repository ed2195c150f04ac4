package scribe_test

import (
	"testing"
	"time"

	"github.com/almcast/alm/id"
	"github.com/almcast/alm/scribe"
)

// TestBadInput feeds a viewer's Scribe messages it must not act on: a
// join for a group it does not serve, an Accept it never asked for, a
// forged heartbeat, refresh and probe from strangers, an Accept whose path holds
// the node itself (a loop), and a replayed Accept. None may change its
// place in the tree; the stream goes on.
func TestBadInput(t *testing.T) {
	w := settled(t, 6, 20, 10*time.Second)
	g := w.Ch.ID()
	v := 3
	sc := treeOf(w, v).Scribe()
	stranger := w.Nodes[len(w.Nodes)-1].Self()
	if stranger.ID == sc.Parent(g).ID {
		stranger = w.Nodes[len(w.Nodes)-2].Self()
	}
	other := id.Hash([]byte("not a group of ours"))
	parent := sc.Parent(g)
	path := append([]id.ID(nil), sc.Path(g)...)
	w.Nodes[v].Do(func() {
		m := treeOf(w, v)
		m.Receive(stranger, &scribe.Join{Group: other, Joiner: stranger})
		m.Receive(stranger, &scribe.Join{Group: g, Joiner: id.Ref{}})
		m.Receive(stranger, &scribe.Accept{Group: other, Path: []id.ID{stranger.ID}})
		m.Receive(stranger, &scribe.Accept{Group: g, Path: []id.ID{stranger.ID}})
		m.Receive(stranger, &scribe.Beat{Entries: []scribe.BeatEntry{{Group: g, Path: []id.ID{stranger.ID}}}})
		m.Receive(stranger, &scribe.Refresh{Entries: []scribe.RefreshEntry{{Group: g, Spare: 9, Kids: 9}}})
		m.Receive(stranger, &scribe.Probe{Groups: []id.ID{g, other}})
		m.Receive(stranger, &scribe.Drop{Group: g})
		m.Receive(stranger, &scribe.Leave{Group: other})
		m.Receive(stranger, &scribe.Nack{Seqs: []uint64{1 << 60, 0}})
		m.Receive(stranger, &scribe.Anycast{Tree: other, Group: other, Joiner: stranger})
		// A replay of the parent's Accept, with a path through this node.
		m.Receive(parent, &scribe.Accept{Group: g, Path: append(append([]id.ID(nil), path...), w.Nodes[v].Self().ID)})
	})
	if sc.ChildCount(other) != 0 || sc.Depth(other) != -1 {
		t.Error("a join for a group the node does not serve left state")
	}
	if sc.IsChild(g, stranger.ID) {
		t.Error("a refresh or probe from a stranger made it a child")
	}
	w.NW.RunFor(5 * time.Second)
	if p := sc.Parent(g); p.IsZero() {
		t.Error("the node lost its place in the tree for good")
	}
	hi := w.Newest()
	if got := w.Received(v, hi-100, hi-40); got < 0.95 {
		t.Errorf("the node holds %.2f of the recent chunks", got)
	}
}

// TestChildThatNeverLeaves checks that a child that dies without a word
// is dropped by its parent after ChildTimeout.
func TestChildThatNeverLeaves(t *testing.T) {
	w := settled(t, 8, 20, 10*time.Second)
	g := w.Ch.ID()
	for i := 1; i < len(w.Nodes); i++ {
		p := treeOf(w, i).Scribe().Parent(g)
		if p.ID == w.Nodes[0].Self().ID {
			continue
		}
		var pi int
		for j, n := range w.Nodes {
			if n.Self().ID == p.ID {
				pi = j
			}
		}
		w.NW.Kill(w.Nodes[i])
		w.NW.RunFor(scribe.DefaultConfig().ChildTimeout + 2*time.Second)
		if treeOf(w, pi).Scribe().IsChild(g, w.Nodes[i].Self().ID) {
			t.Fatal("a dead child was kept")
		}
		return
	}
	t.Fatal("no viewer below another viewer")
}
