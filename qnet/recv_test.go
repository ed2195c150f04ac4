package qnet

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"runtime"
	"testing"
	"time"

	"github.com/quic-go/quic-go"

	"github.com/almcast/alm/identity"
	"github.com/almcast/alm/wire"
)

// rawClient dials target with identity TLS and returns the connection.
func rawClient(t *testing.T, target *testNode) (*quic.Conn, func()) {
	t.Helper()
	udp, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	tr := &quic.Transport{Conn: udp}
	k, err := identity.Generate()
	if err != nil {
		t.Fatal(err)
	}
	ua, err := net.ResolveUDPAddr("udp", target.Self().Addr)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitLong)
	defer cancel()
	qc, err := tr.Dial(ctx, ua, identity.ClientConfig(k, identity.ALPN, target.Self().ID), &quic.Config{})
	if err != nil {
		t.Fatal(err)
	}
	return qc, func() {
		qc.CloseWithError(0, "")
		tr.Close()
		udp.Close()
	}
}

// writeRaw writes frame as a record on a stream of its own. The receiver may stop the
// stream before all of a bad frame is written, so only opening it must
// succeed.
func writeRaw(t *testing.T, qc *quic.Conn, frame []byte) {
	t.Helper()
	str, err := qc.OpenUniStream()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := str.Write(record(frame)); err != nil {
		t.Logf("write: %v", err)
		return
	}
	str.Close()
}

func header(v byte, typ wire.Type) []byte { return []byte{v, byte(typ >> 8), byte(typ)} }

func TestBadFramesDisconnect(t *testing.T) {
	base := runtime.NumGoroutine()
	cfg := testConfig(t)
	cfg.BadFrameLimit = 6
	b := startNode(t, cfg)
	a := startNode(t, testConfig(t))
	qc, closeRaw := rawClient(t, b)

	good, err := wire.Encode(&testMsg{Text: "raw"})
	if err != nil {
		t.Fatal(err)
	}
	writeRaw(t, qc, good)
	if r := b.next(t); r.m.(*testMsg).Text != "raw" || r.from.Addr != qc.LocalAddr().String() {
		t.Fatalf("got %+v", r)
	}

	frames := [][]byte{
		append(header(wire.Version, typeTest), 0xff, 0xff, 0xff), // malformed body
		{wire.Version}, // shorter than a header
		append(header(wire.Version, typeSmall), bytes.Repeat([]byte{'x'}, 300)...), // over its type's bound
		append(header(wire.Version, typeTest), make([]byte, wire.MaxFrame)...),     // over MaxFrame
		append(header(wire.Version, 65000), 0x80),                                  // unknown type
		append(header(wire.Version+8, typeTest), good[wire.HeaderLen:]...),         // other version
	}
	for _, f := range frames {
		writeRaw(t, qc, f)
	}
	select {
	case <-qc.Context().Done():
	case <-time.After(waitLong):
		t.Fatal("connection not closed after bad frames")
	}
	var appErr *quic.ApplicationError
	if err := context.Cause(qc.Context()); !errors.As(err, &appErr) || appErr.ErrorCode != CodeBadInput || !appErr.Remote {
		t.Errorf("close cause %v, want remote application error %d", err, CodeBadInput)
	}
	closeRaw()
	s := b.Stats()
	if s.BadMalformed != 2 || s.BadOversized != 2 || s.BadUnknownType != 1 || s.BadVersion != 1 || s.PeersDisconnected != 1 {
		t.Errorf("stats %+v", s)
	}
	if s.FramesReceived != 1 {
		t.Errorf("received %d frames, want 1", s.FramesReceived)
	}

	// b keeps working for others.
	a.send(b.Self(), &testMsg{Text: "ping"})
	if r := b.next(t); r.m.(*testMsg).Text != "ping" {
		t.Errorf("b got %+v", r)
	}
	if r := a.next(t); r.m.(*testMsg).Text != "pong" {
		t.Errorf("a got %+v", r)
	}
	waitFor(t, "the bad connection to be gone", func() bool { return b.Stats().ConnsOpen == 1 })
	a.stop(t)
	b.stop(t)
	checkGoroutines(t, base)
}

// record is frame as a record on a stream, or frame itself if it is
// shorter than a header.
func record(frame []byte) []byte {
	if len(frame) < wire.HeaderLen {
		return frame
	}
	return appendRecord(nil, frame)
}

func TestReadFrameBounds(t *testing.T) {
	good, err := wire.Encode(&smallMsg{Text: "hi"})
	if err != nil {
		t.Fatal(err)
	}
	fits := append(header(wire.Version, typeSmall), make([]byte, 253)...)
	cases := []struct {
		in   []byte
		want error
		out  []byte
	}{
		{record(good), nil, good},
		{nil, io.EOF, nil},
		{record(good)[:2], wire.ErrShort, nil},
		{record(good)[:3], wire.ErrShort, nil},
		{record(good)[:len(record(good))-1], wire.ErrShort, nil},
		{record(header(0, typeSmall)), wire.ErrVersion, nil},
		{record(header(wire.Version, 65001)), wire.ErrUnknownType, nil},
		// Rejected on the length alone: no body follows.
		{append(header(wire.Version, typeSmall), 254, 1), wire.ErrTooLarge, nil},
		{append(header(wire.Version, typeTest), 0xff, 0xff, 0xff, 0x01), wire.ErrTooLarge, nil},
		{record(fits), nil, fits},
	}
	for i, c := range cases {
		got, err := readFrame(bytes.NewReader(c.in), nil)
		if !errors.Is(err, c.want) {
			t.Errorf("case %d: err %v, want %v", i, err, c.want)
		}
		if err == nil && !bytes.Equal(got, c.out) {
			t.Errorf("case %d: frame changed", i)
		}
	}
}

func TestReadFrameSequence(t *testing.T) {
	var in []byte
	var want [][]byte
	for i := range 5 {
		f, err := wire.Encode(&testMsg{Text: "x", Data: make([]byte, i*1000)})
		if err != nil {
			t.Fatal(err)
		}
		in = appendRecord(in, f)
		want = append(want, f)
	}
	r := bytes.NewReader(in)
	var buf []byte
	for i, w := range want {
		f, err := readFrame(r, buf)
		if err != nil || !bytes.Equal(f, w) {
			t.Fatalf("frame %d: err %v, equal %v", i, err, bytes.Equal(f, w))
		}
		buf = f[:0]
	}
	if _, err := readFrame(r, buf); err != io.EOF {
		t.Errorf("after the last record: %v, want io.EOF", err)
	}
}
