//go:build linux

package qnet

import (
	"encoding/binary"
	"unsafe"

	"golang.org/x/sys/unix"
)

// splitSegment takes the segmentation offload request (UDP_SEGMENT) out of
// the control messages in oob: it returns the segment size (0 if none was
// asked for) and the other control messages. Malformed control messages
// are passed on whole for the kernel to judge.
func splitSegment(oob []byte) (seg int, rest []byte) {
	if len(oob) == 0 {
		return 0, nil
	}
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil || len(msgs) == 0 {
		return 0, oob
	}
	for _, m := range msgs {
		if m.Header.Level == unix.IPPROTO_UDP && m.Header.Type == unix.UDP_SEGMENT && len(m.Data) >= 2 {
			seg = int(binary.NativeEndian.Uint16(m.Data))
			continue
		}
		rest = appendCmsg(rest, m)
	}
	return seg, rest
}

// appendCmsg appends control message m, encoded, to b.
func appendCmsg(b []byte, m unix.SocketControlMessage) []byte {
	start := len(b)
	b = append(b, make([]byte, unix.CmsgSpace(len(m.Data)))...)
	h := (*unix.Cmsghdr)(unsafe.Pointer(&b[start]))
	h.Level, h.Type = m.Header.Level, m.Header.Type
	h.SetLen(unix.CmsgLen(len(m.Data)))
	copy(b[start+unix.CmsgLen(0):], m.Data)
	return b
}
