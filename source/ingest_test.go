package source

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pion/rtp"
)

// freePorts finds n even UDP ports on 127.0.0.1 whose odd neighbours are
// free too (ffmpeg sends RTCP there). Another process may take them before
// the test binds them again; that is rare on a test machine.
func freePorts(t testing.TB, n int) []int {
	t.Helper()
	var ports []int
	var held []*net.UDPConn
	defer func() {
		for _, c := range held {
			c.Close()
		}
	}()
	for tries := 0; len(ports) < n && tries < 200; tries++ {
		c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, c)
		p := c.LocalAddr().(*net.UDPAddr).Port
		if p%2 != 0 || p+1 > 65535 {
			continue
		}
		c2, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: p + 1})
		if err != nil {
			continue
		}
		held = append(held, c2)
		ports = append(ports, p)
	}
	if len(ports) < n {
		t.Fatal("no free even UDP ports")
	}
	return ports
}

// sdpAt is the committed ffmpeg SDP with its ports (5004 video, 5006
// audio) moved to video and audio.
func sdpAt(t testing.TB, video, audio int) *SDP {
	t.Helper()
	b := string(ffmpegSDP(t))
	b = strings.Replace(b, "m=video 5004 ", fmt.Sprintf("m=video %d ", video), 1)
	b = strings.Replace(b, "m=audio 5006 ", fmt.Sprintf("m=audio %d ", audio), 1)
	s, err := ParseSDP([]byte(b))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func rtpPacket(t testing.TB, pt uint8, seq uint16, payload []byte) []byte {
	t.Helper()
	b, err := (&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: pt, SequenceNumber: seq, Timestamp: 1000 * uint32(seq), SSRC: 42}, Payload: payload}).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// startIngest runs an ingest of s and returns the packets it delivers and
// a function that stops it and returns Run's error.
func startIngest(t *testing.T, g *Ingest) (<-chan []byte, func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	got := make(chan []byte, 4096)
	res := make(chan error, 1)
	go func() {
		res <- g.Run(ctx, func(p []byte) {
			select {
			case got <- p:
			default:
				t.Error("test sink full")
			}
		})
	}()
	select {
	case <-g.Ready():
	case err := <-res:
		cancel()
		t.Fatalf("Run: %v", err)
	case <-time.After(5 * time.Second):
		cancel()
		t.Fatal("ingest not ready")
	}
	stopped := false
	var runErr error
	stop := func() error {
		if stopped {
			return runErr
		}
		stopped = true
		cancel()
		select {
		case runErr = <-res:
		case <-time.After(5 * time.Second):
			t.Fatal("Run did not return after cancel")
		}
		return runErr
	}
	t.Cleanup(func() { stop() })
	return got, stop
}

func recvN(t *testing.T, got <-chan []byte, n int) [][]byte {
	t.Helper()
	var out [][]byte
	deadline := time.After(10 * time.Second)
	for len(out) < n {
		select {
		case p := <-got:
			out = append(out, p)
		case <-deadline:
			t.Fatalf("got %d packets, want %d", len(out), n)
		}
	}
	return out
}

func TestIngest(t *testing.T) {
	ports := freePorts(t, 2)
	g, err := NewIngest(sdpAt(t, ports[0], ports[1]), "")
	if err != nil {
		t.Fatal(err)
	}
	got, stop := startIngest(t, g)
	if a := g.Addrs(); len(a) != 2 || a[0].(*net.UDPAddr).Port != ports[0] {
		t.Fatalf("addrs %v", a)
	}

	send, err := net.DialUDP("udp4", nil, &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: ports[0]})
	if err != nil {
		t.Fatal(err)
	}
	defer send.Close()
	sendA, err := net.DialUDP("udp4", nil, &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: ports[1]})
	if err != nil {
		t.Fatal(err)
	}
	defer sendA.Close()

	// RTCP sender report (PT 200) and receiver report (201), compound.
	sr := []byte{0x80, 200, 0, 6, 0, 0, 0, 42, 1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3}
	rr := []byte{0x80, 201, 0, 1, 0, 0, 0, 42}
	badRTCP := []byte{0x80, 200, 0, 60, 0, 0, 0, 42} // length beyond the datagram
	v1 := rtpPacket(t, 96, 9, []byte("x"))
	v1[0] = 0x40
	bad := [][]byte{
		{},                                       // empty
		{0x80},                                   // too short
		[]byte("hello, this is not RTP"),         // version 1
		v1,                                       // version 1 RTP
		rtpPacket(t, 96, 9, nil)[:11],            // truncated header
		rtpPacket(t, 96, 9, make([]byte, 1600)),  // oversize
		{0x90, 96, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1}, // extension bit, no extension
		badRTCP,
	}
	for _, b := range bad {
		send.Write(b)
	}
	send.Write(append(append([]byte{}, sr...), rr...))
	send.Write(rr)
	send.Write(rtpPacket(t, 97, 1, []byte("audio type on the video port")))
	sendA.Write(rtpPacket(t, 96, 1, []byte("video type on the audio port")))

	var want [][]byte
	for i := range 20 {
		v := rtpPacket(t, 96, uint16(i), bytes.Repeat([]byte{byte(i)}, 100+i))
		a := rtpPacket(t, 97, uint16(i), bytes.Repeat([]byte{byte(i)}, 50))
		send.Write(v)
		sendA.Write(a)
		want = append(want, v, a)
	}
	pkts := recvN(t, got, len(want))
	var gotV, gotA, wantV, wantA [][]byte
	for _, p := range pkts {
		if p[1]&0x7f == 96 {
			gotV = append(gotV, p)
		} else {
			gotA = append(gotA, p)
		}
	}
	for i, p := range want {
		if i%2 == 0 {
			wantV = append(wantV, p)
		} else {
			wantA = append(wantA, p)
		}
	}
	for i := range wantV {
		if !bytes.Equal(gotV[i], wantV[i]) || !bytes.Equal(gotA[i], wantA[i]) {
			t.Fatalf("packet %d differs", i)
		}
	}
	if err := stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}
	st := g.Stats()
	var bytesWant uint64
	for _, p := range want {
		bytesWant += uint64(len(p))
	}
	wantSt := IngestStats{Packets: 40, Bytes: bytesWant, Malformed: uint64(len(bad)), WrongType: 2, RTCP: 2}
	if st != wantSt {
		t.Fatalf("stats %+v, want %+v", st, wantSt)
	}
	select {
	case p := <-got:
		t.Fatalf("extra packet %x", p)
	default:
	}
}

func TestIngestCopies(t *testing.T) {
	ports := freePorts(t, 1)
	s, err := ParseSDP([]byte(TestSDP("127.0.0.1", ports[0], 8000)))
	if err != nil {
		t.Fatal(err)
	}
	g, err := NewIngest(s, "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	got, _ := startIngest(t, g)
	c, err := net.DialUDP("udp4", nil, &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: ports[0]})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	p1 := rtpPacket(t, TestPayloadType, 1, bytes.Repeat([]byte{1}, 500))
	p2 := rtpPacket(t, TestPayloadType, 2, bytes.Repeat([]byte{2}, 20))
	c.Write(p1)
	c.Write(p2)
	ps := recvN(t, got, 2)
	if !bytes.Equal(ps[0], p1) || !bytes.Equal(ps[1], p2) || cap(ps[1]) < len(p2) {
		t.Fatal("packets overwritten: the ingest must hand out copies")
	}
}

func TestIngestPortTaken(t *testing.T) {
	ports := freePorts(t, 2)
	hold, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: ports[1]})
	if err != nil {
		t.Fatal(err)
	}
	defer hold.Close()
	g, err := NewIngest(sdpAt(t, ports[0], ports[1]), "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	err = g.Run(context.Background(), func([]byte) {})
	if err == nil || !errors.Is(err, syscall.EADDRINUSE) || !strings.Contains(err.Error(), fmt.Sprint(ports[1])) {
		t.Fatalf("Run on a taken port: %v", err)
	}
	// The first port was released again.
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: ports[0]})
	if err != nil {
		t.Fatalf("port %d still held: %v", ports[0], err)
	}
	c.Close()
	if err := g.Run(context.Background(), func([]byte) {}); err == nil {
		t.Fatal("second Run succeeded")
	}
}

func TestNewIngestErrors(t *testing.T) {
	s := sdpAt(t, 5004, 5006)
	for _, h := range []string{"example.com", "127.0.0.1:5", "::1]"} {
		if _, err := NewIngest(s, h); err == nil {
			t.Errorf("host %q accepted", h)
		}
	}
	if _, err := NewIngest(nil, ""); err == nil {
		t.Error("nil SDP accepted")
	}
	if _, err := NewIngest(&SDP{}, ""); err == nil {
		t.Error("SDP without media accepted")
	}
	g, err := NewIngest(s, "localhost")
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Run(context.Background(), nil); err == nil {
		t.Error("nil sink accepted")
	}
}

func TestIngestCancelBeforeTraffic(t *testing.T) {
	ports := freePorts(t, 2)
	g, err := NewIngest(sdpAt(t, ports[0], ports[1]), "")
	if err != nil {
		t.Fatal(err)
	}
	_, stop := startIngest(t, g)
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	// Both ports are free again.
	for _, p := range ports {
		c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: p})
		if err != nil {
			t.Fatalf("port %d still held: %v", p, err)
		}
		c.Close()
	}
}

// TestIngestFFmpeg ingests 3 s of H.264 + Opus as ffmpeg sends them.
func TestIngestFFmpeg(t *testing.T) {
	ffmpeg, err := exec.LookPath("ffmpeg")
	if err != nil {
		t.Skip("ffmpeg not installed")
	}
	if testing.Short() {
		t.Skip("short")
	}
	ports := freePorts(t, 2)
	s := sdpAt(t, ports[0], ports[1])
	g, err := NewIngest(s, "")
	if err != nil {
		t.Fatal(err)
	}
	got, stop := startIngest(t, g)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, ffmpeg, ffmpegSendArgs(3, ports[0], ports[1])...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("ffmpeg: %v\n%s", err, stderr.String())
	}
	// A marker packet per port: once it is through, so is all ffmpeg sent.
	for i, p := range ports {
		c, err := net.DialUDP("udp4", nil, &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: p})
		if err != nil {
			t.Fatal(err)
		}
		m := rtpPacket(t, s.Media[i].PayloadType, 0, []byte("end"))
		m[8], m[9], m[10], m[11] = 0xde, 0xad, 0xbe, 0xef // SSRC
		c.Write(m)
		c.Close()
	}
	counts := map[uint8]int{}
	frames := 0
	seen := 0
	deadline := time.After(10 * time.Second)
	for seen < 2 {
		select {
		case p := <-got:
			var h rtp.Header
			if _, err := h.Unmarshal(p); err != nil {
				t.Fatal(err)
			}
			if h.SSRC == 0xdeadbeef {
				seen++
				continue
			}
			counts[h.PayloadType]++
			if h.PayloadType == 96 && h.Marker {
				frames++
			}
		case <-deadline:
			t.Fatalf("markers not through; counts %v", counts)
		}
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	st := g.Stats()
	t.Logf("ffmpeg -> ingest: %d video packets (%d frames), %d audio packets; stats %+v", counts[96], frames, counts[97], st)
	if counts[96] < 50 || counts[97] < 100 || frames < 50 {
		t.Errorf("too few packets: %v, %d video frames", counts, frames)
	}
	if st.Malformed != 0 || st.WrongType != 0 {
		t.Errorf("stats %+v", st)
	}
}

// ffmpegSendArgs are ffmpeg arguments that send secs seconds of a test
// pattern as H.264 (payload type 96) to 127.0.0.1:video and a 440 Hz tone
// as Opus (97) to 127.0.0.1:audio, in real time, writing no SDP.
func ffmpegSendArgs(secs, video, audio int) []string {
	return strings.Fields(fmt.Sprintf("-hide_banner -nostdin -loglevel warning -re "+
		"-f lavfi -i testsrc=size=320x240:rate=25 -f lavfi -i sine=frequency=440:sample_rate=48000 "+
		"-map 0:v -c:v libx264 -preset ultrafast -tune zerolatency -g 25 -bf 0 -t %d -f rtp rtp://127.0.0.1:%d "+
		"-map 1:a -c:a libopus -b:a 64k -t %d -f rtp rtp://127.0.0.1:%d", secs, video, secs, audio))
}
