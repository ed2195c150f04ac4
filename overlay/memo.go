package overlay

import "github.com/almcast/alm/id"

// memo is a bounded map from node ID to a value; when full, the oldest
// insertion is forgotten first. Its order is deterministic.
type memo[V any] struct {
	m    map[id.ID]V
	ring []id.ID
	size int
	next int
}

func newMemo[V any](size int) *memo[V] {
	return &memo[V]{size: size}
}

func (c *memo[V]) get(k id.ID) (V, bool) {
	v, ok := c.m[k]
	return v, ok
}

func (c *memo[V]) put(k id.ID, v V) {
	if c.m == nil {
		c.m = make(map[id.ID]V)
	}
	if _, ok := c.m[k]; ok {
		c.m[k] = v
		return
	}
	if len(c.ring) < c.size {
		c.ring = append(c.ring, k)
	} else {
		delete(c.m, c.ring[c.next])
		c.ring[c.next] = k
		c.next = (c.next + 1) % len(c.ring)
	}
	c.m[k] = v
}

func (c *memo[V]) del(k id.ID) { delete(c.m, k) }
