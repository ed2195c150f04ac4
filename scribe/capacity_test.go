package scribe_test

import (
	"testing"
	"time"

	"github.com/almcast/alm/id"
	"github.com/almcast/alm/scribe"
)

// TestTreeByCapacity: in a tree of viewers that upload the stream's rate
// (one child each), a join handed to a full viewer by a newcomer with
// four free slots takes the place of the viewer's child, which joins
// again under the newcomer (Config.ByCapacity); a newcomer with only two
// free slots (not two more than the child's one) is handed on and the
// child stays.
func TestTreeByCapacity(t *testing.T) {
	for _, c := range []struct {
		spare   uint16
		promote bool
	}{{4, true}, {2, false}} {
		w := newWorld(t, scribe.TreeName, 3, 30, 0, func(int) int64 { return rate })
		w.Start()
		w.NW.RunFor(10 * time.Second)
		g := w.Ch.ID()
		p := -1
		for i := 1; i < len(w.Nodes); i++ {
			if sc := treeOf(w, i).Scribe(); sc.Depth(g) >= 1 && sc.ChildCount(g) == 1 {
				p = i
				break
			}
		}
		if p < 0 {
			t.Fatal("no viewer with a child")
		}
		psc := treeOf(w, p).Scribe()
		kid := psc.Children(g)[0]
		x := w.AddViewer(4 * rate)
		w.NW.RunFor(3 * time.Second) // the newcomer finds a place of its own
		newcomer := w.Nodes[x].Self()
		before := psc.Stats().Promotions
		w.Nodes[p].Do(func() {
			treeOf(w, p).Receive(newcomer, &scribe.Join{Group: g, Joiner: newcomer, Spare: c.spare})
		})
		w.NW.RunFor(3 * time.Second)
		checkTree(t, w)
		kidParent := id.Ref{}
		for i := range w.Nodes {
			if w.Nodes[i].Self().ID == kid.ID {
				kidParent = treeOf(w, i).Scribe().Parent(g)
			}
		}
		promoted := psc.Stats().Promotions - before
		t.Logf("spare %d: promotions %d, the child's parent %s (newcomer %s, viewer %s)",
			c.spare, promoted, kidParent.ID.Short(), newcomer.ID.Short(), w.Nodes[p].Self().ID.Short())
		switch {
		case c.promote && (promoted != 1 || kidParent.ID != newcomer.ID):
			t.Errorf("spare %d: %d promotions, the child's parent is %s, want the newcomer %s",
				c.spare, promoted, kidParent.ID.Short(), newcomer.ID.Short())
		case !c.promote && (promoted != 0 || kidParent.ID != w.Nodes[p].Self().ID):
			t.Errorf("spare %d: %d promotions, the child's parent is %s, want it kept", c.spare, promoted, kidParent.ID.Short())
		}
	}
}
