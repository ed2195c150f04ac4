// Package sweep keeps per-channel tables of long-running nodes bounded
// without shutting new channels out: when a table is full, entries that
// have lapsed make room first.
package sweep

import "time"

// Interval is how often at most a full table is swept.
const Interval = time.Second

// Room reports whether table may take one more key: it may while it holds
// fewer than limit. When it holds limit, and the last sweep (*swept, zero
// for never) is at least Interval before now, every entry is passed to
// keep, which returns it trimmed, or false to drop it; *swept becomes now.
func Room[K comparable, V any](table map[K]V, limit int, now time.Duration, swept *time.Duration, keep func(V) (V, bool)) bool {
	if len(table) < limit {
		return true
	}
	if now-*swept >= Interval || *swept == 0 {
		*swept = now
		for k, v := range table {
			if v, ok := keep(v); ok {
				table[k] = v
			} else {
				delete(table, k)
			}
		}
	}
	return len(table) < limit
}
