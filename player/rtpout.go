package player

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtp"

	"github.com/almcast/alm/chunk"
)

// OutputQueue is how many chunks an RTPOutput holds waiting to be sent;
// Play drops and counts chunks beyond it.
const OutputQueue = 64

// RTPOutputStats counts what an RTPOutput sent.
type RTPOutputStats struct {
	// Packets and Bytes count RTP packets sent.
	Packets, Bytes uint64
	// Dropped counts chunks Play dropped because the queue was full or
	// the output closed.
	Dropped uint64
	// Unknown counts packets not sent: not RTP, or of a payload type no
	// media of the SDP carries.
	Unknown uint64
	// Errors counts failed sends.
	Errors uint64
}

// RTPOutput plays chunks as RTP over UDP: the packets of the i-th media
// of the stream's SDP go to HOST:PORT+2*i, paced by their original
// timing. Pair it with an SDP file from WriteSDP so that ffplay, VLC or
// ffmpeg can receive them.
type RTPOutput struct {
	host string
	port int
	src  []byte

	conn   *net.UDPConn
	routes map[uint8]route

	queue    chan queued
	done     chan struct{}
	finished chan struct{}
	once     sync.Once

	packets, bytes, dropped, unknown, errs atomic.Uint64

	mu      sync.Mutex    // guards pending and idle
	pending int           // chunks queued or being sent
	idle    chan struct{} // closed while pending is 0

	// Pacing state, owned by the sending goroutine.
	prevEnd time.Time
	anchors map[int]anchor
}

// route is where packets of one payload type go.
type route struct {
	media int
	clock int // RTP clock rate, 0 if unknown
	addr  *net.UDPAddr
}

// anchor ties a media's RTP timestamps to stream time (chunk.Time's
// clock, ns).
type anchor struct {
	ts     uint32
	stream int64
}

type queued struct {
	c  *chunk.Chunk
	at time.Time
}

// ParseOutput reads an output flag: "none" (no output) or
// "rtp://HOST:PORT" with HOST an IP address or localhost and PORT even.
func ParseOutput(s string) (target string, none bool, err error) {
	s = strings.TrimSpace(s)
	if s == "none" {
		return "", true, nil
	}
	host, port, err := parseTarget(s)
	if err != nil {
		return "", false, err
	}
	return "rtp://" + net.JoinHostPort(host, strconv.Itoa(port)), false, nil
}

// parseTarget splits "rtp://HOST:PORT".
func parseTarget(s string) (host string, port int, err error) {
	rest, ok := strings.CutPrefix(s, "rtp://")
	if !ok {
		return "", 0, fmt.Errorf("player: output %q is neither none nor rtp://HOST:PORT", s)
	}
	host, p, err := net.SplitHostPort(rest)
	if err != nil {
		return "", 0, fmt.Errorf("player: output %q: %v", s, err)
	}
	if host != "localhost" {
		ip := net.ParseIP(host)
		if ip == nil || ip.IsUnspecified() {
			return "", 0, fmt.Errorf("player: output %q: host must be an IP address or localhost", s)
		}
	}
	port, err = strconv.Atoi(p)
	if err != nil || port < 2 || port > 65534 || port%2 != 0 {
		return "", 0, fmt.Errorf("player: output %q: port must be even, within [2, 65534]", s)
	}
	return host, port, nil
}

// NewRTPOutput returns an output sending to target ("rtp://HOST:PORT")
// the media of a stream described by sdp (the source's SDP from the
// channel metadata). Close it when done.
func NewRTPOutput(target string, sdp []byte) (*RTPOutput, error) {
	host, port, err := parseTarget(target)
	if err != nil {
		return nil, err
	}
	sd, err := parseSDP(sdp)
	if err != nil {
		return nil, err
	}
	if err := checkBasePort(port, len(sd.MediaDescriptions)); err != nil {
		return nil, err
	}
	ip, _, err := sdpHost(host)
	if err != nil {
		return nil, err
	}
	network := "udp6"
	if ip.To4() != nil {
		network = "udp4"
	}
	o := &RTPOutput{
		host:     host,
		port:     port,
		src:      append([]byte(nil), sdp...),
		routes:   map[uint8]route{},
		queue:    make(chan queued, OutputQueue),
		done:     make(chan struct{}),
		finished: make(chan struct{}),
		anchors:  map[int]anchor{},
		idle:     make(chan struct{}),
	}
	close(o.idle)
	for i, m := range outputMedia(sd) {
		addr := &net.UDPAddr{IP: ip, Port: port + 2*i}
		for pt, clock := range m.types {
			if _, dup := o.routes[pt]; !dup {
				o.routes[pt] = route{media: i, clock: clock, addr: addr}
			}
		}
	}
	conn, err := net.ListenUDP(network, nil)
	if err != nil {
		return nil, fmt.Errorf("player: output socket: %w", err)
	}
	_ = conn.SetWriteBuffer(1 << 20)
	o.conn = conn
	go o.run()
	return o, nil
}

// SDP returns the session description of what the output sends, for
// players: OutputSDP of the stream's SDP at the target.
func (o *RTPOutput) SDP() ([]byte, error) { return OutputSDP(o.src, o.host, o.port) }

// Play queues c to be sent; it never blocks. A chunk that finds the queue
// full is dropped and counted.
func (o *RTPOutput) Play(c *chunk.Chunk) {
	if c == nil {
		return
	}
	select {
	case <-o.done:
		o.dropped.Add(1)
		return
	default:
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	select {
	case o.queue <- queued{c: c, at: time.Now()}:
		if o.pending == 0 {
			o.idle = make(chan struct{})
		}
		o.pending++
	default:
		o.dropped.Add(1)
	}
}

// sent marks one queued chunk done.
func (o *RTPOutput) sent() {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.pending--
	if o.pending == 0 {
		close(o.idle)
	}
}

// Flush waits until every chunk played so far has been sent, ctx ends or
// the output closes.
func (o *RTPOutput) Flush(ctx context.Context) error {
	o.mu.Lock()
	idle := o.idle
	o.mu.Unlock()
	select {
	case <-idle:
		return nil
	case <-o.done:
		return errors.New("player: output closed")
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Stats returns the counters; safe to call at any time.
func (o *RTPOutput) Stats() RTPOutputStats {
	return RTPOutputStats{
		Packets: o.packets.Load(),
		Bytes:   o.bytes.Load(),
		Dropped: o.dropped.Load(),
		Unknown: o.unknown.Load(),
		Errors:  o.errs.Load(),
	}
}

// Close stops sending (packets not yet sent are dropped) and releases the
// socket.
func (o *RTPOutput) Close() error {
	var err error
	o.once.Do(func() {
		close(o.done)
		<-o.finished
		err = o.conn.Close()
	})
	return err
}

// run sends queued chunks one after another.
func (o *RTPOutput) run() {
	defer close(o.finished)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		select {
		case <-o.done:
			return
		case q := <-o.queue:
			ok := o.send(q, timer)
			o.sent()
			if !ok {
				return
			}
		}
	}
}

// send sends the packets of one chunk at their times; false if the
// output closed meanwhile.
func (o *RTPOutput) send(q queued, timer *time.Timer) bool {
	times, routes := o.schedule(q.c, q.at)
	for i, p := range q.c.Packets {
		if routes[i] == nil {
			o.unknown.Add(1)
			continue
		}
		if d := time.Until(times[i]); d > 0 {
			timer.Reset(d)
			select {
			case <-o.done:
				timer.Stop()
				return false
			case <-timer.C:
			}
		}
		if _, err := o.conn.WriteToUDP(p, routes[i]); err != nil {
			o.errs.Add(1)
			continue
		}
		o.packets.Add(1)
		o.bytes.Add(uint64(len(p)))
	}
	return true
}

// schedule returns when to send each packet of c, played at time at, and
// where. The chunk covers [base, base+Duration) where base is the later of
// at and the end of the previous chunk, so chunks never overlap and a
// late chunk does not wait. Within it a packet's time follows its RTP
// timestamp on its media's clock, tied to stream time (chunk.Time) at the
// first packet of the media; when the clock is unknown or the timestamp
// strays more than a chunk from the window (a new stream, a jump) the
// packet is placed evenly by its index and the media re-anchored there.
// Times never decrease, so packets leave in chunk order.
func (o *RTPOutput) schedule(c *chunk.Chunk, at time.Time) ([]time.Time, []*net.UDPAddr) {
	base := at
	if base.Before(o.prevEnd) {
		base = o.prevEnd
	}
	d := max(c.Duration, 0)
	o.prevEnd = base.Add(time.Duration(d))
	n := int64(len(c.Packets))
	times := make([]time.Time, n)
	routes := make([]*net.UDPAddr, n)
	var prev int64
	var h rtp.Header
	for i, p := range c.Packets {
		even := d * int64(i) / n
		off := even
		if _, err := h.Unmarshal(p); err == nil && h.Version == 2 {
			if r, ok := o.routes[h.PayloadType]; ok {
				routes[i] = r.addr
				if r.clock > 0 {
					off = o.offset(c, r, h.Timestamp, even)
				}
			}
		}
		off = min(max(off, prev), d)
		prev = off
		times[i] = base.Add(time.Duration(off))
	}
	return times, routes
}

// offset places a packet of media r with RTP timestamp ts within chunk c
// (ns from its start).
func (o *RTPOutput) offset(c *chunk.Chunk, r route, ts uint32, even int64) int64 {
	a, ok := o.anchors[r.media]
	if ok {
		s := a.stream + int64(int32(ts-a.ts))*int64(time.Second)/int64(r.clock)
		off := s - c.Time
		if off >= -c.Duration && off <= 2*c.Duration {
			return off
		}
	}
	o.anchors[r.media] = anchor{ts: ts, stream: c.Time + even}
	return even
}
