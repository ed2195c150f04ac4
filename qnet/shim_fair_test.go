package qnet

import (
	"container/heap"
	"net"
	"testing"
	"time"
)

// fairShim returns a fair shim with no socket and no writer: the test
// drives its queues with its own times.
func fairShim(rate int64, queueDelay, latency time.Duration) *shimConn {
	return &shimConn{cfg: Shim{Rate: rate, QueueDelay: queueDelay, Latency: latency, Fair: true}}
}

// write queues a packet of size bytes to addr at now, as schedule does.
func (s *shimConn) writeAt(now time.Time, size int, addr net.Addr, tag byte) {
	lat, ok := s.admitFair(size, addr)
	if !ok {
		return
	}
	data := copyPacket(make([]byte, size))
	data[0] = tag
	s.enqueueFair(packet{data: data, to: addr, arrival: now, lat: lat})
}

// sent pops every packet on the delivery heap, in due order.
func (s *shimConn) sent() []packet {
	var out []packet
	for s.q.Len() > 0 {
		out = append(out, heap.Pop(&s.q).(packet))
	}
	return out
}

func TestShimFairSparseFlowGoesFirst(t *testing.T) {
	const rate = 1_000_000 // 1250 bytes: 10 ms
	lat := 20 * time.Millisecond
	a := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 1}
	b := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 2}
	t0 := time.Unix(1000, 0)
	for _, fair := range []bool{false, true} {
		s := fairShim(rate, time.Second, lat)
		s.cfg.Fair = fair
		for i := range 10 {
			if fair {
				s.writeAt(t0, 1250, a, byte(i))
			} else if due, ok := s.admit(t0, 1250, a); ok {
				heap.Push(&s.q, packet{due: due, data: []byte{byte(i)}, to: a})
			}
		}
		// An acknowledgement to b, written 1 ms later.
		if fair {
			s.writeAt(t0.Add(time.Millisecond), 50, b, 99)
		} else if due, ok := s.admit(t0.Add(time.Millisecond), 50, b); ok {
			heap.Push(&s.q, packet{due: due, data: []byte{99}, to: b})
		}
		s.serveFair(t0.Add(time.Hour)) // the link serves everything queued
		var ackDue time.Time
		var last time.Time
		next := byte(0)
		for _, p := range s.sent() {
			if p.to == b {
				ackDue = p.due
				continue
			}
			if p.data[0] != next {
				t.Fatalf("fair=%v: packet %d to a went out as number %d", fair, p.data[0], next)
			}
			next++
			last = p.due
		}
		if next != 10 {
			t.Fatalf("fair=%v: %d packets to a sent, want 10", fair, next)
		}
		wait := ackDue.Sub(t0.Add(time.Millisecond)) - lat
		if fair {
			// Behind the packet on the link and the one a's turn gives it.
			if wait > 20*time.Millisecond {
				t.Errorf("fair: acknowledgement waited %v, want at most 20ms", wait)
			}
		} else if wait < 99*time.Millisecond {
			t.Errorf("fifo: acknowledgement waited %v, want the whole backlog (about 99ms)", wait)
		}
		// The link's rate holds: ten packets and the acknowledgement take
		// 100.4 ms of link time.
		if got, want := last.Sub(t0)-lat, 100*time.Millisecond+400*time.Microsecond; fair && got != want {
			t.Errorf("fair: last packet to a left at %v, want %v", got, want)
		}
	}
}

func TestShimFairQueueDelayDropsFromFattest(t *testing.T) {
	const rate = 1_000_000
	a := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 1}
	b := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 2}
	t0 := time.Unix(1000, 0)
	s := fairShim(rate, 45*time.Millisecond, 0)
	for i := range 10 {
		s.writeAt(t0, 1250, a, byte(i))
	}
	// The first goes straight onto the link; a's queue holds 45 ms: four
	// more; the other five are dropped.
	if s.queueDrops != 5 {
		t.Fatalf("%d dropped, want 5", s.queueDrops)
	}
	s.writeAt(t0, 1250, b, 100)
	// The uplink is full: a packet of a (the fattest) makes room for b's.
	if s.queueDrops != 6 || s.fair.queued != 4*1250 {
		t.Fatalf("after b's packet: %d dropped, %d bytes queued; want 6 and %d", s.queueDrops, s.fair.queued, 4*1250)
	}
	if d := s.fairBacklog(t0); d != 50*time.Millisecond {
		t.Errorf("backlog %v, want 50ms (one on the link, four queued)", d)
	}
	s.serveFair(t0.Add(time.Hour))
	var tags []byte
	for _, p := range s.sent() {
		tags = append(tags, p.data[0])
	}
	// a's first, then in turn: b's, a's second, a's third, a's fourth.
	if want := []byte{0, 1, 100, 2, 3}; string(tags) != string(want) {
		t.Errorf("sent %v, want %v", tags, want)
	}
	if len(s.fair.active) != 0 || s.fair.queued != 0 {
		t.Errorf("queues not empty: %d active, %d bytes", len(s.fair.active), s.fair.queued)
	}
}

func TestShimFairServesOnlyWhenLinkFree(t *testing.T) {
	const rate = 1_000_000
	a := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 1}
	t0 := time.Unix(1000, 0)
	s := fairShim(rate, time.Second, 0)
	for i := range 3 {
		s.writeAt(t0, 1250, a, byte(i))
	}
	// One on the link until t0+10ms; the next may start only then.
	s.serveFair(t0.Add(5 * time.Millisecond))
	if n := s.q.Len(); n != 1 {
		t.Fatalf("%d on their way at 5ms, want 1", n)
	}
	if w := s.wakeFair(); !w.Equal(t0.Add(10*time.Millisecond - fairAhead)) {
		t.Errorf("writer to wake at t0%+v, want fairAhead before t0+10ms", w.Sub(t0))
	}
	s.serveFair(t0.Add(10 * time.Millisecond))
	if n := s.q.Len(); n != 2 {
		t.Fatalf("%d on their way at 10ms, want 2", n)
	}
	rest := s.fair.drainFair()
	if len(rest) != 1 || rest[0].data[0] != 2 {
		t.Errorf("drained %d packets, want the third", len(rest))
	}
}

func TestShimFairOverSocket(t *testing.T) {
	const (
		size    = 1250 // 10 ms at 1 Mbit/s
		packets = 8
		rate    = 1_000_000
		latency = 5 * time.Millisecond
	)
	s, b := shimPair(t, Shim{Latency: latency, Rate: rate, QueueDelay: time.Second, Fair: true})
	defer s.Close()
	lo := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)}
	c, err := net.ListenUDP("udp", lo)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	start := time.Now()
	writeNumbered(t, s, b.LocalAddr(), packets, size)
	writeNumbered(t, s, c.LocalAddr(), 1, 1)
	readNumbered(t, c, 1, 1, func(int) {})
	readNumbered(t, b, packets, size, func(int) {})
	// The link's rate holds for both destinations together.
	if el, min := time.Since(start), latency+packets*size*8*time.Second/rate; el < min {
		t.Errorf("all delivered after %v, want at least %v", el, min)
	}
	var st Stats
	s.count(&st)
	if st.ShimPackets != packets+1 || st.ShimQueueDrops != 0 {
		t.Errorf("shim counted %d packets, %d queue drops; want %d and 0", st.ShimPackets, st.ShimQueueDrops, packets+1)
	}
}

// TestShimFairCloseKeepsOrder: closing a fair shim sends what its flow
// queues still hold, each destination's packets in the order written.
func TestShimFairCloseKeepsOrder(t *testing.T) {
	const (
		size    = 1250 // 100 ms each at 100 kbit/s: all but the first wait
		packets = 12
	)
	s, b := shimPair(t, Shim{Rate: 100_000, QueueDelay: 10 * time.Second, Fair: true})
	writeNumbered(t, s, b.LocalAddr(), packets, size)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	readNumbered(t, b, packets, size, func(int) {})
}
