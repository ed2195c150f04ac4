package qnet

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/almcast/alm/wire"
)

// FuzzReadFrame reads records from arbitrary bytes: it must not panic, and
// every frame it returns must be within its type's bound and decode or
// fail with a wire error.
func FuzzReadFrame(f *testing.F) {
	good, err := wire.Encode(&smallMsg{Text: "hi"})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(appendRecord(nil, good))
	f.Add(appendRecord(appendRecord(nil, good), good))
	f.Add(append(header(wire.Version, typeSmall), 0xff, 0xff, 0xff))
	f.Fuzz(func(t *testing.T, in []byte) {
		r := bytes.NewReader(in)
		var buf []byte
		for {
			frame, err := readFrame(r, buf)
			if err != nil {
				if errors.Is(err, errAborted) {
					t.Fatalf("bytes.Reader reported as aborted: %v", err)
				}
				if err != io.EOF && !errors.Is(err, wire.ErrShort) && !errors.Is(err, wire.ErrVersion) &&
					!errors.Is(err, wire.ErrUnknownType) && !errors.Is(err, wire.ErrTooLarge) {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			typ := wire.Type(frame[1])<<8 | wire.Type(frame[2])
			if len(frame) > wire.MaxSize(typ) {
				t.Fatalf("frame of %d bytes over its bound %d", len(frame), wire.MaxSize(typ))
			}
			wire.Decode(frame)
			buf = frame[:0]
		}
	})
}
