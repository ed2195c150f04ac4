package main

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/almcast/alm/admin"
	"github.com/almcast/alm/chunk"
	"github.com/almcast/alm/env"
	"github.com/almcast/alm/overlay"
	"github.com/almcast/alm/player"
	"github.com/almcast/alm/qnet"
	"github.com/almcast/alm/stream"

	_ "github.com/almcast/alm/direct" // delivery modes
)

// unixEpoch makes every process's clock the Unix clock, so chunk times
// stamped by a source compare with a player's in another process.
var unixEpoch = time.Unix(0, 0)

// streamProc is one streaming node (source or player) over QUIC.
type streamProc struct {
	q      *qnet.Node
	ov     *overlay.Node
	st     *stream.Node
	log    *slog.Logger
	done   chan error
	cancel context.CancelFunc
}

func newLogger(level string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("-log-level: %q is not debug, info, warn or error", level)
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: l})), nil
}

// startStreamProc binds a QUIC node with key on listen and builds its
// overlay and stream node (stream.Build: the source of ch when sourceKey
// is given, else a viewer playing to out); the event loop runs until
// stop.
func startStreamProc(key ed25519.PrivateKey, listen string, log *slog.Logger,
	cfg stream.Config, ch chunk.Channel, sourceKey ed25519.PrivateKey, out player.Output) (*streamProc, error) {
	p := &streamProc{log: log, done: make(chan error, 1)}
	var buildErr error
	q, err := qnet.New(qnet.Config{Key: key, Listen: listen, Log: log, Epoch: unixEpoch}, func(e env.Env) env.Handler {
		s, err := stream.Build(e, overlay.DefaultConfig(), cfg, ch, sourceKey, out)
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
	ctx, cancel := context.WithCancel(context.Background())
	p.cancel = cancel
	go func() { p.done <- q.Run(ctx) }()
	return p, nil
}

// serveAdmin starts the admin endpoint (metrics and state) on addr, if
// one is given; it stops with ctx.
func serveAdmin(ctx context.Context, addr string, log *slog.Logger, snap func() (admin.State, error)) error {
	if addr == "" {
		return nil
	}
	srv, err := admin.Listen(addr, snap)
	if err != nil {
		return err
	}
	log.Info("admin", "metrics", "http://"+srv.Addr()+"/metrics", "state", "http://"+srv.Addr()+"/debug/state")
	go func() {
		if err := srv.Serve(ctx); err != nil {
			log.Error("admin stopped", "err", err)
		}
	}()
	return nil
}

// snapshot returns the node's state for the admin endpoint.
func (p *streamProc) snapshot(role string, started time.Time) func() (admin.State, error) {
	return func() (admin.State, error) {
		var s admin.State
		err := p.call(func() { s = admin.Snapshot(p.q, p.ov, p.st, role, started) })
		return s, err
	}
}

// call runs f on the event loop and waits for it (bounded).
func (p *streamProc) call(f func()) error {
	ok := make(chan struct{})
	p.q.Do(func() { f(); close(ok) })
	select {
	case <-ok:
		return nil
	case <-time.After(5 * time.Second):
		return errors.New("the node's event loop did not answer")
	case err := <-p.done:
		p.done <- err
		return errors.New("the node stopped")
	}
}

// leave tells the stream's and the overlay's peers, lets the notices go
// out, and stops the node.
func (p *streamProc) leave() error {
	_ = p.call(func() {
		p.st.Leave()
		p.ov.Leave()
	})
	select {
	case <-time.After(time.Second):
	case <-p.done:
	}
	p.cancel()
	select {
	case err := <-p.done:
		return err
	case <-time.After(5 * time.Second):
		return errors.New("the node did not stop")
	}
}
