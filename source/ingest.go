package source

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/pion/rtp"

	"github.com/almcast/alm/chunk"
)

// DefaultIngestHost is the address an Ingest listens on when none is
// given: ffmpeg's SDP names the ports it sends to on this host.
const DefaultIngestHost = "127.0.0.1"

// ingestBuf is the read buffer of one socket: larger than any packet a
// chunk may carry, so an oversized datagram is seen whole and rejected.
const ingestBuf = 2048

// IngestStats counts what an Ingest received.
type IngestStats struct {
	// Packets and Bytes count valid RTP packets handed on.
	Packets, Bytes uint64
	// Malformed counts datagrams that are not RTP version 2, or are
	// larger than chunk.MaxPacketSize.
	Malformed uint64
	// WrongType counts RTP packets whose payload type is not the one of
	// the media on that port.
	WrongType uint64
	// RTCP counts RTCP packets (multiplexed on the RTP port), ignored.
	RTCP uint64
}

// Ingest receives the RTP an encoder sends to the ports of an SDP: one
// UDP socket per media, on host.
type Ingest struct {
	sdp  *SDP
	host string

	packets, bytes, malformed, wrongType, rtcp atomic.Uint64

	mu      sync.Mutex // serialises calls of out
	running atomic.Bool
	ready   chan struct{}
	addrs   []net.Addr
}

// NewIngest returns an ingest of the media of s listening on host (an IP
// address or "localhost"; "" means DefaultIngestHost).
func NewIngest(s *SDP, host string) (*Ingest, error) {
	if s == nil || len(s.Media) == 0 {
		return nil, errors.New("source: ingest needs an SDP with media")
	}
	if host == "" {
		host = DefaultIngestHost
	}
	if host != "localhost" && net.ParseIP(host) == nil {
		return nil, fmt.Errorf("source: ingest host %q is not an IP address", host)
	}
	for i, m := range s.Media {
		if m.Port < 1 || m.Port > 65535 {
			return nil, fmt.Errorf("source: media %d has port %d", i, m.Port)
		}
	}
	return &Ingest{sdp: s, host: host, ready: make(chan struct{})}, nil
}

// Ready is closed once Run has bound every socket; start the encoder
// after it. It stays open if Run fails to bind, so wait on Run's result
// too.
func (g *Ingest) Ready() <-chan struct{} { return g.ready }

// Addrs returns the bound addresses, one per media, once Ready is closed.
func (g *Ingest) Addrs() []net.Addr {
	select {
	case <-g.ready:
		return g.addrs
	default:
		return nil
	}
}

// Stats returns the counters; safe to call at any time.
func (g *Ingest) Stats() IngestStats {
	return IngestStats{
		Packets:   g.packets.Load(),
		Bytes:     g.bytes.Load(),
		Malformed: g.malformed.Load(),
		WrongType: g.wrongType.Load(),
		RTCP:      g.rtcp.Load(),
	}
}

// Run binds one UDP socket per media port and hands each valid RTP packet
// (a copy, at most chunk.MaxPacketSize bytes) to out, one call at a time,
// from Run's goroutines; out should return quickly (post the packet to the
// node's event loop), since reading stops while it runs. It returns nil
// when ctx ends, after closing the sockets and stopping its goroutines, or
// at once with an error if a port cannot be bound. Any host may send to
// the ports. An Ingest runs once.
func (g *Ingest) Run(ctx context.Context, out func(pkt []byte)) error {
	if out == nil {
		return errors.New("source: ingest needs a sink")
	}
	if !g.running.CompareAndSwap(false, true) {
		return errors.New("source: ingest already ran")
	}
	conns := make([]*net.UDPConn, 0, len(g.sdp.Media))
	closeAll := func() {
		for _, c := range conns {
			c.Close()
		}
	}
	for i, m := range g.sdp.Media {
		addr := net.JoinHostPort(g.host, strconv.Itoa(m.Port))
		ua, err := net.ResolveUDPAddr("udp", addr)
		if err != nil {
			closeAll()
			return fmt.Errorf("source: media %d (%s %s): %w", i, m.Kind, m.Codec, err)
		}
		c, err := net.ListenUDP("udp", ua)
		if err != nil {
			closeAll()
			return fmt.Errorf("source: media %d (%s %s) cannot listen on UDP %s (is the port taken?): %w", i, m.Kind, m.Codec, addr, err)
		}
		_ = c.SetReadBuffer(1 << 20) // room for a key frame's burst
		conns = append(conns, c)
	}
	for _, c := range conns {
		g.addrs = append(g.addrs, c.LocalAddr())
	}
	close(g.ready)

	var wg sync.WaitGroup
	for i, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			g.read(c, g.sdp.Media[i].PayloadType, out)
		}()
	}
	// Readers end only when their socket is closed, which happens when
	// ctx ends.
	context.AfterFunc(ctx, closeAll)
	wg.Wait()
	return nil
}

// read receives on c until it is closed.
func (g *Ingest) read(c *net.UDPConn, pt uint8, out func([]byte)) {
	buf := make([]byte, ingestBuf)
	for {
		n, _, err := c.ReadFromUDP(buf)
		if errors.Is(err, net.ErrClosed) {
			return
		}
		if err != nil {
			// Transient errors must not stop the ingest; only closing
			// the socket does.
			continue
		}
		switch classify(buf[:n], pt) {
		case pktOK:
			pkt := append([]byte(nil), buf[:n]...)
			g.packets.Add(1)
			g.bytes.Add(uint64(n))
			g.mu.Lock()
			out(pkt)
			g.mu.Unlock()
		case pktRTCP:
			g.rtcp.Add(1)
		case pktWrongType:
			g.wrongType.Add(1)
		default:
			g.malformed.Add(1)
		}
	}
}

type pktKind int

const (
	pktMalformed pktKind = iota
	pktOK
	pktRTCP
	pktWrongType
)

// classify checks one datagram received on the port of payload type pt.
func classify(b []byte, pt uint8) pktKind {
	if len(b) < 2 || len(b) > chunk.MaxPacketSize || b[0]>>6 != 2 {
		return pktMalformed
	}
	// RTCP multiplexed on the RTP port (RFC 5761): its packet type
	// 192-223 reads as marker + payload type 64-95, which RTP must not
	// use.
	if b[1] >= 192 && b[1] <= 223 && b[1]&0x7f != pt {
		if isRTCP(b) {
			return pktRTCP
		}
		return pktMalformed
	}
	var p rtp.Packet
	if err := p.Unmarshal(b); err != nil {
		return pktMalformed
	}
	if p.PayloadType != pt {
		return pktWrongType
	}
	return pktOK
}

// isRTCP checks that b is a compound RTCP packet whose length fields add
// up.
func isRTCP(b []byte) bool {
	for len(b) > 0 {
		if len(b) < 4 || b[0]>>6 != 2 {
			return false
		}
		n := 4 * (int(b[2])<<8 | int(b[3]) + 1)
		if n > len(b) {
			return false
		}
		b = b[n:]
	}
	return true
}
