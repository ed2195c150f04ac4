package main

import (
	"context"
	"crypto/ed25519"
	"errors"
	"flag"
	"fmt"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/almcast/alm/chunk"
	"github.com/almcast/alm/id"
	"github.com/almcast/alm/identity"
	"github.com/almcast/alm/lab"
	"github.com/almcast/alm/player"
	"github.com/almcast/alm/stream"
)

func init() {
	commands["player"] = command{"watch a channel: play it out as RTP with an SDP file, or just measure", runPlayer}
}

// lateOutput plays to an RTP output that exists once the channel's
// metadata (its SDP) is known.
type lateOutput struct {
	mu  sync.Mutex
	out *player.RTPOutput
}

func (l *lateOutput) Play(c *chunk.Chunk) {
	l.mu.Lock()
	o := l.out
	l.mu.Unlock()
	if o != nil {
		o.Play(c)
	}
}

func runPlayer(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("player", flag.ContinueOnError)
	listen := fs.String("listen", "127.0.0.1:0", "UDP address to listen on")
	bootstrap := fs.String("bootstrap", "", "address of any node of the overlay, such as the source (required)")
	chStr := fs.String("channel", "", "channel string alm://KEY/NAME as the source printed it (required)")
	outS := fs.String("output", "none", "rtp://HOST:PORT to play to, or none to measure only")
	sdpFile := fs.String("sdp", "out.sdp", "where to write the SDP that describes the output")
	keyFile := fs.String("key", "", "ed25519 key file (default: a fresh key for this run)")
	startup := fs.Duration("startup", time.Second, "playout buffer before the first chunk plays (without a target lag)")
	targetLag := fs.String("target-lag", "auto", "playback lag to aim for, with clocks in step: auto (the mode's own: 1.5s for tree and forest, 2.7s for mesh, all longer in audiences beyond 2,000; none for direct), off, or a duration")
	maxLag := fs.String("max-lag", "auto", "most the player may raise its lag to when chunks keep coming late (a rebuffering): auto (the mode's own with --target-lag auto: 3s for forest, 4s for mesh and tree, none for direct; else none), off, or a duration")
	joinTimeout := fs.Duration("join-timeout", 15*time.Second, "give up when the overlay cannot be joined within this time")
	upS := fs.String("upload", "", "this node's upload capacity in bit/s, e.g. 2M (default unknown: it forwards about one copy of the stream)")
	logLevel := fs.String("log-level", "info", "log level")
	adminAddr := fs.String("admin", "", "serve Prometheus metrics at /metrics and state at /debug/state on this TCP address")
	if err := fs.Parse(args); err != nil {
		return err
	}
	log, err := newLogger(*logLevel)
	if err != nil {
		return err
	}
	if *bootstrap == "" {
		return errors.New("-bootstrap is required")
	}
	if _, _, err := net.SplitHostPort(*bootstrap); err != nil {
		return fmt.Errorf("-bootstrap %q: %w", *bootstrap, err)
	}
	if err := validListen(*listen); err != nil {
		return err
	}
	ch, err := chunk.ParseChannel(*chStr)
	if err != nil {
		return err
	}
	target, none, err := player.ParseOutput(*outS)
	if err != nil {
		return err
	}
	var key ed25519.PrivateKey
	if *keyFile != "" {
		key, err = identity.Load(*keyFile)
	} else {
		key, err = identity.Generate()
	}
	if err != nil {
		return err
	}
	cfg := stream.DefaultConfig()
	cfg.Player.StartupDelay = *startup
	if cfg.TargetLag, err = lab.ParseLag(*targetLag); err != nil {
		return err
	}
	if cfg.MaxLag, err = lab.ParseLag(*maxLag); err != nil {
		return fmt.Errorf("-max-lag: %w", err)
	}
	cfg.Mode = "" // the source's metadata names it
	if *upS != "" {
		if cfg.Upload, err = lab.ParseRate(*upS); err != nil {
			return err
		}
	}
	out := &lateOutput{}
	metaErr := make(chan error, 1)
	var o player.Output
	if !none {
		o = out
	}
	p, err := startStreamProc(key, *listen, log, cfg, ch, nil, o)
	if err != nil {
		return err
	}
	if err := serveAdmin(ctx, *adminAddr, log, p.snapshot("player", time.Now())); err != nil {
		p.cancel()
		return err
	}
	defer func() {
		out.mu.Lock()
		if out.out != nil {
			out.out.Close()
		}
		out.mu.Unlock()
	}()
	if err := p.call(func() {
		p.st.OnMeta = func(m *chunk.Meta) {
			if none {
				return
			}
			// Set up the output outside the event loop's hot path, but
			// before the first chunk can play (the startup delay).
			o, err := player.NewRTPOutput(target, []byte(m.SDP))
			if err == nil {
				err = writeOutputSDP(*sdpFile, []byte(m.SDP), target)
			}
			if err != nil {
				metaErr <- err
				return
			}
			out.mu.Lock()
			out.out = o
			out.mu.Unlock()
		}
		p.ov.Join(id.Ref{Addr: *bootstrap})
		p.st.Watch()
	}); err != nil {
		p.cancel()
		return err
	}
	log.Info("watching", "channel", ch.String(), "bootstrap", *bootstrap, "listen", p.q.Self().Addr, "output", *outS)
	joinDeadline := time.After(*joinTimeout)
	tick := time.NewTicker(5 * time.Second)
	defer tick.Stop()
	report := func(msg string) {
		var s player.Stats
		var ss stream.Stats
		if p.call(func() { s = p.st.Player().Stats(); ss = p.st.StreamStats() }) == nil {
			log.Info(msg, "played", s.Played, "missed", s.Missed, "continuity", fmt.Sprintf("%.4f", s.Continuity()),
				"startup_ms", s.StartupDelay().Milliseconds(), "lag_ms", s.Lag.Milliseconds(), "raises", s.Raises,
				"forged", ss.Forged, "duplicates", ss.Duplicates)
		}
	}
	for {
		select {
		case <-tick.C:
			report("status")
		case <-joinDeadline:
			var joined bool
			if p.call(func() { joined = p.ov.Joined() }) == nil && !joined {
				p.cancel()
				return fmt.Errorf("could not join the overlay through %s within %v: is the bootstrap address right and reachable?", *bootstrap, *joinTimeout)
			}
		case err := <-metaErr:
			p.cancel()
			return fmt.Errorf("output: %w", err)
		case err := <-p.done:
			if err == nil {
				err = errors.New("node stopped")
			}
			return err
		case <-ctx.Done():
			report("leaving")
			return p.leave()
		}
	}
}

// writeOutputSDP writes the SDP for the output target rtp://HOST:PORT.
func writeOutputSDP(path string, src []byte, target string) error {
	host, portS, err := net.SplitHostPort(target[len("rtp://"):])
	if err != nil {
		return err
	}
	port, err := strconv.Atoi(portS)
	if err != nil {
		return err
	}
	return player.WriteSDP(path, src, host, port)
}
