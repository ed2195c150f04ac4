package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"time"

	"github.com/almcast/alm/admin"
	"github.com/almcast/alm/env"
	"github.com/almcast/alm/id"
	"github.com/almcast/alm/identity"
	"github.com/almcast/alm/overlay"
	"github.com/almcast/alm/qnet"
)

func init() {
	commands["node"] = command{"run one overlay node over QUIC", runNode}
}

// nodeFlags are the flags of `alm node`, checked by validate.
type nodeFlags struct {
	listen, bootstrap, key, logLevel string
	status                           time.Duration
	leafSet                          int
}

// Bounds of the shutdown: the wait for Leave to run on the event loop,
// and the grace period for its notices to go out before the node stops.
const (
	leaveCallWait = 5 * time.Second
	leaveGrace    = 2 * time.Second
)

func runNode(ctx context.Context, args []string) error {
	f := nodeFlags{}
	fs := flag.NewFlagSet("node", flag.ContinueOnError)
	fs.StringVar(&f.listen, "listen", "", "UDP address to listen on and advertise, such as 127.0.0.1:4001 (required)")
	fs.StringVar(&f.bootstrap, "bootstrap", "", "address of a node of the overlay to join; without it a new overlay starts")
	fs.StringVar(&f.key, "key", "", "ed25519 private key file (PEM), created with mode 0600 when absent (required)")
	fs.StringVar(&f.logLevel, "log-level", "info", "log level: debug, info, warn or error")
	fs.DurationVar(&f.status, "status", 5*time.Second, "how often to log a status line")
	fs.IntVar(&f.leafSet, "leafset", overlay.DefaultConfig().LeafSet, "leaf set size")
	adminAddr := fs.String("admin", "", "serve Prometheus metrics at /metrics and state at /debug/state on this TCP address")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	level, boot, err := f.validate()
	if err != nil {
		return err
	}
	ocfg := overlay.DefaultConfig()
	ocfg.LeafSet = f.leafSet
	if err := ocfg.Validate(); err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	key, err := identity.Load(f.key)
	if err != nil {
		return err
	}

	var ov *overlay.Node
	n, err := qnet.New(qnet.Config{Key: key, Listen: f.listen, Log: log}, func(e env.Env) env.Handler {
		o, err := overlay.New(e, ocfg)
		if err != nil {
			return nil // validated above
		}
		ov = o
		ov.Register(overlay.LookupProto, &overlay.Lookups{Delivered: func(m *overlay.Msg, l *overlay.Lookup) {
			log.Debug("lookup delivered", "key", m.Key, "origin", m.Origin, "hops", m.Hops)
		}})
		mux := env.NewMux()
		mux.Handle(overlay.Proto, ov)
		mux.Handle(overlay.LookupProto, ov)
		return mux
	})
	if err != nil {
		return err
	}
	self := n.Self()
	log = log.With("node", self.ID.Short())
	log.Info("node starting", "id", self.ID.String(), "listen", self.Addr, "bootstrap", boot)

	runCtx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- n.Run(runCtx) }()
	if boot == "" {
		n.Do(ov.Start)
	} else {
		n.Do(func() { ov.Join(id.Ref{Addr: boot}) })
	}

	started := time.Now()
	if err := serveAdmin(runCtx, *adminAddr, log, func() (admin.State, error) {
		ch := make(chan admin.State, 1)
		n.Do(func() { ch <- admin.Snapshot(n, ov, nil, "node", started) })
		select {
		case s := <-ch:
			return s, nil
		case <-time.After(5 * time.Second):
			return admin.State{}, errors.New("the event loop did not answer")
		}
	}); err != nil {
		return err
	}
	tick := time.NewTicker(f.status)
	defer tick.Stop()
	for {
		select {
		case <-tick.C:
			st, ok := nodeStatus(n, ov, f.status)
			if !ok {
				log.Warn("status: event loop did not answer", "within", f.status)
				continue
			}
			qs := n.Stats()
			log.Info("status", "joined", st.joined, "leaf", st.leaf, "table", st.table,
				"conns", qs.ConnsOpen, "frames_sent", qs.FramesSent, "frames_received", qs.FramesReceived,
				"send_drops", qs.SendDrops)
		case err := <-done:
			if err == nil {
				err = errors.New("node stopped unexpectedly")
			}
			return err
		case <-ctx.Done():
			log.Info("leaving")
			leave(n, ov, log)
			cancel()
			err := <-done
			log.Info("stopped")
			return err
		}
	}
}

// validate checks the flags and returns the log level and the resolved
// bootstrap address ("" for none).
func (f nodeFlags) validate() (slog.Level, string, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(f.logLevel)); err != nil {
		return 0, "", fmt.Errorf("-log-level: %q is not debug, info, warn or error", f.logLevel)
	}
	if f.listen == "" {
		return 0, "", errors.New("-listen is required, such as -listen 127.0.0.1:4001")
	}
	host, _, err := net.SplitHostPort(f.listen)
	if err != nil {
		return 0, "", fmt.Errorf("-listen %q: %w", f.listen, err)
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		return 0, "", fmt.Errorf("-listen %q: need a concrete IP address (it is the address other nodes reach this one at)", f.listen)
	}
	la, err := net.ResolveUDPAddr("udp", f.listen)
	if err != nil {
		return 0, "", fmt.Errorf("-listen %q: %w", f.listen, err)
	}
	if f.key == "" {
		return 0, "", errors.New("-key is required: the node's key file, created when absent")
	}
	if f.status <= 0 {
		return 0, "", fmt.Errorf("-status %v: must be positive", f.status)
	}
	boot := ""
	if f.bootstrap != "" {
		a, err := net.ResolveUDPAddr("udp", f.bootstrap)
		if err != nil {
			return 0, "", fmt.Errorf("-bootstrap %q: %w", f.bootstrap, err)
		}
		if a.Port == 0 || a.IP == nil || a.IP.IsUnspecified() {
			return 0, "", fmt.Errorf("-bootstrap %q: need an IP address and a port", f.bootstrap)
		}
		boot = a.String()
		if boot == la.String() {
			return 0, "", fmt.Errorf("-bootstrap %q is this node's own address", f.bootstrap)
		}
	}
	return level, boot, nil
}

type statusLine struct {
	joined      bool
	leaf, table int
}

// nodeStatus reads the overlay's state on its event loop, waiting at most
// wait.
func nodeStatus(n *qnet.Node, ov *overlay.Node, wait time.Duration) (statusLine, bool) {
	ch := make(chan statusLine, 1)
	n.Do(func() {
		ch <- statusLine{joined: ov.Joined(), leaf: ov.LeafSet().Len(), table: ov.Table().Len()}
	})
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case st := <-ch:
		return st, true
	case <-t.C:
		return statusLine{}, false
	}
}

// leave runs Leave on the event loop and gives its notices a moment to be
// written: it waits until as many more frames were sent or dropped as
// Leave addressed nodes, or leaveGrace.
func leave(n *qnet.Node, ov *overlay.Node, log *slog.Logger) {
	type mark struct{ before, notices uint64 }
	ch := make(chan mark, 1)
	n.Do(func() {
		s := n.Stats()
		notices := ov.LeafSet().Len()
		for _, e := range ov.Table().Entries() {
			if !ov.LeafSet().Contains(e.Ref.ID) {
				notices++
			}
		}
		ov.Leave()
		ch <- mark{s.FramesSent + s.SendDrops, uint64(notices)}
	})
	wait := time.NewTimer(leaveCallWait)
	defer wait.Stop()
	var m mark
	select {
	case m = <-ch:
	case <-wait.C:
		log.Warn("leave: event loop did not answer")
		return
	}
	grace := time.NewTimer(leaveGrace)
	defer grace.Stop()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		s := n.Stats()
		if s.FramesSent+s.SendDrops >= m.before+m.notices {
			log.Info("left", "notices", m.notices)
			return
		}
		select {
		case <-tick.C:
		case <-grace.C:
			log.Warn("leave: notices still unsent after grace", "notices", m.notices)
			return
		}
	}
}
