package gossip

import (
	"time"

	"github.com/almcast/alm/id"
	"github.com/almcast/alm/internal/sweep"
	"github.com/almcast/alm/overlay"
)

// The rendezvous: as an overlay application, the node responsible for a
// channel's ID keeps a bounded sample of its members, renewed by their
// announcements, and hands parts of it to members that ask.

// LeafSetChanged implements overlay.Application.
func (n *Node) LeafSetChanged(id.Ref, bool) {}

// Deliver implements overlay.Application: this node is the rendezvous.
func (n *Node) Deliver(m *overlay.Msg) {
	a, ok := m.Payload.(*Announce)
	if !ok || !validRef(m.Origin) || a.Topic != m.Key {
		n.stats.BadInput++
		return
	}
	s, known := n.samples[a.Topic]
	if !known && !n.room(n.samples, n.cfg.SampleExpiry, &n.sweptSamples) {
		n.stats.BadInput++
		return
	}
	s = n.purge(s, n.cfg.SampleExpiry)
	if a.Want > 0 {
		want := int(a.Want)
		if want > n.cfg.Reply {
			want = n.cfg.Reply
		}
		n.stats.Answers++
		n.send(m.Origin, &Peers{Topic: a.Topic, Peers: n.pick(s, want, m.Origin.ID)})
	}
	if !a.Hidden {
		n.stats.Stored++
		s = n.store(s, m.Origin, n.cfg.SampleSize)
	}
	n.samples[a.Topic] = s
}

// room reports whether topics (the samples or the path caches) may take
// one more: when it holds MaxTopics, topics none of whose entries were
// renewed within age are dropped first (sweep.Room; *swept is when it last
// swept), so that channels long ended do not keep new ones out on a
// long-running node.
func (n *Node) room(topics map[id.ID][]entry, age time.Duration, swept *time.Duration) bool {
	return sweep.Room(topics, n.cfg.MaxTopics, n.e.Now(), swept, func(s []entry) ([]entry, bool) {
		s = n.purge(s, age)
		return s, len(s) > 0
	})
}

// purge drops sample entries not renewed within age.
func (n *Node) purge(s []entry, age time.Duration) []entry {
	now := n.e.Now()
	kept := s[:0]
	for _, e := range s {
		if now-e.heard <= age {
			kept = append(kept, e)
		} else {
			n.stats.Expired++
		}
	}
	return kept
}

// store renews or adds a member; when the sample holds size entries the
// oldest makes room.
func (n *Node) store(s []entry, r id.Ref, size int) []entry {
	now := n.e.Now()
	for i := range s {
		if s[i].ref.ID == r.ID {
			s[i] = entry{ref: r, heard: now}
			return s
		}
	}
	if len(s) < size {
		return append(s, entry{ref: r, heard: now})
	}
	old := 0
	for i := range s {
		if s[i].heard < s[old].heard {
			old = i
		}
	}
	s[old] = entry{ref: r, heard: now}
	return s
}

// pick returns up to k random entries of s, not skip.
func (n *Node) pick(s []entry, k int, skip id.ID) []Entry {
	now := n.e.Now()
	out := make([]Entry, 0, k)
	for _, i := range n.e.Rand().Perm(len(s)) {
		if len(out) >= k {
			break
		}
		if s[i].ref.ID != skip {
			out = append(out, Entry{Ref: s[i].ref, Age: ageMs(now - s[i].heard)})
		}
	}
	return out
}

// SampleLen returns how many members this node keeps for topic as its
// rendezvous (for tests and inspection).
func (n *Node) SampleLen(topic id.ID) int {
	return len(n.purge(n.samples[topic], n.cfg.SampleExpiry))
}
