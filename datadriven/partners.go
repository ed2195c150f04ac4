package datadriven

import (
	"sort"
	"time"

	"github.com/almcast/alm/env"
	"github.com/almcast/alm/id"
)

// partner is one partnership as this node sees it.
type partner struct {
	ref        id.Ref
	upload     int64      // advertised, bit/s (0: unknown)
	m          *BufferMap // what it holds, as last told
	ready      bool       // its map has come
	out        int        // requests outstanding with it
	since      time.Duration
	heard      time.Duration // last message from it
	sent       time.Duration // last message to it
	svc        time.Duration // measured request-to-chunk time (EWMA)
	fails      int           // requests in a row it left unanswered or broke
	asked      int           // chunks it asked for this tick
	floods     int           // ticks in a row it asked for too many
	busyTil    time.Duration // it said its queue was full; ask others until then
	queue      time.Duration // its upload queue as it last told
	queueAt    time.Duration // when it told
	recv       uint64        // payload it gave us this replace period
	given      uint64        // payload we gave it this replace period
	source     bool
	pushedAt   time.Duration // last chunk it pushed to us
	noPush     time.Duration // it refused to push noPushMask; do not ask before
	noPushMask uint16
	want       uint16        // substreams last asked of it
	late       uint16        // substreams whose push it was late with this tick
	wasLate    uint16        // and the tick before
	subs       uint16        // substreams we push to it
	parent     uint16        // substreams it pushes to us
	depth      [16]uint8     // its push depth per substream, as last told
	next       uint64        // its playout point plus one, as last told (0: unknown)
	gone       bool          // dropped (see drop): queued chunks for it are not sent
	nextAt     time.Duration // when it told
}

// partnerServes reports whether p's upload is worth asking.
func (m *Mode) partnerServes(p *partner) bool {
	rate := m.h.Rate()
	return p.upload == 0 || rate == 0 || p.upload*4 >= rate
}

// partner returns the partner with ID x, or nil.
func (m *Mode) partner(x id.ID) *partner {
	for i, y := range m.pids {
		if y == x {
			return m.partners[i]
		}
	}
	return nil
}

// maxPartners is how many partners a viewer keeps: MaxPartners, or, for
// a forwarder with many push slots, enough for Partners to pull from
// besides a child in every slot (a node pushes to partners only, so a
// 4x node capped at MaxPartners would leave half its upload idle).
func (m *Mode) maxPartners() int {
	n := m.cfg.MaxPartners
	if m.cfg.Substreams > 0 && !m.source {
		n = max(n, m.cfg.Partners+m.pushSlots(m.home(m.e.Self().ID)))
	}
	return min(n, maxPartnerCap)
}

// maxPartnerCap bounds maxPartners however large the upload.
const maxPartnerCap = 64

// slots is how many partners this node accepts.
func (m *Mode) slots() int {
	if !m.source {
		return m.maxPartners()
	}
	up, rate := m.upload(), m.h.Rate()
	if up <= 0 || rate <= 0 {
		return m.cfg.Partners
	}
	n := int(float64(up) / float64(rate) * m.cfg.SourceSlots)
	if m.cfg.Substreams > 0 {
		// One partner per push slot: each forwards one substream.
		n = int(float64(up) * m.cfg.PushShare / m.substreamRate())
	}
	if n < 1 {
		n = 1
	}
	return n
}

func (m *Mode) hello(r id.Ref) {
	if r.ID == m.e.Self().ID {
		return
	}
	// The wait for the answer starts when the hello leaves: on a thin
	// uplink it may queue behind seconds of other traffic.
	m.hellos[r.ID] = m.e.Now() + m.backlog()
	m.h.Send(r, &Hello{Channel: m.h.Channel().ID(), Upload: m.upload(), Map: m.held.Wire(), Depths: m.depths()})
}

// add makes r a partner with the map it sent.
func (m *Mode) add(r id.Ref, upload int64, w WireMap, depths []byte) *partner {
	bm, err := FromWire(w, m.window/64)
	if err != nil {
		m.stats.BadInput++
		return nil
	}
	now := m.e.Now()
	p := &partner{ref: r, upload: upload, m: bm, ready: true, since: now, heard: now, sent: now,
		source: r.ID == m.h.Source().ID}
	for j := range p.depth {
		if p.source {
			p.depth[j] = 0
		} else {
			p.depth[j] = NoDepth
		}
	}
	if !p.source {
		m.setDepths(p, depths)
	}
	m.partners = append(m.partners, p)
	m.pids = append(m.pids, p.ref.ID)
	m.g.Add(r)
	return p
}

func (m *Mode) onHello(from id.Ref, h *Hello) {
	if h.Channel != m.h.Channel().ID() {
		m.stats.BadInput++
		return
	}
	if p := m.partner(from.ID); p != nil {
		// It lost our answer: answer again.
		m.send(p, &Welcome{Accept: true, Upload: m.upload(), Map: m.held.Wire(), Depths: m.depths(), Clock: m.clock()})
		return
	}
	weak := m.source && h.Upload > 0 && m.h.Rate() > 0 && h.Upload*4 < m.h.Rate()
	full := len(m.partners) >= m.slots() && !m.makeRoom(from.ID, h.Upload)
	if full && len(m.partners) < m.maxPartners()+extraPartners && m.lowers(from.ID, h.Upload, h.Depths) {
		full = false // a forwarder that would rise as our child: see climb
	}
	if weak || full {
		if m.source && m.refusals >= m.refusalBudget() {
			// A crowd tuning in asks the source more than its upload
			// can answer: the rest time out (and shun it a while).
			m.stats.HelloUnanswered++
			return
		}
		m.refusals++
		m.stats.HelloRefused++
		// A refusal's map would go unread: it carries referrals only.
		m.h.Send(from, &Welcome{Upload: m.upload(), Peers: m.referrals(from.ID)})
		return
	}
	p := m.add(from, h.Upload, h.Map, h.Depths)
	if p == nil {
		m.h.Send(from, &Bye{})
		return
	}
	m.send(p, &Welcome{Accept: true, Upload: m.upload(), Map: m.held.Wire(), Depths: m.depths(), Clock: m.clock()})
	delete(m.hellos, from.ID)
}

// sourceRefusalShare is the share of the source's upload that refusals of
// partnership requests (a Welcome with referrals, about 200 bytes) may
// take. Viewers tuning in ask the source when no partner forwards a
// substream, and so do climbing forwarders: with 1,000 viewers tuning in
// a second (25,000 viewers in the simulator) the source sent about 1,200
// refusals a second, half its upload, and pushed half the copies of the
// stream it had before.
const sourceRefusalShare = 0.05

// refusalBudget is how many refusals the source sends in a tick.
func (m *Mode) refusalBudget() int {
	perSec := float64(m.upload()) * sourceRefusalShare / 8 / 200
	return max(4, int(perSec*m.cfg.Tick.Seconds()))
}

// makeRoom lets the full source trade a partner for node x, which
// uploads upload: its weakest partner when x uploads more than twice as
// much, so its few slots feed the nodes that pass the stream on; or a
// partner it pushes nothing to when x would forward a substream that no
// partner forwards while the source's slots for it stand free. Without
// that forwarder the substream reaches viewers only by pulls from the
// source: at 10,000 viewers tuning in, the source's partners happened to
// include none at home in one substream, and for 14 s every viewer
// missed a quarter of the chunks.
func (m *Mode) makeRoom(x id.ID, upload int64) bool {
	if !m.source {
		return false
	}
	var weak, idle *partner
	for _, p := range m.partners {
		if weak == nil || p.upload < weak.upload {
			weak = p
		}
		if p.subs == 0 && (idle == nil || p.upload < idle.upload) {
			idle = p
		}
	}
	switch {
	case weak != nil && upload > weak.upload*2:
	case idle != nil && m.wanted(m.home(x), upload):
		weak = idle
	default:
		return false
	}
	m.h.Send(weak.ref, &Bye{})
	m.drop(weak, 0)
	return true
}

// wanted reports whether the source lacks a forwarder of substream j that
// a node with this upload would be: its slots for j stand free and no
// partner forwards j.
func (m *Mode) wanted(j int, upload int64) bool {
	if m.cfg.Substreams == 0 || !m.canForward(upload) || m.pushUsed(j) >= m.pushSlots(j) {
		return false
	}
	for _, p := range m.partners {
		if !p.source && m.forwards(p, j) {
			return false
		}
	}
	// Only a gap that outlasts the audience's first subscriptions: the
	// source pushes in other substreams and has for a while.
	return m.pushing > 0 && m.e.Now()-m.pushing >= 3*m.cfg.Tick
}

// referrals lists other members for a node this one turns down.
func (m *Mode) referrals(skip id.ID) []id.Ref {
	out := m.forwarders(^uint16(0), skip, 6)
	if m.cfg.Substreams == 0 {
		for _, i := range m.e.Rand().Perm(len(m.partners)) {
			if len(out) >= 4 {
				break
			}
			if r := m.partners[i].ref; r.ID != skip {
				out = append(out, r)
			}
		}
	}
	for _, r := range m.g.Sample(8) {
		if len(out) >= 8 {
			break
		}
		if r.ID != skip && m.partner(r.ID) == nil {
			out = append(out, r)
		}
	}
	return out
}

func (m *Mode) onWelcome(from id.Ref, w *Welcome) {
	if _, asked := m.hellos[from.ID]; !asked {
		if _, late := m.lapsed[from.ID]; !late {
			m.stats.BadInput++
			return
		}
		// The answer to a hello that timed out: taken if there is room
		// (below), else the partnership it opened is closed.
		delete(m.lapsed, from.ID)
		if w.Accept && len(m.partners) >= m.cfg.Partners {
			m.h.Send(from, &Bye{})
			return
		}
		delete(m.shunned, from.ID)
	}
	delete(m.hellos, from.ID)
	if !w.Accept {
		m.shunned[from.ID] = m.e.Now() + 10*m.cfg.Tick
		// Referrals are followed for substreams without a parent only,
		// two at a time: a refusal names up to 8 members, and trying
		// all those forwarding a substream with no parent or only a
		// deep one made each refusal breed more (measured: three
		// quarters of the steady state's hellos, nearly all refused).
		m.seek(w.Peers, m.orphans(), seekOrphan)
		for _, r := range w.Peers {
			if r.ID != m.e.Self().ID && r.ID != id.Zero && r.Addr != "" {
				m.g.Add(r)
			}
		}
		m.fill()
		return
	}
	if m.partner(from.ID) != nil {
		return
	}
	climbing := len(m.partners) < m.maxPartners()+extraPartners && m.raises(from.ID, w.Depths)
	if len(m.partners) >= m.maxPartners() && !climbing {
		m.h.Send(from, &Bye{})
		return
	}
	if m.source && w.Upload > 0 && m.h.Rate() > 0 && w.Upload*4 < m.h.Rate() {
		// The source's few slots are for nodes that pass the stream on.
		m.h.Send(from, &Bye{})
		m.shunned[from.ID] = m.e.Now() + 600*m.cfg.Tick
		m.fill()
		return
	}
	m.hearClock(w.Clock)
	if p := m.add(from, w.Upload, w.Map, w.Depths); p == nil {
		m.h.Send(from, &Bye{})
		return
	}
	if m.orphans() != 0 || climbing {
		m.parents()
	}
	m.schedule()
}

// seekOrphan is how many of a refusal's referrals a node asks to be
// partners when it lacks a parent in a substream.
const seekOrphan = 2

// extraPartners is how many partners beyond MaxPartners a node takes for
// climbing (see climb); trim drops the excess later.
const extraPartners = 2

// trim drops partners beyond maxPartners, least useful first, among
// those with no push between them and this node.
func (m *Mode) trim() {
	now := m.e.Now()
	for len(m.partners) > m.maxPartners() {
		var worst *partner
		for _, p := range m.partners {
			if p.source || p.parent != 0 || p.subs != 0 || now-p.since < 2*m.cfg.Tick {
				continue
			}
			if worst == nil || p.recv+p.given < worst.recv+worst.given {
				worst = p
			}
		}
		if worst == nil {
			return
		}
		m.stats.Trimmed++
		m.h.Send(worst.ref, &Bye{})
		m.drop(worst, 3*m.cfg.ReplacePeriod)
	}
}

// drop ends a partnership; its outstanding requests go elsewhere. shun
// keeps the node away for that long.
func (m *Mode) drop(p *partner, shun time.Duration) {
	p.gone = true
	for i, q := range m.partners {
		if q == p {
			m.partners = append(m.partners[:i], m.partners[i+1:]...)
			m.pids = append(m.pids[:i], m.pids[i+1:]...)
			break
		}
	}
	for seq, r := range m.reqs {
		if r.p == p {
			r.timer.Stop()
			delete(m.reqs, seq)
		}
	}
	if shun > 0 {
		m.shunned[p.ref.ID] = m.e.Now() + shun
	}
}

// orphans is the set of substreams in which this node has no parent.
func (m *Mode) orphans() uint16 {
	var o uint16
	for j := 0; j < m.cfg.Substreams; j++ {
		if m.depth(j) == NoDepth {
			o |= 1 << j
		}
	}
	return o
}

// deep is the set of substreams in which this node is deeper than
// deepDepth.
func (m *Mode) deep() uint16 {
	var o uint16
	for j := 0; j < m.cfg.Substreams; j++ {
		if d := m.depth(j); d != NoDepth && d > deepDepth {
			o |= 1 << j
		}
	}
	return o
}

// fill asks new members to be partners until partners and pending
// requests reach the target.
func (m *Mode) fill() {
	if !m.running {
		return
	}
	target := m.cfg.Partners
	if m.source {
		target = m.slots() // the source recruits its own partners
	}
	want := target - len(m.partners) - len(m.hellos)
	if want <= 0 {
		return
	}
	if len(m.g.View()) < want {
		m.g.Ask()
	}
	now := m.e.Now()
	sample := m.g.Sample(m.cfg.Gossip.ViewSize)
	if m.cfg.Substreams > 0 {
		// Members that forward a substream no partner forwards yet go
		// first (for the source: the substreams with fewest partners).
		var count [16]int
		for _, p := range m.partners {
			if h := m.home(p.ref.ID); !p.source && m.forwards(p, h) {
				count[h]++
			}
		}
		for x := range m.hellos {
			count[m.home(x)]++
		}
		sort.SliceStable(sample, func(a, b int) bool {
			return count[m.home(sample[a].ID)] < count[m.home(sample[b].ID)]
		})
	}
	for _, r := range sample {
		if want == 0 {
			break
		}
		if _, ok := m.hellos[r.ID]; ok || m.partner(r.ID) != nil || r.ID == m.h.Source().ID {
			continue
		}
		if until, ok := m.shunned[r.ID]; ok && now < until {
			continue
		}
		m.hello(r)
		want--
	}
}

// tick is the partners' periodic maintenance.
func (m *Mode) tick() {
	now := m.e.Now()
	m.ticks++
	if m.source {
		children := false
		for _, p := range m.partners {
			children = children || p.subs != 0
		}
		switch {
		case !children:
			m.pushing = 0
		case m.pushing == 0:
			m.pushing = now
		}
	}
	m.refusals = 0
	for x, at := range m.hellos {
		if now-at > m.cfg.HelloTimeout {
			delete(m.hellos, x)
			m.shunned[x] = now + 10*m.cfg.Tick
			m.lapsed[x] = now + 10*m.cfg.Tick
		}
	}
	for x, until := range m.lapsed {
		if now >= until {
			delete(m.lapsed, x)
		}
	}
	for x, until := range m.shunned {
		if now >= until {
			delete(m.shunned, x)
		}
	}
	silence := m.cfg.Silence + env.Slack(m.e)
	for _, p := range append([]*partner(nil), m.partners...) {
		switch {
		case now-p.heard > silence:
			m.stats.Silent++
			m.drop(p, 0)
			m.g.Remove(p.ref.ID)
			continue
		case p.floods >= 3:
			m.stats.BadInput++
			m.h.Send(p.ref, &Bye{})
			m.drop(p, 60*m.cfg.Tick)
			continue
		}
		if p.asked > m.flood {
			p.floods++
		} else {
			p.floods = 0
		}
		p.asked = 0
		if now-p.sent >= m.cfg.MapPeriod {
			w := WireMap{Base: m.held.Base()}
			if m.serves() {
				w = m.held.Wire()
			}
			m.send(p, &Status{Map: w, Depths: m.depths(), Clock: m.clock(), Next: m.playing()})
		}
	}
	period := int(m.cfg.ReplacePeriod / m.cfg.Tick)
	if period < 1 {
		period = 1
	}
	if m.ticks%period == 0 {
		m.replace()
	}
	if len(m.partners) == 0 && len(m.hellos) == 0 && !m.source {
		if src := m.h.Source(); !src.IsZero() && len(m.g.View()) == 0 {
			m.hello(src)
		}
	}
	m.trim()
	m.fill()
	m.parents()
	for _, p := range m.partners {
		p.wasLate, p.late = p.late, 0
	}
	m.climb()
	m.schedule()
}

// replace drops the partner that exchanged least with this node over the
// last period, when the node has its full set and others to try, so the
// mesh keeps improving (DONet's partner refinement).
func (m *Mode) replace() {
	defer func() {
		for _, p := range m.partners {
			p.recv, p.given = 0, 0
		}
	}()
	if m.source || len(m.partners) < m.cfg.Partners || len(m.g.View()) <= len(m.partners) {
		return
	}
	now := m.e.Now()
	var worst *partner
	var total uint64
	for _, p := range m.partners {
		total += p.recv + p.given
		if p.source || now-p.since < m.cfg.ReplacePeriod || p.parent != 0 || p.subs != 0 {
			continue
		}
		if worst == nil || p.recv+p.given < worst.recv+worst.given {
			worst = p
		}
	}
	if worst == nil || total == 0 || (worst.recv+worst.given)*uint64(len(m.partners))*4 > total {
		return
	}
	m.stats.Replaced++
	m.h.Send(worst.ref, &Bye{})
	m.drop(worst, 3*m.cfg.ReplacePeriod)
}
