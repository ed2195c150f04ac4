package scribe

import (
	"time"

	"github.com/almcast/alm/id"
)

// maxWants bounds the chunks a node asks for at once.
const maxWants = 64

// giveUp is how long after its expected arrival a missing chunk is no
// longer worth asking for.
const giveUp = 4 * time.Second

// due returns when seq is expected here, on this node's clock: its source
// time plus the delay of its tree (or of the slowest tree known, for a
// tree not timed yet).
func (r *Relay) due(seq uint64) (time.Duration, bool) {
	// A tree never timed (the node has not had a parent in it) is not
	// repaired: its chunks would all look late.
	d, ok := r.delay[r.groupOf(seq)]
	if !ok {
		return 0, false
	}
	src := time.Duration(r.refTime) + time.Duration(int64(seq)-int64(r.refSeq))*r.dur
	return src + d + r.cfg.RepairMargin, true
}

// check looks for chunks that are late and asks for them.
func (r *Relay) check() {
	if !r.haveRef || r.stopped || len(r.delay) == 0 {
		return
	}
	now := r.e.Now()
	minD := time.Duration(-1)
	for _, d := range r.delay {
		if minD < 0 || d < minD {
			minD = d
		}
	}
	span := now - r.cfg.RepairMargin - minD - time.Duration(r.refTime)
	if span < 0 {
		return
	}
	upper := int64(r.refSeq) + int64(span/r.dur)
	if upper < int64(r.checked) {
		return
	}
	batch := map[id.ID][]uint64{}
	var order []id.Ref
	for m := r.checked; int64(m) <= upper && len(r.wants) < maxWants; m++ {
		if r.h.Has(m) || r.wants[m] != nil {
			continue
		}
		due, ok := r.due(m)
		if !ok || due > now || now-due > giveUp {
			continue
		}
		w := &want{seq: m, since: now}
		r.wants[m] = w
		r.wantList = append(r.wantList, m)
		if to, ok := r.target(w); ok {
			if _, seen := batch[to.ID]; !seen {
				order = append(order, to)
			}
			batch[to.ID] = append(batch[to.ID], m)
		}
	}
	// Move the floor past chunks that are held or no longer worth it.
	for int64(r.checked) <= upper && r.wants[r.checked] == nil {
		due, ok := r.due(r.checked)
		if !r.h.Has(r.checked) && !(ok && now-due > giveUp) {
			break
		}
		r.checked++
	}
	r.flush(order, batch)
	r.retry()
}

// target picks where the next request for w goes: the parent in the
// chunk's tree first, then peers from the overlay's leaf set.
func (r *Relay) target(w *want) (id.Ref, bool) {
	now := r.e.Now()
	w.tries++
	w.next = now + r.cfg.RepairTimeout
	if w.tries == 1 {
		if p := r.sc.Parent(r.groupOf(w.seq)); !p.IsZero() {
			w.last = p.ID
			w.tried = append(w.tried, p.ID)
			return p, true
		}
	}
	var cands []id.Ref
	for _, x := range r.sc.ov.LeafSet().All() {
		tried := false
		for _, t := range w.tried {
			if t == x.ID {
				tried = true
				break
			}
		}
		if !tried && x.ID != r.h.Source().ID {
			cands = append(cands, x)
		}
	}
	if len(cands) == 0 {
		w.last = id.Zero
		return id.Ref{}, false
	}
	to := cands[r.e.Rand().IntN(len(cands))]
	w.last = to.ID
	w.tried = append(w.tried, to.ID)
	return to, true
}

// retry asks again for chunks whose last request timed out or missed.
func (r *Relay) retry() {
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
			delete(r.wants, seq)
			continue
		}
		if w.next <= now {
			due, _ := r.due(seq)
			if w.tries >= r.cfg.RepairTries || now-due > giveUp {
				r.stats.RepairFailed++
				delete(r.wants, seq)
				continue
			}
			if to, ok := r.target(w); ok {
				if _, seen := batch[to.ID]; !seen {
					order = append(order, to)
				}
				batch[to.ID] = append(batch[to.ID], seq)
			}
		}
		kept = append(kept, seq)
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
