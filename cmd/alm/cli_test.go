package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// cliBuild builds the alm binary into a directory of t's (removed when t
// ends), with the go command of the toolchain running the test.
func cliBuild(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "alm")
	if runtime.GOOS == "windows" {
		bin += ".exe"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, filepath.Join(runtime.GOROOT(), "bin", "go"), "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// cliSetup skips the test in short mode (it builds the binary), builds
// the binary and returns it with a context that ends after d.
func cliSetup(t *testing.T, d time.Duration) (string, context.Context) {
	t.Helper()
	if testing.Short() {
		t.Skip("short: builds the binary")
	}
	bin := cliBuild(t)
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return bin, ctx
}

// cliFreeUDPPort returns a loopback UDP port that was free a moment ago.
func cliFreeUDPPort(t *testing.T) int {
	t.Helper()
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port
}

// TestCLI runs the binary with bad input: every case must end soon with
// the exit status wanted and an error message naming the problem, never a
// panic.
func TestCLI(t *testing.T) {
	if testing.Short() {
		t.Skip("short: builds the binary")
	}
	bin := cliBuild(t)
	dir := t.TempDir()
	// Each source its own key file, never the default ./source.key.
	key := func(name string) string { return filepath.Join(dir, name+".key") }
	noMedia := filepath.Join(dir, "nomedia.sdp")
	if err := os.WriteFile(noMedia, []byte("v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=No Name\r\nt=0 0\r\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	notSDP := filepath.Join(dir, "garbage.sdp")
	if err := os.WriteFile(notSDP, []byte("this is not a session description\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	channel := "alm://" + strings.Repeat("ab", 32) + "/x"
	src := "127.0.0.1:" + fmt.Sprint(cliFreeUDPPort(t))
	nobody := "127.0.0.1:" + fmt.Sprint(cliFreeUDPPort(t))
	held, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { held.Close() }) // after the parallel subtests
	taken := held.LocalAddr().String()

	for _, tc := range []struct {
		name    string
		args    []string
		code    int           // exit status wanted
		want    []string      // substrings of stderr, all wanted
		maxTime time.Duration // 0: 10 s
	}{
		{"NoArgs", nil, 2, []string{"usage: alm"}, 0},
		{"UnknownCommand", []string{"frobnicate"}, 2, []string{`unknown command "frobnicate"`, "usage: alm"}, 0},
		{"UnknownFlag", []string{"player", "--no-such-flag"}, 1, []string{"no-such-flag"}, 0},
		{"PlayerGarbageChannel", []string{"player", "--channel", "garbage", "--bootstrap", "127.0.0.1:1"}, 1,
			[]string{"alm player:", "channel", `"garbage"`}, 0},
		{"PlayerShortKey", []string{"player", "--channel", "alm://abcd/x", "--bootstrap", "127.0.0.1:1"}, 1,
			[]string{"alm player:", "channel", "hex"}, 0},
		{"PlayerNoBootstrap", []string{"player", "--channel", channel}, 1, []string{"bootstrap", "required"}, 0},
		{"PlayerBadBootstrap", []string{"player", "--channel", channel, "--bootstrap", "nohostport"}, 1, []string{"bootstrap", "nohostport"}, 0},
		{"PlayerBadOutput", []string{"player", "--channel", channel, "--bootstrap", "127.0.0.1:1", "--output", "udp://127.0.0.1:5004"}, 1,
			[]string{"alm player:", "udp://127.0.0.1:5004"}, 0},
		{"PlayerUnreachableBootstrap", []string{"player", "--channel", channel, "--bootstrap", nobody, "--join-timeout", "3s"}, 1,
			[]string{"alm player:", "could not join", "bootstrap", nobody}, 12 * time.Second},
		{"SourceMissingSDP", []string{"source", "--listen", src, "--key", key("SourceMissingSDP"), "--input", "rtp:/nonexistent.sdp"}, 1,
			[]string{"alm source:", "/nonexistent.sdp", "no such file"}, 0},
		{"SourceNoMediaSDP", []string{"source", "--listen", src, "--key", key("SourceNoMediaSDP"), "--input", "rtp:" + noMedia}, 1,
			[]string{"alm source:", "SDP", "no media", noMedia}, 0},
		{"SourceGarbageSDP", []string{"source", "--listen", src, "--key", key("SourceGarbageSDP"), "--input", "rtp:" + notSDP}, 1,
			[]string{"alm source:", "SDP", notSDP}, 0},
		{"SourceBogusInput", []string{"source", "--listen", src, "--key", key("SourceBogusInput"), "--input", "bogus"}, 1,
			[]string{"alm source:", `"bogus"`, "rtp:FILE.sdp"}, 0},
		{"SourceBadTSPort", []string{"source", "--listen", src, "--key", key("SourceBadTSPort"), "--input", "rtp-ts:x"}, 1,
			[]string{"alm source:", "rtp-ts:PORT", `"x"`}, 0},
		{"SourceTSPortRange", []string{"source", "--listen", src, "--key", key("SourceTSPortRange"), "--input", "rtp-ts:70000"}, 1,
			[]string{"alm source:", "SDP", "70000"}, 0},
		{"SourceBadTestRate", []string{"source", "--listen", src, "--key", key("SourceBadTestRate"), "--input", "test:fast"}, 1,
			[]string{"alm source:", "test:BITRATE", `"fast"`}, 0},
		{"SourceUnspecifiedListen", []string{"source", "--listen", "0.0.0.0:4000", "--key", key("SourceUnspecifiedListen")}, 1,
			[]string{"alm source:", "listen", "0.0.0.0:4000"}, 0},
		{"SourceListenTaken", []string{"source", "--listen", taken, "--key", key("SourceListenTaken"), "--input", "test:100k"}, 1,
			[]string{"alm source:", taken, "address already in use"}, 0},
		{"PlayerListenTaken", []string{"player", "--listen", taken, "--channel", channel, "--bootstrap", "127.0.0.1:1"}, 1,
			[]string{"alm player:", taken, "address already in use"}, 0},
		{"LabUploadShares", []string{"lab", "--upload", "3x:50"}, 1, []string{"alm lab:", "upload", "100%"}, 0},
		{"LabRate", []string{"lab", "--rate", "abc"}, 1, []string{"alm lab:", `"abc"`, "bit rate"}, 0},
		{"LabStripes", []string{"lab", "--modes", "forest", "--stripes", "17"}, 1, []string{"alm lab:", "17 stripes", "1 to 16"}, 0},
		{"SourceStripesRange", []string{"source", "--listen", src, "--key", key("SourceStripesRange"), "--mode", "forest", "--stripes", "17"}, 1,
			[]string{"alm source:", "-stripes", "17 stripes", "1 to 16"}, 0},
		{"SourceStripesNotForest", []string{"source", "--listen", src, "--key", key("SourceStripesNotForest"), "--mode", "mesh", "--stripes", "8"}, 1,
			[]string{"alm source:", "-stripes is for -mode forest", "mesh"}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			maxTime := tc.maxTime
			if maxTime == 0 {
				maxTime = 10 * time.Second
			}
			// Leave room past maxTime to tell a slow exit from a hang.
			ctx, cancel := context.WithTimeout(context.Background(), maxTime+20*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, bin, tc.args...)
			cmd.Dir = dir
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			start := time.Now()
			err := cmd.Run()
			took := time.Since(start)
			code := 0
			var ee *exec.ExitError
			switch {
			case err == nil:
			case errors.As(err, &ee) && ee.Exited():
				code = ee.ExitCode()
			default:
				t.Fatalf("alm %s: %v after %v (killed?)\nstderr:\n%s", strings.Join(tc.args, " "), err, took, stderr.String())
			}
			t.Logf("alm %s: exit %d after %v: %s", strings.Join(tc.args, " "), code, took.Round(time.Millisecond), strings.TrimSpace(cliLastLine(stderr.String())))
			if code != tc.code {
				t.Errorf("exit status %d, want %d", code, tc.code)
			}
			if took > maxTime {
				t.Errorf("took %v, want at most %v", took, maxTime)
			}
			se := stderr.String()
			for _, w := range tc.want {
				if !strings.Contains(se, w) {
					t.Errorf("stderr lacks %q", w)
				}
			}
			if strings.Contains(se, "panic:") || strings.Contains(se, "goroutine ") {
				t.Errorf("stderr shows a panic")
			}
			if t.Failed() {
				t.Logf("stderr:\n%s\nstdout:\n%s", se, stdout.String())
			}
		})
	}
}

// cliLastLine returns the last non-empty line of s.
func cliLastLine(s string) string {
	s = strings.TrimRight(s, "\n")
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}
