package lab

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"time"

	"github.com/almcast/alm/chunk"
	"github.com/almcast/alm/delivery"
	"github.com/almcast/alm/env"
	"github.com/almcast/alm/overlay"
	"github.com/almcast/alm/sim"
	"github.com/almcast/alm/source"
	"github.com/almcast/alm/stream"
	"github.com/almcast/alm/wire"
)

// minUpload is the capacity a "0x" viewer gets in the simulator: enough
// for control messages, nothing for media.
const minUpload = 16_000

// ChannelName is the channel the lab broadcasts.
const ChannelName = "lab"

// simPlayer is one node of a streaming run.
type simPlayer struct {
	node   *sim.Node
	ov     *overlay.Node
	st     *stream.Node
	upload int64
	born   time.Duration
	watch  time.Duration // when it started to watch
	viewer bool
}

// judgeAfter is how long a viewer must have watched before one that never
// played anything counts as a viewer with continuity 0 rather than as one
// that left too soon to judge.
func judgeAfter(sc Scenario) time.Duration { return sc.Startup + 10*time.Second }

// forgedSet records forged chunks an adversary sent; a played chunk found
// in it counts as forged_played.
type playCheck struct {
	forged map[*chunk.Chunk]bool
	played uint64
}

func (p *playCheck) Play(c *chunk.Chunk) {
	if p.forged[c] {
		p.played++
	}
}

// RunStreamSim runs one mode of a scenario in the simulator.
func RunStreamSim(ctx context.Context, sc Scenario, mode string) (ModeResult, error) {
	res := ModeResult{Mode: mode}
	if err := sc.Validate(); err != nil {
		return res, err
	}
	start := time.Now()
	cfg := sim.DefaultConfig()
	cfg.Seed = sc.Seed
	cfg.Latency = sc.Latency
	cfg.Loss = sc.Loss
	if sc.ControlFirst {
		cfg.Priority = ControlSize
	}
	nw, err := sim.New(cfg)
	if err != nil {
		return res, err
	}
	var seed [ed25519.SeedSize]byte
	for i := range seed {
		seed[i] = byte(sc.Seed >> (8 * (i % 8)))
	}
	srcKey := ed25519.NewKeyFromSeed(seed[:])
	ch, err := chunk.NewChannel(srcKey.Public().(ed25519.PublicKey), ChannelName)
	if err != nil {
		return res, err
	}
	check := &playCheck{forged: map[*chunk.Chunk]bool{}}
	var payloadSent, bytesSent uint64
	nw.Trace = func(from, to *sim.Node, m wire.Message, size int, dropped bool) {
		bytesSent += uint64(size)
		if c, ok := m.(*chunk.Chunk); ok {
			payloadSent += uint64(c.Payload())
		}
	}
	var arrivals Histogram
	var peers []*simPlayer
	scfg := stream.DefaultConfig()
	scfg.Mode = sc.spec(mode)
	scfg.Player.StartupDelay = sc.Startup
	scfg.Chunker.Duration = delivery.ChunkDuration(mode, sc.Chunk)
	res.ChunkMs = float64(scfg.Chunker.Duration) / 1e6
	scfg.TargetLag, scfg.MaxLag = sc.TargetLag, sc.MaxLag
	res.TargetLagMs, res.MaxLagMs = lagsMs(mode, sc, scfg.LagMargin)
	scfg.Rate = sc.Rate
	var buildErr error
	add := func(upload int64, key ed25519.PrivateKey, viewer bool) *simPlayer {
		p := &simPlayer{upload: upload, born: nw.Now(), viewer: viewer}
		p.node = nw.Add(sim.NodeSpec{Key: key, Upload: upload}, func(e env.Env) env.Handler {
			s, err := labNode(e, sc.overlay(), scfg, upload, ch, key, viewer, check, func(d float64) { arrivals.Add(d) })
			if err != nil {
				buildErr = err
				return env.NewMux()
			}
			p.ov, p.st = s.Overlay, s.Stream
			return s.Mux
		})
		peers = append(peers, p)
		return p
	}
	rate := float64(sc.Rate)
	src := add(int64(sc.SourceUpload*rate), srcKey, false)
	if buildErr != nil {
		return res, buildErr
	}
	src.ov.Start()
	uploads := sc.Uploads(nw.Rand().Perm(sc.Viewers))
	viewerUpload := func(mult float64) int64 {
		if u := int64(mult * rate); u > minUpload {
			return u
		}
		return minUpload
	}
	for i := 0; i < sc.Viewers; i++ {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		nw.RunFor(sc.JoinInterval)
		boot := peers[nw.Rand().IntN(len(peers))]
		p := add(viewerUpload(uploads[i]), nil, true)
		if buildErr != nil {
			return res, buildErr
		}
		p.ov.Join(boot.node.Self())
	}
	nw.RunFor(5 * time.Second)

	// The stream starts; viewers tune in spread over the scenario's
	// tune-in time.
	var ts *source.TestStream
	src.node.Do(func() {
		if err = src.st.Broadcast(source.TestSDP("127.0.0.1", 5004, source.TestClock(sc.Rate)), sc.Rate); err != nil {
			return
		}
		ts, err = source.NewTestStream(src.node, sc.Rate, src.st.Add)
	})
	if err != nil {
		return res, fmt.Errorf("lab: start source: %w", err)
	}
	t0 := nw.Now()
	spread := sc.TuneInTime()
	for i, p := range peers[1:] {
		p := p
		p.watch = t0 + sc.Lead + time.Duration(i)*spread/time.Duration(sc.Viewers)
		nw.At(p.watch, func() { p.node.Do(p.st.Watch) })
	}
	// Churn: each second, a share of the viewers leaves without notice and
	// as many new ones arrive.
	owed := 0.0
	prog := newProgress(nw, start)
	prog.phase("joined")
	for t := time.Second; t <= sc.Lead+sc.Duration; t += time.Second {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		nw.Run(t0 + t)
		prog.stream(peers)
		if sc.Churn <= 0 || t <= sc.Lead {
			continue
		}
		owed += sc.Churn * float64(sc.Viewers) / 60
		for ; owed >= 1; owed-- {
			var live []*simPlayer
			for _, p := range peers[1:] {
				if p.node.Alive() {
					live = append(live, p)
				}
			}
			if len(live) == 0 {
				break
			}
			victim := live[nw.Rand().IntN(len(live))]
			victim.node.Do(victim.st.Stop)
			nw.Kill(victim.node)
			boot := live[nw.Rand().IntN(len(live))]
			p := add(viewerUpload(uploads[nw.Rand().IntN(len(uploads))]), nil, true)
			if buildErr != nil {
				return res, buildErr
			}
			p.ov.Join(boot.node.Self())
			p.watch = nw.Now()
			p.node.Do(p.st.Watch)
		}
	}
	prog.heap()
	ts.Stop()
	end := nw.Now()

	var samples []viewerSample
	var viewerStats []map[string]float64
	var viewerBytes, viewerCap float64
	var payloadDelivered uint64
	for _, p := range peers[1:] {
		// A live viewer's mode reports its own figures; one that left, none.
		// Only viewers that have started watching count in the mode's
		// summary (orphans, interior_disjoint, hops): in a run that ends
		// while the audience still tunes in, the rest hold no stripe or
		// partner yet by design.
		var modeStats map[string]float64
		if p.node.Alive() && p.st.Mode() != nil {
			modeStats = p.st.Mode().Stats()
			if p.watch <= end {
				viewerStats = append(viewerStats, modeStats)
			}
		}
		pl := p.st.Player()
		s := pl.Stats()
		payloadDelivered += s.PayloadBytes
		res.ForgedDropped += p.st.StreamStats().Forged
		if p.st.StreamStats().RelayStarts > 0 {
			res.Relays++
		}
		until := end
		if !p.node.Alive() {
			until = p.node.Died()
		}
		viewerBytes += float64(p.node.BytesSent) * 8
		viewerCap += float64(p.upload) * (until - p.born).Seconds()
		if s.Played+s.Missed == 0 {
			if until-p.watch < judgeAfter(sc) {
				continue // left too soon to judge
			}
			samples = append(samples, viewerSample{upload: p.upload, mode: modeStats}) // never got the stream
			continue
		}
		samples = append(samples, viewerSample{
			upload:     p.upload,
			continuity: s.Continuity(),
			started:    s.Started != 0,
			startup:    s.StartupDelay(),
			lag:        s.Lag,
			missed:     s.Missed,
			raises:     s.Raises,
			stalled:    s.Stalled,
			mode:       modeStats,
		})
	}
	res.fill(samples, &arrivals)
	if payloadDelivered > 0 {
		res.Overhead = overhead(bytesSent, payloadSent, payloadDelivered)
	}
	if viewerCap > 0 {
		res.UploadUtil = viewerBytes / viewerCap
	}
	res.SourceUploadBytes = src.node.BytesSent
	res.SourcePace = sourcePace(src.st)
	res.ForgedPlayed = check.played
	res.Extra = summarize(src.st.Mode(), viewerStats)
	res.WallS = time.Since(start).Seconds()
	res.PeakRSSMB = PeakRSSMB()
	return res, nil
}
