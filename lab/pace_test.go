package lab

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
)

// TestSourceKeepsPaceSim: in the simulator the source takes the stream in
// at its nominal rate.
func TestSourceKeepsPaceSim(t *testing.T) {
	r := runMode(t, "direct", 5, 10*time.Second, func(sc *Scenario) { sc.SourceUpload = 20 })
	if r.SourcePace < 0.99 || r.SourcePace > 1.01 {
		t.Fatalf("source pace %.4f, want 1", r.SourcePace)
	}
}

// TestStreamQUICSmall runs a small forest over real QUIC on loopback: the
// viewers play, nothing forged is played, and the source keeps pace with
// the clock (a chunker that re-armed its timer from each late call ran
// 5% slow here: pace 0.944). With ALM_LAB_PROGRESS set, a line a second
// counts what the viewers played and what the fullest uplink sent.
func TestStreamQUICSmall(t *testing.T) {
	if testing.Short() {
		t.Skip("runs 10s of stream over QUIC")
	}
	t.Setenv("ALM_LAB_PROGRESS", "1")
	var out bytes.Buffer
	progressOut = &out
	t.Cleanup(func() { progressOut = os.Stderr })
	r := runMode(t, "forest", 8, 10*time.Second, func(sc *Scenario) { sc.Net = "quic" })
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	played, conns, hotCap := 0, 0, 0
	for _, l := range lines {
		var p int
		if i := strings.Index(l, " played="); i >= 0 {
			fmt.Sscanf(l[i:], " played=%d", &p)
		}
		played += p
		if i := strings.Index(l, " conns="); i >= 0 {
			fmt.Sscanf(l[i:], " conns=%d", &conns)
		}
		if i := strings.Index(l, " hot_cap="); i >= 0 {
			fmt.Sscanf(l[i:], " hot_cap=%d", &hotCap)
		}
	}
	// The fullest uplink's figures: a forest viewer with upload has a cap,
	// and its chunks show by protocol.
	if hotCap <= 0 || !strings.Contains(out.String(), " hot_kbit_chunk=") {
		t.Errorf("progress: no fullest uplink's figures (cap %d):\n%s", hotCap, out.String())
	}
	// 9 nodes, each with a connection to some of the others.
	if conns < 8 || conns > 9*8*2 {
		t.Errorf("progress: %d connections open at the end", conns)
	}
	// 8 viewers, 20 chunks a second, a 10 s run, less the startup.
	if len(lines) != 10 || !strings.Contains(out.String(), "answered=8 ") || played < 400 || played > 1600 {
		t.Errorf("progress: %d lines, %d chunks played in all:\n%s", len(lines), played, out.String())
	}
	if r.Viewers != 8 || r.ForgedPlayed != 0 {
		t.Fatalf("viewers %d, forged played %d", r.Viewers, r.ForgedPlayed)
	}
	if r.ContinuityMean < 0.9 {
		t.Errorf("continuity %.3f", r.ContinuityMean)
	}
	if r.SourcePace < 0.97 {
		t.Errorf("source pace %.4f: the source fell behind the clock", r.SourcePace)
	}
	// The frames sent by type add up to the frames sent: chunks, and the
	// trees' keep-alives among them.
	var sum uint64
	for _, n := range r.FramesByType {
		sum += n
	}
	if r.FramesByType["chunk.chunk"] == 0 || r.FramesByType["scribe.refresh"] == 0 || float64(sum) != r.Extra["qnet_frames_sent"] {
		t.Errorf("frames by type %v, %v frames sent", r.FramesByType, r.Extra["qnet_frames_sent"])
	}
}

// TestStreamQUICFairUplink runs a small mesh over QUIC with fair uplinks
// (a queue per destination in each shim): the stream plays as it does
// behind first-in-first-out uplinks.
func TestStreamQUICFairUplink(t *testing.T) {
	if testing.Short() {
		t.Skip("runs 8s of stream over QUIC")
	}
	r := runMode(t, "mesh", 8, 8*time.Second, func(sc *Scenario) { sc.Net, sc.Uplink = "quic", UplinkFair })
	if r.Viewers != 8 || r.ForgedPlayed != 0 {
		t.Fatalf("viewers %d, forged played %d", r.Viewers, r.ForgedPlayed)
	}
	if r.ContinuityMean < 0.9 {
		t.Errorf("continuity %.3f behind fair uplinks", r.ContinuityMean)
	}
}
