package gossip

import (
	"time"

	"github.com/almcast/alm/id"
)

// expire drops view entries older than Expiry.
func (n *Node) expire() {
	now := n.e.Now()
	kept := n.view[:0]
	for _, e := range n.view {
		if now-e.heard <= n.cfg.Expiry {
			kept = append(kept, e)
		} else {
			n.stats.Expired++
		}
	}
	n.view = kept
}

// merge takes entries into the view: a known member keeps its youngest
// age; a new one fills a free slot or replaces the oldest entry if it is
// younger.
func (n *Node) merge(es []entry) {
	for _, e := range es {
		if e.ref.ID == n.self.ID || n.e.Now()-e.heard > n.cfg.Expiry {
			continue
		}
		found := false
		for i := range n.view {
			if n.view[i].ref.ID == e.ref.ID {
				if e.heard > n.view[i].heard {
					n.view[i] = e
				}
				found = true
				break
			}
		}
		if found {
			continue
		}
		if len(n.view) < n.cfg.ViewSize {
			n.view = append(n.view, e)
			continue
		}
		if o := n.oldest(); o >= 0 && n.view[o].heard < e.heard {
			n.view[o] = e
		}
	}
}

// oldest returns the index of the oldest view entry (-1: empty).
func (n *Node) oldest() int {
	best := -1
	for i := range n.view {
		if best < 0 || n.view[i].heard < n.view[best].heard {
			best = i
		}
	}
	return best
}

// offer returns up to k entries for a shuffle: this node itself (unless
// hidden) and random others, not skip.
func (n *Node) offer(k int, skip id.ID) []Entry {
	now := n.e.Now()
	out := make([]Entry, 0, k)
	if !n.hidden {
		out = append(out, Entry{Ref: n.self})
	}
	for _, i := range n.e.Rand().Perm(len(n.view)) {
		if len(out) >= k {
			break
		}
		e := n.view[i]
		if e.ref.ID == skip {
			continue
		}
		out = append(out, Entry{Ref: e.ref, Age: ageMs(now - e.heard)})
	}
	return out
}

func ageMs(d time.Duration) uint32 {
	ms := d / time.Millisecond
	if ms < 0 {
		return 0
	}
	if ms > 1<<31 {
		return 1 << 31
	}
	return uint32(ms)
}

// shuffle exchanges entries with the oldest member of the view, which
// also checks that it is still there (HyParView's passive-view shuffle,
// Cyclon's choice of partner).
func (n *Node) shuffle() {
	n.expire()
	if !n.joined {
		return
	}
	if len(n.view) == 0 {
		n.announce(true)
		return
	}
	target := n.view[n.oldest()].ref
	if _, busy := n.pending[target.ID]; busy {
		return
	}
	n.stats.Shuffles++
	n.send(target, &Shuffle{Topic: n.topic, Peers: n.offer(n.cfg.ShuffleLen, target.ID)})
	n.pending[target.ID] = n.e.After(n.cfg.ShuffleTimeout, func() {
		if _, ok := n.pending[target.ID]; !ok {
			return
		}
		delete(n.pending, target.ID)
		n.stats.Timeouts++
		n.Remove(target.ID)
	})
}

func (n *Node) onShuffle(from id.Ref, m *Shuffle) {
	if !n.joined || m.Topic != n.topic || !validRef(from) {
		n.stats.BadInput++
		return
	}
	n.stats.Replies++
	n.send(from, &ShuffleReply{Topic: n.topic, Peers: n.offer(n.cfg.ShuffleLen, from.ID)})
	n.merge(n.entries(m.Peers))
}

func (n *Node) onShuffleReply(from id.Ref, m *ShuffleReply) {
	t, ok := n.pending[from.ID]
	if !ok || m.Topic != n.topic {
		n.stats.BadInput++
		return
	}
	t.Stop()
	delete(n.pending, from.ID)
	for i := range n.view {
		if n.view[i].ref.ID == from.ID {
			n.view[i].heard = n.e.Now()
		}
	}
	n.merge(n.entries(m.Peers))
}
