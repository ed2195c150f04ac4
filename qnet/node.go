// Package qnet is the QUIC runtime of alm: it runs one node's protocol
// handler on an event loop and implements env.Env over
// github.com/quic-go/quic-go. A node has one UDP socket (one
// quic.Transport) for dialing and listening, at most one connection per
// peer, authenticated both ways with certificates made from the nodes'
// ed25519 keys (package identity), and carries the messages to a peer as
// length-delimited frames on one long-lived unidirectional stream per
// connection and direction. An optional Shim emulates latency, loss and
// upload rate on the socket.
package qnet

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/quic-go/quic-go"

	"github.com/almcast/alm/env"
	"github.com/almcast/alm/id"
	"github.com/almcast/alm/identity"
	"github.com/almcast/alm/wire"
)

// Application error codes sent when this node closes a connection.
const (
	CodeShutdown  quic.ApplicationErrorCode = 0 // the node is stopping
	CodeDuplicate quic.ApplicationErrorCode = 1 // another connection to the same peer is kept
	CodeBadInput  quic.ApplicationErrorCode = 2 // the peer sent too many bad frames
)

// Stream error codes.
const (
	codeBadFrame   quic.StreamErrorCode = 1 // a record was rejected; the stream is given up
	codeWriteAbort quic.StreamErrorCode = 2 // the sender gave up on the stream
)

// inboxSize bounds the received messages waiting for the event loop;
// stream readers block (and so apply flow control, which in turn makes
// the senders' bounded queues drop) when it is full.
const inboxSize = 256

// inbound is a received message waiting for the event loop, with its
// frame if the frame may be sent again as it is.
type inbound struct {
	from  id.Ref
	m     wire.Message
	frame []byte
}

// receive runs the handler on a received message. A received message is
// never changed (it is the sender's value in the simulator), so its frame,
// if kept, is what encoding it would give, or as good: sending it on
// reuses it.
func (n *Node) receive(in inbound) {
	if in.frame != nil {
		n.lastMsg, n.lastFrame = in.m, in.frame
	}
	n.handler.Receive(in.from, in.m)
}

// Node is one alm node on a QUIC socket. Create it with New and run it
// with Run.
type Node struct {
	cfg     Config
	self    id.Ref
	log     *slog.Logger
	epoch   time.Time
	env     *nodeEnv
	handler env.Handler
	stats   counters

	udp       *net.UDPConn
	shim      *shimConn
	tr        *quic.Transport
	qconf     *quic.Config
	serverTLS *tls.Config

	inbox chan inbound  // received messages, from stream readers
	wake  chan struct{} // signals that local has work
	done  chan struct{} // closed when the node stops

	// The last message encoded and its frame; event loop only.
	lastMsg   wire.Message
	lastFrame []byte

	mu       sync.Mutex
	local    []func()           // Do calls and timer callbacks
	pending  []*peer            // senders waiting for the loop to start them
	peers    map[peerKey]*peer  // send queues
	conns    map[id.ID]*conn    // the connection used for each peer
	all      map[*conn]struct{} // every open connection
	timers   timerHeap          // After callbacks (timers.go)
	timerSeq uint64             // timers set so far, for their order
	tick     *time.Timer        // fires when the earliest timer is due
	due      []*timer           // dueTimers' result, reused
	late     time.Duration      // the node's lateness (timers.go)
	lateAt   time.Time          // when late was noted
	started  bool               // Run was called
	closed   bool               // the node stopped
	wg       sync.WaitGroup     // goroutines other than Run's
}

// New binds the node's UDP socket and builds its handler with the node's
// Env. build runs before New returns; the handler's methods, and anything
// it schedules, are then only called from the event loop that Run runs.
// Call Run once to start the node and to release the socket.
func New(cfg Config, build func(e env.Env) env.Handler) (*Node, error) {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	laddr, err := net.ResolveUDPAddr("udp", cfg.Listen)
	if err != nil {
		return nil, fmt.Errorf("qnet: listen address: %w", err)
	}
	udp, err := net.ListenUDP("udp", laddr)
	if err != nil {
		return nil, fmt.Errorf("qnet: bind: %w", err)
	}
	epoch := cfg.Epoch
	if epoch.IsZero() {
		epoch = time.Now()
	}
	self := id.Ref{ID: identity.KeyID(cfg.Key), Addr: udp.LocalAddr().String()}
	log := cfg.Log
	if log == nil {
		log = slog.Default()
	}
	n := &Node{
		cfg:   cfg,
		self:  self,
		log:   log.With("node", self.ID.Short()),
		epoch: epoch,
		udp:   udp,
		inbox: make(chan inbound, inboxSize),
		wake:  make(chan struct{}, 1),
		tick:  time.NewTimer(time.Hour),
		done:  make(chan struct{}),
		peers: map[peerKey]*peer{},
		conns: map[id.ID]*conn{},
		all:   map[*conn]struct{}{},
	}
	var pc net.PacketConn = udp
	if cfg.Shim.Enabled() {
		n.shim = newShim(udp, cfg.Shim)
		pc = n.shim
	}
	resetKey := quic.StatelessResetKey(sha256.Sum256(append([]byte("alm stateless reset "), cfg.Key.Seed()...)))
	n.tr = &quic.Transport{Conn: pc, StatelessResetKey: &resetKey}
	n.qconf = &quic.Config{
		HandshakeIdleTimeout:           cfg.HandshakeTimeout,
		MaxIdleTimeout:                 cfg.IdleTimeout,
		KeepAlivePeriod:                cfg.KeepAlive,
		MaxIncomingStreams:             -1,
		MaxIncomingUniStreams:          int64(cfg.MaxStreams),
		InitialStreamReceiveWindow:     streamWindow,
		MaxStreamReceiveWindow:         maxStreamWindow,
		InitialConnectionReceiveWindow: connWindow,
		MaxConnectionReceiveWindow:     maxConnWindow,
		DisablePathMTUDiscovery:        cfg.NoMTUDiscovery,
	}
	n.serverTLS = n.countRejects(identity.ServerConfig(cfg.Key, identity.ALPN))
	n.env = newEnv(n)
	n.handler = build(n.env)
	if n.handler == nil {
		n.closeSocket()
		return nil, errors.New("qnet: build returned no handler")
	}
	return n, nil
}

// Self returns the node's ID and bound address.
func (n *Node) Self() id.Ref { return n.self }

// Env returns the Env the handler was built with.
func (n *Node) Env() env.Env { return n.env }

// Stats returns a snapshot of the node's counters. It may be called from
// any goroutine.
func (n *Node) Stats() Stats {
	s := n.stats.snapshot()
	if n.shim != nil {
		n.shim.count(&s)
	}
	return s
}

// Do runs f on the event loop (it implements env.Loop). Calls made before
// Run run once it starts; calls made after the node stopped are dropped.
func (n *Node) Do(f func()) { n.post(f) }

// Run runs the node until ctx is done, then closes its connections and
// socket and waits for its goroutines. It returns nil after a normal stop.
func (n *Node) Run(ctx context.Context) error {
	n.mu.Lock()
	if n.started {
		n.mu.Unlock()
		return errors.New("qnet: Run called twice")
	}
	n.started = true
	n.mu.Unlock()

	ln, err := n.tr.Listen(n.serverTLS, n.qconf)
	if err != nil {
		n.shutdown(nil)
		return fmt.Errorf("qnet: listen: %w", err)
	}
	n.log.Debug("qnet: running", "addr", n.self.Addr)
	n.wg.Add(1)
	go n.acceptLoop(ctx, ln)
	n.addTimer(&timer{due: time.Now().Add(n.sweepPeriod()), f: n.sweepPeers})
	n.loop(ctx)
	n.shutdown(ln)
	n.log.Debug("qnet: stopped")
	return nil
}

// loop is the event loop: it runs received messages, Do calls and timer
// callbacks one at a time until ctx is done.
func (n *Node) loop(ctx context.Context) {
	n.startPending(ctx)
	for {
		select {
		case <-ctx.Done():
			return
		case in := <-n.inbox:
			n.receive(in)
		case <-n.tick.C:
			n.runTimers()
		case <-n.wake:
			// Messages that arrived first run first: an acknowledgement
			// waiting in the inbox must not lose the race to the timer
			// that would declare it missing.
			for k := len(n.inbox); k > 0; k-- {
				n.receive(<-n.inbox)
			}
			n.mu.Lock()
			fs := n.local
			n.local = nil
			n.mu.Unlock()
			for _, f := range fs {
				if ctx.Err() != nil {
					return
				}
				f()
			}
		}
		n.startPending(ctx)
	}
}

// post queues f for the event loop; it reports false if the node stopped.
func (n *Node) post(f func()) bool {
	n.mu.Lock()
	if n.closed {
		n.mu.Unlock()
		return false
	}
	n.local = append(n.local, f)
	n.mu.Unlock()
	select {
	case n.wake <- struct{}{}:
	default:
	}
	return true
}

// deliver hands a received message to the event loop, waiting while the
// inbox is full; it reports false if the node stopped.
func (n *Node) deliver(in inbound) bool {
	select {
	case n.inbox <- in:
		return true
	case <-n.done:
		return false
	}
}

func (n *Node) acceptLoop(ctx context.Context, ln *quic.Listener) {
	defer n.wg.Done()
	for {
		qc, err := ln.Accept(ctx)
		if err != nil {
			return
		}
		peer, err := identity.PeerID(qc.ConnectionState().TLS)
		if err != nil {
			n.stats.rejected.Add(1)
			qc.CloseWithError(CodeBadInput, "no valid certificate")
			continue
		}
		n.stats.accepts.Add(1)
		n.startConn(qc, id.Ref{ID: peer, Addr: qc.RemoteAddr().String()}, false)
	}
}

// shutdown stops everything Run started and releases the socket.
func (n *Node) shutdown(ln *quic.Listener) {
	n.mu.Lock()
	n.closed = true
	close(n.done)
	n.tick.Stop()
	n.timers = nil
	n.local = nil
	n.pending = nil
	conns := make([]*conn, 0, len(n.all))
	for c := range n.all {
		conns = append(conns, c)
	}
	n.mu.Unlock()
	if ln != nil {
		ln.Close()
	}
	for _, c := range conns {
		c.qc.CloseWithError(CodeShutdown, "shutdown")
	}
	n.tr.Close()
	n.wg.Wait()
	n.closeSocket()
}

func (n *Node) closeSocket() {
	if n.shim != nil {
		n.shim.Close() // closes udp too
		return
	}
	n.udp.Close()
}
