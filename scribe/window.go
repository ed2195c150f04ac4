package scribe

import (
	"time"

	"github.com/almcast/alm/chunk"
	"github.com/almcast/alm/id"
)

// treeState is what the relay knows of one tree: the newest chunk seen
// in it, when its parent last sent one, and its smoothed delay.
type treeState struct {
	g         id.ID
	last      uint64 // newest seq seen, plus one (valid if hasLast)
	lastAt    time.Duration
	est       estimate
	hasLast   bool
	hasLastAt bool
	hasEst    bool
}

// tree returns the state of the tree that carries seq. The trees take
// turns (seq and seq+stride share one), so the tree of each residue is
// looked up once; the relay's per-chunk work then needs no map keyed by
// tree ID.
func (r *Relay) tree(seq uint64) *treeState {
	i := seq % r.stride
	if i < uint64(len(r.slot)) && r.slot[i] >= 0 {
		return &r.trees[r.slot[i]]
	}
	for uint64(len(r.slot)) <= i {
		r.slot = append(r.slot, -1)
	}
	g := r.groupOf(seq)
	for k := range r.trees {
		if r.trees[k].g == g {
			r.slot[i] = int32(k)
			return &r.trees[k]
		}
	}
	r.trees = append(r.trees, treeState{g: g})
	r.slot[i] = int32(len(r.trees) - 1)
	return &r.trees[len(r.trees)-1]
}

// treeOf returns the state of tree g, or nil if no chunk of it was seen.
func (r *Relay) treeOf(g id.ID) *treeState {
	for k := range r.trees {
		if r.trees[k].g == g {
			return &r.trees[k]
		}
	}
	return nil
}

// held is one slot of the relay's window of recent chunks.
type held struct {
	c      *chunk.Chunk
	sentAt time.Duration // when it went to the children, and the backlog then
	fwdAt  time.Duration // when it went to the children
	sent   bool
}

// get returns the held chunk seq, if any.
func (r *Relay) get(seq uint64) (*chunk.Chunk, bool) {
	if h := r.slotOf(seq); h != nil {
		return h.c, true
	}
	return nil, false
}

// slotOf returns the window slot that holds seq, or nil.
func (r *Relay) slotOf(seq uint64) *held {
	if seq < r.low || seq >= r.high || len(r.buf) == 0 {
		return nil
	}
	h := &r.buf[seq%uint64(len(r.buf))]
	if h.c == nil || h.c.Seq != seq {
		return nil
	}
	return h
}
