package qnet

import (
	"net"
	"runtime"
	"testing"
	"time"
)

// shimPair returns a shimmed sender socket and a plain receiver.
func shimPair(t *testing.T, cfg Shim) (*shimConn, *net.UDPConn) {
	t.Helper()
	lo := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)}
	a, err := net.ListenUDP("udp", lo)
	if err != nil {
		t.Fatal(err)
	}
	b, err := net.ListenUDP("udp", lo)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return newShim(a, cfg), b
}

func TestShimLatencyAndRate(t *testing.T) {
	const (
		size    = 1250 // 10 kbit
		packets = 10
		rate    = 1_000_000
		latency = 20 * time.Millisecond
	)
	s, b := shimPair(t, Shim{Latency: latency, Rate: rate, QueueDelay: time.Second})
	defer s.Close()
	start := time.Now()
	writeNumbered(t, s, b.LocalAddr(), packets, size)
	readNumbered(t, b, packets, size, func(i int) {
		// Packet i is on the wire after (i+1) serialisations plus latency.
		min := latency + time.Duration(i+1)*size*8*time.Second/rate
		if el := time.Since(start); el < min {
			t.Errorf("packet %d after %v, want at least %v", i, el, min)
		}
	})
}

// writeNumbered writes n packets of size bytes to addr through s, the
// first byte of each its number.
func writeNumbered(t *testing.T, s *shimConn, addr net.Addr, n, size int) {
	t.Helper()
	for i := range n {
		p := make([]byte, size)
		p[0] = byte(i)
		if _, err := s.WriteTo(p, addr); err != nil {
			t.Fatal(err)
		}
	}
}

// readNumbered reads n packets of size bytes from c, checks they come in
// order, and calls got with each one's number as it arrives.
func readNumbered(t *testing.T, c *net.UDPConn, n, size int, got func(i int)) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(waitLong))
	buf := make([]byte, 2000)
	for i := range n {
		m, _, err := c.ReadFrom(buf)
		if err != nil {
			t.Fatal(err)
		}
		if m != size || buf[0] != byte(i) {
			t.Fatalf("packet %d: %d bytes, index %d", i, m, buf[0])
		}
		got(i)
	}
}

func TestShimQueueDelayDrops(t *testing.T) {
	// 1250 bytes take 100ms at 100 kbit/s; a 250ms queue holds only a few.
	s, b := shimPair(t, Shim{Rate: 100_000, QueueDelay: 250 * time.Millisecond})
	for range 20 {
		s.WriteTo(make([]byte, 1250), b.LocalAddr())
	}
	s.Close() // flushes what was queued
	got := 0
	buf := make([]byte, 2000)
	for {
		b.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
		if _, _, err := b.ReadFrom(buf); err != nil {
			break
		}
		got++
	}
	if got < 2 || got > 5 {
		t.Errorf("%d packets passed, want 2 to 5", got)
	}
	var st Stats
	s.count(&st)
	if st.ShimPackets != uint64(got) || st.ShimBytes != uint64(got)*1250 || st.ShimQueueDrops != uint64(20-got) || st.ShimLossDrops != 0 {
		t.Errorf("counted %d packets, %d bytes, %d queue and %d loss drops; %d passed of 20", st.ShimPackets, st.ShimBytes, st.ShimQueueDrops, st.ShimLossDrops, got)
	}
}

func TestShimLossDropsAll(t *testing.T) {
	s, b := shimPair(t, Shim{Loss: 1})
	for range 50 {
		if _, err := s.WriteTo([]byte("x"), b.LocalAddr()); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	b.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	if _, _, err := b.ReadFrom(make([]byte, 10)); err == nil {
		t.Error("a packet got through at loss 1")
	}
	var st Stats
	s.count(&st)
	if st.ShimLossDrops != 50 || st.ShimPackets != 0 {
		t.Errorf("counted %d loss drops and %d packets, want 50 and 0", st.ShimLossDrops, st.ShimPackets)
	}
}

func TestNodeShimLatency(t *testing.T) {
	base := runtime.NumGoroutine()
	const latency = 40 * time.Millisecond
	epoch := time.Now()
	cfg := func() Config {
		c := testConfig(t)
		c.Epoch = epoch
		c.Shim = Shim{Latency: latency, Jitter: 5 * time.Millisecond, Seed: 1}
		return c
	}
	a := startNode(t, cfg())
	b := startNode(t, cfg())
	for round := range 3 {
		var sent time.Duration
		a.Do(func() {
			sent = a.env.Now()
			a.env.Send(b.Self(), &testMsg{Text: "ping"})
		})
		b.next(t)
		r := a.next(t)
		if rtt := r.at - sent; rtt < 2*latency {
			t.Errorf("round %d: rtt %v, want at least %v", round, rtt, 2*latency)
		} else {
			t.Logf("round %d: rtt %v", round, rtt)
		}
	}
	a.stop(t)
	b.stop(t)
	checkGoroutines(t, base)
}

func TestNodeShimLatencyFor(t *testing.T) {
	const far = 60 * time.Millisecond
	b := startNode(t, testConfig(t))
	cfg := testConfig(t)
	cfg.Shim.LatencyFor = func(to net.Addr) time.Duration {
		if to.String() == b.Self().Addr {
			return far
		}
		return 0
	}
	a := startNode(t, cfg)
	start := time.Now()
	a.send(b.Self(), &testMsg{Text: "ping"})
	a.next(t)
	// The handshake and the ping each cross a->b at least once.
	if el := time.Since(start); el < 2*far {
		t.Errorf("ping answered after %v, want at least %v", el, 2*far)
	}
	a.stop(t)
	b.stop(t)
}

func TestNodeShimLossDropsAll(t *testing.T) {
	base := runtime.NumGoroutine()
	b := startNode(t, testConfig(t))
	cfg := testConfig(t)
	cfg.HandshakeTimeout = 100 * time.Millisecond
	cfg.Shim.Loss = 1
	a := startNode(t, cfg)
	a.send(b.Self(), &testMsg{Text: "lost"})
	waitFor(t, "the dial to fail", func() bool { return a.Stats().SendDrops == 1 })
	if s := b.Stats(); s.Accepts != 0 || s.FramesReceived != 0 {
		t.Errorf("b received something: %+v", s)
	}
	if s := a.Stats(); s.Dials != 0 || s.FramesSent != 0 {
		t.Errorf("a sent something: %+v", s)
	}
	// Sends during the dial backoff are dropped at once.
	a.send(b.Self(), &testMsg{Text: "lost too"})
	waitFor(t, "the second drop", func() bool { return a.Stats().SendDrops == 2 })
	// b can still reach other nodes.
	c := startNode(t, testConfig(t))
	b.send(c.Self(), &testMsg{Text: "hello"})
	c.next(t)
	a.stop(t)
	b.stop(t)
	c.stop(t)
	checkGoroutines(t, base)
}

func TestShimBacklog(t *testing.T) {
	// 1250 bytes take 100ms at 100 kbit/s: ten of them queue about a
	// second; without a rate there is no queue.
	s, b := shimPair(t, Shim{Rate: 100_000})
	defer s.Close()
	if d := s.backlog(); d != 0 {
		t.Fatalf("idle backlog %v", d)
	}
	for range 10 {
		s.WriteTo(make([]byte, 1250), b.LocalAddr())
	}
	if d := s.backlog(); d < 800*time.Millisecond || d > time.Second {
		t.Errorf("backlog %v after ten packets, want about 1s", d)
	}
	free, c := shimPair(t, Shim{})
	defer free.Close()
	free.WriteTo(make([]byte, 1250), c.LocalAddr())
	if d := free.backlog(); d != 0 {
		t.Errorf("backlog %v without a rate", d)
	}
}
