package player

import "github.com/almcast/alm/chunk"

// ring holds the chunks of the playout window by sequence number: slot
// seq mod len. The player keeps only seqs in [next, next+Window), so two
// held chunks never share a slot once the ring spans what is held; it
// starts small and doubles as chunks further ahead arrive.
type ring struct {
	slots []*chunk.Chunk
}

// get returns the chunk held for seq, or nil.
func (r *ring) get(seq uint64) *chunk.Chunk {
	if len(r.slots) == 0 {
		return nil
	}
	c := r.slots[seq%uint64(len(r.slots))]
	if c == nil || c.Seq != seq {
		return nil
	}
	return c
}

// put holds c; every held seq and c.Seq are at least next.
func (r *ring) put(c *chunk.Chunk, next uint64) {
	n := uint64(len(r.slots))
	if n == 0 || c.Seq-next >= n {
		r.grow(c.Seq - next + 1)
		n = uint64(len(r.slots))
	}
	r.slots[c.Seq%n] = c
}

// take removes and returns the chunk held for seq, or nil.
func (r *ring) take(seq uint64) *chunk.Chunk {
	c := r.get(seq)
	if c != nil {
		r.slots[seq%uint64(len(r.slots))] = nil
	}
	return c
}

// grow makes room for span consecutive seqs, keeping what is held.
func (r *ring) grow(span uint64) {
	n := uint64(max(16, len(r.slots)))
	for n < span {
		n *= 2
	}
	if n == uint64(len(r.slots)) {
		return
	}
	slots := make([]*chunk.Chunk, n)
	for _, c := range r.slots {
		if c != nil {
			slots[c.Seq%n] = c
		}
	}
	r.slots = slots
}
