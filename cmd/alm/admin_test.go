package main

import (
	"context"
	"io"
	"net/http"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// anyAdmin is the --admin address tests give: the node takes a free
// port and logs it (adminAddr reads it back). Ports picked free in
// advance raced: two players were once handed the same one.
const anyAdmin = "127.0.0.1:0"

var adminRe = regexp.MustCompile(`metrics=http://(\S+)/metrics`)

// adminAddr waits for p's log line naming its admin endpoint and returns
// the endpoint's address.
func adminAddr(t *testing.T, ctx context.Context, p *e2eProc) string {
	t.Helper()
	l := p.waitLine(t, ctx, false, "the admin endpoint", func(l string) bool { return strings.Contains(l, "msg=admin") })
	m := adminRe.FindStringSubmatch(l)
	if m == nil {
		t.Fatalf("%s: no address in its admin line %q", p.name, l)
	}
	return m[1]
}

var playedRe = regexp.MustCompile(`(?m)^alm_chunks_total\{outcome="played"\} (\d+)`)

// played scrapes a node's metrics and returns its played-chunks counter
// (-1 if absent).
func played(ctx context.Context, addr string) int {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/metrics", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return -1
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	m := playedRe.FindSubmatch(b)
	if m == nil {
		return -1
	}
	n, _ := strconv.Atoi(string(m[1]))
	return n
}

// TestAdminMetricsMoveAndInspectListsViewers runs a source and a player
// with --admin: the player's metrics must move while it plays, and alm
// inspect on the source must list the player.
func TestAdminMetricsMoveAndInspectListsViewers(t *testing.T) {
	bin, ctx := cliSetup(t, 60*time.Second)
	dir := t.TempDir()
	srcAddr := "127.0.0.1:" + strconv.Itoa(cliFreeUDPPort(t))
	src := e2eStart(t, ctx, "source", bin, "source", "--listen", srcAddr, "--channel", "adm", "--input", "test:500k",
		"--key", dir+"/src.key", "--admin", anyAdmin)
	ch := src.waitLine(t, ctx, true, "channel", func(l string) bool { return strings.HasPrefix(l, "alm://") })
	srcAdmin := adminAddr(t, ctx, src)
	pl := e2eStart(t, ctx, "player", bin, "player", "--bootstrap", srcAddr, "--channel", ch, "--output", "none",
		"--admin", anyAdmin, "--startup", "500ms")
	plAdmin := adminAddr(t, ctx, pl)

	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	first := -1
	for {
		select {
		case <-ctx.Done():
			t.Fatalf("the player's played counter did not move (first %d)\n%s", first, pl.text())
		case <-tick.C:
		}
		n := played(ctx, plAdmin)
		if n > 0 && first < 0 {
			first = n
		}
		if first > 0 && n > first {
			break
		}
	}
	out, err := exec.CommandContext(ctx, bin, "inspect", srcAdmin).CombinedOutput()
	if err != nil {
		t.Fatalf("inspect: %v\n%s", err, out)
	}
	if !strings.HasPrefix(string(out), "source ") || !strings.Contains(string(out), "viewers: [") {
		t.Fatalf("inspect shows no viewers:\n%s", out)
	}
	raw, err := exec.CommandContext(ctx, bin, "inspect", "-json", plAdmin).CombinedOutput()
	if err != nil || !strings.Contains(string(raw), `"leaf_set"`) || !strings.Contains(string(raw), `"continuity"`) {
		t.Fatalf("inspect -json: %v\n%s", err, raw)
	}
}
