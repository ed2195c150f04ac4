package qnet

import (
	"container/heap"
	"sync/atomic"
	"time"
)

// Timers: each node keeps its After callbacks in its own heap, served by
// its event loop behind one runtime timer. (A time.AfterFunc per callback
// cost a runtime timer and a goroutine each: with 200 viewers in one
// process, runtime timer upkeep and scheduling were about a tenth of the
// streaming phase's CPU.)

const (
	timerPending int32 = iota
	timerFired
	timerStopped
)

// timer is an After callback.
type timer struct {
	due   time.Time
	seq   uint64 // keeps equal due times in the order they were set
	f     func()
	state atomic.Int32
}

// Stop implements env.Timer. A stopped timer stays in the heap until it
// falls due and is skipped then.
func (t *timer) Stop() bool {
	return t.state.CompareAndSwap(timerPending, timerStopped)
}

type timerHeap []*timer

func (h timerHeap) Len() int { return len(h) }
func (h timerHeap) Less(i, j int) bool {
	if !h[i].due.Equal(h[j].due) {
		return h[i].due.Before(h[j].due)
	}
	return h[i].seq < h[j].seq
}
func (h timerHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *timerHeap) Push(x any)   { *h = append(*h, x.(*timer)) }
func (h *timerHeap) Pop() any {
	old := *h
	t := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return t
}

// addTimer schedules t, re-arming the node's runtime timer if t is now
// the earliest. Safe from any goroutine.
func (n *Node) addTimer(t *timer) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		return
	}
	n.timerSeq++
	t.seq = n.timerSeq
	heap.Push(&n.timers, t)
	if n.timers[0] == t {
		n.tick.Reset(time.Until(t.due))
	}
}

// dueTimers pops the timers due by now (stopped ones are dropped) and
// re-arms the runtime timer for the next; event loop only. The slice it
// returns is the node's own, reused at the next call.
func (n *Node) dueTimers(now time.Time) []*timer {
	n.mu.Lock()
	defer n.mu.Unlock()
	due := n.due[:0]
	for len(n.timers) > 0 && !n.timers[0].due.After(now) {
		t := heap.Pop(&n.timers).(*timer)
		if t.state.Load() == timerPending {
			due = append(due, t)
		}
	}
	if len(n.timers) > 0 {
		n.tick.Reset(n.timers[0].due.Sub(now))
	}
	n.due = due
	return due
}

// runTimers runs the callbacks due, after the messages already received
// (an acknowledgement waiting in the inbox must not lose the race to the
// timer that would declare it missing).
func (n *Node) runTimers() {
	for k := len(n.inbox); k > 0; k-- {
		n.receive(<-n.inbox)
	}
	now := time.Now()
	due := n.dueTimers(now)
	for _, t := range due {
		if t.state.CompareAndSwap(timerPending, timerFired) {
			late := now.Sub(t.due)
			n.stats.noteTimerLate(late)
			n.noteLate(now, late)
			t.f()
		}
	}
	clear(due) // the slice is reused: let the callbacks go
}

// lateHold is how long a late timer counts in full towards the node's
// lateness; after it, the lateness fades at one second a second.
const lateHold = 2 * time.Second

// noteLate takes a timer that ran late into the node's lateness; event
// loop only.
func (n *Node) noteLate(now time.Time, late time.Duration) {
	if late > n.lateness(now) {
		n.late, n.lateAt = late, now
	}
}

// lateness is how late the node's timers have run of late: the largest
// delay noted, held for lateHold and fading after it (env.Laggard); event
// loop only.
func (n *Node) lateness(now time.Time) time.Duration {
	since := now.Sub(n.lateAt)
	if since <= lateHold {
		return n.late
	}
	return max(0, n.late-(since-lateHold))
}
