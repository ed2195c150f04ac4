package overlay

import "github.com/almcast/alm/id"

// checkLeafSet asks the rest of the overlay who is next to us: it sends a
// join request for our own ID to a routing-table entry outside the leaf
// set, which routes it like any join; the node the overlay takes for our
// ID's neighbour answers with its leaf set (onJoinReply merges it). A
// group of nodes that joined together while the overlay was young can
// otherwise form a ring of its own that no heartbeat ever reaches.
func (n *Node) checkLeafSet() {
	var far []id.Ref
	for r := 0; r < n.table.Rows() && r < 2; r++ {
		for _, ref := range n.table.Row(r) {
			if !n.leaf.Contains(ref.ID) {
				far = append(far, ref)
			}
		}
	}
	if len(far) == 0 {
		return
	}
	via := far[n.e.Rand().IntN(len(far))]
	r := &Route{MsgID: n.e.Rand().Uint64() | 1, Key: n.self.ID, Origin: n.self, Sent: int64(n.e.Now())}
	r.Payload.M = &JoinRequest{Joiner: n.self, Check: true}
	n.stats.MaintSent++
	n.e.Send(via, r)
}
