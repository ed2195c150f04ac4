package qnet

import (
	"bufio"
	"errors"
	"io"

	"github.com/quic-go/quic-go"

	"github.com/almcast/alm/wire"
)

// errAborted marks a stream that ended without a whole record for a reason
// other than bad input (a reset, a closed connection).
var errAborted = errors.New("qnet: stream aborted")

// readBufSize is the read buffer of one incoming stream; a stream keeps a
// frame buffer of up to keepBuf bytes between frames. The read buffer
// lives as long as its stream, which is as long as its connection, idle
// or not: at 16 KB, 200 viewers in one process (about 24,000 connections)
// kept 387 MB of them live, a third of the heap (1.2 GB when the stream
// started; 0.95 GB at 4 KB). Of a frame longer than it, all but what the
// read buffer already holds and a tail shorter than the read buffer is
// read straight into the frame's own buffer (bufio reads past its buffer
// while the rest wanted is at least its size).
const (
	readBufSize = 4 << 10
	keepBuf     = 64 << 10
)

// forwardMin is the size from which a received frame is kept with its
// message, so that a handler forwarding the message (a chunk to its
// children) sends the frame as received instead of encoding it again.
const forwardMin = 1 << 10

// readStream reads the records on str one after another, decodes them and
// hands them to the event loop, until the stream ends. A frame whose body
// does not decode is counted against c and skipped; a record that breaks
// the format is counted and ends the stream, which cannot be read past it.
func (n *Node) readStream(c *conn, str *quic.ReceiveStream) {
	defer n.wg.Done()
	r := bufio.NewReaderSize(str, readBufSize)
	// The frame buffer is reused: decoding copies what it keeps (a
	// cbor.Unmarshaler must not retain its input).
	var buf []byte
	for {
		frame, err := readFrame(r, buf)
		if err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, errAborted) {
				return
			}
			str.CancelRead(codeBadFrame)
			n.badFrame(c, err)
			return
		}
		// A frame handed on may be borrowed from: a chunk's packets stay
		// in it rather than being copied out.
		decode := wire.Decode
		if len(frame) >= forwardMin {
			decode = wire.DecodeBorrowed
		}
		m, err := decode(frame)
		if err != nil {
			buf = frame[:0]
			n.badFrame(c, err)
			continue
		}
		n.stats.framesReceived.Add(1)
		n.stats.bytesReceived.Add(uint64(len(frame)))
		n.stats.addProto(frame, true)
		in := inbound{from: c.peer, m: m}
		switch {
		case len(frame) >= forwardMin:
			// Handed on so that forwarding m sends these bytes again.
			in.frame, buf = frame, nil
		case cap(frame) <= keepBuf:
			buf = frame[:0]
		default:
			buf = nil
		}
		if !n.deliver(in) {
			return
		}
	}
}

// badFrame counts a rejected frame by kind and closes c once it has sent
// BadFrameLimit of them.
func (n *Node) badFrame(c *conn, err error) {
	switch {
	case errors.Is(err, wire.ErrTooLarge):
		n.stats.oversized.Add(1)
	case errors.Is(err, wire.ErrUnknownType):
		n.stats.unknownType.Add(1)
	case errors.Is(err, wire.ErrVersion):
		n.stats.version.Add(1)
	default: // wire.ErrMalformed, wire.ErrShort
		n.stats.malformed.Add(1)
	}
	bad := c.bad.Add(1)
	n.log.Debug("qnet: bad frame", "peer", c.peer, "err", err, "count", bad)
	if int(bad) == n.cfg.BadFrameLimit {
		n.stats.disconnected.Add(1)
		n.log.Warn("qnet: disconnecting peer for bad frames", "peer", c.peer, "count", bad)
		c.qc.CloseWithError(CodeBadInput, "too many bad frames")
	}
}
