//go:build linux

package qnet

import (
	"encoding/binary"
	"unsafe"

	"golang.org/x/sys/unix"
)

// splitSegment takes the segmentation offload request (UDP_SEGMENT) out of
// the control messages in oob: it returns the segment size (0 if none was
// asked for) and the other control messages (ECN marks). It runs for every
// write, so it walks the headers in place rather than parsing them into
// new slices. Malformed control messages are passed on whole for the
// kernel to judge.
func splitSegment(oob []byte) (seg int, rest []byte) {
	hdr := unix.CmsgLen(0)
	for off := 0; off+hdr <= len(oob); {
		h := (*unix.Cmsghdr)(unsafe.Pointer(&oob[off]))
		l := int(h.Len)
		if l < hdr || off+l > len(oob) {
			return 0, oob
		}
		end := min(off+unix.CmsgSpace(l-hdr), len(oob))
		if h.Level == unix.IPPROTO_UDP && h.Type == unix.UDP_SEGMENT && l >= unix.CmsgLen(2) {
			seg = int(binary.NativeEndian.Uint16(oob[off+hdr:]))
			if off > 0 {
				rest = append(append(rest, oob[:off]...), oob[end:]...)
			} else if end < len(oob) {
				rest = oob[end:]
			}
			return seg, rest
		}
		off = end
	}
	return 0, oob
}
