package lab

import (
	"time"

	"github.com/almcast/alm/delivery"
)

// SharedChunkFloor is the shortest chunk a QUIC run uses when --chunk
// leaves the duration to the mode. Over QUIC every node of the run shares
// this process's cores, and each chunk costs every node that handles it a
// frame, a signature check, a few packets and the wake-ups they bring,
// whatever its size: at 200 forest viewers on two cores the tree modes'
// 25 ms chunks asked for more CPU than there was (timers 100 ms late,
// continuity 0.84), where 50 ms chunks left the timers on time. A node in
// its own process (alm source, alm player) keeps its mode's preference,
// as does the simulator, which has no CPU to share.
const SharedChunkFloor = 50 * time.Millisecond

// quicChunk is the chunk duration of a QUIC run of mode: chunk when it is
// set, else the mode's preference but no shorter than SharedChunkFloor.
func quicChunk(mode string, chunk time.Duration) time.Duration {
	if chunk > 0 {
		return chunk
	}
	return max(delivery.ChunkDuration(mode, 0), SharedChunkFloor)
}
