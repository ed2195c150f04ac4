package stream

import (
	"sort"
	"time"

	"github.com/almcast/alm/chunk"
	"github.com/almcast/alm/id"
	"github.com/almcast/alm/internal/sweep"
	"github.com/almcast/alm/overlay"
)

// The channel directory: an overlay application whose messages are routed
// to the channel's ID. The node responsible for it keeps the channel's
// signed metadata and the source's address.

// maxDirectory bounds how many channels one node keeps entries for.
const maxDirectory = 1024

// replicas is how many leaf-set neighbours on each side keep a copy of a
// directory entry, so a lookup that ends next to the rendezvous (its leaf
// set still catching up) is answered too.
const replicas = 2

// Forward implements overlay.Application: a node that holds the channel's
// entry answers a Find on its way and stops it.
func (n *Node) Forward(m *overlay.Msg, _ id.Ref) bool {
	if f, ok := m.Payload.(*Find); ok {
		return !n.answer(f)
	}
	return true
}

// LeafSetChanged implements overlay.Application: a node that joins next to
// us may now be (or be next to) the rendezvous of an entry we hold, so it
// gets a copy.
func (n *Node) LeafSetChanged(node id.Ref, joined bool) {
	if !joined {
		return
	}
	keys := make([]id.ID, 0, len(n.dir))
	for k := range n.dir {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i].Cmp(keys[j]) < 0 })
	for _, chID := range keys {
		e := n.dir[chID]
		if !n.fresh(e) {
			continue // lapsed: its source stopped renewing it
		}
		if id.Closer(chID, node.ID, n.e.Self().ID) || n.isNearest(chID, node.ID) {
			n.e.Send(node, &Announce{Meta: e.meta, Source: e.src})
		}
	}
}

// isNearest reports whether x is among the replicas nearest to key in our
// leaf set.
func (n *Node) isNearest(key, x id.ID) bool {
	cw, ccw := n.ov.LeafSet().Sides()
	for i := 0; i < replicas; i++ {
		for _, side := range [][]id.Ref{cw, ccw} {
			if i < len(side) && side[i].ID == x {
				return true
			}
		}
	}
	return false
}

// Deliver implements overlay.Application: this node is the rendezvous.
func (n *Node) Deliver(m *overlay.Msg) {
	switch p := m.Payload.(type) {
	case *Announce:
		if n.onAnnounce(p) {
			cw, ccw := n.ov.LeafSet().Sides()
			for i := 0; i < replicas; i++ {
				for _, side := range [][]id.Ref{cw, ccw} {
					if i < len(side) {
						n.e.Send(side[i], p)
					}
				}
			}
		}
	case *Find:
		if !n.answer(p) {
			n.hold(p)
			n.askReplicas(p)
		}
	default:
		n.relayFor(m) // the overlay's fallback: a protocol nobody here runs
	}
}

// askReplicas passes a find this node cannot answer as the rendezvous to
// its nearest leaf-set neighbours: while leaf sets disagree, the entry may
// sit one node over (the announcement went there). They answer it if they
// hold the entry and pass it on no further.
func (n *Node) askReplicas(f *Find) {
	if f.Viewer.IsZero() {
		return
	}
	cw, ccw := n.ov.LeafSet().Sides()
	for i := 0; i < replicas; i++ {
		for _, side := range [][]id.Ref{cw, ccw} {
			if i < len(side) && side[i].ID != f.Viewer.ID {
				n.e.Send(side[i], f)
			}
		}
	}
}

// maxHeld bounds the finds a rendezvous holds for channels it does not
// know yet; heldFor is how long it holds them.
const (
	maxHeld = 256
	heldFor = 5 * time.Second
)

type heldFind struct {
	f  *Find
	at time.Duration
}

// hold keeps a find that came before the channel's announcement, to be
// answered when it comes.
func (n *Node) hold(f *Find) {
	now := n.e.Now()
	kept := n.held[:0]
	for _, h := range n.held {
		if now-h.at < heldFor {
			kept = append(kept, h)
		}
	}
	n.held = kept
	if len(n.held) < maxHeld {
		n.held = append(n.held, heldFind{f: f, at: now})
	}
}

// dirLive is how long a directory entry is answered from after its last
// renewal.
func (n *Node) dirLive() time.Duration { return 3 * n.cfg.AnnouncePeriod }

// fresh reports whether e was renewed within dirLive.
func (n *Node) fresh(e *dirEntry) bool { return n.e.Now()-e.at < n.dirLive() }

// dirRoom reports whether the directory may take one more channel: when
// it holds maxDirectory, entries lapsed (not renewed within dirLive) are
// dropped first (sweep.Room), so that channels long ended do not keep new
// ones out on a long-running node.
func (n *Node) dirRoom() bool {
	return sweep.Room(n.dir, maxDirectory, n.e.Now(), &n.swept, func(e *dirEntry) (*dirEntry, bool) {
		return e, n.fresh(e)
	})
}

// onAnnounce stores a directory entry; it reports whether it did.
func (n *Node) onAnnounce(a *Announce) bool {
	ch, err := chunk.NewChannel(a.Meta.Key, a.Meta.Name)
	if err != nil || a.Meta.Verify(ch) != nil || a.Source.IsZero() {
		n.stats.BadMeta++
		return false
	}
	if _, ok := n.dir[ch.ID()]; !ok && !n.dirRoom() {
		return false
	}
	n.dir[ch.ID()] = &dirEntry{meta: a.Meta, src: a.Source, at: n.e.Now()}
	kept := n.held[:0]
	for _, h := range n.held {
		if h.f.Channel != ch.ID() || !n.answer(h.f) {
			kept = append(kept, h)
		}
	}
	n.held = kept
	return true
}

// answer replies to a Find if this node knows the channel; it reports
// whether it did.
func (n *Node) answer(f *Find) bool {
	if f.Viewer.IsZero() {
		return false
	}
	var found Found
	if e, ok := n.dir[f.Channel]; ok && n.fresh(e) {
		found = Found{Meta: e.meta, Source: e.src}
	} else if f.Channel == n.ch.ID() && n.meta != nil {
		found = Found{Meta: *n.meta, Source: n.src}
	} else {
		return false // unknown here; the viewer asks again
	}
	n.e.Send(f.Viewer, &found)
	return true
}
