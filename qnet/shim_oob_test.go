//go:build linux

package qnet

import (
	"bytes"
	"encoding/binary"
	"net"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// segmentOOB is the control message asking for segmentation offload.
func segmentOOB(size uint16) []byte {
	b := make([]byte, unix.CmsgSpace(2))
	h := (*unix.Cmsghdr)(unsafe.Pointer(&b[0]))
	h.Level, h.Type = unix.IPPROTO_UDP, unix.UDP_SEGMENT
	h.SetLen(unix.CmsgLen(2))
	binary.NativeEndian.PutUint16(b[unix.CmsgLen(0):], size)
	return b
}

// tosOOB is an IP_TOS control message marking ECT(0), as quic-go adds.
func tosOOB() []byte {
	b := make([]byte, unix.CmsgSpace(4))
	h := (*unix.Cmsghdr)(unsafe.Pointer(&b[0]))
	h.Level, h.Type = unix.IPPROTO_IP, unix.IP_TOS
	h.SetLen(unix.CmsgLen(4))
	b[unix.CmsgLen(0)] = 2 // ECT(0)
	return b
}

// A segmented write (as quic-go makes when it sees offload on the socket)
// leaves the shim as separate packets of the segment size, in order.
func TestShimSplitsSegmentedWrite(t *testing.T) {
	s, b := shimPair(t, Shim{Latency: time.Millisecond})
	defer s.Close()
	payload := make([]byte, 2*1000+300)
	for i := range payload {
		payload[i] = byte(i / 1000)
	}
	n, _, err := s.WriteMsgUDP(payload, segmentOOB(1000), b.LocalAddr().(*net.UDPAddr))
	if err != nil || n != len(payload) {
		t.Fatalf("write: %d, %v", n, err)
	}
	b.SetReadDeadline(time.Now().Add(waitLong))
	buf := make([]byte, 2000)
	for i, want := range []int{1000, 1000, 300} {
		n, _, err := b.ReadFrom(buf)
		if err != nil {
			t.Fatal(err)
		}
		if n != want || !bytes.Equal(buf[:n], payload[i*1000:i*1000+want]) {
			t.Fatalf("packet %d: %d bytes, want %d of segment %d", i, n, want, i)
		}
	}
}

func TestSplitSegmentKeepsOtherMessages(t *testing.T) {
	tos := tosOOB()
	seg, rest := splitSegment(append(segmentOOB(1200), tos...))
	if seg != 1200 || !bytes.Equal(rest, tos) {
		t.Fatalf("segment %d, rest %x; want 1200, %x", seg, rest, tos)
	}
	if seg, rest := splitSegment(segmentOOB(1452)); seg != 1452 || len(rest) != 0 {
		t.Fatalf("offload alone: segment %d, rest %x", seg, rest)
	}
	if seg, rest := splitSegment(append(append([]byte(nil), tos...), segmentOOB(1000)...)); seg != 1000 || !bytes.Equal(rest, tos) {
		t.Fatalf("offload after ECN: segment %d, rest %x", seg, rest)
	}
	if seg, rest := splitSegment(tos); seg != 0 || !bytes.Equal(rest, tos) {
		t.Fatalf("no offload: segment %d, rest %x", seg, rest)
	}
	if seg, rest := splitSegment([]byte{1, 2, 3}); seg != 0 || !bytes.Equal(rest, []byte{1, 2, 3}) {
		t.Fatalf("malformed: segment %d, rest %x", seg, rest)
	}
}

func BenchmarkSplitSegment(b *testing.B) {
	tos := tosOOB()
	oob := append(segmentOOB(1200), tos...)
	b.ReportAllocs()
	for b.Loop() {
		splitSegment(oob)
	}
}

// FuzzSplitSegment: any control bytes give a segment size and the rest
// without panicking, and the rest never grows.
func FuzzSplitSegment(f *testing.F) {
	tos := tosOOB()
	f.Add(segmentOOB(1200))
	f.Add(append(segmentOOB(1200), tos...))
	f.Add(append(append([]byte(nil), tos...), segmentOOB(1000)...))
	f.Add([]byte{1, 2, 3})
	f.Fuzz(func(t *testing.T, oob []byte) {
		seg, rest := splitSegment(oob)
		if seg < 0 || len(rest) > len(oob) {
			t.Fatalf("segment %d, %d bytes left of %d", seg, len(rest), len(oob))
		}
	})
}
