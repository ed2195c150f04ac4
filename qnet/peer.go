package qnet

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"time"

	"github.com/almcast/alm/id"
	"github.com/almcast/alm/identity"
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

// peer is the send side of one remote node: a bounded queue of frames
// drained by one goroutine that dials on demand.
type peer struct {
	key     peerKey
	id      id.ID         // zero: accept whichever node answers at addr
	addr    string        // guarded by Node.mu: where to dial, from the latest Send
	queue   [][]byte      // guarded by Node.mu; grows on demand up to MaxQueue
	signal  chan struct{} // has room for one wake-up of the sender
	running bool          // guarded by Node.mu
	retryAt time.Time
}

// send encodes m and queues it for to without blocking.
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
	frame, err := wire.Encode(m)
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
	k := keyOf(to)
	p := n.peers[k]
	if p == nil {
		p = &peer{key: k, id: to.ID, signal: make(chan struct{}, 1)}
		n.peers[k] = p
	}
	if to.Addr != "" {
		p.addr = to.Addr
	}
	if len(p.queue) >= n.cfg.MaxQueue {
		n.stats.sendDrops.Add(1)
	} else {
		p.queue = append(p.queue, frame)
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

// runPeer writes p's frames until ctx is done or p stays idle for the idle
// timeout with nothing queued.
func (n *Node) runPeer(ctx context.Context, p *peer) {
	defer n.wg.Done()
	idle := time.NewTimer(n.cfg.IdleTimeout)
	defer idle.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-p.signal:
			for {
				n.mu.Lock()
				if len(p.queue) == 0 {
					p.queue = nil // let a burst's backing array go
					n.mu.Unlock()
					break
				}
				frame := p.queue[0]
				p.queue[0] = nil
				p.queue = p.queue[1:]
				n.mu.Unlock()
				n.write(ctx, p, frame)
				if ctx.Err() != nil {
					return
				}
			}
		case <-idle.C:
			if n.retirePeer(p) {
				return
			}
		}
		idle.Reset(n.cfg.IdleTimeout)
	}
}

// retirePeer forgets p if nothing is queued for it, so that a Send starts
// a new sender.
func (n *Node) retirePeer(p *peer) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	if len(p.queue) > 0 {
		return false
	}
	delete(n.peers, p.key)
	return true
}

// write sends one frame to p on a stream of its own, dialing if needed.
func (n *Node) write(ctx context.Context, p *peer, frame []byte) {
	c := n.current(p.id, p.key.addr)
	if c == nil {
		if time.Now().Before(p.retryAt) {
			n.stats.sendDrops.Add(1)
			return
		}
		var err error
		c, err = n.dial(ctx, p)
		if err != nil {
			p.retryAt = time.Now().Add(dialBackoff)
			n.stats.sendDrops.Add(1)
			if ctx.Err() == nil {
				n.log.Debug("qnet: dial failed", "peer", p.id.Short(), "err", err)
			}
			return
		}
	}
	wctx, cancel := context.WithTimeout(ctx, n.cfg.WriteTimeout)
	defer cancel()
	str, err := c.qc.OpenUniStreamSync(wctx)
	if err != nil {
		n.stats.sendDrops.Add(1)
		return
	}
	str.SetWriteDeadline(time.Now().Add(n.cfg.WriteTimeout))
	if _, err = str.Write(frame); err == nil {
		err = str.Close()
	}
	if err != nil {
		str.CancelWrite(codeWriteAbort)
		n.stats.sendDrops.Add(1)
		return
	}
	n.stats.framesSent.Add(1)
	n.stats.bytesSent.Add(uint64(len(frame)))
	n.stats.addProto(frame, false)
}

// dial connects to p at its latest address, expecting its ID, and returns
// the connection to use for it (an incoming one may have won meanwhile).
func (n *Node) dial(ctx context.Context, p *peer) (*conn, error) {
	n.mu.Lock()
	addr := p.addr
	n.mu.Unlock()
	if addr == "" {
		return nil, fmt.Errorf("qnet: no address for %s", p.id.Short())
	}
	ua, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		return nil, fmt.Errorf("qnet: dial %s: %w", addr, err)
	}
	dctx, cancel := context.WithTimeout(ctx, 2*n.cfg.HandshakeTimeout)
	defer cancel()
	tlsConf := n.countRejects(identity.ClientConfig(n.cfg.Key, identity.ALPN, p.id))
	qc, err := n.tr.Dial(dctx, ua, tlsConf, n.qconf)
	if err != nil {
		return nil, fmt.Errorf("qnet: dial %s: %w", addr, err)
	}
	peerID := p.id
	if peerID == id.Zero {
		if peerID, err = identity.PeerID(qc.ConnectionState().TLS); err != nil {
			qc.CloseWithError(CodeBadInput, "no valid certificate")
			return nil, fmt.Errorf("qnet: dial %s: %w", addr, err)
		}
	}
	n.stats.dials.Add(1)
	c := n.startConn(qc, id.Ref{ID: peerID, Addr: qc.RemoteAddr().String()}, true)
	if c == nil {
		return nil, fmt.Errorf("qnet: dial %s: %w", addr, net.ErrClosed)
	}
	return c, nil
}

// countRejects makes c count peer certificates it rejects.
func (n *Node) countRejects(c *tls.Config) *tls.Config {
	verify := c.VerifyPeerCertificate
	c.VerifyPeerCertificate = func(raw [][]byte, chains [][]*x509.Certificate) error {
		err := verify(raw, chains)
		if err != nil {
			n.stats.rejected.Add(1)
			n.log.Info("qnet: peer rejected", "err", err)
		}
		return err
	}
	return c
}
