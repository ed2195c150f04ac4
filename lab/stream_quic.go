package lab

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"runtime/debug"
	"sync"
	"time"

	"github.com/almcast/alm/chunk"
	"github.com/almcast/alm/env"
	"github.com/almcast/alm/identity"
	"github.com/almcast/alm/overlay"
	"github.com/almcast/alm/player"
	"github.com/almcast/alm/qnet"
	"github.com/almcast/alm/source"
	"github.com/almcast/alm/stream"
)

// streamPeer is one node of a QUIC streaming run.
type streamPeer struct {
	q      *qnet.Node
	ov     *overlay.Node
	st     *stream.Node
	upload int64
	born   time.Time
	watch  time.Time
	died   time.Time
	cancel context.CancelFunc
	done   chan error
}

// call runs f on the peer's event loop and waits (bounded).
func (p *streamPeer) call(f func()) error {
	ok := make(chan struct{})
	p.q.Do(func() { f(); close(ok) })
	select {
	case <-ok:
		return nil
	case <-time.After(10 * time.Second):
		return errors.New("lab: event loop did not answer")
	}
}

// RunStreamQUIC runs one mode of a scenario over real QUIC: every node in
// this process on its own loopback socket, with the shims adding the
// scenario's latency and loss and limiting each node's upload.
func RunStreamQUIC(ctx context.Context, sc Scenario, mode string) (ModeResult, error) {
	res := ModeResult{Mode: mode}
	if err := sc.Validate(); err != nil {
		return res, err
	}
	if os.Getenv("GOGC") == "" {
		// Every node is in this one process and allocates per packet: a
		// laxer GC target trades memory for CPU (50 mesh viewers: 108-117
		// ns per delivered byte at GOGC 100, 101 at 400; peak RSS 500 MB
		// to 700 MB). GOGC set in the environment wins.
		defer debug.SetGCPercent(debug.SetGCPercent(400))
	}
	start := time.Now()
	rng := rand.New(rand.NewPCG(sc.Seed, 0x9017))
	epoch := time.Now()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	var seed [ed25519.SeedSize]byte
	for i := range seed {
		seed[i] = byte(sc.Seed >> (8 * (i % 8)))
	}
	srcKey := ed25519.NewKeyFromSeed(seed[:])
	ch, err := chunk.NewChannel(srcKey.Public().(ed25519.PublicKey), ChannelName)
	if err != nil {
		return res, err
	}
	check := &lockedCheck{playCheck: playCheck{forged: map[*chunk.Chunk]bool{}}}
	var mu sync.Mutex
	var arrivals Histogram
	scfg := stream.DefaultConfig()
	scfg.Mode = sc.spec(mode)
	scfg.Player.StartupDelay = sc.Startup
	scfg.Chunker.Duration = quicChunk(mode, sc.Chunk)
	res.ChunkMs = float64(scfg.Chunker.Duration) / 1e6
	scfg.TargetLag, scfg.MaxLag, scfg.LagMargin = sc.TargetLag, sc.MaxLag, SharedLagMargin
	res.TargetLagMs, res.MaxLagMs = lagsMs(mode, sc, scfg.LagMargin)
	scfg.Rate = sc.Rate
	var peers []*streamPeer
	defer func() {
		for _, p := range peers {
			p.cancel()
		}
		for _, p := range peers {
			<-p.done
		}
	}()
	add := func(upload int64, key ed25519.PrivateKey, viewer bool) (*streamPeer, error) {
		if key == nil {
			var err error
			if key, err = identity.Generate(); err != nil {
				return nil, err
			}
		}
		p := &streamPeer{upload: upload, born: time.Now(), done: make(chan error, 1)}
		var buildErr error
		// Loopback paths need no MTU probes.
		qc := qnet.Config{Key: key, Epoch: epoch, Seed: rng.Uint64(), Log: quiet, NoMTUDiscovery: true,
			Shim: qnet.Shim{Latency: sc.Latency, Loss: sc.Loss, Rate: upload, QueueDelay: sc.buffer(), Fair: sc.Uplink == UplinkFair, Seed: rng.Uint64()}}
		q, err := qnet.New(qc, func(e env.Env) env.Handler {
			s, err := labNode(e, sc.overlay(), scfg, upload, ch, key, viewer, check, func(d float64) {
				mu.Lock()
				arrivals.Add(d)
				mu.Unlock()
			})
			if err != nil {
				buildErr = err
				return env.NewMux()
			}
			p.ov, p.st = s.Overlay, s.Stream
			return s.Mux
		})
		if err != nil {
			return nil, err
		}
		if buildErr != nil {
			return nil, buildErr
		}
		p.q = q
		rctx, cancel := context.WithCancel(context.Background())
		p.cancel = cancel
		go func() { p.done <- q.Run(rctx) }()
		peers = append(peers, p)
		return p, nil
	}
	rate := float64(sc.Rate)
	src, err := add(int64(sc.SourceUpload*rate), srcKey, false)
	if err != nil {
		return res, err
	}
	if err := src.call(src.ov.Start); err != nil {
		return res, err
	}
	uploads := sc.Uploads(rng.Perm(sc.Viewers))
	viewerUpload := func(mult float64) int64 {
		if u := int64(mult * rate); u > minUpload {
			return u
		}
		return minUpload
	}
	tick := time.NewTicker(sc.JoinInterval + time.Millisecond)
	var joining []*streamPeer // joined the overlay, maybe not done yet
	for i := 0; i < sc.Viewers; {
		select {
		case <-ctx.Done():
			tick.Stop()
			return res, ctx.Err()
		case <-tick.C:
		}
		if joining = stillJoining(joining); len(joining) >= maxJoining {
			continue // the process is behind: let the joins in flight end
		}
		boot := peers[rng.IntN(len(peers))].q.Self()
		p, err := add(viewerUpload(uploads[i]), nil, true)
		if err != nil {
			tick.Stop()
			return res, err
		}
		p.q.Do(func() { p.ov.Join(boot) })
		joining = append(joining, p)
		i++
	}
	tick.Stop()
	if err := waitCtx(ctx, 3*time.Second); err != nil {
		return res, err
	}
	// The setup's garbage goes before the stream starts, so that every
	// run's stream starts from the same heap and no collection of it (a
	// second of marking with every node in this process) falls in the
	// stream; ALM_LAB_HEAPPROFILE takes a profile of the live heap here.
	collect()
	var bErr error
	if err := src.call(func() {
		if bErr = src.st.Broadcast(source.TestSDP("127.0.0.1", 5004, source.TestClock(sc.Rate)), sc.Rate); bErr == nil {
			_, bErr = source.NewTestStream(src.q.Env(), sc.Rate, src.st.Add)
		}
	}); err != nil {
		return res, err
	}
	if bErr != nil {
		return res, fmt.Errorf("lab: start source: %w", bErr)
	}
	// With a lead, the stream runs alone first.
	if err := waitCtx(ctx, sc.Lead); err != nil {
		return res, err
	}
	cpuStart := cpuTime()
	stopProfile := profileStream()
	defer stopProfile()
	dialsBefore := uint64(0) // dials of the setup, left out of qnet_dials_streaming
	for _, p := range peers {
		dialsBefore += p.q.Stats().Dials
	}
	// The audience tunes in spread over the tune-in time.
	gap := sc.TuneInTime() / time.Duration(max(1, len(peers)-1))
	for i, p := range peers[1:] {
		if i > 0 {
			if err := waitCtx(ctx, gap); err != nil {
				return res, err
			}
		}
		p.watch = time.Now()
		p.q.Do(p.st.Watch)
	}
	// Run, with churn once a second.
	owed := 0.0
	prog := newQUICProgress(progressOut)
	for t := time.Second; t <= sc.Duration; t += time.Second {
		if err := waitCtx(ctx, time.Second); err != nil {
			return res, err
		}
		prog.tick(t, peers[0], peers[1:])
		if sc.Churn <= 0 {
			continue
		}
		owed += sc.Churn * float64(sc.Viewers) / 60
		for ; owed >= 1; owed-- {
			var live []*streamPeer
			for _, p := range peers[1:] {
				if p.died.IsZero() {
					live = append(live, p)
				}
			}
			if len(live) == 0 {
				break
			}
			v := live[rng.IntN(len(live))]
			v.cancel()
			<-v.done
			v.done <- nil
			v.died = time.Now()
			boot := live[rng.IntN(len(live))].q.Self()
			p, err := add(viewerUpload(uploads[rng.IntN(len(uploads))]), nil, true)
			if err != nil {
				return res, err
			}
			p.watch = time.Now()
			p.q.Do(func() { p.ov.Join(boot); p.st.Watch() })
		}
	}
	end := time.Now()
	cpuUsed := cpuTime() - cpuStart
	stopProfile()
	var samples []viewerSample
	var viewerBytes, viewerCap float64
	var payloadDelivered, payloadSent, bytesSent uint64
	var qtotal qnet.Stats
	var ovTotal overlay.Stats
	// Ask every live node at once: under overload an event loop can be
	// far behind, and one that does not answer in time counts as a viewer
	// that never got the stream rather than ending the run.
	reports := make([]chan peerReport, len(peers))
	for i, p := range peers {
		if p.died.IsZero() {
			reports[i] = p.report(i > 0)
		}
	}
	statsDeadline := time.NewTimer(statsWait)
	defer statsDeadline.Stop()
	expired := false
	unanswered := 0
	var viewerStats []map[string]float64
	res.FramesByType = map[string]uint64{}
	for i, p := range peers {
		qs := p.q.Stats()
		qtotal.Add(qs)
		for k, v := range p.q.FramesSentByType() {
			res.FramesByType[k] += v
		}
		bytesSent += qs.BytesSent
		var ss stream.Stats
		var s playerStats
		var modeStats map[string]float64
		if reports[i] != nil {
			r, ok := peerReport{}, false
			if expired {
				select {
				case r = <-reports[i]:
					ok = true
				default:
				}
			} else {
				select {
				case r = <-reports[i]:
					ok = true
				case <-statsDeadline.C:
					expired = true
				}
			}
			if !ok {
				unanswered++
				if i == 0 {
					return res, errors.New("lab: the source's event loop did not answer")
				}
				samples = append(samples, viewerSample{upload: p.upload})
				continue
			}
			ss, s = r.ss, r.s
			if i == 0 {
				res.SourcePace = r.pace
			}
			ovTotal.HopTimeouts += r.ov.HopTimeouts
			ovTotal.Deaths += r.ov.Deaths
			if r.mode != nil {
				viewerStats = append(viewerStats, r.mode)
				modeStats = r.mode
			}
		}
		payloadSent += ss.PayloadSent
		if i == 0 {
			res.SourceUploadBytes = qs.BytesSent
			continue
		}
		until := end
		if !p.died.IsZero() {
			until = p.died
		}
		viewerBytes += float64(qs.BytesSent) * 8
		viewerCap += float64(p.upload) * until.Sub(p.born).Seconds()
		res.ForgedDropped += ss.Forged
		if ss.RelayStarts > 0 {
			res.Relays++
		}
		if !s.ok || s.Played+s.Missed == 0 {
			if s.ok && until.Sub(p.watch) >= judgeAfter(sc) {
				samples = append(samples, viewerSample{upload: p.upload, mode: modeStats}) // never got the stream
			}
			continue
		}
		payloadDelivered += s.PayloadBytes
		samples = append(samples, viewerSample{upload: p.upload, continuity: s.Continuity(), started: s.Started != 0,
			startup: s.StartupDelay(), lag: s.Lag, missed: s.Missed, raises: s.Raises, stalled: s.Stalled, mode: modeStats})
	}
	mu.Lock()
	res.fill(samples, &arrivals)
	mu.Unlock()
	if payloadDelivered > 0 {
		res.Overhead = overhead(bytesSent, payloadSent, payloadDelivered)
	}
	if viewerCap > 0 {
		res.UploadUtil = viewerBytes / viewerCap
	}
	check.mu.Lock()
	res.ForgedPlayed = check.played
	check.mu.Unlock()
	if extra, ok := ask(src, statsWait, func() map[string]float64 { return summarize(src.st.Mode(), viewerStats) }); ok {
		res.Extra = extra
	}
	if res.Extra == nil {
		res.Extra = map[string]float64{}
	}
	res.Extra["unanswered"] = float64(unanswered)
	res.Extra["qnet_send_drops"] = float64(qtotal.SendDrops)
	res.Extra["qnet_stale_drops"] = float64(qtotal.StaleDrops)
	res.Extra["qnet_frames_sent"] = float64(qtotal.FramesSent)
	res.Extra["qnet_bad_frames"] = float64(qtotal.BadFrames())
	res.Extra["qnet_dials"] = float64(qtotal.Dials)
	res.Extra["qnet_dials_streaming"] = float64(qtotal.Dials - min(qtotal.Dials, dialsBefore))
	res.Extra["qnet_shim_queue_drops"] = float64(qtotal.ShimQueueDrops)
	// How late the nodes' timers ran: where the process was the limit.
	res.Extra["timer_late_ms_p95"] = float64(qtotal.TimerLateP(95)) / 1e6
	res.Extra["timer_late_ms_p99"] = float64(qtotal.TimerLateP(99)) / 1e6
	if qtotal.BytesSent > 0 {
		// What the emulated links carried (QUIC packets, retransmissions
		// and acknowledgements included) per byte of frames sent.
		res.Extra["qnet_wire_ratio"] = float64(qtotal.ShimBytes) / float64(qtotal.BytesSent)
	}
	res.Extra["overlay_hop_timeouts"] = float64(ovTotal.HopTimeouts)
	res.Extra["overlay_deaths"] = float64(ovTotal.Deaths)
	if payloadDelivered > 0 {
		res.CPUNsPerByte = float64(cpuUsed) / float64(payloadDelivered)
		// Stop the nodes first so the baseline has the machine to itself.
		for _, p := range peers {
			p.cancel()
		}
		for _, p := range peers {
			err := <-p.done
			p.done <- err
		}
		if b, err := BaselineCPUPerByte(ctx, int64(payloadDelivered)); err == nil && b > 0 {
			res.BaselineNsPerByte = b
			res.CPURatio = res.CPUNsPerByte / b
		}
	}
	res.WallS = time.Since(start).Seconds()
	res.PeakRSSMB = PeakRSSMB()
	return res, nil
}

// statsWait bounds the wait for the nodes' figures at the end of a run.
const statsWait = time.Minute

// maxJoining bounds the viewers joining the overlay at once over QUIC.
// Each join sets up QUIC connections to a few dozen nodes (TLS handshakes,
// about 1.3 ms of CPU for both ends each): 200 viewers joining 20 ms apart
// asked for more CPU than two cores have, event loops fell seconds behind,
// and the overlay declared live nodes dead by the thousand. A new viewer
// waits, beyond JoinInterval, until fewer than this many are still
// joining.
const maxJoining = 8

// maxJoinWait is how long a viewer still joining holds the next ones
// back; its join may have failed (it goes on retrying on its own).
const maxJoinWait = 30 * time.Second

// stillJoining returns the peers of joining that have not finished joining
// the overlay (a peer that does not answer within a tick counts as still
// joining), leaving out those that have tried for maxJoinWait.
func stillJoining(joining []*streamPeer) []*streamPeer {
	kept := joining[:0]
	for _, p := range joining {
		if time.Since(p.born) > maxJoinWait {
			continue
		}
		if done, ok := ask(p, 20*time.Millisecond, p.ov.Joined); !ok || !done {
			kept = append(kept, p)
		}
	}
	return kept
}

// peerReport is what a node reports at the end of a run.
type peerReport struct {
	ss   stream.Stats
	ov   overlay.Stats
	s    playerStats
	mode map[string]float64 // a viewer's mode figures
	pace float64            // the source's pace (sourcePace)
}

// report asks p, on its event loop, for its figures (a viewer's player and
// mode figures too); they arrive on the returned channel.
func (p *streamPeer) report(viewer bool) chan peerReport {
	ch := make(chan peerReport, 1)
	p.q.Do(func() {
		r := peerReport{ss: p.st.StreamStats(), ov: p.ov.Stats()}
		if !viewer {
			r.pace = sourcePace(p.st)
		} else {
			if pl := p.st.Player(); pl != nil {
				r.s = playerStats{pl.Stats(), true}
			}
			if m := p.st.Mode(); m != nil {
				r.mode = m.Stats()
			}
		}
		ch <- r
	})
	return ch
}

// ask runs f on p's event loop and returns its result, or false if the
// loop does not answer within wait.
func ask[T any](p *streamPeer, wait time.Duration, f func() T) (T, bool) {
	ch := make(chan T, 1)
	p.q.Do(func() { ch <- f() })
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case v := <-ch:
		return v, true
	case <-t.C:
		var zero T
		return zero, false
	}
}

type playerStats struct {
	player.Stats
	ok bool
}

// waitCtx waits for d or until ctx ends.
func waitCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// lockedCheck is a playCheck shared by players on many goroutines.
type lockedCheck struct {
	mu sync.Mutex
	playCheck
}

func (l *lockedCheck) Play(c *chunk.Chunk) {
	l.mu.Lock()
	l.playCheck.Play(c)
	l.mu.Unlock()
}
