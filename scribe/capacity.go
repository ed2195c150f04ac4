package scribe

import "github.com/almcast/alm/id"

// byCapacity lets a joiner with more free slots take the place of g's
// weakest child (Config.ByCapacity): this full node adopts the joiner and
// drops that child with the joiner first to try, so the child and its
// subtree go one level down under the joiner. It reports whether it did.
func (s *Scribe) byCapacity(g *group, j *Join) bool {
	if !s.cfg.ByCapacity || j.Root || g.top && s.cfg.RootKeepsTop {
		return false // with RootKeepsTop the top's children follow the root's rule
	}
	victim := s.weakest(g, int(j.Spare))
	if victim == nil {
		return false
	}
	s.stats.Promotions++
	s.adopt(g, j.Joiner, j)
	try := []id.Ref{j.Joiner}
	for _, r := range s.Siblings(g.id, victim.ref.ID, 4) {
		if r.ID != j.Joiner.ID && len(try) < 4 {
			try = append(try, r)
		}
	}
	s.Drop(g.id, victim.ref.ID, try)
	return true
}

// weakest returns g's child with the fewest slots of its own (children
// and free slots, as its join and then its refreshes said; fewest
// children among those) if a joiner with spare free slots has at least
// two more, so that with the child below it the joiner still offers more
// room a level up than the child did; else nil.
func (s *Scribe) weakest(g *group, spare int) *child {
	var w *child
	for _, c := range g.children {
		if c.slots < 0 {
			continue // unknown (adopted without a join)
		}
		if w == nil || c.slots < w.slots || c.slots == w.slots && c.kids < w.kids {
			w = c
		}
	}
	if w == nil || spare < w.slots+2 {
		return nil
	}
	return w
}
