package qnet

import (
	"net"
	"net/netip"
	"time"
)

// A fair uplink (Shim.Fair) keeps a queue per destination and serves the
// backlogged ones in turn, a packet each, as the flow queues of fq_codel
// (the default queue discipline of Linux and of many home routers) do: a
// packet waits behind the packets queued to its own destination and one
// packet of each other backlogged destination, not behind the whole
// backlog. A node whose uplink is full of chunks for its children thus
// still acknowledges what its parents send it at once; behind a single
// first-in first-out queue those acknowledgements wait the whole backlog,
// the parents' QUIC connections see round trips that long and slow down,
// and a full uplink slows the node's downloads too. Packets to one
// destination keep their order, so QUIC sees no reordering.
//
// Service is decided as the link frees, not when a packet is written: the
// writer moves packets from the flow queues to the delivery heap (packets
// already on their way, by due time) once the link is free to send them.

// fairAhead is how far ahead of time a fair uplink decides which packet
// the link sends next: the writer then wakes once for a few packets, not
// once for each, and a packet written meanwhile waits at most this much
// longer for its turn.
const fairAhead = 10 * time.Millisecond

// fairFlow is one destination's queue.
type fairFlow struct {
	q     []packet
	head  int
	bytes int // queued in q[head:]
}

// fairState is a fair uplink's queues; shimConn.mu guards it.
type fairState struct {
	flows  map[netip.AddrPort]*fairFlow
	active []*fairFlow // backlogged flows, in service order
	next   int         // index in active of the flow served next
	queued int         // bytes queued in the flows
}

// flowKey is the flow a packet to addr belongs to.
func flowKey(addr net.Addr) netip.AddrPort {
	if u, ok := addr.(*net.UDPAddr); ok {
		return u.AddrPort()
	}
	return netip.AddrPort{} // unknown kinds of address share one flow
}

// txTime is how long size bytes take on the uplink.
func (s *shimConn) txTime(size int) time.Duration {
	return time.Duration(int64(size) * 8 * int64(time.Second) / s.cfg.Rate)
}

// fairBacklog is how long the queued packets hold the uplink beyond now
// (the packet in service included). s.mu is held.
func (s *shimConn) fairBacklog(now time.Time) time.Duration {
	d := s.txTime(s.fair.queued)
	if s.free.After(now) {
		d += s.free.Sub(now)
	}
	return d
}

// enqueueFair takes packet p (its size, arrival and latency set) onto a
// fair uplink: straight onto the delivery heap when the link is idle,
// else into its destination's queue. When the uplink holds more than
// QueueDelay, a packet of the destination with the most queued is
// dropped: the newest of that queue, or p itself if that queue is p's. It
// reports whether the writer must wake before it would on its own. s.mu
// is held.
func (s *shimConn) enqueueFair(p packet) bool {
	f := &s.fair
	if len(f.active) == 0 && !s.free.After(p.arrival) {
		return s.wakesLate(s.depart(p, p.arrival))
	}
	key := flowKey(p.to)
	if s.cfg.QueueDelay > 0 && s.fairBacklog(p.arrival) > s.cfg.QueueDelay {
		fat := f.fattest()
		if fat == nil || fat == f.flows[key] {
			s.queueDrops++
			freePacket(p.data)
			return false
		}
		last := len(fat.q) - 1
		f.queued -= len(fat.q[last].data)
		fat.bytes -= len(fat.q[last].data)
		freePacket(fat.q[last].data)
		fat.q[last] = packet{}
		fat.q = fat.q[:last]
		s.queueDrops++
		if fat.head == len(fat.q) {
			f.deactivate(fat)
		}
	}
	if f.flows == nil {
		f.flows = make(map[netip.AddrPort]*fairFlow)
	}
	fl := f.flows[key]
	if fl == nil {
		fl = &fairFlow{}
		f.flows[key] = fl
	}
	if fl.head == len(fl.q) {
		fl.q, fl.head = fl.q[:0], 0
		f.active = append(f.active, fl)
	}
	fl.q = append(fl.q, p)
	fl.bytes += len(p.data)
	f.queued += len(p.data)
	return s.wakesLate(s.wakeFair())
}

// serveFair moves packets from the flow queues to the delivery heap, in
// turn, while the link is free by cut. s.mu is held.
func (s *shimConn) serveFair(cut time.Time) {
	f := &s.fair
	for len(f.active) > 0 && !s.free.After(cut) {
		if f.next >= len(f.active) {
			f.next = 0
		}
		fl := f.active[f.next]
		p := fl.q[fl.head]
		fl.q[fl.head] = packet{}
		fl.head++
		fl.bytes -= len(p.data)
		f.queued -= len(p.data)
		start := s.free
		if p.arrival.After(start) {
			start = p.arrival
		}
		s.depart(p, start)
		if fl.head == len(fl.q) {
			f.removeAt(f.next) // the next flow moves into this slot
		} else {
			f.next++
		}
	}
}

// depart sends p onto the link at start: the link is busy for its
// transmission, and p is due at its destination its latency after, when
// it returns. s.mu is held.
func (s *shimConn) depart(p packet, start time.Time) time.Time {
	end := start.Add(s.txTime(max(len(p.data), 1)))
	s.free = end
	p.due = end.Add(p.lat)
	s.onWay(p)
	return p.due
}

// wakeFair is when the writer must wake to serve the flow queues, in
// time to decide fairAhead before the link frees (zero if none waits).
func (s *shimConn) wakeFair() time.Time {
	if len(s.fair.active) == 0 {
		return time.Time{}
	}
	return s.free.Add(-fairAhead)
}

// fattest returns the backlogged flow with the most bytes queued.
func (f *fairState) fattest() *fairFlow {
	var fat *fairFlow
	most := 0
	for _, fl := range f.active {
		if fl.bytes > most {
			fat, most = fl, fl.bytes
		}
	}
	return fat
}

// deactivate takes an emptied flow out of the service order.
func (f *fairState) deactivate(fl *fairFlow) {
	for i, a := range f.active {
		if a == fl {
			f.removeAt(i)
			return
		}
	}
}

// removeAt takes the emptied flow at index i of the service order out of
// it, keeping the turn on the flow that was to be served next.
func (f *fairState) removeAt(i int) {
	fl := f.active[i]
	f.active = append(f.active[:i], f.active[i+1:]...)
	if i < f.next {
		f.next--
	}
	fl.q, fl.head, fl.bytes = fl.q[:0], 0, 0
}

// drainFair returns every packet still in the flow queues, in turn order,
// and empties them. s.mu is held.
func (f *fairState) drainFair() []packet {
	var out []packet
	for _, fl := range f.active {
		out = append(out, fl.q[fl.head:]...)
		fl.q, fl.head, fl.bytes = nil, 0, 0
	}
	f.active, f.next, f.queued = nil, 0, 0
	return out
}
