package stream

import (
	"github.com/almcast/alm/delivery"
	"github.com/almcast/alm/overlay"
	"github.com/almcast/alm/wire"
)

// maxPending bounds the routed messages a node keeps while it takes up
// its mode to serve them; more are dropped and counted (their senders
// try again).
const maxPending = 256

// relayFor takes a routed message delivered here for a protocol no
// application of this node claims: most likely the node is responsible
// for a tree's group ID (a stripe's root) and its channel's mode is not
// running because the node does not watch yet. The node learns the
// channel from the rendezvous, takes the mode up as a forwarder only
// (delivery.Relayer) and hands it the message. Routed joins that end at a
// root that does not serve them would otherwise be lost until it tunes in
// itself: at 10,000 viewers tuning in over 10 s, a stripe's root took
// 1,587 joins in 1.2 s and answered none.
func (n *Node) relayFor(m *overlay.Msg) {
	if n.key != nil || n.meta != nil || !n.ov.Joined() || n.cfg.NoRelay || len(n.pending) >= maxPending {
		// The source, a node that found the channel (its mode runs, or
		// does not relay), or one that has enough waiting.
		n.stats.Unclaimed++
		return
	}
	seeking := n.seeking()
	n.pending = append(n.pending, m)
	if !seeking {
		// A node that watches is looking the channel up already (its
		// mode gets the message once it runs, see handOver).
		n.stats.RelayStarts++
		n.find()
	}
}

// seeking reports whether the node wants the channel's metadata: it
// watches, or messages wait for it to relay (relayFor).
func (n *Node) seeking() bool { return n.active || len(n.pending) > 0 }

// relay starts the mode as a forwarder on a node that found the channel
// while relaying, and hands it the messages that were waiting.
func (n *Node) relay() {
	r, ok := n.mode.(delivery.Relayer)
	if !ok {
		n.stats.Unclaimed += uint64(len(n.pending))
		n.pending = nil
		return
	}
	r.Relay()
	n.handOver()
}

// handOver gives the messages that waited for the channel to the
// applications now running for them.
func (n *Node) handOver() {
	pending := n.pending
	n.pending = nil
	for _, m := range pending {
		app := n.ov.App(wire.Proto(m.Payload))
		if app == nil || app == n {
			n.stats.Unclaimed++
			continue
		}
		app.Deliver(m)
	}
}
