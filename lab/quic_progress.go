package lab

import (
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/almcast/alm/env"
	"github.com/almcast/alm/qnet"
)

// quicProgress prints one line a second of a QUIC stream run when
// ALM_LAB_PROGRESS is set (as the simulator's progress does): the chunks
// the viewers played, missed, received and received after their playout
// time, the repair requests they sent (tree, forest) and the parents they
// gave up on timeout, all since their last answer; the frames and packets
// every node sent and the frames dropped stale in their send queues over
// the second; how long the oldest frame waiting in the source's send
// queues, and in any viewer's, has waited; the CPU the process used; the
// QUIC connections open; and what holds up that viewer's queue: a dial
// not yet through, or its connection's round trip and congestion window,
// and the backlog of that viewer's uplink; and, for the viewer whose
// uplink held the most when it last answered, what it sent a second
// since its answer before: frame kbit by protocol, the chunks it
// forwarded down its trees and served on request; and its children and
// cap.
// A tool for studying what a run does after a disturbance; it never
// changes the run's results. Every node is asked on its own event loop,
// so a line reports the answers that came in during the second before
// it, and `answered` says how many did.
type quicProgress struct {
	w     io.Writer
	start time.Time
	cpu   time.Duration

	net qnet.Stats // every node's network counters at the last line

	mu    sync.Mutex
	round progressSums
	last  map[*streamPeer]progressSums // each viewer's totals at its last answer
	sent  map[*streamPeer]hotTotals    // each viewer's sending totals at its last answer
}

// hotTotals are what a viewer has sent, for the hottest uplink's figures:
// frame bytes by protocol, and its mode's forwarded and served chunks.
type hotTotals struct {
	at                time.Time
	proto             map[string]uint64
	forwarded, served float64
}

// hotUplink is the viewer whose uplink held the most at its answer, and
// what it sent a second on average since its answer before (an event
// loop behind answers less often than once a second).
type hotUplink struct {
	backlog           time.Duration
	kbit              map[string]float64 // frame kbit/s by protocol
	forwarded, served float64            // chunks/s
	children, cap     float64
}

// progressOut is where quicProgress writes (tests swap it).
var progressOut io.Writer = os.Stderr

// The counters a viewer answers with, by their index in progressSums.v.
const (
	pPlayed = iota
	pMissed
	pReceived
	pLate
	pNacks    // repair requests sent
	pTimeouts // parents given up on timeout
	nProgress
)

type progressSums struct {
	answered int
	v        [nProgress]float64
	hot      hotUplink
}

// newQUICProgress returns a progress printer, or nil when
// ALM_LAB_PROGRESS is not set.
func newQUICProgress(w io.Writer) *quicProgress {
	if os.Getenv("ALM_LAB_PROGRESS") == "" {
		return nil
	}
	return &quicProgress{w: w, start: time.Now(), cpu: cpuTime(), last: map[*streamPeer]progressSums{}, sent: map[*streamPeer]hotTotals{}}
}

// tick prints the answers of the round gone by and asks every viewer
// again. t is the time into the stream.
func (p *quicProgress) tick(t time.Duration, src *streamPeer, viewers []*streamPeer) {
	if p == nil {
		return
	}
	cpu := cpuTime()
	net := src.q.Stats()
	var worst qnet.QueueState // the viewers' longest-waiting send queue
	for _, v := range viewers {
		net.Add(v.q.Stats())
		if v.died.IsZero() {
			if w := v.q.WorstQueue(); w.Wait > worst.Wait {
				worst = w
			}
		}
	}
	p.mu.Lock()
	r := p.round
	p.round = progressSums{}
	p.mu.Unlock()
	fmt.Fprintf(p.w, "lab: t=%v wall=%.1fs answered=%d played=%.0f missed=%.0f received=%.0f late=%.0f repair_requests=%.0f parent_timeouts=%.0f frames=%d packets=%d stale_drops=%d source_wait=%v viewer_wait=%v cpu=%.2f conns=%d dials=%d worst_dialing=%v worst_srtt=%v worst_cwnd=%d worst_backlog=%v%s\n",
		t, time.Since(p.start).Seconds(), r.answered, r.v[pPlayed], r.v[pMissed], r.v[pReceived], r.v[pLate], r.v[pNacks], r.v[pTimeouts],
		net.FramesSent-p.net.FramesSent, net.ShimPackets-p.net.ShimPackets, net.StaleDrops-p.net.StaleDrops,
		src.q.LongestWait().Round(time.Millisecond), worst.Wait.Round(time.Millisecond), (cpu - p.cpu).Seconds(),
		net.ConnsOpen, net.Dials-p.net.Dials, worst.Dialing, worst.SRTT.Round(time.Millisecond), worst.Window, worst.Backlog.Round(time.Millisecond), r.hot)
	p.cpu, p.net = cpu, net
	for _, v := range viewers {
		if !v.died.IsZero() {
			continue
		}
		v.q.Do(func() { p.answer(v) })
	}
}

// answer adds what viewer v did since its last answer; v's event loop.
func (p *quicProgress) answer(v *streamPeer) {
	var now progressSums
	if pl := v.st.Player(); pl != nil {
		s := pl.Stats()
		now.v[pPlayed], now.v[pMissed] = float64(s.Played), float64(s.Missed)
		now.v[pReceived], now.v[pLate] = float64(s.Received), float64(s.Late)
	}
	var ms map[string]float64
	if m := v.st.Mode(); m != nil {
		ms = m.Stats()
		now.v[pNacks], now.v[pTimeouts] = ms["nacks"], ms["parent_timeouts"]
	}
	var backlog time.Duration
	if up, ok := v.q.Env().(env.Uplink); ok {
		backlog = up.Backlog()
	}
	sent, _ := v.q.ProtoBytes()
	tot := hotTotals{at: time.Now(), proto: sent, forwarded: ms["forwarded"], served: ms["served"]}
	p.mu.Lock()
	defer p.mu.Unlock()
	before := p.last[v]
	p.last[v] = now
	p.round.answered++
	for i := range now.v {
		p.round.v[i] += now.v[i] - before.v[i]
	}
	prev, seen := p.sent[v]
	p.sent[v] = tot
	if secs := tot.at.Sub(prev.at).Seconds(); seen && secs > 0 && backlog > p.round.hot.backlog {
		h := hotUplink{backlog: backlog, kbit: map[string]float64{}, children: ms["children"], cap: ms["cap"],
			forwarded: (tot.forwarded - prev.forwarded) / secs, served: (tot.served - prev.served) / secs}
		for k, b := range tot.proto {
			h.kbit[k] = float64(b-prev.proto[k]) * 8 / 1000 / secs
		}
		p.round.hot = h
	}
}

// String formats the hottest uplink's figures for a progress line (empty
// before any viewer has answered twice).
func (h hotUplink) String() string {
	if h.kbit == nil {
		return ""
	}
	keys := make([]string, 0, len(h.kbit))
	for k := range h.kbit {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	fmt.Fprintf(&b, " hot_backlog=%v hot_children=%.0f hot_cap=%.0f hot_forwarded=%.0f hot_served=%.0f", h.backlog.Round(time.Millisecond), h.children, h.cap, h.forwarded, h.served)
	for _, k := range keys {
		fmt.Fprintf(&b, " hot_kbit_%s=%.0f", k, h.kbit[k])
	}
	return b.String()
}
