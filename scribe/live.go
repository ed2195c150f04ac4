package scribe

import (
	"time"

	"github.com/almcast/alm/env"
	"github.com/almcast/alm/id"
)

// beat runs every BeatPeriod: it drops silent children, gives up silent
// parents, and sends every child one heartbeat for all its groups.
func (s *Scribe) beat() {
	now := s.e.Now()
	slack := env.Slack(s.e) // a late node waits longer for its peers
	var beats batches[BeatEntry]
	var probes batches[id.ID] // probes of silent parents
	for _, g := range append([]*group(nil), s.order...) {
		if s.groups[g.id] != g {
			continue
		}
		if s.probeDue(g, now) {
			probes.add(g.parent, g.id)
		}
		kept := g.children[:0]
		for _, c := range g.children {
			if now-c.heard > s.cfg.ChildTimeout+slack {
				s.stats.ChildTimeouts++
				continue
			}
			kept = append(kept, c)
		}
		for i := len(kept); i < len(g.children); i++ {
			g.children[i] = nil
		}
		g.children = kept
		if g.hasParent() && now-g.heard > s.parentTimeout(g)+slack && s.probeUnanswered(g, now) {
			s.stats.ParentTimeouts++
			s.orphaned(g)
			s.lose(g, g.heard)
			if s.groups[g.id] != g {
				continue
			}
		}
		if len(g.children) == 0 {
			s.prune(g)
			continue
		}
		e := s.beatEntry(g)
		for _, c := range g.children {
			if !s.beatDue(c, &e, now) {
				continue
			}
			beats.add(c.ref, e)
		}
	}
	for _, o := range beats.outs {
		s.send(o.to, &Beat{Entries: o.entries})
	}
	for _, o := range probes.outs {
		s.send(o.to, &Probe{Groups: o.entries})
	}
}

// beatEntry is g's part of a beat to its children.
func (s *Scribe) beatEntry(g *group) BeatEntry {
	return BeatEntry{Group: g.id, Path: s.pathOut(g), Spare: clip16(s.pol.Spare(g.id)), Up: g.parent}
}

// probing reports whether children probe silent parents
// (Config.ProbeParent, which works with Config.QuietBeats).
func (s *Scribe) probing() bool { return s.cfg.QuietBeats && s.cfg.ProbeParent }

// probeDue reports whether g's parent, silent for half its timeout, is
// to be probed now, and notes the probe as sent. A probe is out while
// the parent has not been heard since it went (probedAt > heard).
func (s *Scribe) probeDue(g *group, now time.Duration) bool {
	if !s.probing() || !g.hasParent() || now-g.heard <= s.parentTimeout(g)/2 || g.probedAt > g.heard {
		return false
	}
	g.probedAt = now
	return true
}

// probeUnanswered reports whether g's silent parent may be given up:
// when probing, only once a probe has gone unanswered for a beat period.
func (s *Scribe) probeUnanswered(g *group, now time.Duration) bool {
	return !s.probing() || g.probedAt > g.heard && now-g.probedAt >= s.cfg.BeatPeriod
}

// refresh runs every RefreshPeriod: each parent hears from this node, with
// the spare room in its subtree and its number of children (unless the
// refresh is quiet, Config.QuietRefresh).
func (s *Scribe) refresh() {
	now := s.e.Now()
	var refreshes batches[RefreshEntry]
	for _, g := range s.order {
		if g.hasParent() {
			refreshes.add(g.parent, s.refreshEntry(g))
		}
	}
	for _, o := range refreshes.outs {
		if s.refreshQuiet(o, now) {
			continue
		}
		for _, e := range o.entries {
			s.groups[e.Group].refreshed = refreshSent{at: now, to: o.to.ID, entry: e}
		}
		s.send(o.to, &Refresh{Entries: o.entries})
	}
}

// quietRefreshes is how many refresh periods a quiet refresh may be left
// out for (Config.QuietRefresh): at the forest's 500 ms, a leaf's parent
// hears from it every second. At three periods (every 1.5 s) 5% loss made
// forest viewers give up 25 live parents in ten 60 s runs of 60
// simulated viewers (seeds 2-11), against 2 without quiet refreshes and 1
// at two periods.
const quietRefreshes = 2

// refreshSent is a refresh entry as last sent.
type refreshSent struct {
	at    time.Duration
	to    id.ID
	entry RefreshEntry
}

// refreshQuiet reports whether refresh batch o can be left out: every
// entry is for a group in which this node has no children and repeats
// what the same parent had from it less than quietRefreshes periods ago.
// A refresh goes whole or not at all, as a parent forgets a child in the
// groups a refresh does not list.
func (s *Scribe) refreshQuiet(o batch[RefreshEntry], now time.Duration) bool {
	if !s.cfg.QuietRefresh {
		return false
	}
	for _, e := range o.entries {
		g := s.groups[e.Group]
		r := g.refreshed
		if len(g.children) > 0 || r.to != o.to.ID || r.entry != e || now-r.at >= quietRefreshes*s.cfg.RefreshPeriod {
			return false
		}
	}
	return true
}

// refreshEntry is g's part of a refresh to its parent.
func (s *Scribe) refreshEntry(g *group) RefreshEntry {
	own := max(s.pol.Spare(g.id), 0)
	spare := own
	for _, c := range g.children {
		spare += c.spare
	}
	return RefreshEntry{Group: g.id, Spare: clip16(spare), Kids: clip16(len(g.children)), Own: clip16(own), Room: s.room(g, own)}
}

func clip16(n int) uint16 {
	switch {
	case n < 0:
		return 0
	case n > 0xffff:
		return 0xffff
	}
	return uint16(n)
}

// onBeat takes a parent's heartbeat; a beat from a node that is not our
// parent is answered with a Leave, so it forgets us (unless we are still
// joining).
func (s *Scribe) onBeat(from id.Ref, b *Beat) {
	now := s.e.Now()
	for _, e := range b.Entries {
		g := s.groups[e.Group]
		if g != nil && !g.hasParent() && !g.top {
			// Joining: the sender's accept may be on its way, overtaken
			// by its first beat. A Leave now would make it drop us just
			// as we take it for our parent. If no accept comes, it drops
			// us when we never refresh it (ChildTimeout).
			continue
		}
		if g == nil || g.parent.ID != from.ID {
			s.send(from, &Leave{Group: e.Group})
			continue
		}
		g.heard = now
		g.parentSpare = int(e.Spare)
		g.up = id.Ref{}
		if validRef(e.Up) {
			g.up = e.Up
		}
		s.setPath(g, e.Path)
	}
}

// onRefresh takes a child's keep-alive. A node that takes us for its
// parent where we do not have it as a child is told so with a Drop; a
// child that no longer lists a group is forgotten there.
func (s *Scribe) onRefresh(from id.Ref, r *Refresh) {
	now := s.e.Now()
	listed := make(map[id.ID]bool, len(r.Entries))
	for _, e := range r.Entries {
		listed[e.Group] = true
		g := s.groups[e.Group]
		var c *child
		if g != nil {
			c = g.child(from.ID)
		}
		if c == nil {
			s.send(from, &Drop{Group: e.Group})
			continue
		}
		c.heard = now
		c.spare = int(e.Spare)
		c.kids = int(e.Kids)
		c.own = int(e.Own)
		c.slots = c.kids + c.own
		c.room = int(e.Room)
	}
	if len(r.Entries) >= maxEntries {
		return // maybe split over several messages
	}
	for _, g := range append([]*group(nil), s.order...) {
		if c := g.child(from.ID); c != nil && !listed[g.id] && now-c.since > 2*s.cfg.RefreshPeriod {
			g.removeChild(from.ID)
			s.prune(g)
		}
	}
}

// onProbe answers a child's probe with a beat at once, for the groups in
// which it is our child; for the others it gets a Drop, as a refresh
// would.
func (s *Scribe) onProbe(from id.Ref, p *Probe) {
	now := s.e.Now()
	b := &Beat{}
	for _, gid := range p.Groups {
		g := s.groups[gid]
		var c *child
		if g != nil {
			c = g.child(from.ID)
		}
		if c == nil {
			s.send(from, &Drop{Group: gid})
			continue
		}
		c.heard = now
		c.beat.at = now
		b.Entries = append(b.Entries, s.beatEntry(g))
	}
	if len(b.Entries) > 0 {
		s.send(from, b)
	}
}

// NoRoom is a RefreshEntry's Room when the sender's subtree has no free
// slot.
const NoRoom = 0xffff

// room is how many levels below this node the nearest free slot of its
// subtree in g is: 0 for one of its own.
func (s *Scribe) room(g *group, own int) uint16 {
	if own > 0 {
		return 0
	}
	best := NoRoom
	for _, c := range g.children {
		if c.room < NoRoom-1 {
			best = min(best, c.room+1)
		}
	}
	return uint16(best)
}

// dataless is how much longer a parent in the spare-capacity group may
// stay silent than one in a tree that carries data.
const dataless = 3

// parentTimeout is how long g's parent may stay silent before it is given
// up. The spare-capacity group carries no data: its parent is heard by its
// beats alone, and two of them lost in a row (with 1% loss, about one in
// 10^4) looked like a lost parent: in scenario U at seed 3 all 15 parents
// given up without churn were in that group.
func (s *Scribe) parentTimeout(g *group) time.Duration {
	if g.id == s.spare {
		return dataless * s.cfg.ParentTimeout
	}
	return s.cfg.ParentTimeout
}
