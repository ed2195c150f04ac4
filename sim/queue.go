package sim

import (
	"time"

	"github.com/almcast/alm/id"
	"github.com/almcast/alm/wire"
)

// event is one scheduled happening: a message arriving at a node, or a
// function (a timer callback or a driver's action) running.
type event struct {
	at    time.Duration
	seq   uint64
	node  int32 // -1: not bound to a node
	fn    func()
	timer *timer
	from  id.Ref
	msg   wire.Message
}

// queue is a binary min-heap of events ordered by time, then by the order
// they were scheduled in, which makes runs deterministic.
type queue []event

func (q queue) less(i, j int) bool {
	if q[i].at != q[j].at {
		return q[i].at < q[j].at
	}
	return q[i].seq < q[j].seq
}

func (q *queue) push(e event) {
	*q = append(*q, e)
	h := *q
	i := len(h) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !h.less(i, p) {
			break
		}
		h[i], h[p] = h[p], h[i]
		i = p
	}
}

func (q *queue) pop() event {
	h := *q
	top := h[0]
	last := len(h) - 1
	h[0] = h[last]
	h[last] = event{}
	h = h[:last]
	i := 0
	for {
		l := 2*i + 1
		if l >= len(h) {
			break
		}
		m := l
		if r := l + 1; r < len(h) && h.less(r, l) {
			m = r
		}
		if !h.less(m, i) {
			break
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
	*q = h
	return top
}
