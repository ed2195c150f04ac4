package qnet

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/almcast/alm/wire"
)

// On a stream, frames follow one another as records: the frame's header
// (version and type), the length of its body as a uvarint, then the body.
// The receiver checks the header and the length against the type's size
// bound before it reads (or makes room for) the body.

// maxLenBytes bounds a record's length field: a uvarint of MaxFrame.
const maxLenBytes = 3

// appendRecord appends frame (a whole wire frame) to buf as one record.
func appendRecord(buf, frame []byte) []byte {
	buf = append(buf, frame[:wire.HeaderLen]...)
	buf = binary.AppendUvarint(buf, uint64(len(frame)-wire.HeaderLen))
	return append(buf, frame[wire.HeaderLen:]...)
}

// recordSize is the length of frame's record.
func recordSize(frame []byte) int {
	return len(frame) + uvarintLen(uint64(len(frame)-wire.HeaderLen))
}

func uvarintLen(v uint64) int {
	n := 1
	for ; v >= 0x80; v >>= 7 {
		n++
	}
	return n
}

// byteReader is what readFrame reads from: a buffered stream.
type byteReader interface {
	io.Reader
	io.ByteReader
}

// readFrame reads the next record from r and returns its frame (header and
// body), reusing buf's storage when it is large enough. It returns io.EOF
// if r ends cleanly before a record, errAborted if r fails, and a wire
// error (ErrShort, ErrVersion, ErrUnknownType, ErrTooLarge, ErrMalformed)
// for a record that breaks the format: the stream cannot be read past it.
// A record is rejected as soon as its header shows a wrong version or an
// unknown type, or its length exceeds its type's size bound (never more
// than wire.MaxFrame), before its body is read.
func readFrame(r byteReader, buf []byte) ([]byte, error) {
	var hdr [wire.HeaderLen]byte
	if n, err := io.ReadFull(r, hdr[:]); err != nil {
		switch {
		case n == 0 && errors.Is(err, io.EOF):
			return nil, io.EOF
		case errors.Is(err, io.ErrUnexpectedEOF):
			return nil, wire.ErrShort
		}
		return nil, errAborted
	}
	if hdr[0] != wire.Version {
		return nil, fmt.Errorf("%w: %d", wire.ErrVersion, hdr[0])
	}
	t := wire.Type(binary.BigEndian.Uint16(hdr[1:]))
	limit := min(wire.MaxSize(t), wire.MaxFrame)
	if limit == 0 {
		return nil, fmt.Errorf("%w: %d", wire.ErrUnknownType, t)
	}
	body, err := readLen(r)
	if err != nil {
		return nil, err
	}
	if body > uint64(limit-wire.HeaderLen) {
		return nil, fmt.Errorf("%w: type %d, %d bytes, bound %d", wire.ErrTooLarge, t, wire.HeaderLen+body, limit)
	}
	size := wire.HeaderLen + int(body)
	if cap(buf) < size {
		buf = make([]byte, size, max(size, 2*cap(buf)))
	}
	frame := buf[:size]
	copy(frame, hdr[:])
	if _, err := io.ReadFull(r, frame[wire.HeaderLen:]); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, wire.ErrShort
		}
		return nil, errAborted
	}
	return frame, nil
}

// readLen reads a record's length field: a uvarint of at most maxLenBytes
// bytes.
func readLen(r io.ByteReader) (uint64, error) {
	var v uint64
	for i := range maxLenBytes {
		b, err := r.ReadByte()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return 0, wire.ErrShort
			}
			return 0, errAborted
		}
		v |= uint64(b&0x7f) << (7 * i)
		if b < 0x80 {
			return v, nil
		}
	}
	return 0, fmt.Errorf("%w: record length over %d bytes", wire.ErrTooLarge, maxLenBytes)
}
