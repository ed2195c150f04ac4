package overlay

import (
	"sort"

	"github.com/almcast/alm/id"
)

// heartbeat sends the leaf set to both immediate neighbours and checks
// that they have been heard from.
func (n *Node) heartbeat() {
	if !n.leaf.Full() && n.table.Len() > 0 {
		n.repairLeaf()
	}
	cw, ccw := n.leaf.Nearest()
	msg := &Heartbeat{Leaf: n.leaf.All()}
	now := n.e.Now()
	for i, r := range []id.Ref{cw, ccw} {
		if r.IsZero() || i == 1 && r.ID == cw.ID {
			continue
		}
		n.sendMaint(r, msg)
		last, ok := n.heard[r.ID]
		if !ok {
			n.heard[r.ID] = now
			continue
		}
		if now-last > n.cfg.NeighbourTimeout {
			n.suspectNode(r)
		}
	}
}

// refreshTable asks a random routing-table entry for its row of the table,
// to find missing and nearer entries.
func (n *Node) refreshTable() {
	n.checkLeafSet()
	var rows []int
	for r := 0; r < n.table.Rows(); r++ {
		if len(n.table.Row(r)) > 0 {
			rows = append(rows, r)
		}
	}
	if len(rows) == 0 {
		return
	}
	r := rows[n.e.Rand().IntN(len(rows))]
	entries := n.table.Row(r)
	n.askRow(entries[n.e.Rand().IntN(len(entries))], r)
}

// optimise asks, for each of the top rows, the nearest entry for its row:
// nodes near a near node are likely near us too.
func (n *Node) optimise() {
	for r := 0; r < 3 && r < n.table.Rows(); r++ {
		entries := n.table.Row(r)
		sort.Slice(entries, func(i, j int) bool {
			a, b := n.knownRTT(entries[i].ID), n.knownRTT(entries[j].ID)
			if a == 0 || b == 0 {
				return a != 0
			}
			return a < b
		})
		for i := 0; i < len(entries) && i < optimiseAsks; i++ {
			if n.knownRTT(entries[i].ID) > 0 {
				n.askRow(entries[i], r)
			}
		}
	}
}

// optimiseAsks is how many of a row's nearest entries a new node asks for
// their row.
const optimiseAsks = 2

func (n *Node) askRow(to id.Ref, row int) {
	n.askState(to, false, []uint8{uint8(row)}, func(_ id.Ref, rep *StateReply) {
		for _, c := range rep.Table {
			n.considerTable(c, false, true)
		}
	})
}

// askState requests a node's leaf set and routing-table rows; cb runs when
// the answer comes (never, if it does not).
func (n *Node) askState(to id.Ref, leaf bool, rows []uint8, cb func(from id.Ref, m *StateReply)) {
	nonce := n.next()
	n.waits[nonce] = cb
	n.after(n.cfg.JoinTimeout, func() { delete(n.waits, nonce) })
	n.sendMaint(to, &StateRequest{Nonce: nonce, Leaf: leaf, Rows: rows})
}

func (n *Node) onStateRequest(from id.Ref, m *StateRequest) {
	rep := &StateReply{Nonce: m.Nonce}
	if m.Leaf {
		rep.Leaf = n.leaf.All()
	}
	for _, r := range m.Rows {
		rep.Table = append(rep.Table, n.table.Row(int(r))...)
	}
	n.sendMaint(from, rep)
}

func (n *Node) onStateReply(from id.Ref, m *StateReply) {
	cb, ok := n.waits[m.Nonce]
	if !ok {
		return
	}
	delete(n.waits, m.Nonce)
	n.alive(from)
	cb(from, m)
}

// declareDead removes x everywhere, repairs the leaf set and the routing
// table slot, and tells the leaf set.
func (n *Node) declareDead(x id.Ref) {
	if n.isDead(x.ID) {
		return
	}
	n.stats.Deaths++
	n.dead.put(x.ID, n.e.Now())
	inLeaf := n.leaf.Contains(x.ID)
	row, _, _ := n.table.Slot(x.ID)
	inTable := n.table.Remove(x.ID)
	n.forget(x.ID)
	if inLeaf {
		for _, r := range n.leaf.All() {
			n.sendMaint(r, &Suspect{Node: x})
		}
		n.repairLeaf()
	}
	if inTable {
		if others := n.table.Row(row); len(others) > 0 {
			n.askRow(others[n.e.Rand().IntN(len(others))], row)
		}
	}
}

// forget removes x from the leaf set and table without declaring it dead
// (for a graceful leave).
func (n *Node) forget(x id.ID) {
	n.table.Remove(x)
	delete(n.heard, x)
	n.rtt.del(x)
	if ref, ok := n.leaf.Get(x); ok {
		n.leaf.Remove(x)
		for _, app := range n.appList() {
			app.LeafSetChanged(ref, false)
		}
		n.repairLeaf()
	}
}

// repairLeaf asks the farthest member on each side for its leaf set.
func (n *Node) repairLeaf() {
	cw, ccw := n.leaf.Farthest()
	for i, r := range []id.Ref{cw, ccw} {
		if r.IsZero() || i == 1 && r.ID == cw.ID {
			continue
		}
		n.askState(r, true, nil, func(_ id.Ref, rep *StateReply) { n.merge(rep.Leaf) })
	}
}

func (n *Node) onSuspect(m *Suspect) {
	if !validRef(m.Node) || m.Node.ID == n.self.ID {
		return
	}
	if n.leaf.Contains(m.Node.ID) {
		n.suspectNode(m.Node)
	}
}
