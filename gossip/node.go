package gossip

import (
	"fmt"
	"time"

	"github.com/almcast/alm/env"
	"github.com/almcast/alm/id"
	"github.com/almcast/alm/overlay"
	"github.com/almcast/alm/wire"
)

// Sender sends a gossip message directly to a node. Its user may carry
// the message in an envelope of its own protocol.
type Sender func(to id.Ref, m wire.Message)

// Stats counts what a gossip node did.
type Stats struct {
	// Announces counts routed announcements sent, Asks those of them that
	// asked for members; Stored those taken in as the rendezvous; Answers
	// samples handed out by the rendezvous.
	Announces, Asks, Stored, Answers uint64
	// OnPath counts requests for members this node answered from its path
	// cache as they passed through it on their way to the rendezvous.
	OnPath uint64
	// Shuffles counts shuffles started; Replies shuffles answered;
	// Timeouts shuffles that went unanswered (the peer was dropped).
	Shuffles, Replies, Timeouts uint64
	// Expired counts view, sample and path cache entries dropped for age.
	Expired uint64
	// BadInput counts messages refused: wrong topic, invalid entries.
	BadInput uint64
}

// entry is a member as a view holds it: heard is the local time at which
// its age was zero.
type entry struct {
	ref   id.Ref
	heard time.Duration
}

// Node is one node's gossip state: its membership of at most one channel
// (the view) and, as an overlay application, the rendezvous samples of the
// channels whose IDs it is responsible for. Call it on the node's event
// loop only.
type Node struct {
	cfg     Config
	e       env.Env
	ov      *overlay.Node
	send    Sender
	self    id.Ref
	topic   id.ID
	joined  bool
	hidden  bool
	view    []entry
	pending map[id.ID]env.Timer
	samples map[id.ID][]entry
	caches  map[id.ID][]entry
	// sweptSamples and sweptCaches are when samples and caches were last
	// swept of ended channels (room).
	sweptSamples, sweptCaches time.Duration
	stops                     []func()
	onPeers                   func()
	asked                     time.Duration
	stats                     Stats
}

// New returns a gossip node on e. It registers itself with ov as the
// overlay application of Proto, so it serves as a rendezvous at once;
// send carries its direct messages (nil: e.Send).
func New(e env.Env, ov *overlay.Node, send Sender, cfg Config) (*Node, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if send == nil {
		send = e.Send
	}
	n := &Node{cfg: cfg, e: e, ov: ov, send: send, self: e.Self(),
		pending: map[id.ID]env.Timer{}, samples: map[id.ID][]entry{}, caches: map[id.ID][]entry{}}
	if ov != nil {
		ov.Register(Proto, n)
	}
	return n, nil
}

// Stats returns the node's counters.
func (n *Node) Stats() Stats { return n.stats }

// OnPeers sets a function called whenever members arrive from the
// rendezvous, so a joining user can act on them at once.
func (n *Node) OnPeers(f func()) { n.onPeers = f }

// Join makes this node a member of topic: it announces itself at the
// rendezvous, asks it for members, and then renews its entry and shuffles
// its view periodically. A hidden member (the source) asks for members but
// is never handed out.
func (n *Node) Join(topic id.ID, hidden bool) error {
	if n.joined {
		return fmt.Errorf("gossip: already a member of %s", n.topic.Short())
	}
	n.topic, n.joined, n.hidden = topic, true, hidden
	n.asked = n.e.Now()
	n.announce(true)
	n.stops = append(n.stops,
		env.Every(n.e, n.cfg.AnnouncePeriod, 0.1, func() { n.announce(len(n.view) < n.cfg.ViewSize/2) }),
		env.Every(n.e, n.cfg.ShufflePeriod, 0.2, n.shuffle))
	return nil
}

// Stop ends membership without notice.
func (n *Node) Stop() {
	n.joined = false
	for _, s := range n.stops {
		s()
	}
	n.stops = nil
	for k, t := range n.pending {
		t.Stop()
		delete(n.pending, k)
	}
}

// announce routes an announcement (and request for members) to the
// rendezvous.
func (n *Node) announce(want bool) {
	if !n.joined || n.ov == nil {
		return
	}
	a := &Announce{Topic: n.topic, Hidden: n.hidden}
	if want {
		a.Want = uint8(n.cfg.Reply)
		n.stats.Asks++
	}
	n.stats.Announces++
	n.ov.Route(n.topic, a)
}

// Ask asks the rendezvous for members again, at most once per second.
func (n *Node) Ask() {
	if now := n.e.Now(); n.joined && now-n.asked >= time.Second {
		n.asked = now
		n.announce(true)
	}
}

// View returns the members in the view.
func (n *Node) View() []id.Ref {
	n.expire()
	out := make([]id.Ref, len(n.view))
	for i, e := range n.view {
		out[i] = e.ref
	}
	return out
}

// Sample returns up to k members of the view at random.
func (n *Node) Sample(k int) []id.Ref {
	n.expire()
	perm := n.e.Rand().Perm(len(n.view))
	if k > len(perm) {
		k = len(perm)
	}
	out := make([]id.Ref, k)
	for i := range out {
		out[i] = n.view[perm[i]].ref
	}
	return out
}

// Add puts a member learned elsewhere (a partner, a referral) into the
// view as just heard from.
func (n *Node) Add(r id.Ref) { n.merge([]entry{{ref: r, heard: n.e.Now()}}) }

// Remove drops a member found gone.
func (n *Node) Remove(x id.ID) {
	for i := range n.view {
		if n.view[i].ref.ID == x {
			n.view = append(n.view[:i], n.view[i+1:]...)
			return
		}
	}
}

// Receive implements env.Handler for the direct gossip messages.
func (n *Node) Receive(from id.Ref, m wire.Message) {
	switch m := m.(type) {
	case *Peers:
		n.onPeersMsg(m)
	case *Shuffle:
		n.onShuffle(from, m)
	case *ShuffleReply:
		n.onShuffleReply(from, m)
	default:
		n.stats.BadInput++
	}
}

func validRef(r id.Ref) bool { return r.ID != id.Zero && r.Addr != "" && len(r.Addr) <= 256 }

// entries turns wire entries into view entries, dropping invalid ones.
func (n *Node) entries(es []Entry) []entry {
	if len(es) > maxEntries {
		n.stats.BadInput++
		return nil
	}
	now := n.e.Now()
	out := make([]entry, 0, len(es))
	for _, e := range es {
		if !validRef(e.Ref) {
			n.stats.BadInput++
			continue
		}
		out = append(out, entry{ref: e.Ref, heard: now - time.Duration(e.Age)*time.Millisecond})
	}
	return out
}

func (n *Node) onPeersMsg(m *Peers) {
	if !n.joined || m.Topic != n.topic {
		n.stats.BadInput++
		return
	}
	n.merge(n.entries(m.Peers))
	if n.onPeers != nil {
		n.onPeers()
	}
}
