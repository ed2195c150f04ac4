package qnet

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"

	"github.com/quic-go/quic-go"

	"github.com/almcast/alm/wire"
)

// errAborted marks a stream that ended without a whole frame for a reason
// other than bad input (a reset, a closed connection).
var errAborted = errors.New("qnet: stream aborted")

// readStream reads the one frame on str, decodes it and hands it to the
// event loop; bad frames are counted against c.
func (n *Node) readStream(c *conn, str *quic.ReceiveStream) {
	defer n.wg.Done()
	frame, err := readFrame(str)
	if err == nil {
		var m wire.Message
		if m, err = wire.Decode(frame); err == nil {
			n.stats.framesReceived.Add(1)
			n.stats.bytesReceived.Add(uint64(len(frame)))
			n.stats.addProto(frame, true)
			from := c.peer
			n.deliver(func() { n.handler.Receive(from, m) })
			return
		}
	}
	str.CancelRead(codeBadFrame)
	if errors.Is(err, errAborted) {
		return
	}
	n.badFrame(c, err)
}

// readFrame reads one frame, rejecting it as soon as its header shows a
// wrong version or unknown type, or it grows past its type's size bound
// (never more than wire.MaxFrame).
func readFrame(r io.Reader) ([]byte, error) {
	var hdr [wire.HeaderLen]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, wire.ErrShort
		}
		return nil, errAborted
	}
	if hdr[0] != wire.Version {
		return nil, wire.ErrVersion
	}
	max := wire.MaxSize(wire.Type(binary.BigEndian.Uint16(hdr[1:])))
	if max == 0 {
		return nil, wire.ErrUnknownType
	}
	max = min(max, wire.MaxFrame)
	buf := bytes.NewBuffer(make([]byte, 0, min(max+1, 64<<10)))
	buf.Write(hdr[:])
	if _, err := buf.ReadFrom(io.LimitReader(r, int64(max-wire.HeaderLen+1))); err != nil {
		return nil, errAborted
	}
	if buf.Len() > max {
		return nil, wire.ErrTooLarge
	}
	return buf.Bytes(), nil
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
