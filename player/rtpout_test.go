package player_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtp"

	"github.com/almcast/alm/chunk"
	"github.com/almcast/alm/player"
	"github.com/almcast/alm/source"
)

var _ player.Output = (*player.RTPOutput)(nil)

func ffmpegSDP(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/ffmpeg_h264_opus.sdp")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// freeBase finds an even UDP port P on 127.0.0.1 with P .. P+2n-1 free
// (the RTP and RTCP ports of n media). Another process may take them
// before the test binds them again; that is rare on a test machine.
func freeBase(t testing.TB, n int) int {
	t.Helper()
	lo := net.IPv4(127, 0, 0, 1)
	var held []*net.UDPConn
	defer func() {
		for _, c := range held {
			c.Close()
		}
	}()
	for tries := 0; tries < 200; tries++ {
		c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: lo})
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, c)
		p := c.LocalAddr().(*net.UDPAddr).Port
		if p%2 != 0 || p+2*n > 65535 {
			continue
		}
		ok := true
		for q := p + 1; q < p+2*n && ok; q++ {
			c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: lo, Port: q})
			if err != nil {
				ok = false
				break
			}
			held = append(held, c)
		}
		if ok {
			return p
		}
	}
	t.Fatal("no free UDP port range")
	return 0
}

type received struct {
	pkt []byte
	at  time.Time
}

// listen receives on 127.0.0.1:port until the test ends.
func listen(t *testing.T, port int) <-chan received {
	t.Helper()
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port})
	if err != nil {
		t.Fatal(err)
	}
	ch := make(chan received, 4096)
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 2048)
		for {
			n, err := c.Read(buf)
			if err != nil {
				return
			}
			ch <- received{append([]byte(nil), buf[:n]...), time.Now()}
		}
	}()
	t.Cleanup(func() {
		c.Close()
		<-done
	})
	return ch
}

func recv(t *testing.T, ch <-chan received, n int) []received {
	t.Helper()
	var out []received
	deadline := time.After(10 * time.Second)
	for len(out) < n {
		select {
		case r := <-ch:
			out = append(out, r)
		case <-deadline:
			t.Fatalf("received %d packets, want %d", len(out), n)
		}
	}
	return out
}

func expectNone(t *testing.T, ch <-chan received) {
	t.Helper()
	select {
	case r := <-ch:
		t.Fatalf("unexpected packet %x", r.pkt)
	default:
	}
}

func pkt(t testing.TB, pt uint8, seq uint16, ts uint32, payload string) []byte {
	t.Helper()
	b, err := (&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: pt, SequenceNumber: seq, Timestamp: ts, SSRC: uint32(pt)}, Payload: []byte(payload)}).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func newOutput(t *testing.T, target string, sdp []byte) *player.RTPOutput {
	t.Helper()
	o, err := player.NewRTPOutput(target, sdp)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { o.Close() })
	return o
}

func flush(t *testing.T, o *player.RTPOutput) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := o.Flush(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestParseOutput(t *testing.T) {
	for _, tc := range []struct {
		in, target string
		none, ok   bool
	}{
		{"none", "", true, true},
		{" none ", "", true, true},
		{"rtp://127.0.0.1:5004", "rtp://127.0.0.1:5004", false, true},
		{"rtp://localhost:5004", "rtp://localhost:5004", false, true},
		{"rtp://[::1]:6000", "rtp://[::1]:6000", false, true},
		{"rtp://239.1.2.3:5004", "rtp://239.1.2.3:5004", false, true},
		{"", "", false, false},
		{"None", "", false, false},
		{"udp://127.0.0.1:5004", "", false, false},
		{"rtp://127.0.0.1", "", false, false},
		{"rtp://127.0.0.1:5005", "", false, false},
		{"rtp://127.0.0.1:0", "", false, false},
		{"rtp://127.0.0.1:65536", "", false, false},
		{"rtp://127.0.0.1:x", "", false, false},
		{"rtp://example.com:5004", "", false, false},
		{"rtp://0.0.0.0:5004", "", false, false},
		{"rtp://:5004", "", false, false},
		{"rtp://::1:5004", "", false, false},
	} {
		target, none, err := player.ParseOutput(tc.in)
		if (err == nil) != tc.ok || target != tc.target || none != tc.none {
			t.Errorf("ParseOutput(%q) = %q, %v, %v", tc.in, target, none, err)
		}
		if err != nil && !strings.HasPrefix(err.Error(), "player: ") {
			t.Errorf("error %q lacks the package prefix", err)
		}
	}
}

func TestNewRTPOutputErrors(t *testing.T) {
	sdp := ffmpegSDP(t)
	for _, tc := range []struct {
		target string
		sdp    []byte
	}{
		{"rtp://127.0.0.1:5005", sdp},
		{"none", sdp},
		{"rtp://127.0.0.1:65534", sdp}, // the audio would need 65536
		{"rtp://127.0.0.1:5004", nil},
		{"rtp://127.0.0.1:5004", []byte("v=0\r\n")},
	} {
		if o, err := player.NewRTPOutput(tc.target, tc.sdp); err == nil {
			o.Close()
			t.Errorf("NewRTPOutput(%q, %q) succeeded", tc.target, tc.sdp)
		}
	}
}

// TestRTPOutputDemux checks that every packet reaches the port of its
// media, in order.
func TestRTPOutputDemux(t *testing.T) {
	base := freeBase(t, 2)
	video, audio := listen(t, base), listen(t, base+2)
	o := newOutput(t, fmt.Sprintf("rtp://127.0.0.1:%d", base), ffmpegSDP(t))
	if b, err := o.SDP(); err != nil || !bytes.Contains(b, []byte(fmt.Sprintf("m=audio %d ", base+2))) {
		t.Fatalf("SDP %s, %v", b, err)
	}

	var wantV, wantA [][]byte
	const chunks, d = 4, 20 * time.Millisecond
	var bytesWant uint64
	for k := range chunks {
		c := &chunk.Chunk{Seq: uint64(k), Time: int64(k) * int64(d), Duration: int64(d)}
		for i := range 6 {
			n := k*6 + i
			v := pkt(t, 96, uint16(n), uint32(n*300), fmt.Sprintf("video %d", n))
			a := pkt(t, 97, uint16(n), uint32(n*160), fmt.Sprintf("audio %d", n))
			c.Packets = append(c.Packets, v, a)
			wantV, wantA = append(wantV, v), append(wantA, a)
			bytesWant += uint64(len(v) + len(a))
		}
		c.Packets = append(c.Packets, pkt(t, 100, 1, 1, "unknown type"), []byte("not RTP"))
		o.Play(c)
	}
	o.Play(nil)
	flush(t, o)
	gotV, gotA := recv(t, video, len(wantV)), recv(t, audio, len(wantA))
	for i := range wantV {
		if !bytes.Equal(gotV[i].pkt, wantV[i]) {
			t.Fatalf("video packet %d: %q, want %q", i, gotV[i].pkt, wantV[i])
		}
		if !bytes.Equal(gotA[i].pkt, wantA[i]) {
			t.Fatalf("audio packet %d: %q, want %q", i, gotA[i].pkt, wantA[i])
		}
	}
	want := player.RTPOutputStats{Packets: uint64(len(wantV) + len(wantA)), Bytes: bytesWant, Unknown: 2 * chunks}
	if st := o.Stats(); st != want {
		t.Fatalf("stats %+v, want %+v", st, want)
	}
	if err := o.Close(); err != nil {
		t.Fatal(err)
	}
	if err := o.Close(); err != nil {
		t.Fatal("second Close:", err)
	}
	expectNone(t, video)
	expectNone(t, audio)
}

// TestRTPOutputPacing checks that a chunk's packets are spread over its
// duration by their timestamps, and that chunks played together follow
// each other rather than overlap.
func TestRTPOutputPacing(t *testing.T) {
	base := freeBase(t, 2)
	video := listen(t, base)
	o := newOutput(t, fmt.Sprintf("rtp://127.0.0.1:%d", base), ffmpegSDP(t))

	const d = 300 * time.Millisecond
	mk := func(seq int) *chunk.Chunk {
		c := &chunk.Chunk{Seq: uint64(seq), Time: int64(seq) * int64(d), Duration: int64(d)}
		for i := range 10 {
			n := seq*10 + i
			c.Packets = append(c.Packets, pkt(t, 96, uint16(n), uint32(n*2700), "v")) // 30 ms apart
		}
		return c
	}
	start := time.Now()
	o.Play(mk(0))
	o.Play(mk(1))
	got := recv(t, video, 20)
	for i, r := range got {
		// Packet i is due 30ms*i after start; allow for timer slack only
		// on the early side (no upper bound: the machine may be slow).
		if early := time.Duration(i)*30*time.Millisecond - r.at.Sub(start); early > 15*time.Millisecond {
			t.Errorf("packet %d arrived %v early (at %v)", i, early, r.at.Sub(start))
		}
		var h rtp.Header
		if _, err := h.Unmarshal(r.pkt); err != nil || h.SequenceNumber != uint16(i) {
			t.Fatalf("packet %d out of order: seq %d", i, h.SequenceNumber)
		}
	}
	if el := got[19].at.Sub(start); el < 500*time.Millisecond {
		t.Fatalf("two chunks of %v sent in %v", d, el)
	}
	t.Logf("20 packets over 2 chunks of %v: last after %v", d, got[19].at.Sub(start))
}

// TestRTPOutputEven checks even spreading when the clock is unknown.
func TestRTPOutputEven(t *testing.T) {
	base := freeBase(t, 1)
	ch := listen(t, base)
	sdp := "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=x\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=video 5000 RTP/AVP 96\r\n"
	o := newOutput(t, fmt.Sprintf("rtp://localhost:%d", base), []byte(sdp))
	const d = 200 * time.Millisecond
	c := &chunk.Chunk{Duration: int64(d)}
	for i := range 8 {
		c.Packets = append(c.Packets, pkt(t, 96, uint16(i), 0, "x")) // same timestamp: no timing to follow
	}
	start := time.Now()
	o.Play(c)
	got := recv(t, ch, 8)
	if el := got[7].at.Sub(start); el < 7*d/8-20*time.Millisecond {
		t.Fatalf("8 packets of a %v chunk sent in %v", d, el)
	}
}

// TestRTPOutputQueueFull checks that Play drops when the queue is full,
// never blocks, and that Close interrupts pacing.
func TestRTPOutputQueueFull(t *testing.T) {
	base := freeBase(t, 2)
	o, err := player.NewRTPOutput(fmt.Sprintf("rtp://127.0.0.1:%d", base), ffmpegSDP(t))
	if err != nil {
		t.Fatal(err)
	}
	// The second packet is an hour of RTP time after the first, so the
	// pacer holds the first chunk it takes (with both a tick apart it
	// could finish one and take another before the queue fills, as it
	// did under -race).
	long := &chunk.Chunk{Duration: int64(time.Hour), Packets: [][]byte{pkt(t, 96, 1, 0, "a"), pkt(t, 96, 2, 90000*3600, "b")}}
	for range player.OutputQueue + 5 {
		o.Play(long)
	}
	if st := o.Stats(); st.Dropped < 4 {
		t.Fatalf("stats %+v: want at least 4 dropped", st)
	}
	closed := make(chan error, 1)
	go func() { closed <- o.Close() }()
	select {
	case err := <-closed:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close blocked")
	}
	before := o.Stats().Dropped
	o.Play(long)
	if o.Stats().Dropped != before+1 {
		t.Fatal("Play after Close not counted")
	}
	if err := o.Flush(context.Background()); err == nil {
		t.Fatal("Flush after Close succeeded")
	}
}

// capture runs ffmpeg for secs seconds into a source.Ingest and returns
// the packets with their arrival times.
func capture(t *testing.T, ffmpeg string, secs int) (src []byte, pkts []received) {
	t.Helper()
	base := freeBase(t, 2)
	src = bytes.Replace(ffmpegSDP(t), []byte("m=video 5004 "), []byte(fmt.Sprintf("m=video %d ", base)), 1)
	src = bytes.Replace(src, []byte("m=audio 5006 "), []byte(fmt.Sprintf("m=audio %d ", base+2)), 1)
	s, err := source.ParseSDP(src)
	if err != nil {
		t.Fatal(err)
	}
	g, err := source.NewIngest(s, "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	ch := make(chan received, 8192)
	res := make(chan error, 1)
	go func() {
		res <- g.Run(ctx, func(p []byte) { ch <- received{p, time.Now()} })
	}()
	select {
	case <-g.Ready():
	case err := <-res:
		t.Fatal(err)
	}
	args := strings.Fields(fmt.Sprintf("-hide_banner -nostdin -loglevel warning -re "+
		"-f lavfi -i testsrc=size=320x240:rate=25 -f lavfi -i sine=frequency=440:sample_rate=48000 "+
		"-map 0:v -c:v libx264 -preset ultrafast -tune zerolatency -g 25 -bf 0 -t %d -f rtp rtp://127.0.0.1:%d "+
		"-map 1:a -c:a libopus -b:a 64k -t %d -f rtp rtp://127.0.0.1:%d", secs, base, secs, base+2))
	cmd := exec.CommandContext(ctx, ffmpeg, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("ffmpeg: %v\n%s", err, stderr.String())
	}
	// An end marker per port: once it is through, so is all ffmpeg sent.
	for i, p := range []int{base, base + 2} {
		c, err := net.DialUDP("udp4", nil, &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: p})
		if err != nil {
			t.Fatal(err)
		}
		m := pkt(t, s.Media[i].PayloadType, 0, 0, "end")
		m[8], m[9], m[10], m[11] = 0xde, 0xad, 0xbe, 0xef
		c.Write(m)
		c.Close()
	}
	for ends := 0; ends < 2; {
		select {
		case r := <-ch:
			if bytes.Equal(r.pkt[8:12], []byte{0xde, 0xad, 0xbe, 0xef}) {
				ends++
			} else {
				pkts = append(pkts, r)
			}
		case <-ctx.Done():
			t.Fatal("end markers not through")
		}
	}
	cancel()
	if err := <-res; err != nil {
		t.Fatal(err)
	}
	if st := g.Stats(); st.Malformed != 0 || st.WrongType != 0 {
		t.Fatalf("ingest stats %+v", st)
	}
	return src, pkts
}

// TestRTPOutputFFmpeg sends what ffmpeg encoded (captured by a
// source.Ingest, cut into 200 ms chunks by arrival) through an RTPOutput
// to an ffmpeg that reads the SDP of WriteSDP, and checks that it decodes
// every frame without errors.
func TestRTPOutputFFmpeg(t *testing.T) {
	ffmpeg, err := exec.LookPath("ffmpeg")
	if err != nil {
		t.Skip("ffmpeg not installed")
	}
	if testing.Short() {
		t.Skip("short")
	}
	src, pkts := capture(t, ffmpeg, 3)
	const d = 200 * time.Millisecond
	var chunks []*chunk.Chunk
	frames := map[uint8]int{}
	for _, r := range pkts {
		k := int(r.at.Sub(pkts[0].at) / d)
		for len(chunks) <= k {
			n := len(chunks)
			chunks = append(chunks, &chunk.Chunk{Seq: uint64(n), Time: int64(n) * int64(d), Duration: int64(d)})
		}
		chunks[k].Packets = append(chunks[k].Packets, r.pkt)
		var h rtp.Header
		h.Unmarshal(r.pkt)
		if h.PayloadType == 97 || h.Marker {
			frames[h.PayloadType]++ // one Opus frame a packet; a marker ends an H.264 frame
		}
	}
	t.Logf("captured %d packets (%d video frames, %d audio frames) in %d chunks", len(pkts), frames[96], frames[97], len(chunks))

	base := freeBase(t, 2)
	sdpPath := filepath.Join(t.TempDir(), "out.sdp")
	if err := player.WriteSDP(sdpPath, src, "127.0.0.1", base); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	// -listen_timeout makes ffmpeg end 2 s after the last packet;
	// repeat+verbose prints one line per media once its sockets are bound.
	cmd := exec.CommandContext(ctx, ffmpeg, "-hide_banner", "-nostdin", "-loglevel", "repeat+verbose",
		"-protocol_whitelist", "file,udp,rtp", "-listen_timeout", "2", "-i", sdpPath,
		"-map", "0:v", "-map", "0:a", "-f", "null", "-")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ready := make(chan struct{})
	var mu sync.Mutex
	var lines []string
	scanned := make(chan struct{})
	go func() {
		defer close(scanned)
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		sc.Split(scanCRLF)
		bound := 0
		for sc.Scan() {
			l := sc.Text()
			mu.Lock()
			lines = append(lines, l)
			mu.Unlock()
			if strings.Contains(l, "setting jitter buffer size") {
				if bound++; bound == 2 {
					close(ready)
				}
			}
		}
	}()
	select {
	case <-ready:
	case <-scanned:
		t.Fatalf("ffmpeg ended before binding:\n%s", strings.Join(lines, "\n"))
	case <-ctx.Done():
		t.Fatal("ffmpeg did not bind its ports")
	}

	o := newOutput(t, fmt.Sprintf("rtp://127.0.0.1:%d", base), src)
	start := time.Now()
	for _, c := range chunks {
		o.Play(c) // all at once: the output plays them back to back
	}
	flush(t, o)
	elapsed := time.Since(start)
	st := o.Stats()
	if st.Packets != uint64(len(pkts)) || st.Dropped != 0 || st.Unknown != 0 || st.Errors != 0 {
		t.Fatalf("output stats %+v, %d packets captured", st, len(pkts))
	}
	<-scanned
	werr := cmd.Wait()
	out := strings.Join(lines, "\n")
	dec := map[string]int{}
	for _, m := range regexp.MustCompile(`Input stream #0:\d \((video|audio)\): \d+ packets read \(\d+ bytes\); (\d+) frames decoded`).FindAllStringSubmatch(out, -1) {
		dec[m[1]], _ = strconv.Atoi(m[2])
	}
	var bad []string
	for _, l := range lines {
		ll := strings.ToLower(l)
		if strings.Contains(l, "Connection timed out") {
			continue // how -listen_timeout ends the input
		}
		for _, w := range []string{"error", "decode_slice", "concealing", "corrupt", "missed", "invalid", "non-existing pps"} {
			if strings.Contains(ll, w) {
				bad = append(bad, l)
				break
			}
		}
	}
	t.Logf("sent %d packets in %v; ffmpeg (exit %v) decoded %d video frames, %d audio frames", st.Packets, elapsed.Round(time.Millisecond), werr, dec["video"], dec["audio"])
	if len(bad) > 0 {
		t.Errorf("ffmpeg reported problems:\n%s", strings.Join(bad, "\n"))
	}
	if dec["video"] < frames[96] || dec["audio"] < frames[97] {
		t.Errorf("decoded %v, sent %v frames; ffmpeg said:\n%s", dec, frames, out)
	}
	if elapsed < time.Duration(len(chunks)-2)*d {
		t.Errorf("%d chunks of %v sent in %v: faster than real time", len(chunks), d, elapsed)
	}
}

// scanCRLF splits ffmpeg's output at \n or \r (its progress lines end in
// \r).
func scanCRLF(data []byte, atEOF bool) (int, []byte, error) {
	if i := bytes.IndexAny(data, "\r\n"); i >= 0 {
		return i + 1, data[:i], nil
	}
	if atEOF && len(data) > 0 {
		return len(data), data, nil
	}
	return 0, nil, nil
}
