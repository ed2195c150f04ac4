package delivery

import "github.com/almcast/alm/env"

// Usable is the part of h's upload capacity its messages can use: the
// capacity less what the runtime's links spend beyond the messages
// (env.FrameShare; over QUIC, packet headers, acknowledgements and
// handshakes). Modes that plan children or partners to fill their
// capacity (the forest, the mesh) plan on it; the single tree, which
// needs two children per node at twice the rate, overcommits by design
// and sheds the excess (see scribe.Capacity). 0 stays unknown.
func Usable(h Host) int64 {
	up := h.Upload()
	if fs, ok := h.Env().(env.FrameShare); ok && up > 0 {
		return int64(float64(up) * fs.Share())
	}
	return up
}
