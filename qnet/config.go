package qnet

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"time"
)

// Config configures one QUIC node. Zero fields take the defaults noted on
// each field (DefaultConfig returns them filled in), except Key, which is
// required.
type Config struct {
	// Key is the node's ed25519 private key; its public key's hash is the
	// node ID. Required.
	Key ed25519.PrivateKey
	// Listen is the UDP address to bind, used for dialing too. Default
	// "127.0.0.1:0". Give a concrete IP: the bound address is what the
	// node advertises in Self.
	Listen string
	// Epoch is the instant Now counts from. Default (zero): when New runs.
	// Nodes in one process given the same Epoch share a clock.
	Epoch time.Time
	// Seed seeds the node's random source together with its ID. Default 0.
	Seed uint64
	// Log is the node's logger. Default slog.Default(), with the node's
	// short ID attached.
	Log *slog.Logger
	// MaxQueue bounds each peer's send queue in messages; a Send to a full
	// queue is dropped and counted. Default 1024.
	MaxQueue int
	// MaxQueueBytes bounds the encoded bytes in each peer's send queue in
	// the same way (a single message larger than it is still queued when
	// the queue is empty). Default 512 KiB.
	MaxQueueBytes int
	// MaxQueueDelay drops, and counts, a queued message not written to
	// its peer's stream within this long of its Send: when a peer's
	// connection carries less than is sent to it, messages are lost
	// rather than made ever later. Default 2s.
	MaxQueueDelay time.Duration
	// BadFrameLimit is how many bad frames a connection may deliver before
	// it is closed. Default 8.
	BadFrameLimit int
	// IdleTimeout closes a connection with no traffic for this long; a
	// peer with nothing to send also forgets its dialing state after it.
	// Default 30s.
	IdleTimeout time.Duration
	// HandshakeTimeout bounds the QUIC handshake idle time (the whole
	// handshake may take twice as long). Default 5s.
	HandshakeTimeout time.Duration
	// KeepAlive sends keep-alive packets on open connections this often.
	// Default 0: none, idle connections close after IdleTimeout.
	KeepAlive time.Duration
	// WriteTimeout bounds one write of queued frames to a peer's stream
	// (flow or congestion control can stall it), and opening the stream;
	// the stream is then reset and the frames of the write dropped and
	// counted, and the next frames go on a new stream. Default 10s.
	WriteTimeout time.Duration
	// MaxStreams bounds the concurrent incoming unidirectional streams per
	// connection. A peer writes on one stream at a time and opens another
	// only after giving one up. Default 16.
	MaxStreams int
	// NoMTUDiscovery keeps packets at quic-go's first size (1280 bytes)
	// instead of probing each new path for larger ones. For loopback
	// labs: where nodes set up thousands of connections (200 viewers in
	// one process: about 12,000), the probes were about 6% of all bytes
	// on the links (100 mesh viewers: 1.23 bytes on the links per byte
	// of frames sent, 1.16 without). (Fixing the size at 1452 instead,
	// with quic-go's InitialPacketSize, once doubled the CPU time, most of
	// it spent packing acknowledgement-only packets into new buffers; on
	// 2026-12-08 it made no difference: 100 forest viewers 119 and 125
	// ns per delivered byte against 118 and 121.)
	NoMTUDiscovery bool
	// FrameShare is the fraction of the node's upload capacity that its
	// frames can use; the rest carries QUIC's packet headers,
	// acknowledgements and handshakes. Modes plan children and partners
	// on it (env.FrameShare). Measured on loopback: the links carry 1.15
	// to 1.18 bytes per byte of frames; with the whole capacity planned
	// for frames, the forest's interior uplinks ran over, queued for a
	// second and dropped (200 viewers: continuity 0.87 to 0.98, 0.993
	// planned at 1/1.17). Default 0.85; in (0, 1].
	FrameShare float64
	// Shim emulates latency, loss and an upload rate limit on the node's
	// socket. Default: none.
	Shim Shim
}

// Shim is user-space network emulation on a node's UDP socket, applied to
// every packet it sends. The zero value disables it.
type Shim struct {
	// Latency is added one way to every packet sent. Default 0.
	Latency time.Duration
	// LatencyFor, if set, gives the latency to a destination and
	// overrides Latency. It is called for every packet with the shim's
	// lock held, so it must be quick and safe to call from any goroutine.
	LatencyFor func(to net.Addr) time.Duration
	// Jitter adds a uniform random delay in [0, Jitter) per packet (which
	// can reorder packets). Default 0.
	Jitter time.Duration
	// Loss is the fraction of sent packets dropped, in [0, 1]. Default 0.
	Loss float64
	// Rate is the upload rate in bits per second: packets serialise one
	// after another at size/Rate each. Default 0: unlimited.
	Rate int64
	// QueueDelay, with Rate, drops a packet that would wait longer than
	// this for the uplink (a bounded router buffer). Default 1s: a home
	// router's buffer at a few Mbit/s holds about that much, the
	// simulator's uplinks hold 10s, and the modes' relays shed copies
	// themselves beyond 1s of backlog. A forest interior node sends a
	// stripe's chunk to its children in one burst (about 700 ms of its
	// uplink at 2x with 16 stripes): behind a 200ms buffer the tail of
	// each burst was lost, heartbeats waited behind the retransmissions,
	// and children gave up live parents.
	QueueDelay time.Duration
	// Fair, with Rate, serves the uplink's queue per destination in turn
	// (see shim_fair.go) instead of first in, first out: a packet waits
	// behind those queued to its own destination and one of each other
	// backlogged destination. QueueDelay then bounds the whole queue,
	// dropping from the destination with the most queued. Default false.
	Fair bool
	// Seed seeds the loss and jitter draws. Default 0.
	Seed uint64
}

// DefaultQueueDelay is Shim.QueueDelay's default.
const DefaultQueueDelay = time.Second

// Enabled reports whether any emulation is configured.
func (s Shim) Enabled() bool {
	return s.Latency != 0 || s.LatencyFor != nil || s.Jitter != 0 || s.Loss != 0 || s.Rate != 0
}

const (
	defaultListen       = "127.0.0.1:0"
	defaultMaxQueue     = 1024
	defaultMaxQueueB    = 512 << 10
	defaultMaxQueueWait = 2 * time.Second
	defaultBadFrames    = 8
	defaultIdle         = 30 * time.Second
	defaultFrameShare   = 0.85
	defaultHandshake    = 5 * time.Second
	defaultWriteTimeout = 10 * time.Second
	defaultMaxStreams   = 16
)

// Receive windows: a connection carries one stream each way, so they
// bound what one peer can make this node buffer while its event loop is
// behind. quic-go grows a window up to its maximum only while the reader
// keeps up.
const (
	streamWindow    = 256 << 10
	maxStreamWindow = 2 << 20
	connWindow      = 384 << 10
	maxConnWindow   = 3 << 20
)

// DefaultConfig returns a Config with every default filled in and no Key.
func DefaultConfig() Config {
	return Config{}.withDefaults()
}

func (c Config) withDefaults() Config {
	if c.Listen == "" {
		c.Listen = defaultListen
	}
	if c.MaxQueue == 0 {
		c.MaxQueue = defaultMaxQueue
	}
	if c.MaxQueueBytes == 0 {
		c.MaxQueueBytes = defaultMaxQueueB
	}
	if c.MaxQueueDelay == 0 {
		c.MaxQueueDelay = defaultMaxQueueWait
	}
	if c.BadFrameLimit == 0 {
		c.BadFrameLimit = defaultBadFrames
	}
	if c.IdleTimeout == 0 {
		c.IdleTimeout = defaultIdle
	}
	if c.HandshakeTimeout == 0 {
		c.HandshakeTimeout = defaultHandshake
	}
	if c.WriteTimeout == 0 {
		c.WriteTimeout = defaultWriteTimeout
	}
	if c.MaxStreams == 0 {
		c.MaxStreams = defaultMaxStreams
	}
	if c.FrameShare == 0 {
		c.FrameShare = defaultFrameShare
	}
	if c.Shim.Rate > 0 && c.Shim.QueueDelay == 0 {
		c.Shim.QueueDelay = DefaultQueueDelay
	}
	return c
}

// Validate reports the first problem with c, after defaults are applied.
func (c Config) Validate() error {
	c = c.withDefaults()
	var errs []error
	if len(c.Key) != ed25519.PrivateKeySize {
		errs = append(errs, fmt.Errorf("Key: need an ed25519 private key, have %d bytes", len(c.Key)))
	}
	if _, err := net.ResolveUDPAddr("udp", c.Listen); err != nil {
		errs = append(errs, fmt.Errorf("Listen: %w", err))
	}
	positive := []struct {
		name string
		v    int64
	}{
		{"MaxQueue", int64(c.MaxQueue)},
		{"MaxQueueBytes", int64(c.MaxQueueBytes)},
		{"MaxQueueDelay", int64(c.MaxQueueDelay)},
		{"BadFrameLimit", int64(c.BadFrameLimit)},
		{"IdleTimeout", int64(c.IdleTimeout)},
		{"HandshakeTimeout", int64(c.HandshakeTimeout)},
		{"WriteTimeout", int64(c.WriteTimeout)},
		{"MaxStreams", int64(c.MaxStreams)},
	}
	for _, p := range positive {
		if p.v <= 0 {
			errs = append(errs, fmt.Errorf("%s: must be positive, is %d", p.name, p.v))
		}
	}
	if !(c.FrameShare > 0 && c.FrameShare <= 1) {
		errs = append(errs, fmt.Errorf("FrameShare: must be in (0, 1], is %v", c.FrameShare))
	}
	if c.KeepAlive < 0 {
		errs = append(errs, fmt.Errorf("KeepAlive: must not be negative"))
	}
	s := c.Shim
	if s.Latency < 0 || s.Jitter < 0 || s.Rate < 0 || s.QueueDelay < 0 {
		errs = append(errs, errors.New("Shim: Latency, Jitter, Rate and QueueDelay must not be negative"))
	}
	if !(s.Loss >= 0 && s.Loss <= 1) {
		errs = append(errs, fmt.Errorf("Shim: Loss %v outside [0, 1]", s.Loss))
	}
	if len(errs) > 0 {
		return fmt.Errorf("qnet: invalid config: %w", errors.Join(errs...))
	}
	return nil
}
