package qnet

import (
	"container/heap"
	"math/rand/v2"
	"net"
	"sync"
	"syscall"
	"time"

	"golang.org/x/net/ipv4"
)

// shimSlack is how early the shim may write a packet: when it wakes to
// write the packets due, it also writes those due within this, so that
// packets leave in batches (one system call) and the shim wakes less.
const shimSlack = time.Millisecond

// shimBatch bounds the packets written with one system call.
const shimBatch = 64

// shimConn wraps a node's UDP socket and emulates a WAN link on the send
// side: packets are dropped with probability Loss, wait their turn on an
// uplink of Rate bits/s, and are written Latency (plus jitter) later. One
// goroutine writes the packets due, from a heap ordered by due time, in
// batches.
//
// It offers quic-go what a *net.UDPConn does (batched reads, ECN and
// segmentation offload through control messages), so that quic-go keeps
// its fast paths: reads go to the socket directly, and a segmented write
// is split into its packets, each emulated on its own.
type shimConn struct {
	net.PacketConn
	cfg   Shim
	udp   *net.UDPConn
	batch *ipv4.PacketConn // the same socket, for batched reads and writes

	mu     sync.Mutex
	rng    *rand.Rand
	q      packetHeap
	seq    uint64
	free   time.Time // when the uplink finishes its current backlog
	closed bool
	// wakeAt is when the writer wakes on its own; a packet due before it
	// must wake it. Zero: the writer is awake.
	wakeAt time.Time
	// Counters (Stats.Shim...).
	packets, bytes, lossDrops, queueDrops uint64
	fair                                  fairState // with Shim.Fair and a Rate

	wake chan struct{}
	done chan struct{}
	wg   sync.WaitGroup
}

type packet struct {
	due  time.Time
	seq  uint64 // keeps equal due times in send order
	data []byte
	oob  []byte // control messages to write with it (ECN), or nil; shared, never changed
	to   net.Addr
	// On a fair uplink, while queued: when it was written and its
	// latency, drawn then.
	arrival time.Time
	lat     time.Duration
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
		batch:      ipv4.NewPacketConn(udp),
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
	return s.schedule(p, 0, nil, addr)
}

// WriteMsgUDP schedules b for sending with the control messages in oob. If
// oob asks for segmentation offload, b holds several packets of that size
// (the last may be shorter), and each is scheduled on its own.
func (s *shimConn) WriteMsgUDP(b, oob []byte, addr *net.UDPAddr) (n, oobn int, err error) {
	seg, rest := splitSegment(oob)
	if _, err := s.schedule(b, seg, rest, addr); err != nil {
		return 0, 0, err
	}
	return len(b), len(oob), nil
}

// schedule queues the packets of b (one, or b cut into seg-byte packets if
// seg > 0), and wakes the writer if one falls due before it would wake.
// An empty b is one empty packet.
func (s *shimConn) schedule(b []byte, seg int, oob []byte, addr net.Addr) (int, error) {
	if seg <= 0 || seg > len(b) {
		seg = max(len(b), 1)
	}
	now := time.Now()
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return 0, net.ErrClosed
	}
	wake := false
	oob = copyOOB(oob) // one copy, shared by the write's packets
	for off := 0; off == 0 || off < len(b); off += seg {
		end := min(off+seg, len(b))
		if s.cfg.Fair && s.cfg.Rate > 0 {
			if lat, ok := s.admitFair(end-off, addr); ok {
				p := packet{data: copyPacket(b[off:end]), oob: oob, to: addr, arrival: now, lat: lat}
				wake = s.enqueueFair(p) || wake
			}
			continue
		}
		if due, ok := s.admit(now, end-off, addr); ok {
			s.onWay(packet{due: due, data: copyPacket(b[off:end]), oob: oob, to: addr})
			wake = s.wakesLate(due) || wake
		}
	}
	s.mu.Unlock()
	if wake {
		select {
		case s.wake <- struct{}{}:
		default:
		}
	}
	return len(b), nil
}

// onWay puts p, due at its destination at p.due, on the delivery heap.
// s.mu is held.
func (s *shimConn) onWay(p packet) {
	s.seq++
	p.seq = s.seq
	heap.Push(&s.q, p)
}

// wakesLate reports whether the writer, asleep, would wake after t on its
// own and must be woken for it. s.mu is held.
func (s *shimConn) wakesLate(t time.Time) bool {
	return !s.wakeAt.IsZero() && t.Before(s.wakeAt)
}

// admit draws a packet of size bytes against loss and the uplink and
// returns when it is due at its destination, or false if it is dropped.
// s.mu is held.
func (s *shimConn) admit(now time.Time, size int, addr net.Addr) (time.Time, bool) {
	if s.lost() {
		return time.Time{}, false
	}
	depart := now
	if s.cfg.Rate > 0 {
		start := now
		if s.free.After(start) {
			start = s.free
		}
		if s.cfg.QueueDelay > 0 && start.Sub(now) > s.cfg.QueueDelay {
			s.queueDrops++
			return time.Time{}, false // tail drop: the uplink buffer is full
		}
		depart = start.Add(s.txTime(size))
		s.free = depart
	}
	s.packets++
	s.bytes += uint64(size)
	return depart.Add(s.latency(addr)), true
}

// admitFair draws a packet of size bytes to addr against loss and
// returns its latency, or false if it is lost; a fair uplink queues it
// (enqueueFair). s.mu is held.
func (s *shimConn) admitFair(size int, addr net.Addr) (time.Duration, bool) {
	if s.lost() {
		return 0, false
	}
	s.packets++
	s.bytes += uint64(size)
	return s.latency(addr), true
}

// lost draws a packet against Loss and counts it if it is lost. s.mu is
// held.
func (s *shimConn) lost() bool {
	if s.cfg.Loss > 0 && s.rng.Float64() < s.cfg.Loss {
		s.lossDrops++
		return true
	}
	return false
}

// latency draws the one-way latency of a packet to addr. s.mu is held.
func (s *shimConn) latency(addr net.Addr) time.Duration {
	lat := s.cfg.Latency
	if s.cfg.LatencyFor != nil {
		lat = s.cfg.LatencyFor(addr)
	}
	if s.cfg.Jitter > 0 {
		lat += time.Duration(s.rng.Int64N(int64(s.cfg.Jitter)))
	}
	return lat
}

// count adds the shim's counters to st.
func (s *shimConn) count(st *Stats) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st.ShimPackets, st.ShimBytes = s.packets, s.bytes
	st.ShimLossDrops, st.ShimQueueDrops = s.lossDrops, s.queueDrops
}

// backlog is how long a packet written now would wait for the uplink (0
// without a rate limit).
func (s *shimConn) backlog() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cfg.Rate <= 0 {
		return 0
	}
	if s.cfg.Fair {
		return s.fairBacklog(time.Now())
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
	msgs := newMessages()
	for {
		s.mu.Lock()
		due = due[:0]
		now := time.Now()
		cut := now.Add(shimSlack)
		s.serveFair(cut.Add(fairAhead))
		for s.q.Len() > 0 && !s.q[0].due.After(cut) && len(due) < shimBatch {
			due = append(due, heap.Pop(&s.q).(packet))
		}
		wait := time.Duration(-1)
		s.wakeAt = time.Time{}
		if len(due) == 0 {
			s.wakeAt = now.Add(time.Hour)
			if s.q.Len() > 0 {
				s.wakeAt = s.q[0].due
			}
			w := s.wakeFair()
			if !w.IsZero() && w.Before(s.wakeAt) {
				s.wakeAt = w
			}
			if s.q.Len() > 0 || !w.IsZero() {
				wait = s.wakeAt.Sub(now)
			}
		}
		s.mu.Unlock()
		if len(due) > 0 {
			s.write(due, msgs)
			clear(due)
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

// newMessages returns shimBatch messages of one buffer each, for write.
func newMessages() []ipv4.Message {
	ms := make([]ipv4.Message, shimBatch)
	for i := range ms {
		ms[i].Buffers = make([][]byte, 1)
	}
	return ms
}

// write sends pkts (at most shimBatch) with as few system calls as it can
// through msgs (from newMessages, so that writing allocates nothing) and
// frees their buffers. Packets the socket refuses are lost, as on a
// network.
func (s *shimConn) write(pkts []packet, msgs []ipv4.Message) {
	ms := msgs[:len(pkts)]
	for i, p := range pkts {
		ms[i].Buffers[0], ms[i].OOB, ms[i].Addr = p.data, p.oob, p.to
	}
	for sent := 0; sent < len(ms); {
		n, err := s.batch.WriteBatch(ms[sent:], 0)
		if err != nil || n <= 0 {
			sent++ // skip the packet the socket refused
			continue
		}
		sent += n
	}
	for i, p := range pkts {
		freePacket(p.data)
		ms[i].Buffers[0], ms[i].OOB, ms[i].Addr = nil, nil, nil
	}
}

// SyscallConn returns the socket's raw connection (quic-go sets socket
// options through it).
func (s *shimConn) SyscallConn() (syscall.RawConn, error) { return s.udp.SyscallConn() }

// ReadMsgUDP reads one packet and its control messages from the socket.
func (s *shimConn) ReadMsgUDP(b, oob []byte) (n, oobn, flags int, addr *net.UDPAddr, err error) {
	return s.udp.ReadMsgUDP(b, oob)
}

// ReadBatch reads several packets from the socket with one system call.
func (s *shimConn) ReadBatch(ms []ipv4.Message, flags int) (int, error) {
	return s.batch.ReadBatch(ms, flags)
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
	fair := s.fair.drainFair()
	s.mu.Unlock()
	// The timed packets in departure order, then those still in the flow
	// queues in turn order (each destination's in the order sent).
	var all []packet
	for pending.Len() > 0 {
		all = append(all, heap.Pop(&pending).(packet))
	}
	all = append(all, fair...)
	msgs := newMessages()
	for len(all) > 0 {
		n := min(len(all), shimBatch)
		s.write(all[:n], msgs)
		all = all[n:]
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

// copyOOB returns a copy of oob, or nil if it is empty.
func copyOOB(oob []byte) []byte {
	if len(oob) == 0 {
		return nil
	}
	return append([]byte(nil), oob...)
}
