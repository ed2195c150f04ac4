package qnet

import (
	"context"
	"reflect"
	"time"

	"github.com/almcast/alm/id"
	"github.com/almcast/alm/wire"
)

// dialBackoff is how long frames to a peer are dropped without a new dial
// after dialing it failed.
const dialBackoff = time.Second

// peerKey names a send queue: by ID, or by address when a Send names only
// the address (a bootstrap node whose ID is not known yet).
type peerKey struct {
	id   id.ID
	addr string // set only when id is zero
}

func keyOf(to id.Ref) peerKey {
	if to.ID == id.Zero {
		return peerKey{addr: to.Addr}
	}
	return peerKey{id: to.ID}
}

// peer is the send side of one remote node: a queue of frames, bounded in
// frames and bytes, drained by one goroutine that dials on demand and
// writes them on one stream.
type peer struct {
	key     peerKey
	id      id.ID         // zero: accept whichever node answers at addr
	addr    string        // guarded by Node.mu: where to dial, from the latest Send
	queue   []queued      // guarded by Node.mu; grows on demand up to MaxQueue
	queued  int           // guarded by Node.mu: bytes in queue
	signal  chan struct{} // has room for one wake-up of the sender
	running bool          // guarded by Node.mu
	// writing is when the oldest frame the sender has taken but not yet
	// written was queued (zero: none); guarded by Node.mu.
	writing time.Time
	// active is when the newest frame the sender last took was queued
	// (or when the peer was made); retired is set when the idle sweep
	// has forgotten the peer, for its sender to stop at its next
	// wake-up. Guarded by Node.mu.
	active  time.Time
	retired bool

	// Owned by the sender goroutine.
	retryAt time.Time
	out     outStream
}

// queued is a frame waiting to be written, and when it was queued.
type queued struct {
	frame []byte
	at    time.Time
}

// send encodes m and queues it for to without blocking. It runs on the
// event loop.
func (n *Node) send(to id.Ref, m wire.Message) {
	if to.ID == n.self.ID || (to.ID == id.Zero && to.Addr == n.self.Addr) {
		from := n.self
		n.post(func() { n.handler.Receive(from, m) })
		return
	}
	if to.IsZero() {
		n.stats.sendDrops.Add(1)
		n.log.Warn("qnet: send to an empty ref", "type", wire.Name(m))
		return
	}
	frame, err := n.encode(m)
	if err != nil {
		n.stats.sendDrops.Add(1)
		n.log.Warn("qnet: encode", "to", to, "err", err)
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		n.stats.sendDrops.Add(1)
		return
	}
	now := time.Now()
	k := keyOf(to)
	p := n.peers[k]
	if p == nil {
		p = &peer{key: k, id: to.ID, signal: make(chan struct{}, 1), active: now}
		n.peers[k] = p
	}
	if to.Addr != "" {
		p.addr = to.Addr
	}
	if len(p.queue) >= n.cfg.MaxQueue || (len(p.queue) > 0 && p.queued+len(frame) > n.cfg.MaxQueueBytes) {
		n.stats.sendDrops.Add(1)
	} else {
		p.queue = append(p.queue, queued{frame, now})
		p.queued += len(frame)
		select {
		case p.signal <- struct{}{}:
		default:
		}
	}
	if !p.running {
		p.running = true
		n.pending = append(n.pending, p)
	}
}

// encode returns m's frame. A message is never changed once sent, so the
// frame of the last message sent, if it was a pointer, is reused when the
// same message goes to several peers in a row (a chunk to each child).
// Frames are never changed once made, so queues may share them.
func (n *Node) encode(m wire.Message) ([]byte, error) {
	if n.lastMsg != nil && m == n.lastMsg {
		return n.lastFrame, nil
	}
	frame, err := wire.Encode(m)
	if err != nil {
		return nil, err
	}
	if reflect.TypeOf(m).Kind() == reflect.Pointer {
		n.lastMsg, n.lastFrame = m, frame
	}
	return frame, nil
}

// startPending starts the senders that Send created; it runs on the event
// loop, which owns ctx.
func (n *Node) startPending(ctx context.Context) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		return
	}
	for _, p := range n.pending {
		n.wg.Add(1)
		go n.runPeer(ctx, p)
	}
	n.pending = nil
}

// runPeer writes p's frames until ctx is done or the idle sweep retires
// p (sweepPeers). It keeps no timer of its own: a process running
// hundreds of nodes holds a sender for each peer each node sends to, and
// a runtime timer each, reset at every write, sat in the heaps that Go
// scans whole whenever a modified timer falls due (200 forest viewers:
// 8.2-9.8% of the CPU on timer upkeep with them, 6.1-6.5% without).
func (n *Node) runPeer(ctx context.Context, p *peer) {
	defer n.wg.Done()
	defer p.out.close()
	var frames []queued
	for {
		select {
		case <-ctx.Done():
			return
		case <-p.signal:
			for {
				var retired bool
				if frames, retired = n.take(p, frames); len(frames) == 0 {
					if retired {
						return
					}
					break
				}
				n.writeFrames(ctx, p, frames)
				if ctx.Err() != nil {
					return
				}
			}
		}
	}
}

// maxSpare bounds the queue slice a sender keeps for reuse.
const maxSpare = 256

// take returns the frames queued for p and empties its queue, reusing
// spare, the frames taken before (all written by now), as the new queue;
// and whether the idle sweep has forgotten p (then none are queued).
func (n *Node) take(p *peer, spare []queued) ([]queued, bool) {
	clear(spare)
	if cap(spare) > maxSpare {
		spare = nil
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	frames := p.queue
	p.queue, p.queued = spare[:0], 0
	p.writing = time.Time{}
	if len(frames) > 0 {
		p.writing = frames[0].at
		p.active = frames[len(frames)-1].at // within MaxQueueDelay of now: no clock read
	}
	return frames, p.retired
}

// written notes that the sender has written (or dropped) the frames it
// took up to next, the oldest it still holds (zero: none).
func (n *Node) written(p *peer, next time.Time) {
	n.mu.Lock()
	p.writing = next
	n.mu.Unlock()
}

// queueDelay is how long the oldest frame for to that has not been
// written to its stream yet has waited: 0 when none waits.
func (n *Node) queueDelay(to id.ID) time.Duration {
	n.mu.Lock()
	defer n.mu.Unlock()
	if p := n.peers[peerKey{id: to}]; p != nil {
		return p.waited(time.Now())
	}
	return 0
}

// waited is how long p's oldest frame not yet written has waited at now;
// n.mu is held.
func (p *peer) waited(now time.Time) time.Duration {
	oldest := p.writing
	if oldest.IsZero() && len(p.queue) > 0 {
		oldest = p.queue[0].at
	}
	if oldest.IsZero() {
		return 0
	}
	return now.Sub(oldest)
}

// LongestWait is how long the oldest frame not yet written to its stream,
// for any peer, has waited: the node's worst queue delay now.
func (n *Node) LongestWait() time.Duration {
	_, d, _ := n.worst(time.Now())
	return d
}

// worst returns the peer whose oldest frame not yet written has waited
// longest at now (nil if none waits), that wait, and the connection open
// for the peer (nil if none).
func (n *Node) worst(now time.Time) (*peer, time.Duration, *conn) {
	n.mu.Lock()
	defer n.mu.Unlock()
	var worst *peer
	var d time.Duration
	for _, p := range n.peers {
		if w := p.waited(now); w > d {
			d, worst = w, p
		}
	}
	if worst == nil {
		return nil, 0, nil
	}
	return worst, d, n.conns[worst.id]
}

// QueueState describes one peer's send queue and what holds it up.
type QueueState struct {
	// Wait is how long its oldest frame not yet written has waited.
	Wait time.Duration
	// Dialing: no connection to the peer is open, and the frames wait
	// for one (a handshake under way, or a dial about to be tried).
	Dialing bool
	// SRTT and Window are the open connection's smoothed round-trip time
	// and congestion window in bytes (zero while Dialing): a window that
	// the round trip holds below what is sent keeps the frames waiting.
	SRTT   time.Duration
	Window uint64
	// Backlog is how long a packet sent now would wait on the node's
	// uplink (the shim's queue; 0 without one): the round trip of every
	// connection of the node, and the acknowledgements it sends, wait
	// that long too.
	Backlog time.Duration
}

// WorstQueue returns the state of the send queue whose oldest frame has
// waited longest (the zero QueueState when none waits). A tool for study:
// it tells a queue held up by a slow dial from one held up by its
// connection or by the node's uplink.
func (n *Node) WorstQueue() QueueState {
	p, d, c := n.worst(time.Now())
	if p == nil {
		return QueueState{}
	}
	q := QueueState{Wait: d}
	if n.shim != nil {
		q.Backlog = n.shim.backlog()
	}
	if c == nil || !c.alive() {
		q.Dialing = true
		return q
	}
	st := c.qc.ConnectionStats()
	q.SRTT, q.Window = st.SmoothedRTT, st.CongestionWindow
	return q
}
