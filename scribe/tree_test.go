package scribe_test

import (
	"testing"
	"time"

	"github.com/almcast/alm/delivery"
	"github.com/almcast/alm/id"
	"github.com/almcast/alm/internal/simworld"
	"github.com/almcast/alm/scribe"
	"github.com/almcast/alm/sim"
	"github.com/almcast/alm/wire"
)

func treeOf(w *world, i int) *scribe.Tree { return w.Sts[i].Mode().(*scribe.Tree) }

// settled builds a tree of n viewers that each upload twice the rate,
// under the source, and runs it for d.
func settled(t *testing.T, seed uint64, n int, d time.Duration) *world {
	t.Helper()
	w := newWorld(t, scribe.TreeName, seed, n, 0, func(int) int64 { return 2 * rate })
	w.Start()
	w.NW.RunFor(d)
	return w
}

// checkTree checks that every live viewer has a parent whose child it is,
// that paths lead to the source without loops, and that no node has more
// children than its cap.
func checkTree(t *testing.T, w *world) {
	t.Helper()
	g := w.Ch.ID()
	byID := map[id.ID]int{}
	for i, n := range w.Nodes {
		if n.Alive() {
			byID[n.Self().ID] = i
		}
	}
	for i := 1; i < len(w.Nodes); i++ {
		if !w.Nodes[i].Alive() {
			continue
		}
		sc := treeOf(w, i).Scribe()
		p := sc.Parent(g)
		pi, ok := byID[p.ID]
		if !ok {
			t.Errorf("viewer %d: parent %v is not a live node", i, p)
			continue
		}
		var psc *scribe.Scribe
		if pi == 0 {
			psc = w.Sts[0].Mode().(*scribe.Tree).Scribe()
		} else {
			psc = treeOf(w, pi).Scribe()
		}
		if !psc.IsChild(g, w.Nodes[i].Self().ID) {
			t.Errorf("viewer %d: its parent %d does not have it as a child", i, pi)
		}
		path := sc.Path(g)
		if len(path) == 0 || path[0] != w.Nodes[0].Self().ID {
			t.Errorf("viewer %d: path %v does not start at the source", i, path)
		}
		seen := map[id.ID]bool{w.Nodes[i].Self().ID: true}
		for _, x := range path {
			if seen[x] {
				t.Errorf("viewer %d: loop in path", i)
			}
			seen[x] = true
		}
		st := treeOf(w, i).Stats()
		if st["children"] > st["cap"] {
			t.Errorf("viewer %d: %v children, cap %v", i, st["children"], st["cap"])
		}
	}
}

// TestTreeJoinAndMulticast builds a tree of viewers of mixed upload (so
// that full nodes push joins down and 0x viewers stay leaves) and checks
// its shape and that the stream reaches everyone.
func TestTreeJoinAndMulticast(t *testing.T) {
	uploads := []int64{3 * rate, 1 * rate, 2 * rate}
	w := newWorld(t, scribe.TreeName, 3, 40, 0, func(i int) int64 { return uploads[i%len(uploads)] })
	w.Start()
	w.NW.RunFor(20 * time.Second)
	checkTree(t, w)
	var pushes float64
	for i := 1; i < len(w.Nodes); i++ {
		st := treeOf(w, i).Stats()
		pushes += st["push_downs"]
		if want := int(uploads[(i-1)%len(uploads)] / rate); int(st["children"]) > want {
			t.Errorf("viewer %d uploads %dx but has %v children", i, want, st["children"])
		}
	}
	if pushes == 0 {
		t.Error("no join was pushed down")
	}
	hi := w.Newest()
	for i := 1; i < len(w.Nodes); i++ {
		if got := w.Received(i, hi-140, hi-60); got < 0.95 {
			t.Errorf("viewer %d holds %.2f of the recent chunks", i, got)
		}
	}
}

// TestTreeParentFailure kills interior nodes: their children join again,
// the repairs are counted, and the stream goes on.
func TestTreeParentFailure(t *testing.T) {
	w := newWorld(t, scribe.TreeName, 4, 40, 0, func(int) int64 { return 2 * rate })
	w.Start()
	w.NW.RunFor(15 * time.Second)
	killed := 0
	for i := 1; i < len(w.Nodes) && killed < 3; i++ {
		if treeOf(w, i).Stats()["children"] > 0 && treeOf(w, i).Scribe().Depth(w.Ch.ID()) > 1 {
			w.Kill(i)
			killed++
		}
	}
	w.NW.RunFor(15 * time.Second)
	checkTree(t, w)
	var repairs float64
	for i := 1; i < len(w.Nodes); i++ {
		if w.Nodes[i].Alive() {
			repairs += treeOf(w, i).Stats()["repairs"]
		}
	}
	if repairs == 0 {
		t.Error("no repair was counted")
	}
	hi := w.Newest()
	for i := 1; i < len(w.Nodes); i++ {
		if w.Nodes[i].Alive() {
			if got := w.Received(i, hi-140, hi-60); got < 0.95 {
				t.Errorf("viewer %d holds %.2f of the recent chunks", i, got)
			}
		}
	}
}

// TestTreeRootFailover kills the root (the source's child responsible for
// the channel ID): one of its orphans takes its place under the source at
// once (it joins its grandparent, Join.Lost), and the stream goes on.
func TestTreeRootFailover(t *testing.T) {
	w := newWorld(t, scribe.TreeName, 5, 30, 0, func(int) int64 { return 2 * rate })
	w.Start()
	w.NW.RunFor(10 * time.Second)
	g := w.Ch.ID()
	root := -1
	for i := 1; i < len(w.Nodes); i++ {
		if w.Ovs[i].LeafSet().InRange(g) {
			if _, ok := w.Ovs[i].NextHop(g); !ok {
				root = i
			}
		}
	}
	if root < 0 {
		t.Fatal("no root found")
	}
	w.Kill(root)
	w.NW.RunFor(20 * time.Second)
	checkTree(t, w)
	newRoot := -1
	for i := 1; i < len(w.Nodes); i++ {
		if w.Nodes[i].Alive() && treeOf(w, i).Scribe().Depth(g) == 1 {
			newRoot = i
		}
	}
	if newRoot < 0 {
		t.Fatal("no viewer took the root's place under the source")
	}
	hi := w.Newest()
	for i := 1; i < len(w.Nodes); i++ {
		if w.Nodes[i].Alive() {
			if got := w.Received(i, hi-140, hi-60); got < 0.95 {
				t.Errorf("viewer %d holds %.2f of the recent chunks", i, got)
			}
		}
	}
}

// TestTreeFillsFromTop: joins go to the source first and are handed down
// to the highest node with room, so the source's slots fill and the tree
// is about as shallow as the viewers' uploads allow (40 viewers that feed
// two children each, under a source that feeds three, fit in four
// levels).
func TestTreeFillsFromTop(t *testing.T) {
	w := newWorld(t, scribe.TreeName, 6, 40, 0, func(int) int64 { return 2 * rate })
	w.Start()
	w.NW.RunFor(20 * time.Second)
	checkTree(t, w)
	g := w.Ch.ID()
	if n := w.Sts[0].Mode().(*scribe.Tree).Scribe().ChildCount(g); n != 3 {
		t.Errorf("the source feeds %d children, want its 3", n)
	}
	deepest := 0
	for i := 1; i < len(w.Nodes); i++ {
		deepest = max(deepest, treeOf(w, i).Scribe().Depth(g))
	}
	if deepest > 5 {
		t.Errorf("tree %d levels deep, want at most 5", deepest)
	}
}

// TestTreeSlowEntry: where a join handed down from the source takes
// longer than a join attempt waits (400ms links), the next attempts go to
// the source again (Config.EntryTries), not along the overlay route, which
// stops at the first member on its way and grows the tree deep.
func TestTreeSlowEntry(t *testing.T) {
	w := simworld.New(t, simworld.Options{Mode: scribe.TreeName, Seed: 3, Viewers: 40, Upload: func(int) int64 { return 2 * rate },
		Chunk: 50 * time.Millisecond, Latency: 400 * time.Millisecond})
	w.Start()
	w.NW.RunFor(30 * time.Second)
	checkTree(t, w)
	g := w.Ch.ID()
	deepest := 0
	for i := 1; i < len(w.Nodes); i++ {
		deepest = max(deepest, treeOf(w, i).Scribe().Depth(g))
	}
	if deepest > 6 {
		t.Errorf("tree %d levels deep, want at most 6", deepest)
	}
	var joins, routed uint64
	for i := 1; i < len(w.Nodes); i++ {
		st := treeOf(w, i).Scribe().Stats()
		joins += st.JoinsSent
		routed += st.RoutedJoins
	}
	if joins <= uint64(len(w.Nodes)-1) || routed != 0 {
		t.Errorf("%d join attempts by %d viewers, %d routed: want some retried, none routed", joins, len(w.Nodes)-1, routed)
	}
}

// TestTreeMaxLag: tree viewers may raise their lag to 4s (the mode's
// preference), unless the user chose a target lag.
func TestTreeMaxLag(t *testing.T) {
	if got := delivery.MaxLagFor(scribe.TreeName, 0, 0, 1000); got != 4*time.Second {
		t.Errorf("tree max lag %v, want 4s", got)
	}
	if got := delivery.MaxLagFor(scribe.TreeName, 2*time.Second, 0, 1000); got != 0 {
		t.Errorf("tree max lag with a chosen target %v, want none", got)
	}
}

// TestTreeQuietBeats: while chunks flow down a tree, parents send few
// beats (the children hear them through the data), and the tree holds.
// Beating every child each period would be about 2.5 beats a second per
// viewer.
func TestTreeQuietBeats(t *testing.T) {
	w := newWorld(t, scribe.TreeName, 4, 30, 0, func(int) int64 { return 2 * rate })
	w.Start()
	w.NW.RunFor(10 * time.Second)
	beats := 0
	w.NW.Trace = func(_, _ *sim.Node, m wire.Message, _ int, _ bool) {
		if _, ok := m.(*scribe.Beat); ok {
			beats++
		}
	}
	w.NW.RunFor(10 * time.Second)
	w.NW.Trace = nil
	checkTree(t, w)
	if per := float64(beats) / 30 / 10; per > 1 {
		t.Errorf("%.2f beats a second per viewer while data flows, want at most 1", per)
	}
	hi := w.Newest()
	for v := 1; v < len(w.Nodes); v++ {
		if got := w.Received(v, hi-100, hi-40); got < 0.95 {
			t.Errorf("viewer %d holds %.2f of the recent chunks", v, got)
		}
	}
}

// TestTreeLanesDoNotAddUp: at 2x upload every interior viewer leaves some
// copies to peers. A node leaves its children the residues its parent
// leaves it, so the share of chunks a viewer must get from peers stays
// about one in SkipPeriod at every depth, instead of growing with each
// skipping ancestor (0.1, 0.19, 0.27, ... at depths 2, 3, 4).
func TestTreeLanesDoNotAddUp(t *testing.T) {
	w := settled(t, 7, 40, 15*time.Second)
	g := w.Ch.ID()
	before := make([]float64, len(w.Nodes))
	for i := 1; i < len(w.Nodes); i++ {
		before[i] = treeOf(w, i).Stats()["repaired"]
	}
	lo := w.Newest()
	w.NW.RunFor(10 * time.Second)
	chunks := float64(w.Newest() - lo)
	deep := 0
	for i := 1; i < len(w.Nodes); i++ {
		d := treeOf(w, i).Scribe().Depth(g)
		if d < 3 {
			continue
		}
		deep++
		share := (treeOf(w, i).Stats()["repaired"] - before[i]) / chunks
		if share > 0.15 {
			t.Errorf("viewer %d at depth %d got %.2f of the chunks from peers, want about 0.1", i, d, share)
		}
	}
	if deep < 10 {
		t.Fatalf("only %d viewers 3 or more deep", deep)
	}
}

// TestTreeRootKeepsNoTop: in the tree, the group's root attaching late to
// a full source is handed down like any other join; none of the source's
// children (each with a third of the tree below it) makes way for it.
func TestTreeRootKeepsNoTop(t *testing.T) {
	w := settled(t, 8, 30, 10*time.Second)
	g := w.Ch.ID()
	src := w.Sts[0].Mode().(*scribe.Tree).Scribe()
	before := src.Children(g)
	if len(before) != 3 {
		t.Fatalf("the source feeds %d children, want 3", len(before))
	}
	// A node closer to the group ID than any child, as a late root is.
	root := id.Ref{ID: g, Addr: "late-root"}
	w.Nodes[0].Do(func() {
		w.Sts[0].Mode().(*scribe.Tree).Receive(root, &scribe.Join{Group: g, Joiner: root, Root: true})
	})
	for _, c := range before {
		if !src.IsChild(g, c.ID) {
			t.Errorf("child %v of the source made way for the root", c.ID)
		}
	}
	if src.IsChild(g, root.ID) {
		t.Error("the root took a place under the full source")
	}
}

// TestTreeLaneChunksAskedOfPeers: a viewer asks peers, not its parent, for
// the chunks its parent leaves to peers (the parent would only answer
// Miss). Without loss, a viewer then asks its parent only for what the
// parent will pass on late (a parent with one child skips nothing, but
// misses its own parent's residue): asking the parent first, 1,762
// requests went to parents and 691 to peers.
func TestTreeLaneChunksAskedOfPeers(t *testing.T) {
	w := settled(t, 7, 40, 15*time.Second)
	g := w.Ch.ID()
	idx := map[*sim.Node]int{}
	for i, n := range w.Nodes {
		idx[n] = i
	}
	toParent, toPeers := 0, 0
	w.NW.Trace = func(from, to *sim.Node, m wire.Message, _ int, _ bool) {
		if _, ok := m.(*scribe.Nack); !ok {
			return
		}
		i := idx[from]
		if i == 0 {
			return
		}
		if treeOf(w, i).Scribe().Parent(g).ID == to.Self().ID {
			toParent++
		} else {
			toPeers++
		}
	}
	w.NW.RunFor(10 * time.Second)
	w.NW.Trace = nil
	if toPeers == 0 {
		t.Fatal("no chunk was asked of a peer: no node left copies to peers")
	}
	if 4*toParent > toPeers {
		t.Errorf("%d requests to parents, %d to peers: want most to peers", toParent, toPeers)
	}
}

// TestTreeLanesBounded: a parent that says it leaves every residue to
// peers (a forged or broken one, or one repairing) makes the node leave
// at most half its children's copies to peers, not all.
func TestTreeLanesBounded(t *testing.T) {
	w := settled(t, 7, 40, 15*time.Second)
	g := w.Ch.ID()
	v := -1
	for i := 1; i < len(w.Nodes); i++ {
		if sc := treeOf(w, i).Scribe(); sc.ChildCount(g) == 2 && sc.Depth(g) >= 2 {
			v = i
			break
		}
	}
	if v < 0 {
		t.Fatal("no interior viewer below the source's children")
	}
	parent := treeOf(w, v).Scribe().Parent(g)
	before := treeOf(w, v).Stats()
	lo := w.Newest()
	// Every residue, twice, from the parent, every 100 ms for 2 s.
	for k := 0; k < 20; k++ {
		w.Nodes[v].Do(func() {
			var seqs []uint64
			for s := w.Newest(); s < w.Newest()+20; s++ {
				seqs = append(seqs, s)
			}
			treeOf(w, v).Receive(parent, &scribe.Miss{Seqs: seqs})
		})
		w.NW.RunFor(100 * time.Millisecond)
	}
	after := treeOf(w, v).Stats()
	copies := 2 * float64(w.Newest()-lo)
	skipped := after["skipped"] - before["skipped"]
	t.Logf("%v of %v copies left to peers", skipped, copies)
	if skipped > 0.6*copies {
		t.Errorf("the node left %v of %v copies to peers, want at most half", skipped, copies)
	}
}

// TestTreeOrphansSinkLeast kills a viewer near the top of a settled tree:
// one orphan takes its place under the grandparent, and the other, which
// comes back with its whole subtree, is handed down towards the free slot
// nearest the top (Config.NearestRoom), so the tree grows little deeper.
// (Handed to the child with the most free slots below it instead, the
// tree grew 3 levels at seeds 2, 3 and 6.)
func TestTreeOrphansSinkLeast(t *testing.T) {
	for _, seed := range []uint64{1, 2, 3, 4, 5, 6} {
		w := settled(t, seed, 150, 15*time.Second)
		g := w.Ch.ID()
		deepest := func() int {
			d := 0
			for i := 1; i < len(w.Nodes); i++ {
				if w.Nodes[i].Alive() {
					d = max(d, treeOf(w, i).Scribe().Depth(g))
				}
			}
			return d
		}
		before := deepest()
		victim := -1
		for i := 1; i < len(w.Nodes); i++ {
			if sc := treeOf(w, i).Scribe(); sc.Depth(g) == 2 && sc.ChildCount(g) == 2 {
				victim = i
				break
			}
		}
		if victim < 0 {
			t.Fatal("no full viewer at depth 2")
		}
		w.Kill(victim)
		w.NW.RunFor(10 * time.Second)
		checkTree(t, w)
		if after := deepest(); after > before+2 {
			t.Errorf("seed %d: the deepest viewer went from depth %d to %d", seed, before, after)
		}
	}
}
