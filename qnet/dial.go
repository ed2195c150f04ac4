package qnet

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"

	"github.com/almcast/alm/id"
	"github.com/almcast/alm/identity"
)

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
