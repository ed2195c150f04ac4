package sim

import (
	"time"

	"github.com/almcast/alm/wire"
)

// event is one scheduled happening: a message arriving at a node, or a
// function (a timer callback or a driver's action) running.
type event struct {
	at    time.Duration
	seq   uint64
	node  int32 // -1: not bound to a node
	from  int32 // sender's index, for messages
	fn    func()
	timer *timer
	msg   wire.Message
}

// queue is a 4-ary min-heap of events ordered by time, then by the order
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
		p := (i - 1) / 4
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
		c := 4*i + 1
		if c >= len(h) {
			break
		}
		m := c
		for j := c + 1; j < c+4 && j < len(h); j++ {
			if h.less(j, m) {
				m = j
			}
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
