package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// e2eProc is a process whose stdout and stderr are read line by line
// (at \n or \r) into memory while it runs.
type e2eProc struct {
	name string
	cmd  *exec.Cmd
	done chan struct{} // closed once the output is read and Wait returned
	err  error         // what Wait returned, once done is closed

	mu      sync.Mutex
	stdout  []string
	stderr  []string
	changed chan struct{} // closed and replaced when a line arrives
}

// e2eStart starts bin with args; the process is killed when the test ends
// if it still runs.
func e2eStart(t *testing.T, ctx context.Context, name, bin string, args ...string) *e2eProc {
	t.Helper()
	p := &e2eProc{name: name, done: make(chan struct{}), changed: make(chan struct{})}
	p.cmd = exec.CommandContext(ctx, bin, args...)
	p.cmd.WaitDelay = 5 * time.Second
	outR, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	errR, err := p.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	var wg sync.WaitGroup
	for _, s := range []struct {
		r    io.Reader
		dest *[]string
	}{{outR, &p.stdout}, {errR, &p.stderr}} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sc := bufio.NewScanner(s.r)
			sc.Buffer(make([]byte, 64<<10), 1<<20)
			sc.Split(e2eScanLines)
			for sc.Scan() {
				if sc.Text() == "" {
					continue
				}
				p.mu.Lock()
				*s.dest = append(*s.dest, sc.Text())
				close(p.changed)
				p.changed = make(chan struct{})
				p.mu.Unlock()
			}
			io.Copy(io.Discard, s.r)
		}()
	}
	go func() {
		wg.Wait()
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
			return
		default:
		}
		p.cmd.Process.Kill()
		select {
		case <-p.done:
		case <-time.After(10 * time.Second):
			t.Errorf("%s: not ended 10 s after the kill", p.name)
		}
		if t.Failed() {
			t.Logf("%s (killed) stderr:\n%s", p.name, p.text())
		}
	})
	return p
}

// text returns the stderr read so far.
func (p *e2eProc) text() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.stderr, "\n")
}

// lines returns the stdout or stderr lines read so far.
func (p *e2eProc) lines(stdout bool) []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if stdout {
		return append([]string(nil), p.stdout...)
	}
	return append([]string(nil), p.stderr...)
}

// waitLine waits until ok holds for a line of stdout or stderr and returns
// the line; it fails the test if the process ends or ctx does first.
func (p *e2eProc) waitLine(t *testing.T, ctx context.Context, stdout bool, what string, ok func(string) bool) string {
	t.Helper()
	seen := 0
	for {
		p.mu.Lock()
		ls := p.stderr
		if stdout {
			ls = p.stdout
		}
		for ; seen < len(ls); seen++ {
			if ok(ls[seen]) {
				l := ls[seen]
				p.mu.Unlock()
				return l
			}
		}
		changed := p.changed
		p.mu.Unlock()
		select {
		case <-changed:
		case <-p.done:
			// The last lines may have come with the end.
			p.mu.Lock()
			ls = p.stderr
			if stdout {
				ls = p.stdout
			}
			for ; seen < len(ls); seen++ {
				if ok(ls[seen]) {
					l := ls[seen]
					p.mu.Unlock()
					return l
				}
			}
			p.mu.Unlock()
			t.Fatalf("%s ended (%v) before %s; stderr:\n%s", p.name, p.err, what, p.text())
		case <-ctx.Done():
			t.Fatalf("%s: no %s before the deadline; stderr:\n%s", p.name, what, p.text())
		}
	}
}

// wait waits for the process to end, at most d.
func (p *e2eProc) wait(d time.Duration) (error, bool) {
	select {
	case <-p.done:
		return p.err, true
	case <-time.After(d):
		return nil, false
	}
}

// e2eScanLines splits at \n or \r (ffmpeg's progress lines end in \r).
func e2eScanLines(data []byte, atEOF bool) (int, []byte, error) {
	if i := bytes.IndexAny(data, "\r\n"); i >= 0 {
		return i + 1, data[:i], nil
	}
	if atEOF && len(data) > 0 {
		return len(data), data, nil
	}
	return 0, nil, nil
}

// e2ePorts returns, for each n in widths, an even loopback UDP port P with
// P .. P+n-1 free, and the ranges do not overlap. Another process may take
// a port before the test uses it; that is rare on a test machine.
func e2ePorts(t *testing.T, widths ...int) []int {
	t.Helper()
	lo := net.IPv4(127, 0, 0, 1)
	var held []*net.UDPConn
	defer func() {
		for _, c := range held {
			c.Close()
		}
	}()
	var out []int
	for _, n := range widths {
		found := false
		for tries := 0; tries < 200 && !found; tries++ {
			c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: lo})
			if err != nil {
				t.Fatal(err)
			}
			held = append(held, c)
			p := c.LocalAddr().(*net.UDPAddr).Port
			if p%2 != 0 || p+n > 65536 {
				continue
			}
			found = true
			for q := p + 1; q < p+n; q++ {
				c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: lo, Port: q})
				if err != nil {
					found = false
					break
				}
				held = append(held, c)
			}
			if found {
				out = append(out, p)
			}
		}
		if !found {
			t.Fatal("no free UDP port range")
		}
	}
	return out
}

var (
	// Final statistics of an ffmpeg run with -loglevel verbose.
	e2eDecodedRE = regexp.MustCompile(`Input stream #0:\d+ \((video|audio)\): \d+ packets read \(\d+ bytes\); (\d+) frames decoded`)
	e2eMuxedRE   = regexp.MustCompile(`Output stream #\d+:\d+ \((video|audio)\): (\d+) frames encoded.*?; (\d+) packets muxed`)
	// One field of a slog text line.
	e2eFieldRE = regexp.MustCompile(`(\w+)=("[^"]*"|\S+)`)
)

// e2eFields reads the key=value fields of a slog text line.
func e2eFields(l string) map[string]string {
	m := map[string]string{}
	for _, f := range e2eFieldRE.FindAllStringSubmatch(l, -1) {
		m[f[1]] = strings.Trim(f[2], `"`)
	}
	return m
}

// e2eCase is one way of feeding `alm source` in an end-to-end test.
type e2eCase struct {
	// tool is the sender's program, looked up on PATH; the test skips
	// without it.
	tool string
	// input returns the source's --input for ingest ports in, in+1, ...
	// (writing any SDP it needs into dir).
	input func(t *testing.T, dir string, in int) string
	// media is how many RTP media the player plays out (and the
	// receiving ffmpeg binds).
	media int
	// send starts the sender, in real time, for secs seconds to ports
	// in, in+1, ...; it must end by itself.
	send func(t *testing.T, ctx context.Context, bin string, in int) *e2eProc
	// sent reads the frames per medium ("video", "audio") the sender sent
	// from its output, once it ended.
	sent func(p *e2eProc) map[string]int
	// least is the fewest frames per medium a good sender run sends.
	least map[string]int
	// held is how many frames per medium at the end of the stream the
	// receiving ffmpeg may not decode: its MPEG-TS demuxer keeps the
	// last PES packet of each stream (sent to it straight, without alm,
	// it decodes the same frames).
	held map[string]int
}

// e2eSecs is how long the senders of the end-to-end tests send.
const e2eSecs = 10

// e2eStream runs the system as a user would: the case's sender sends RTP
// to `alm source`, which broadcasts it over QUIC on loopback to `alm
// player`, which plays it out as RTP to an ffmpeg that decodes it. Every
// frame sent must be decoded (99%), without decoder errors, and both alm
// processes must leave cleanly on SIGINT.
func e2eStream(t *testing.T, c e2eCase) {
	tool, err := exec.LookPath(c.tool)
	if err != nil {
		t.Skip(c.tool + " not installed")
	}
	ffmpeg, err := exec.LookPath("ffmpeg")
	if err != nil {
		t.Skip("ffmpeg not installed")
	}
	if testing.Short() {
		t.Skip("short")
	}
	if runtime.GOOS == "windows" {
		t.Skip("needs SIGINT")
	}
	began := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	bin := cliBuild(t)
	dir := t.TempDir()

	// S: the source's QUIC port; P .. P+3: the ingest's ports (video and
	// audio, and the sender's RTCP); Q .. Q+3: the player's output and the
	// receiver's RTCP ports.
	ports := e2ePorts(t, 1, 4, 4)
	srcAddr := fmt.Sprintf("127.0.0.1:%d", ports[0])
	in, out := ports[1], ports[2]
	outSDP := filepath.Join(dir, "out.sdp")

	// The source: its first line of stdout is the channel.
	src := e2eStart(t, ctx, "source", bin, "source", "--listen", srcAddr, "--channel", "e2e",
		"--input", c.input(t, dir, in), "--key", filepath.Join(dir, "source.key"), "--mode", "direct")
	channel := src.waitLine(t, ctx, true, "channel on stdout", func(string) bool { return true })
	src.waitLine(t, ctx, false, `"waiting for RTP"`, func(l string) bool { return strings.Contains(l, "waiting for RTP") })
	if !strings.HasPrefix(channel, "alm://") || !strings.HasSuffix(channel, "/e2e") {
		t.Fatalf("source printed %q, not a channel", channel)
	}

	// The player writes its SDP once it has the channel's metadata.
	ply := e2eStart(t, ctx, "player", bin, "player", "--bootstrap", srcAddr, "--channel", channel,
		"--output", fmt.Sprintf("rtp://127.0.0.1:%d", out), "--sdp", outSDP, "--startup", "3s")
	func() {
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		deadline := time.After(20 * time.Second)
		for {
			if _, err := os.Stat(outSDP); err == nil {
				return
			}
			select {
			case <-tick.C:
			case <-ply.done:
				t.Fatalf("player ended (%v) before writing %s:\n%s", ply.err, outSDP, ply.text())
			case <-deadline:
				t.Fatalf("player wrote no %s in 20 s:\n%s", outSDP, ply.text())
			}
		}
	}()
	b, err := os.ReadFile(outSDP)
	for i := 0; i < c.media && err == nil; i++ {
		if !bytes.Contains(b, []byte(fmt.Sprintf(" %d RTP/AVP ", out+2*i))) {
			err = fmt.Errorf("no medium on port %d", out+2*i)
		}
	}
	if err != nil {
		t.Fatalf("output SDP %q: %v", b, err)
	}

	// The receiver. Before the first packet it waits for the sender to
	// start, a chunk to fill and the player's 3 s startup buffer:
	// -listen_timeout (which counts from the last packet, or from the
	// start) must exceed that. It then ends that long after the last
	// packet. At that end ffmpeg drains the decoders, and reads (and
	// waits) once more for every frame a decoder returns then: with
	// frame threads the H.264 decoder holds some frames, and the wait
	// would be repeated for each. One decoder thread holds none.
	const listenTimeout = 8
	rcv := e2eStart(t, ctx, "receiving ffmpeg", ffmpeg, "-hide_banner", "-nostdin", "-loglevel", "repeat+verbose",
		"-protocol_whitelist", "file,udp,rtp", "-listen_timeout", strconv.Itoa(listenTimeout), "-threads", "1", "-i", outSDP,
		"-map", "0:v", "-map", "0:a", "-f", "null", "-")
	bound := 0
	rcv.waitLine(t, ctx, false, "every medium bound", func(l string) bool {
		if strings.Contains(l, "setting jitter buffer size") {
			bound++
		}
		return bound == c.media
	})

	sendStart := time.Now()
	snd := c.send(t, ctx, tool, in)
	if err, ok := snd.wait(e2eSecs*time.Second + 30*time.Second); !ok || err != nil {
		t.Fatalf("%s: %v (ended %v):\n%s", snd.name, err, ok, snd.text())
	}
	sendTook := time.Since(sendStart)
	sent := c.sent(snd)
	for media, n := range c.least {
		if sent[media] < n {
			t.Fatalf("sender reports %v, want at least %v:\n%s", sent, c.least, snd.text())
		}
	}

	// The receiver ends listenTimeout after the player's last packet,
	// which follows the sender's by the startup buffer.
	rcvErr, ok := rcv.wait(3*time.Second + listenTimeout*time.Second + 20*time.Second)
	if !ok {
		t.Fatalf("receiving ffmpeg did not end:\n%s", rcv.text())
	}
	rcvOut := rcv.text()
	dec := map[string]int{}
	for _, m := range e2eDecodedRE.FindAllStringSubmatch(rcvOut, -1) {
		dec[m[1]], _ = strconv.Atoi(m[2])
	}
	var bad []string
	for _, l := range rcv.lines(false) {
		ll := strings.ToLower(l)
		if strings.Contains(l, "Connection timed out") {
			continue // how -listen_timeout ends the input
		}
		for _, w := range []string{"error", "decode_slice", "concealing", "corrupt", "missed", "invalid", "non-existing pps", "no frame"} {
			if strings.Contains(ll, w) {
				bad = append(bad, l)
				break
			}
		}
	}

	// Stop the player, then the source; both must leave cleanly.
	var status map[string]string
	for _, p := range []*e2eProc{ply, src} {
		if err := p.cmd.Process.Signal(os.Interrupt); err != nil {
			t.Fatalf("%s: %v", p.name, err)
		}
		err, ok := p.wait(10 * time.Second)
		if !ok {
			t.Fatalf("%s did not end 10 s after SIGINT:\n%s", p.name, p.text())
		}
		if err != nil {
			t.Errorf("%s exited with %v:\n%s", p.name, err, p.text())
		}
		for _, l := range p.lines(false) {
			if strings.Contains(l, "level=ERROR") || strings.Contains(l, "panic:") {
				t.Errorf("%s logged: %s", p.name, l)
			}
		}
	}
	var plyStatus, srcStatus string
	for _, l := range ply.lines(false) {
		if strings.Contains(l, "msg=leaving") || strings.Contains(l, "msg=status") {
			plyStatus, status = l, e2eFields(l)
		}
	}
	for _, l := range src.lines(false) {
		if strings.Contains(l, "msg=status") {
			srcStatus = l
		}
	}

	t.Logf("sender: %v frames in %v", sent, sendTook.Round(time.Millisecond))
	t.Logf("receiver (exit %v): decoded %v frames", rcvErr, dec)
	t.Logf("source: %s", srcStatus)
	t.Logf("player: %s", plyStatus)
	t.Logf("whole test %v", time.Since(began).Round(time.Millisecond))

	if len(bad) > 0 {
		t.Errorf("the receiving ffmpeg reported problems:\n%s", strings.Join(bad, "\n"))
	}
	for media, n := range sent {
		if 100*dec[media] < 99*(n-c.held[media]) {
			t.Errorf("%s: decoded %d of %d frames sent, %d held at the end (want 99%% of the rest)", media, dec[media], n, c.held[media])
		}
	}
	if status == nil {
		t.Errorf("the player logged no status")
	} else if status["missed"] != "0" {
		t.Errorf("the player missed chunks: %s", plyStatus)
	}
	if t.Failed() {
		t.Logf("receiving ffmpeg:\n%s", rcvOut)
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			t.Log("the test's deadline passed")
		}
	}
}

// e2eWriteSDP writes an SDP for the ingest into dir, with the ports of
// its video and audio lines (5004 and 5006 in file) moved to in and in+2,
// and returns the source's --input for it.
func e2eWriteSDP(t *testing.T, dir, file string, in int) string {
	t.Helper()
	sdp, err := os.ReadFile(filepath.Join("..", "..", "source", "testdata", file))
	if err != nil {
		t.Fatal(err)
	}
	sdp = bytes.Replace(sdp, []byte("m=video 5004 "), []byte(fmt.Sprintf("m=video %d ", in)), 1)
	sdp = bytes.Replace(sdp, []byte("m=audio 5006 "), []byte(fmt.Sprintf("m=audio %d ", in+2)), 1)
	path := filepath.Join(dir, "in.sdp")
	if err := os.WriteFile(path, sdp, 0o644); err != nil {
		t.Fatal(err)
	}
	return "rtp:" + path
}

// e2eFFmpegInputs starts an ffmpeg sender's arguments: real time, a test
// picture (input 0) and a tone (input 1).
const e2eFFmpegInputs = "-hide_banner -nostdin -loglevel verbose -re " +
	"-f lavfi -i testsrc=size=320x240:rate=25 -f lavfi -i sine=frequency=440:sample_rate=48000 "

// e2eFFmpegSent reads what an ffmpeg sender with -loglevel verbose sent.
// An RTP packet carries a whole video frame's NAL units in one or more
// packets, but each Opus or AAC packet is one frame the receiver decodes
// (the encoder's final flush included): count encoded video frames and
// muxed audio packets.
func e2eFFmpegSent(p *e2eProc) map[string]int {
	sent := map[string]int{}
	for _, m := range e2eMuxedRE.FindAllStringSubmatch(p.text(), -1) {
		if m[1] == "video" {
			sent["video"], _ = strconv.Atoi(m[2])
		} else {
			sent["audio"], _ = strconv.Atoi(m[3])
		}
	}
	return sent
}

// TestEndToEndFFmpeg: ffmpeg encodes H.264 and Opus as RTP (with the SDP
// ffmpeg writes for it) to `alm source`, and a second ffmpeg decodes what
// `alm player` plays out.
func TestEndToEndFFmpeg(t *testing.T) {
	e2eStream(t, e2eCase{
		tool: "ffmpeg",
		input: func(t *testing.T, dir string, in int) string {
			return e2eWriteSDP(t, dir, "ffmpeg_h264_opus.sdp", in)
		},
		media: 2,
		send: func(t *testing.T, ctx context.Context, bin string, in int) *e2eProc {
			return e2eStart(t, ctx, "sending ffmpeg", bin, strings.Fields(fmt.Sprintf(e2eFFmpegInputs+
				"-map 0:v -c:v libx264 -preset ultrafast -tune zerolatency -g 25 -bf 0 -t %d -f rtp rtp://127.0.0.1:%d "+
				"-map 1:a -c:a libopus -b:a 64k -t %d -f rtp rtp://127.0.0.1:%d", e2eSecs, in, e2eSecs, in+2))...)
		},
		sent:  e2eFFmpegSent,
		least: map[string]int{"video": e2eSecs * 25, "audio": e2eSecs * 50},
	})
}

// TestEndToEndMPEGTS: ffmpeg sends H.264 and AAC in MPEG-TS over RTP
// (-f rtp_mpegts, what OBS's custom FFmpeg output with the rtp_mpegts
// container sends) to `alm source --input rtp-ts:PORT`, which needs no
// SDP, and a second ffmpeg decodes both streams from the one RTP medium
// `alm player` plays out.
func TestEndToEndMPEGTS(t *testing.T) {
	e2eStream(t, e2eCase{
		tool:  "ffmpeg",
		input: func(_ *testing.T, _ string, in int) string { return fmt.Sprintf("rtp-ts:%d", in) },
		media: 1,
		send: func(t *testing.T, ctx context.Context, bin string, in int) *e2eProc {
			return e2eStart(t, ctx, "sending ffmpeg", bin, strings.Fields(fmt.Sprintf(e2eFFmpegInputs+
				"-map 0:v -map 1:a -c:v libx264 -preset ultrafast -tune zerolatency -g 25 -bf 0 -c:a aac -b:a 64k "+
				"-t %d -f rtp_mpegts rtp://127.0.0.1:%d", e2eSecs, in))...)
		},
		sent: e2eFFmpegSent,
		// AAC frames are 1024 samples: 46.9 a second at 48 kHz.
		least: map[string]int{"video": e2eSecs * 25, "audio": e2eSecs * 46},
		// ffmpeg 5.1's muxer puts up to 7 AAC frames in a PES packet
		// (sent straight, 248 of 250 video and 463 of 470 audio frames
		// were decoded).
		held: map[string]int{"video": 2, "audio": 7},
	})
}

// TestEndToEndGStreamer: GStreamer sends H.264 and Opus as RTP, described
// by an SDP written by hand (GStreamer writes none; the README shows it),
// to `alm source`, and ffmpeg decodes what `alm player` plays out.
func TestEndToEndGStreamer(t *testing.T) {
	e2eStream(t, e2eCase{
		tool: "gst-launch-1.0",
		input: func(t *testing.T, dir string, in int) string {
			return e2eWriteSDP(t, dir, "gstreamer_h264_opus.sdp", in)
		},
		media: 2,
		send: func(t *testing.T, ctx context.Context, bin string, in int) *e2eProc {
			// Live sources pace the pipeline in real time; -e ends it
			// cleanly after the last buffer. x264enc's sliced threads
			// give I frames that ffmpeg conceals part of, even sent to
			// it straight: one thread.
			return e2eStart(t, ctx, "sending gst-launch-1.0", bin, strings.Fields(fmt.Sprintf("-e "+
				"videotestsrc is-live=true num-buffers=%d ! video/x-raw,format=I420,width=320,height=240,framerate=25/1 ! "+
				"x264enc tune=zerolatency speed-preset=ultrafast key-int-max=25 bframes=0 bitrate=800 threads=1 ! "+
				"rtph264pay pt=96 config-interval=-1 ! udpsink host=127.0.0.1 port=%d "+
				"audiotestsrc is-live=true num-buffers=%d samplesperbuffer=960 ! audio/x-raw,rate=48000 ! audioconvert ! "+
				"opusenc ! rtpopuspay pt=97 ! udpsink host=127.0.0.1 port=%d",
				e2eSecs*25, in, e2eSecs*50, in+2))...)
		},
		// The test sources send exactly their buffers: 25 frames a
		// second, and 20 ms of audio each, one Opus frame.
		sent:  func(*e2eProc) map[string]int { return map[string]int{"video": e2eSecs * 25, "audio": e2eSecs * 50} },
		least: map[string]int{"video": e2eSecs * 25, "audio": e2eSecs * 50},
	})
}
