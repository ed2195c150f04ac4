package gossip

import (
	"github.com/almcast/alm/id"
	"github.com/almcast/alm/overlay"
)

// Path caches: every node that routes announcements towards a channel's
// rendezvous remembers their senders for PathFresh, and answers a request
// for members itself when it has heard enough of them that recently. On a
// quiet route no node has, and the rendezvous answers every request as
// before; when a crowd tunes in, the nodes a hop or two before the
// rendezvous hear many announcements a second and take its load, as
// Coral's sloppy DHT spreads a hot key's requests over the nodes on the
// way to it (Freedman and Mazieres, IPTPS 2003). The rendezvous's uplink
// alone answers a few hundred requests a second; 25,000 viewers tuning in
// within a minute ask more than ten thousand.

// Forward implements overlay.Application: an announcement passing through
// is remembered, and a request for members is answered here when this
// node can; the announcement then travels on without the request.
func (n *Node) Forward(m *overlay.Msg, _ id.Ref) bool {
	a, ok := m.Payload.(*Announce)
	if !ok || n.cfg.PathCache == 0 || !validRef(m.Origin) {
		return true
	}
	c, known := n.caches[a.Topic]
	if !known && !n.room(n.caches, n.cfg.PathFresh, &n.sweptCaches) {
		return true
	}
	c = n.purge(c, n.cfg.PathFresh)
	if want := min(int(a.Want), n.cfg.Reply); want > 0 && others(c, m.Origin.ID) >= want {
		n.stats.OnPath++
		n.send(m.Origin, &Peers{Topic: a.Topic, Peers: n.pick(c, want, m.Origin.ID)})
		rest := *a
		rest.Want = 0
		m.Payload = &rest
	}
	if !a.Hidden {
		c = n.store(c, m.Origin, n.cfg.PathCache)
	}
	if len(c) == 0 {
		delete(n.caches, a.Topic)
	} else {
		n.caches[a.Topic] = c
	}
	return true
}

// others counts the entries of s other than x.
func others(s []entry, x id.ID) int {
	k := len(s)
	for _, e := range s {
		if e.ref.ID == x {
			k--
		}
	}
	return k
}
