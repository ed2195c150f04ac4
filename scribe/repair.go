package scribe

import (
	"math"
	"slices"
	"time"

	"github.com/almcast/alm/id"
)

// maxWants bounds the chunks a node asks for at once.
const maxWants = 128

// due returns when seq is expected here, on this node's clock: its source
// time plus the smoothed delay of its tree and the margin. A tree never
// timed (the node has not had a parent in it) is not repaired by time.
func (r *Relay) due(seq uint64) (time.Duration, bool) {
	return r.dueIn(r.tree(seq), seq)
}

func (r *Relay) dueIn(t *treeState, seq uint64) (time.Duration, bool) {
	if !t.hasEst {
		return 0, false
	}
	e := &t.est
	src := time.Duration(r.refTime) + time.Duration(int64(seq)-int64(r.refSeq))*r.dur
	// A loss shows when the tree's next chunk arrives; the timer is for the
	// last one before a silence, so it leaves the next chunk time to come.
	return src + e.mean + 3*e.dev + r.cfg.RepairMargin + time.Duration(r.stride)*r.dur, true
}

// silence is how long a tree's parent must have sent nothing before its
// chunks are asked for by time: while the parent sends, gaps show losses.
func (r *Relay) silence() time.Duration {
	return 2*time.Duration(r.stride)*r.dur + r.cfg.RepairMargin
}

// askable returns when chunk seq of tree t may first be asked for by time
// (its due time, once the parent has been silent long enough) and its due
// time; ok is false when the tree is not timed.
func (r *Relay) askable(t *treeState, seq uint64) (at, due time.Duration, ok bool) {
	if due, ok = r.dueIn(t, seq); !ok {
		return 0, 0, false
	}
	at = due
	if t.hasLastAt && t.lastAt+r.silence() > at {
		at = t.lastAt + r.silence()
	}
	return at, due, true
}

// wake notes that check may have work from t on. Between rounds that
// have work, check returns at once: the relay keeps idle, the earliest
// time any request could be due, and lowers it whenever a chunk, a
// request or a tree's timing changes.
func (r *Relay) wake(t time.Duration) {
	if t < r.quiet {
		r.quiet = t
	}
}

// dropWant forgets the request for seq; the chunk may be asked for again,
// and a full list of requests has room.
func (r *Relay) dropWant(seq uint64) {
	delete(r.wants, seq)
	r.wake(0)
}

// expect notes the chunks [from, to) coming into check's range.
func (r *Relay) expect(from, to uint64) {
	if !r.haveRef || !r.timed {
		return
	}
	if to-from > 4*r.stride {
		r.wake(0)
		return
	}
	for m := from; m < to; m++ {
		if at, due, ok := r.askable(r.tree(m), m); ok && at-due <= r.cfg.GiveUp {
			r.wake(at)
		}
	}
}

// check looks for chunks that are late (the tail of a loss, which no
// later chunk reveals) and asks for them.
func (r *Relay) check() {
	if !r.haveRef || r.stopped || !r.timed {
		return
	}
	now := r.e.Now()
	if now < r.quiet {
		return
	}
	r.quiet = math.MaxInt64
	for m := r.checked; m < r.high+2*r.stride && len(r.wants) < maxWants; m++ {
		if r.h.Has(m) || r.wants[m] != nil {
			continue
		}
		at, due, ok := r.askable(r.tree(m), m)
		if !ok || now-due > r.cfg.GiveUp {
			continue
		}
		if at > now {
			// While the parent sends, gaps show losses; the timer is for
			// a parent gone silent.
			if at-due <= r.cfg.GiveUp {
				r.wake(at)
			}
			continue
		}
		r.ask(m, now)
	}
	r.advance(now)
	r.retry()
}

// advance moves check's floor past chunks that are held or no longer
// worth it.
func (r *Relay) advance(now time.Duration) {
	for r.checked < r.high && r.wants[r.checked] == nil {
		due, ok := r.due(r.checked)
		if !r.h.Has(r.checked) && !(ok && now-due > r.cfg.GiveUp) && r.checked+uint64(r.cfg.Keep) > r.high {
			break
		}
		r.checked++
	}
}

// target picks where the next request for w goes: the parent in the
// chunk's tree first (unless it has been silent for ParentSilence), then
// peers from the overlay's leaf set and the node's other parents.
func (r *Relay) target(w *want) (id.Ref, bool) {
	now := r.e.Now()
	w.tries++
	w.next = now + r.cfg.RepairTimeout
	if w.tries <= r.cfg.ParentTries {
		g := r.groupOf(w.seq)
		if p := r.sc.Parent(g); !p.IsZero() && r.sc.Silence(g) <= r.cfg.ParentSilence {
			w.last = p.ID
			return p, true
		}
	}
	var cands []id.Ref
	add := func(x id.Ref) {
		if x.IsZero() || x.ID == r.h.Source().ID || x.ID == r.sc.self.ID {
			return
		}
		for _, t := range w.tried {
			if t == x.ID {
				return
			}
		}
		for _, c := range cands {
			if c.ID == x.ID {
				return
			}
		}
		cands = append(cands, x)
	}
	add(r.helper)
	if len(cands) == 1 {
		to := cands[0]
		w.last = to.ID
		w.tried = append(w.tried, to.ID)
		return to, true
	}
	for _, g := range r.sc.order {
		add(g.parent)
	}
	for _, x := range r.sc.ov.LeafSet().All() {
		add(x)
	}
	if len(cands) == 0 {
		// Last, the source: it serves only from upload it has to spare
		// (and says Miss otherwise), which in a small swarm is often
		// the only copy left after a forwarder fails.
		if src := r.h.Source(); !src.IsZero() && src.ID != r.sc.self.ID && !slices.Contains(w.tried, src.ID) {
			w.last = src.ID
			w.tried = append(w.tried, src.ID)
			return src, true
		}
		w.last = id.Zero
		return id.Ref{}, false
	}
	to := cands[r.e.Rand().IntN(len(cands))]
	w.last = to.ID
	w.tried = append(w.tried, to.ID)
	return to, true
}

// retry asks for chunks whose request is due (new, timed out or missed).
func (r *Relay) retry() {
	if len(r.wantList) == 0 {
		return
	}
	now := r.e.Now()
	batch := map[id.ID][]uint64{}
	var order []id.Ref
	kept := r.wantList[:0]
	for _, seq := range r.wantList {
		w, ok := r.wants[seq]
		if !ok || w.seq != seq {
			continue
		}
		if r.h.Has(seq) {
			r.dropWant(seq)
			continue
		}
		if w.next <= now {
			due, _ := r.due(seq)
			if w.tries >= r.cfg.RepairTries || seq < r.low || due > 0 && now-due > r.cfg.GiveUp || r.played(seq) {
				r.stats.RepairFailed++
				r.dropWant(seq)
				continue
			}
			if !r.budget.take(now) {
				if !w.deferred {
					w.deferred = true
					r.stats.RepairsDeferred++
				}
				kept = append(kept, seq)
				r.wake(r.budget.ready(now))
				continue
			}
			if to, ok := r.target(w); ok {
				if _, seen := batch[to.ID]; !seen {
					order = append(order, to)
				}
				batch[to.ID] = append(batch[to.ID], seq)
			} else {
				r.budget.refund()
			}
		}
		kept = append(kept, seq)
		r.wake(w.next)
	}
	r.wantList = kept
	r.flush(order, batch)
}

func (r *Relay) flush(order []id.Ref, batch map[id.ID][]uint64) {
	for _, to := range order {
		seqs := batch[to.ID]
		for len(seqs) > 0 {
			n := min(len(seqs), maxNack)
			r.stats.Nacks++
			r.h.Send(to, &Nack{Seqs: seqs[:n]})
			seqs = seqs[n:]
		}
	}
}
