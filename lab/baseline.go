package lab

import (
	"context"
	"fmt"
	"io"
	"syscall"
	"time"

	"github.com/quic-go/quic-go"

	"github.com/almcast/alm/identity"
)

// cpuTime is the CPU time (user + system) this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// maxBaselineBytes bounds the bytes the baseline moves; its cost per byte
// is steady long before this.
const maxBaselineBytes = 1 << 30

// BaselineCPUPerByte moves n bytes over one plain quic-go stream between
// two endpoints in this process on loopback and returns the CPU time the
// process spent per byte: the cost of carrying the payload alone, which a
// QUIC streaming run is compared with.
func BaselineCPUPerByte(ctx context.Context, n int64) (nsPerByte float64, err error) {
	if n <= 0 {
		return 0, nil
	}
	if n > maxBaselineBytes {
		n = maxBaselineBytes
	}
	sk, err := identity.Generate()
	if err != nil {
		return 0, err
	}
	ck, err := identity.Generate()
	if err != nil {
		return 0, err
	}
	ln, err := quic.ListenAddr("127.0.0.1:0", identity.ServerConfig(sk, identity.ALPN), &quic.Config{})
	if err != nil {
		return 0, fmt.Errorf("lab: baseline listen: %w", err)
	}
	defer ln.Close()
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	got := make(chan error, 1)
	go func() {
		c, err := ln.Accept(ctx)
		if err != nil {
			got <- err
			return
		}
		s, err := c.AcceptStream(ctx)
		if err != nil {
			got <- err
			return
		}
		_, err = io.Copy(io.Discard, s)
		got <- err
		c.CloseWithError(0, "")
	}()
	start := cpuTime()
	c, err := quic.DialAddr(ctx, ln.Addr().String(), identity.ClientConfig(ck, identity.ALPN, identity.KeyID(sk)), &quic.Config{})
	if err != nil {
		return 0, fmt.Errorf("lab: baseline dial: %w", err)
	}
	defer c.CloseWithError(0, "")
	s, err := c.OpenStreamSync(ctx)
	if err != nil {
		return 0, fmt.Errorf("lab: baseline stream: %w", err)
	}
	buf := make([]byte, 64<<10)
	for left := n; left > 0; {
		k := int64(len(buf))
		if k > left {
			k = left
		}
		if _, err := s.Write(buf[:k]); err != nil {
			return 0, fmt.Errorf("lab: baseline write: %w", err)
		}
		left -= k
	}
	s.Close()
	if err := <-got; err != nil {
		return 0, fmt.Errorf("lab: baseline read: %w", err)
	}
	return float64(cpuTime()-start) / float64(n), nil
}
