package qnet

import (
	"maps"
	"sync"
	"sync/atomic"
	"time"

	"github.com/almcast/alm/wire"
)

// Stats is a snapshot of a node's counters.
type Stats struct {
	FramesSent     uint64 // frames written to a stream
	BytesSent      uint64 // bytes of those frames
	FramesReceived uint64 // frames decoded and handed to the event loop
	BytesReceived  uint64 // bytes of those frames
	SendDrops      uint64 // messages not sent: queue full or stale, encode, dial or write failure
	StaleDrops     uint64 // of those, messages queued for longer than MaxQueueDelay

	BadMalformed   uint64 // frames whose body (or header) did not decode
	BadOversized   uint64 // frames over their type's size bound
	BadUnknownType uint64 // frames of an unregistered type
	BadVersion     uint64 // frames of another format version

	PeersRejected     uint64 // handshakes failed on the peer's certificate (ID mismatch, wrong key type)
	PeersDisconnected uint64 // connections closed for too many bad frames
	Dials             uint64 // connections dialed successfully
	Accepts           uint64 // connections accepted
	ConnsOpen         int64  // connections open now (duplicates included until closed)

	// The latency shim's uplink (zero without a shim): packets and bytes
	// (UDP payload: QUIC packets) it took, and packets it dropped, by
	// emulated loss or because the uplink buffer was full.
	ShimPackets    uint64
	ShimBytes      uint64
	ShimLossDrops  uint64
	ShimQueueDrops uint64

	// TimerLate counts the protocol's timers by how late their callbacks
	// ran on the event loop (from the time they were due), in buckets up
	// to TimerLateEdges: a busy event loop or a starved process shows
	// here before anywhere else.
	TimerLate [len(TimerLateEdges) + 1]uint64
}

// TimerLateEdges are the upper edges of Stats.TimerLate's buckets; the
// last bucket holds the rest.
var TimerLateEdges = [...]time.Duration{time.Millisecond, 5 * time.Millisecond, 20 * time.Millisecond,
	100 * time.Millisecond, 500 * time.Millisecond, 2 * time.Second}

// TimerLateP returns the upper edge of the TimerLate bucket that holds the
// p-th percentile (the largest edge when it lies beyond; 0 with no timers).
func (s Stats) TimerLateP(p float64) time.Duration {
	var total uint64
	for _, c := range s.TimerLate {
		total += c
	}
	if total == 0 {
		return 0
	}
	rank, acc := p/100*float64(total), 0.0
	for i, c := range s.TimerLate[:len(TimerLateEdges)] {
		acc += float64(c)
		if acc >= rank {
			return TimerLateEdges[i]
		}
	}
	return TimerLateEdges[len(TimerLateEdges)-1]
}

// Add adds o's counters to s (ConnsOpen too), to total several nodes.
func (s *Stats) Add(o Stats) {
	s.FramesSent += o.FramesSent
	s.BytesSent += o.BytesSent
	s.FramesReceived += o.FramesReceived
	s.BytesReceived += o.BytesReceived
	s.SendDrops += o.SendDrops
	s.StaleDrops += o.StaleDrops
	s.BadMalformed += o.BadMalformed
	s.BadOversized += o.BadOversized
	s.BadUnknownType += o.BadUnknownType
	s.BadVersion += o.BadVersion
	s.PeersRejected += o.PeersRejected
	s.PeersDisconnected += o.PeersDisconnected
	s.Dials += o.Dials
	s.Accepts += o.Accepts
	s.ConnsOpen += o.ConnsOpen
	s.ShimPackets += o.ShimPackets
	s.ShimBytes += o.ShimBytes
	s.ShimLossDrops += o.ShimLossDrops
	s.ShimQueueDrops += o.ShimQueueDrops
	for i, c := range o.TimerLate {
		s.TimerLate[i] += c
	}
}

// BadFrames returns the total of the bad frame counters.
func (s Stats) BadFrames() uint64 {
	return s.BadMalformed + s.BadOversized + s.BadUnknownType + s.BadVersion
}

type counters struct {
	framesSent, bytesSent         atomic.Uint64
	framesReceived, bytesReceived atomic.Uint64
	sendDrops, staleDrops         atomic.Uint64
	malformed, oversized          atomic.Uint64
	unknownType, version          atomic.Uint64
	rejected, disconnected        atomic.Uint64
	dials, accepts                atomic.Uint64
	connsOpen                     atomic.Int64
	timerLate                     [len(TimerLateEdges) + 1]atomic.Uint64

	protoMu sync.Mutex
	byProto map[string]*[2]uint64 // bytes sent, received by protocol
	byType  map[string]uint64     // frames sent by message type
}

// addProto counts a frame's bytes under its protocol, and a frame sent
// under its message type.
func (c *counters) addProto(frame []byte, received bool) {
	name, p := wire.FrameKind(frame)
	c.protoMu.Lock()
	if c.byProto == nil {
		c.byProto = map[string]*[2]uint64{}
	}
	v := c.byProto[p]
	if v == nil {
		v = new([2]uint64)
		c.byProto[p] = v
	}
	if received {
		v[1] += uint64(len(frame))
	} else {
		v[0] += uint64(len(frame))
		if c.byType == nil {
			c.byType = map[string]uint64{}
		}
		c.byType[name]++
	}
	c.protoMu.Unlock()
}

// FramesSentByType returns how many frames the node has sent, by the
// registered name of their message type ("chunk.chunk", "scribe.beat").
func (n *Node) FramesSentByType() map[string]uint64 {
	n.stats.protoMu.Lock()
	defer n.stats.protoMu.Unlock()
	return maps.Clone(n.stats.byType)
}

// ProtoBytes returns the bytes sent and received per protocol.
func (n *Node) ProtoBytes() (sent, received map[string]uint64) {
	sent, received = map[string]uint64{}, map[string]uint64{}
	n.stats.protoMu.Lock()
	defer n.stats.protoMu.Unlock()
	for p, v := range n.stats.byProto {
		sent[p], received[p] = v[0], v[1]
	}
	return sent, received
}

func (c *counters) snapshot() Stats {
	return Stats{
		FramesSent:        c.framesSent.Load(),
		BytesSent:         c.bytesSent.Load(),
		FramesReceived:    c.framesReceived.Load(),
		BytesReceived:     c.bytesReceived.Load(),
		SendDrops:         c.sendDrops.Load(),
		StaleDrops:        c.staleDrops.Load(),
		BadMalformed:      c.malformed.Load(),
		BadOversized:      c.oversized.Load(),
		BadUnknownType:    c.unknownType.Load(),
		BadVersion:        c.version.Load(),
		PeersRejected:     c.rejected.Load(),
		PeersDisconnected: c.disconnected.Load(),
		Dials:             c.dials.Load(),
		Accepts:           c.accepts.Load(),
		ConnsOpen:         c.connsOpen.Load(),
		TimerLate:         c.timerLateCounts(),
	}
}

func (c *counters) timerLateCounts() (out [len(TimerLateEdges) + 1]uint64) {
	for i := range c.timerLate {
		out[i] = c.timerLate[i].Load()
	}
	return out
}

// noteTimerLate counts a timer callback that ran late by d.
func (c *counters) noteTimerLate(d time.Duration) {
	i := 0
	for i < len(TimerLateEdges) && d > TimerLateEdges[i] {
		i++
	}
	c.timerLate[i].Add(1)
}
