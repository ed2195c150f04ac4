package main

import (
	"context"
	"crypto/ed25519"
	"errors"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/almcast/alm/chunk"
	"github.com/almcast/alm/delivery"
	"github.com/almcast/alm/id"
	"github.com/almcast/alm/identity"
	"github.com/almcast/alm/lab"
	"github.com/almcast/alm/source"
	"github.com/almcast/alm/stream"
)

func init() {
	commands["source"] = command{"broadcast a stream (RTP described by an SDP file, MPEG-TS over RTP, or a test tone)", runSource}
}

func runSource(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("source", flag.ContinueOnError)
	listen := fs.String("listen", "127.0.0.1:4000", "UDP address to listen on; players bootstrap to it")
	bootstrap := fs.String("bootstrap", "", "address of an overlay node to join (default: start a new overlay)")
	name := fs.String("channel", "live", "channel name (letters, digits, '.', '_', '-')")
	input := fs.String("input", "test:1M", "rtp:FILE.sdp (RTP the SDP describes, as ffmpeg or GStreamer send it), rtp-ts:PORT (MPEG-TS over RTP on PORT, as OBS sends it) or test:BITRATE (built-in tone)")
	mode := fs.String("mode", "direct", "delivery mode ("+strings.Join(delivery.Names(), ", ")+")")
	stripes := fs.Int("stripes", 0, stripesUsage)
	keyFile := fs.String("key", "source.key", "ed25519 key file, created (mode 0600) when absent; it owns the channel")
	rateS := fs.String("rate", "", "nominal stream rate for rtp input (default: 1M)")
	chunkDur := fs.Duration("chunk", 0, "chunk duration (default: the mode's own, 25ms for tree and forest, 200ms for the others)")
	upS := fs.String("upload", "", "this node's upload capacity in bit/s (default unknown)")
	logLevel := fs.String("log-level", "info", "log level")
	adminAddr := fs.String("admin", "", "serve Prometheus metrics at /metrics and state at /debug/state on this TCP address")
	if err := fs.Parse(args); err != nil {
		return err
	}
	log, err := newLogger(*logLevel)
	if err != nil {
		return err
	}
	if err := validListen(*listen); err != nil {
		return err
	}
	cfg := stream.DefaultConfig()
	if cfg.Mode, err = modeSpec(*mode, *stripes); err != nil {
		return err
	}
	cfg.Chunker.Duration = delivery.ChunkDuration(*mode, *chunkDur)
	// Chunks are numbered by the wall clock: a restarted source goes on
	// above every number it signed before (source.ChunkerConfig.FirstSeq).
	cfg.Chunker.FirstSeq = uint64(time.Now().UnixNano()) / uint64(cfg.Chunker.Duration)
	if *upS != "" {
		if cfg.Upload, err = lab.ParseRate(*upS); err != nil {
			return err
		}
	}
	// The input decides the SDP and the rate.
	kind, arg, _ := strings.Cut(*input, ":")
	var sdp *source.SDP
	var rate int64
	switch kind {
	case "test":
		if rate, err = lab.ParseRate(arg); err != nil {
			return fmt.Errorf("-input test:BITRATE: %w", err)
		}
	case "rtp":
		if sdp, err = source.LoadSDP(arg); err != nil {
			return err
		}
	case "rtp-ts":
		port, perr := strconv.Atoi(arg)
		if perr != nil {
			return fmt.Errorf("-input rtp-ts:PORT: %q is not a port", arg)
		}
		if sdp, err = source.MPEGTSPort(port); err != nil {
			return err
		}
	default:
		return fmt.Errorf("-input %q: want rtp:FILE.sdp, rtp-ts:PORT or test:BITRATE", *input)
	}
	if sdp != nil { // RTP input: its rate is nominal
		rate = 1_000_000
		if *rateS != "" {
			if rate, err = lab.ParseRate(*rateS); err != nil {
				return err
			}
		}
	}
	cfg.Rate = rate
	// The key is created only once the input is known to be usable.
	key, err := identity.Load(*keyFile)
	if err != nil {
		return err
	}

	ch, err := chunk.NewChannel(key.Public().(ed25519.PublicKey), *name)
	if err != nil {
		return err
	}
	p, err := startStreamProc(key, *listen, log, cfg, ch, key, nil)
	if err != nil {
		return err
	}
	if err := serveAdmin(ctx, *adminAddr, log, p.snapshot("source", time.Now())); err != nil {
		p.cancel()
		return err
	}
	// Join or start the overlay, then broadcast.
	var bErr error
	err = p.call(func() {
		if *bootstrap == "" {
			p.ov.Start()
		} else {
			p.ov.Join(id.Ref{Addr: *bootstrap})
		}
		switch kind {
		case "test":
			var ts *source.TestStream
			if bErr = p.st.Broadcast(source.TestSDP("127.0.0.1", 5004, source.TestClock(rate)), rate); bErr != nil {
				return
			}
			ts, bErr = source.NewTestStream(p.q.Env(), rate, p.st.Add)
			_ = ts
		default: // rtp, rtp-ts
			bErr = p.st.Broadcast(string(sdp.Raw), rate)
		}
	})
	if err == nil {
		err = bErr
	}
	if err != nil {
		p.cancel()
		return err
	}
	if sdp != nil {
		ing, err := source.NewIngest(sdp, "")
		if err != nil {
			p.cancel()
			return err
		}
		ingErr := make(chan error, 1)
		go func() {
			ingErr <- ing.Run(ctx, func(pkt []byte) { p.q.Do(func() { p.st.Add(pkt) }) })
		}()
		select {
		case <-ing.Ready():
		case err := <-ingErr:
			p.cancel()
			if err == nil {
				err = errors.New("ingest stopped")
			}
			return err
		}
		log.Info("waiting for RTP", "media", len(sdp.Media), "ports", fmt.Sprint(ing.Addrs()))
	}
	fmt.Println(p.st.Channel().String())
	log.Info("broadcasting", "channel", p.st.Channel().String(), "listen", p.q.Self().Addr, "mode", cfg.Mode, "id", p.q.Self().ID.String())

	tick := time.NewTicker(5 * time.Second)
	defer tick.Stop()
	for {
		select {
		case <-tick.C:
			var cs source.ChunkerStats
			var ms map[string]float64
			if p.call(func() { cs = p.st.Chunker().Stats(); ms = p.st.Mode().Stats() }) == nil {
				log.Info("status", "chunks", cs.Chunks, "packets", cs.Packets, "bytes", cs.Bytes, "mode", ms)
			}
		case err := <-p.done:
			if err == nil {
				err = errors.New("node stopped")
			}
			return err
		case <-ctx.Done():
			log.Info("leaving")
			return p.leave()
		}
	}
}
