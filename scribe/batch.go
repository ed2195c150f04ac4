package scribe

import "github.com/almcast/alm/id"

// batches gathers per-group entries by the node they go to, at most
// maxEntries to a message, in the order the nodes first came (the
// simulator must see the same sends every run).
type batches[E any] struct {
	idx  map[id.ID]int // made on the first entry: most ticks have none
	outs []batch[E]
}

// batch is one message's worth of entries for one node.
type batch[E any] struct {
	to      id.Ref
	entries []E
}

// add puts e into the open batch for to, or a new one when there is none
// or it is full.
func (b *batches[E]) add(to id.Ref, e E) {
	i, ok := b.idx[to.ID]
	if !ok || len(b.outs[i].entries) >= maxEntries {
		if b.idx == nil {
			b.idx = map[id.ID]int{}
		}
		i = len(b.outs)
		b.idx[to.ID] = i
		b.outs = append(b.outs, batch[E]{to: to})
	}
	b.outs[i].entries = append(b.outs[i].entries, e)
}
