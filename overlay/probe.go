package overlay

import (
	"time"

	"github.com/almcast/alm/env"
	"github.com/almcast/alm/id"
)

// probe is a liveness and RTT measurement of one node in flight.
type probe struct {
	ref id.Ref
	// pings are the probe's pings so far, the latest last.
	pings []pingSent
	left  int
	timer env.Timer
	cbs   []func(ok bool, rtt time.Duration)
}

// probeNode pings ref up to tries times and calls cb with the outcome.
// Probes of one node share one measurement. When optional is set and too
// many probes are in flight, cb is called at once with ok=false.
func (n *Node) probeNode(ref id.Ref, tries int, optional bool, cb func(ok bool, rtt time.Duration)) {
	if p, ok := n.probes[ref.ID]; ok {
		if tries > p.left {
			p.left = tries
		}
		p.cbs = append(p.cbs, cb)
		return
	}
	if optional && len(n.probes) >= n.cfg.MaxProbes {
		cb(false, 0)
		return
	}
	p := &probe{ref: ref, left: tries, cbs: []func(bool, time.Duration){cb}}
	n.probes[ref.ID] = p
	n.ping(p)
}

func (n *Node) ping(p *probe) {
	// The ping leaves once this node's own uplink queue has drained; the
	// wait and the RTT count from then, so that a thin, busy uplink does
	// not make its own node blame live peers. A node that runs late
	// (env.Laggard) waits longer too.
	queued := n.backlog()
	wait := queued + n.cfg.ProbeTimeout + env.Slack(n.e)
	nonce := n.next()
	p.pings = append(p.pings, pingSent{nonce, n.e.Now() + queued})
	n.nonces[nonce] = p.ref.ID
	due := n.e.Now() + wait
	rearmed := false
	var expire func()
	expire = func() {
		if p.latest() != nonce || n.probes[p.ref.ID] != p {
			return
		}
		if !rearmed && n.overdue(due, n.cfg.ProbeTimeout) {
			// We were too busy to hear the answer: wait once more.
			rearmed = true
			due = n.e.Now() + n.cfg.ProbeTimeout
			p.timer = n.after(n.cfg.ProbeTimeout, expire)
			return
		}
		if len(p.pings) < p.left {
			n.ping(p)
			return
		}
		n.finishProbe(p, false, 0)
	}
	p.timer = n.after(wait, expire)
	n.sendMaint(p.ref, &Ping{Nonce: nonce})
}

// latest is the nonce of the probe's latest ping.
func (p *probe) latest() uint64 { return p.pings[len(p.pings)-1].nonce }

// pingSent is one ping of a probe: its nonce and when it left.
type pingSent struct {
	nonce uint64
	sent  time.Duration
}

// backlog is how long a message sent now waits on this node's own uplink
// (0 when the runtime does not say).
func (n *Node) backlog() time.Duration {
	if u, ok := n.e.(env.Uplink); ok {
		return u.Backlog()
	}
	return 0
}

func (n *Node) finishProbe(p *probe, ok bool, rtt time.Duration) {
	delete(n.probes, p.ref.ID)
	for _, s := range p.pings {
		delete(n.nonces, s.nonce)
	}
	p.timer.Stop()
	for _, cb := range p.cbs {
		cb(ok, rtt)
	}
}

// onPong ends the probe the answer belongs to. An answer to an earlier
// try of the probe counts too: the peer is alive, only slow.
func (n *Node) onPong(from id.Ref, m *Pong) {
	who, ok := n.nonces[m.Nonce]
	if !ok || who != from.ID {
		return // late, duplicate or not ours
	}
	p := n.probes[who]
	var sent time.Duration
	for _, s := range p.pings {
		if s.nonce == m.Nonce {
			sent = s.sent
		}
	}
	rtt := n.e.Now() - sent
	if rtt <= 0 {
		rtt = time.Microsecond
	}
	n.rtt.put(who, rtt)
	n.alive(from)
	n.finishProbe(p, true, rtt)
}

// alive notes that ref answered or spoke: it is not dead or suspected.
func (n *Node) alive(ref id.Ref) {
	n.dead.del(ref.ID)
	delete(n.suspect, ref.ID)
}

// knownRTT returns a measured RTT for x, or 0.
func (n *Node) knownRTT(x id.ID) time.Duration {
	if e, ok := n.table.Lookup(x); ok && e.RTT > 0 {
		return e.RTT
	}
	r, _ := n.rtt.get(x)
	return r
}

// isDead reports whether x was declared dead within DeadMemory.
func (n *Node) isDead(x id.ID) bool {
	t, ok := n.dead.get(x)
	return ok && n.e.Now()-t < n.cfg.DeadMemory
}

// consider offers ref for the leaf set and routing table. live says the
// node has just spoken to us; otherwise it is only hearsay and is probed
// before it is added. probeOK allows probes to compare it with a
// routing-table incumbent.
func (n *Node) consider(ref id.Ref, live, probeOK bool) {
	if !validRef(ref) || ref.ID == n.self.ID || !n.joined && n.join == nil {
		return
	}
	if live {
		n.alive(ref)
	} else if n.isDead(ref.ID) {
		return
	}
	if n.leaf.Wants(ref.ID) {
		if !live {
			n.probeNode(ref, 1, true, func(ok bool, rtt time.Duration) {
				if ok {
					// It was hearsay: it may not know us either.
					if n.leaf.Wants(ref.ID) && n.joined {
						n.sendMaint(ref, &Announce{RTT: int64(rtt)})
					}
					n.consider(ref, true, probeOK)
				}
			})
			return
		}
		n.addLeaf(ref)
	}
	n.considerTable(ref, live, probeOK)
}

func (n *Node) addLeaf(ref id.Ref) {
	if n.leaf.Insert(ref) {
		n.heard[ref.ID] = n.e.Now()
		// Drop monitoring of nodes pushed out of the set.
		if len(n.heard) > 2*n.cfg.LeafSet {
			for k := range n.heard {
				if !n.leaf.Contains(k) {
					delete(n.heard, k)
				}
			}
		}
		for _, app := range n.appList() {
			app.LeafSetChanged(ref, true)
		}
	}
}

func (n *Node) considerTable(ref id.Ref, live, probeOK bool) {
	row, col, ok := n.table.Slot(ref.ID)
	if !ok {
		return
	}
	cur := n.table.Get(row, col)
	if !cur.Ref.IsZero() && cur.Ref.ID == ref.ID {
		if cur.RTT == 0 {
			if rtt, _ := n.rtt.get(ref.ID); rtt > 0 {
				n.table.Set(Entry{Ref: cur.Ref, RTT: rtt})
			}
		}
		return
	}
	if cur.Ref.IsZero() {
		rtt, _ := n.rtt.get(ref.ID)
		if live || rtt > 0 {
			n.table.Set(Entry{Ref: ref, RTT: rtt})
			return
		}
		if probeOK {
			n.probeNode(ref, 1, true, func(ok bool, rtt time.Duration) {
				if ok {
					n.considerTable(ref, true, false)
				}
			})
		}
		return
	}
	if live {
		n.table.AddAlt(ref)
	}
	if !n.cfg.PNS {
		return
	}
	rtt, _ := n.rtt.get(ref.ID)
	if rtt == 0 {
		if probeOK {
			n.probeNode(ref, 1, true, func(ok bool, rtt time.Duration) {
				if ok {
					n.considerTable(ref, true, true)
				}
			})
		}
		return
	}
	curRTT := cur.RTT
	if curRTT == 0 {
		curRTT, _ = n.rtt.get(cur.Ref.ID)
	}
	if curRTT == 0 {
		if probeOK {
			n.probeNode(cur.Ref, 1, true, func(ok bool, got time.Duration) {
				if !ok {
					n.table.Remove(cur.Ref.ID)
				}
				n.considerTable(ref, true, false)
			})
		}
		return
	}
	if rtt < curRTT {
		n.table.Set(Entry{Ref: ref, RTT: rtt})
	}
}
