package overlay

import (
	"time"

	"github.com/almcast/alm/env"
	"github.com/almcast/alm/id"
)

// joinState tracks a join in progress.
type joinState struct {
	boot     id.Ref
	nonce    uint64
	attempt  int
	cands    []id.Ref
	timer    env.Timer
	stall    env.Timer     // restarts an attempt that has heard nothing for joinStall
	heard    time.Duration // when the attempt last heard something (joinProgress)
	late     time.Duration // the stall wait extended once to this, the loop having run late (0: not)
	finished bool
}

// joinStall is how long a join attempt may go without hearing anything
// (a state reply, a probe's outcome, a reply from the route) before it
// starts again: a lost message used to hold a join for all of
// JoinTimeout, and a viewer that lost two joined the overlay 20 s late.
func (n *Node) joinStall() time.Duration { return 3 * n.cfg.HopTimeout }

// joinProgress notes that attempt nonce heard something: the attempt's
// stall wait counts from now. One timer serves the whole join: when it
// comes due before the wait has run out since the last sign of progress,
// it waits for the rest. It does not restart an attempt when it fires
// late because this node's own event loop ran late (see overdue).
func (n *Node) joinProgress(nonce uint64) {
	j := n.join
	if j == nil || j.nonce != nonce || j.finished {
		return
	}
	j.heard, j.late = n.e.Now(), 0
	if j.stall == nil {
		j.stall = n.after(n.joinStall(), func() { n.stallDue(j) })
	}
}

// stallDue runs when join j's stall timer fires: it waits on if j heard
// something since, and starts the attempt again if it has not.
func (n *Node) stallDue(j *joinState) {
	j.stall = nil
	if n.join != j || j.finished {
		return
	}
	wait := n.joinStall()
	due := j.heard + wait
	if j.late > 0 {
		due = j.late
	}
	now := n.e.Now()
	if now < due {
		j.stall = n.after(due-now, func() { n.stallDue(j) })
		return
	}
	if j.late == 0 && n.overdue(due, wait) {
		// We were too busy to hear an answer in time: wait once more.
		j.late = now + wait
		j.stall = n.after(wait, func() { n.stallDue(j) })
		return
	}
	n.stats.JoinStalls++
	n.startJoin()
}

// Join enters the overlay that boot belongs to. With PNS it first looks for
// a node near this one (Castro et al., "Topology-aware routing in
// structured peer-to-peer overlay networks"), then routes a join request to
// its own ID through that node and builds its state from the replies of
// the nodes on the way. boot's ID may be zero when only its address is
// known.
func (n *Node) Join(boot id.Ref) {
	n.join = &joinState{boot: boot}
	n.startJoin()
}

func (n *Node) startJoin() {
	j := n.join
	j.attempt++
	j.nonce = n.next()
	j.cands = j.cands[:0]
	nonce := j.nonce
	if j.timer != nil {
		j.timer.Stop()
	}
	j.timer = n.after(n.cfg.JoinTimeout, func() {
		if n.join == j && j.nonce == nonce && !j.finished {
			n.startJoin()
		}
	})
	n.joinProgress(nonce)
	// An attempt after one that stalled joins through the bootstrap
	// straight away: the search for a nearby node takes a dozen messages
	// or more, and on a lossy network each is another chance to stall.
	if n.cfg.PNS && n.cfg.DiscoverySteps > 0 && j.attempt == 1 {
		n.discover(j.boot, 0, 0, nonce)
		return
	}
	n.sendJoin(j.boot)
}

// discover walks towards a node with a small RTT: it asks the current node
// for its leaf set and the top rows of its routing table, probes them, and
// moves to the nearest one while that improves.
func (n *Node) discover(cur id.Ref, curRTT time.Duration, step int, nonce uint64) {
	if n.join == nil || n.join.nonce != nonce {
		return
	}
	if step >= n.cfg.DiscoverySteps {
		n.sendJoin(cur)
		return
	}
	// The leaf set helps at the first step only: its members are near the
	// current node in ID, not in the network.
	n.askState(cur, step == 0, []uint8{0, 1}, func(from id.Ref, rep *StateReply) {
		if n.join == nil || n.join.nonce != nonce {
			return
		}
		n.joinProgress(nonce)
		if cur.ID == id.Zero {
			cur = from
		}
		cands := append(append([]id.Ref{from}, rep.Table...), rep.Leaf...)
		best, bestRTT := cur, curRTT
		left := 0
		done := func() {
			if best.ID == cur.ID || bestRTT >= curRTT && curRTT > 0 {
				n.sendJoin(cur)
				return
			}
			n.discover(best, bestRTT, step+1, nonce)
		}
		seen := map[id.ID]bool{n.self.ID: true}
		for _, c := range cands {
			if !validRef(c) || seen[c.ID] {
				continue
			}
			seen[c.ID] = true
			left++
			c := c
			n.probeNode(c, 1, true, func(ok bool, rtt time.Duration) {
				n.joinProgress(nonce)
				if ok && (c.ID == cur.ID && curRTT == 0) {
					curRTT = rtt
				}
				if ok && (bestRTT == 0 || rtt < bestRTT) {
					best, bestRTT = c, rtt
				}
				left--
				if left == 0 {
					done()
				}
			})
		}
		if left == 0 {
			n.sendJoin(cur)
		}
	})
}

// sendJoin hands the join request to via, which routes it to our ID.
func (n *Node) sendJoin(via id.Ref) {
	j := n.join
	r := &Route{
		MsgID:  n.e.Rand().Uint64() | 1,
		Key:    n.self.ID,
		Origin: n.self,
		Sent:   int64(n.e.Now()),
	}
	r.Payload.M = &JoinRequest{Joiner: n.self, Nonce: j.nonce}
	n.stats.RouteSent++
	n.e.Send(via, r)
	n.joinProgress(j.nonce)
}

// joinHop is run by each node a join request passes: it sends the joiner
// the routing-table rows that fit it and, at the last node, the leaf set.
func (n *Node) joinHop(r *Route, final bool) {
	req := r.Payload.M.(*JoinRequest)
	if !validRef(req.Joiner) || req.Joiner.ID != r.Key {
		n.stats.BadInput++
		return
	}
	if req.Check {
		if final {
			n.sendMaint(req.Joiner, &JoinReply{Nonce: req.Nonce, Final: true, Leaf: n.leaf.All()})
		}
		return
	}
	p := n.self.ID.SharedPrefix(req.Joiner.ID)
	var rows []id.Ref
	for row := 0; row <= p && row < n.table.Rows(); row++ {
		rows = append(rows, n.table.Row(row)...)
	}
	rep := &JoinReply{Nonce: req.Nonce, Final: final, Table: rows}
	if final {
		rep.Leaf = n.leaf.All()
	}
	n.sendMaint(req.Joiner, rep)
}

func (n *Node) onJoinReply(from id.Ref, m *JoinReply) {
	j := n.join
	if n.joined && (j == nil || j.finished) {
		// A late or unsolicited answer (see correctNeighbour): the last
		// node's leaf set may hold neighbours we lack.
		if m.Final {
			n.consider(from, true, false)
			n.mergeLeaf(m.Leaf)
		}
		return
	}
	if j == nil || j.finished || m.Nonce != j.nonce {
		return
	}
	n.joinProgress(j.nonce)
	j.cands = append(j.cands, from)
	j.cands = append(j.cands, m.Table...)
	if !m.Final {
		return
	}
	j.cands = append(j.cands, m.Leaf...)
	j.finished = true
	j.timer.Stop()
	if j.stall != nil {
		j.stall.Stop()
	}
	n.leaf.Insert(from)
	for _, r := range m.Leaf {
		if validRef(r) && r.ID != n.self.ID {
			n.leaf.Insert(r)
		}
	}
	n.becomeJoined()
	if !n.leaf.Full() {
		n.repairLeaf()
	}
	seen := map[id.ID]bool{}
	for _, c := range j.cands {
		if !validRef(c) || seen[c.ID] || c.ID == n.self.ID {
			continue
		}
		seen[c.ID] = true
		// Candidates come from live nodes' tables: an empty slot takes the
		// first at once; with PNS later ones are probed against it.
		n.considerTable(c, true, true)
	}
	// The leaf set hears of us at once, so that joins close to ours find
	// us; the routing table once our probes have measured it.
	for _, r := range n.leaf.All() {
		n.sendMaint(r, &Announce{RTT: int64(n.knownRTT(r.ID))})
	}
	n.after(2*n.cfg.ProbeTimeout, func() {
		for _, e := range n.table.Entries() {
			if !n.leaf.Contains(e.Ref.ID) {
				n.sendMaint(e.Ref, &Announce{RTT: int64(n.knownRTT(e.Ref.ID))})
			}
		}
		n.optimise()
	})
}

// becomeJoined starts maintenance.
func (n *Node) becomeJoined() {
	if n.joined {
		return
	}
	n.joined = true
	n.stats.Joins++
	now := n.e.Now()
	for _, r := range n.leaf.All() {
		n.heard[r.ID] = now
		for _, app := range n.appList() {
			app.LeafSetChanged(r, true)
		}
	}
	n.stops = append(n.stops,
		env.Every(n.e, n.cfg.HeartbeatPeriod, 0.1, n.heartbeat),
		env.Every(n.e, n.cfg.TablePeriod, 0.2, n.refreshTable),
	)
	// A new node's leaf set may miss nodes that joined at the same time:
	// exchange with the neighbours soon and then less often, until the
	// regular period takes over.
	for d := time.Second; d < n.cfg.HeartbeatPeriod; d *= 2 {
		n.after(d, n.heartbeat)
	}
	// Check that our leaf set is the one the rest of the overlay sees,
	// soon and while the overlay around us settles (refreshTable repeats
	// it every TablePeriod).
	for d := n.cfg.HeartbeatPeriod / 4; d < n.cfg.TablePeriod; d *= 2 {
		n.after(d, n.checkLeafSet)
	}
}
