package qnet

import (
	"context"
	"sync"
	"time"

	"github.com/quic-go/quic-go"
)

// writeChunk is about how many bytes of records go into one stream write;
// record buffers up to maxBuf are pooled between writes.
const (
	writeChunk = 64 << 10
	maxBuf     = 128 << 10
)

// bufPool holds record buffers, shared by all senders.
var bufPool = sync.Pool{New: func() any { return new([]byte) }}

// outStream is the stream a peer's frames are written on, on the
// connection used for the peer when it was opened.
type outStream struct {
	c   *conn
	str *quic.SendStream
}

// close ends the stream after what was written on it.
func (o *outStream) close() {
	if o.str != nil {
		o.str.Close()
	}
	*o = outStream{}
}

// abort resets the stream: what was not yet delivered of it is lost.
func (o *outStream) abort() {
	if o.str != nil {
		o.str.CancelWrite(codeWriteAbort)
	}
	*o = outStream{}
}

// writeFrames writes frames to p as records on its stream, dialing and
// opening the stream if needed. Frames that cannot be written are dropped
// and counted: those queued for longer than MaxQueueDelay, all of them on
// a failed dial, and, when a write fails or stalls for WriteTimeout, those
// of the write and after it; the stream is then reset and the next frames
// go on a new one.
func (n *Node) writeFrames(ctx context.Context, p *peer, frames []queued) {
	defer n.written(p, time.Time{})
	if frames = n.dropStale(frames); len(frames) == 0 {
		return
	}
	str := n.stream(ctx, p)
	if str == nil {
		n.stats.sendDrops.Add(uint64(len(frames)))
		return
	}
	str.SetWriteDeadline(time.Now().Add(n.cfg.WriteTimeout))
	pooled := bufPool.Get().(*[]byte)
	buf := (*pooled)[:0]
	defer func() {
		if cap(buf) <= maxBuf {
			*pooled = buf[:0]
			bufPool.Put(pooled)
		}
	}()
	first := 0 // the first frame in buf
	for i, q := range frames {
		buf = appendRecord(buf, q.frame)
		if len(buf) < writeChunk && i < len(frames)-1 {
			continue
		}
		if _, err := str.Write(buf); err != nil {
			p.out.abort()
			n.stats.sendDrops.Add(uint64(len(frames) - first))
			if ctx.Err() == nil {
				n.log.Debug("qnet: write failed", "peer", p.id.Short(), "err", err)
			}
			return
		}
		for _, q := range frames[first : i+1] {
			n.stats.addProto(q.frame, false)
			n.stats.bytesSent.Add(uint64(len(q.frame)))
		}
		n.stats.framesSent.Add(uint64(i + 1 - first))
		first = i + 1
		buf = buf[:0]
		if first < len(frames) {
			n.written(p, frames[first].at)
		}
	}
}

// dropStale drops and counts the frames at the head of frames that were
// queued more than MaxQueueDelay ago, and returns the rest.
func (n *Node) dropStale(frames []queued) []queued {
	old := time.Now().Add(-n.cfg.MaxQueueDelay)
	k := 0
	for k < len(frames) && frames[k].at.Before(old) {
		k++
	}
	if k > 0 {
		n.stats.sendDrops.Add(uint64(k))
		n.stats.staleDrops.Add(uint64(k))
	}
	return frames[k:]
}

// stream returns the stream to write p's frames on: the open one if its
// connection is still the one used for p, else a new one, on a new
// connection if need be. It returns nil if there is none.
func (n *Node) stream(ctx context.Context, p *peer) *quic.SendStream {
	c := n.current(p.id, p.key.addr)
	if c != nil && c == p.out.c {
		return p.out.str
	}
	p.out.close() // its connection was replaced or is gone
	if c == nil {
		if time.Now().Before(p.retryAt) {
			return nil
		}
		var err error
		c, err = n.dial(ctx, p)
		if err != nil {
			p.retryAt = time.Now().Add(dialBackoff)
			if ctx.Err() == nil {
				n.log.Debug("qnet: dial failed", "peer", p.id.Short(), "err", err)
			}
			return nil
		}
	}
	octx, cancel := context.WithTimeout(ctx, n.cfg.WriteTimeout)
	defer cancel()
	str, err := c.qc.OpenUniStreamSync(octx)
	if err != nil {
		if ctx.Err() == nil {
			n.log.Debug("qnet: open stream failed", "peer", p.id.Short(), "err", err)
		}
		return nil
	}
	p.out = outStream{c: c, str: str}
	return str
}
