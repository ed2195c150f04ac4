package qnet

import (
	"container/heap"
	"math/rand/v2"
	"net"
	"sync"
	"time"
)

// shimConn wraps a node's UDP socket and emulates a WAN link on the send
// side: packets are dropped with probability Loss, wait their turn on an
// uplink of Rate bits/s, and are written Latency (plus jitter) later. One
// goroutine writes the packets due, from a heap ordered by due time.
type shimConn struct {
	net.PacketConn
	cfg Shim
	udp *net.UDPConn

	mu     sync.Mutex
	rng    *rand.Rand
	q      packetHeap
	seq    uint64
	free   time.Time // when the uplink finishes its current backlog
	closed bool

	wake chan struct{}
	done chan struct{}
	wg   sync.WaitGroup
}

type packet struct {
	due  time.Time
	seq  uint64 // keeps equal due times in send order
	data []byte
	to   net.Addr
}

type packetHeap []packet

func (h packetHeap) Len() int { return len(h) }
func (h packetHeap) Less(i, j int) bool {
	if !h[i].due.Equal(h[j].due) {
		return h[i].due.Before(h[j].due)
	}
	return h[i].seq < h[j].seq
}
func (h packetHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *packetHeap) Push(x any)   { *h = append(*h, x.(packet)) }
func (h *packetHeap) Pop() any {
	old := *h
	p := old[len(old)-1]
	old[len(old)-1] = packet{}
	*h = old[:len(old)-1]
	return p
}

func newShim(udp *net.UDPConn, cfg Shim) *shimConn {
	s := &shimConn{
		PacketConn: udp,
		cfg:        cfg,
		udp:        udp,
		rng:        rand.New(rand.NewPCG(cfg.Seed, 0x5eed)),
		wake:       make(chan struct{}, 1),
		done:       make(chan struct{}),
	}
	s.wg.Add(1)
	go s.run()
	return s
}

// WriteTo schedules p for sending; it never blocks. A dropped packet is
// reported as written, as a lossy network would.
func (s *shimConn) WriteTo(p []byte, addr net.Addr) (int, error) {
	now := time.Now()
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return 0, net.ErrClosed
	}
	if s.cfg.Loss > 0 && s.rng.Float64() < s.cfg.Loss {
		s.mu.Unlock()
		return len(p), nil
	}
	depart := now
	if s.cfg.Rate > 0 {
		start := now
		if s.free.After(start) {
			start = s.free
		}
		if s.cfg.QueueDelay > 0 && start.Sub(now) > s.cfg.QueueDelay {
			s.mu.Unlock()
			return len(p), nil // tail drop: the uplink buffer is full
		}
		depart = start.Add(time.Duration(int64(len(p)) * 8 * int64(time.Second) / s.cfg.Rate))
		s.free = depart
	}
	lat := s.cfg.Latency
	if s.cfg.LatencyFor != nil {
		lat = s.cfg.LatencyFor(addr)
	}
	if s.cfg.Jitter > 0 {
		lat += time.Duration(s.rng.Int64N(int64(s.cfg.Jitter)))
	}
	s.seq++
	heap.Push(&s.q, packet{due: depart.Add(lat), seq: s.seq, data: copyPacket(p), to: addr})
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
	return len(p), nil
}

// backlog is how long a packet written now would wait for the uplink (0
// without a rate limit).
func (s *shimConn) backlog() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cfg.Rate <= 0 {
		return 0
	}
	if d := time.Until(s.free); d > 0 {
		return d
	}
	return 0
}

// run writes packets as they fall due.
func (s *shimConn) run() {
	defer s.wg.Done()
	t := time.NewTimer(time.Hour)
	defer t.Stop()
	var due []packet
	for {
		s.mu.Lock()
		due = due[:0]
		now := time.Now()
		for s.q.Len() > 0 && !s.q[0].due.After(now) {
			due = append(due, heap.Pop(&s.q).(packet))
		}
		wait := time.Duration(-1)
		if s.q.Len() > 0 {
			wait = s.q[0].due.Sub(now)
		}
		s.mu.Unlock()
		for i, p := range due {
			s.udp.WriteTo(p.data, p.to)
			freePacket(p.data)
			due[i] = packet{}
		}
		if len(due) > 0 {
			continue
		}
		var timeout <-chan time.Time
		if wait >= 0 {
			t.Reset(wait)
			timeout = t.C
		}
		select {
		case <-s.done:
			return
		case <-s.wake:
		case <-timeout:
		}
	}
}

// SetReadBuffer sets the socket's receive buffer (quic-go asks for it).
func (s *shimConn) SetReadBuffer(n int) error { return s.udp.SetReadBuffer(n) }

// SetWriteBuffer sets the socket's send buffer (quic-go asks for it).
func (s *shimConn) SetWriteBuffer(n int) error { return s.udp.SetWriteBuffer(n) }

// Close sends the packets still pending at once (such as a connection
// close) and closes the socket.
func (s *shimConn) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return net.ErrClosed
	}
	s.closed = true
	s.mu.Unlock()
	close(s.done)
	s.wg.Wait()
	s.mu.Lock()
	pending := s.q
	s.q = nil
	s.mu.Unlock()
	for pending.Len() > 0 {
		p := heap.Pop(&pending).(packet)
		s.udp.WriteTo(p.data, p.to)
	}
	return s.udp.Close()
}

// packetBufSize fits every packet quic-go sends.
const packetBufSize = 1500

// packetPool holds buffers of packetBufSize for packets waiting in shims.
var packetPool = sync.Pool{New: func() any { return new([packetBufSize]byte) }}

// copyPacket returns a copy of p, in a pooled buffer if it fits one.
func copyPacket(p []byte) []byte {
	if len(p) > packetBufSize {
		return append([]byte(nil), p...)
	}
	b := packetPool.Get().(*[packetBufSize]byte)
	return append(b[:0], p...)
}

// freePacket returns the buffer of a packet copied by copyPacket.
func freePacket(p []byte) {
	if cap(p) == packetBufSize {
		packetPool.Put((*[packetBufSize]byte)(p[:packetBufSize]))
	}
}
