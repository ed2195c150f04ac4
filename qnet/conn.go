package qnet

import (
	"sync/atomic"
	"time"

	"github.com/quic-go/quic-go"

	"github.com/almcast/alm/id"
)

// dupGrace is how long a duplicate connection stays open after another one
// to the same peer was chosen, so that frames already on it arrive.
var dupGrace = time.Second

// conn is one open QUIC connection to an authenticated peer.
type conn struct {
	qc     *quic.Conn
	peer   id.Ref // verified ID and the address the connection comes from
	dialed bool   // this node dialed it
	bad    atomic.Int32
}

func (c *conn) alive() bool { return c.qc.Context().Err() == nil }

// startConn registers a newly established connection, starts reading from
// it and returns the connection to use for its peer: c, or an older one
// that wins over it. It returns nil if the node is stopping.
func (n *Node) startConn(qc *quic.Conn, peer id.Ref, dialed bool) *conn {
	c := &conn{qc: qc, peer: peer, dialed: dialed}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		qc.CloseWithError(CodeShutdown, "shutdown")
		return nil
	}
	n.all[c] = struct{}{}
	n.stats.connsOpen.Add(1)
	n.wg.Add(1)
	go n.serveConn(c)
	return n.adopt(c)
}

// adopt chooses between c and the peer's current connection; the loser is
// closed after dupGrace. Both ends choose the same one. n.mu is held.
func (n *Node) adopt(c *conn) *conn {
	old := n.conns[c.peer.ID]
	if old == nil || !old.alive() {
		n.conns[c.peer.ID] = c
		return c
	}
	if n.prefer(c, old) {
		n.conns[c.peer.ID] = c
		n.retire(old)
		return c
	}
	n.retire(c)
	return old
}

// prefer reports whether a new connection c should replace old. A peer
// that shows up from a new address has restarted or moved: its newest
// connection wins. Otherwise the connection dialed by the smaller ID wins,
// which both ends agree on; between two dialed by the same end the newer
// wins.
func (n *Node) prefer(c, old *conn) bool {
	if c.peer.Addr != old.peer.Addr || c.dialed == old.dialed {
		return true
	}
	selfSmaller := n.self.ID.Cmp(c.peer.ID) < 0
	return c.dialed == selfSmaller
}

func (n *Node) retire(c *conn) {
	n.log.Debug("qnet: duplicate connection", "peer", c.peer)
	time.AfterFunc(dupGrace, func() {
		c.qc.CloseWithError(CodeDuplicate, "duplicate connection")
	})
}

// current returns the live connection to use for peer, or nil. If peer is
// zero it looks for a connection from addr instead.
func (n *Node) current(peer id.ID, addr string) *conn {
	n.mu.Lock()
	defer n.mu.Unlock()
	if peer == id.Zero {
		for _, c := range n.conns {
			if c.peer.Addr == addr && c.alive() {
				return c
			}
		}
		return nil
	}
	c := n.conns[peer]
	if c != nil && !c.alive() {
		delete(n.conns, peer)
		return nil
	}
	return c
}

// serveConn accepts c's streams until it closes, then forgets it.
func (n *Node) serveConn(c *conn) {
	defer n.wg.Done()
	ctx := c.qc.Context()
	for {
		str, err := c.qc.AcceptUniStream(ctx)
		if err != nil {
			break
		}
		n.wg.Add(1)
		go n.readStream(c, str)
	}
	n.mu.Lock()
	delete(n.all, c)
	if n.conns[c.peer.ID] == c {
		delete(n.conns, c.peer.ID)
	}
	n.mu.Unlock()
	n.stats.connsOpen.Add(-1)
}
