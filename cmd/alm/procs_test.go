package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/almcast/alm/admin"
	"github.com/almcast/alm/delivery"
)

// The swarm of the process tests: a source at 500 kbit/s whose upload
// carries 1.5 times the stream, so that it cannot feed every player (in
// the forest, one child per stripe) and players, each uploading twice the
// stream, must forward to each other.
const (
	procsPlayers      = 5
	procsRate         = "500k"
	procsUpload       = "750k"
	procsPlayerUpload = "1M"
	// How much of the stream made after a kill every surviving player
	// must play, within procsKeepWithin.
	procsKeepPlaying = 2 * time.Second
	procsKeepWithin  = 20 * time.Second
)

// procsNode is one alm process of a swarm with its admin address.
type procsNode struct {
	name   string
	p      *e2eProc
	admin  string
	killed bool
}

// procsSwarm is a source and its players, each an alm process.
type procsSwarm struct {
	src     *procsNode
	srcArgs []string // the source's command line, to start it again
	channel string   // the channel string the source printed
	players []*procsNode
	chunk   time.Duration // the mode's chunk duration
}

// procsStart starts `alm source --mode mode` and n players watching it,
// each serving its admin endpoint. A chunk duration other than 0 is given
// to the source as --chunk.
func procsStart(t *testing.T, ctx context.Context, bin, mode string, n int, chunk time.Duration) *procsSwarm {
	t.Helper()
	dir := t.TempDir()
	srcAddr := "127.0.0.1:" + strconv.Itoa(cliFreeUDPPort(t))
	sw := &procsSwarm{src: &procsNode{name: "source"}, chunk: delivery.ChunkDuration(mode, chunk)}
	sw.srcArgs = []string{"source", "--listen", srcAddr, "--channel", "procs-" + mode,
		"--input", "test:" + procsRate, "--mode", mode, "--upload", procsUpload,
		"--key", filepath.Join(dir, "source.key"), "--admin", anyAdmin}
	if chunk != 0 {
		sw.srcArgs = append(sw.srcArgs, "--chunk", chunk.String())
	}
	sw.src.p = e2eStart(t, ctx, "source", bin, sw.srcArgs...)
	ch := sw.src.p.waitLine(t, ctx, true, "the channel on stdout", func(l string) bool { return strings.HasPrefix(l, "alm://") })
	sw.channel = ch
	sw.src.admin = adminAddr(t, ctx, sw.src.p)
	for i := range n {
		pl := &procsNode{name: fmt.Sprintf("player %d", i)}
		pl.p = e2eStart(t, ctx, pl.name, bin, "player", "--bootstrap", srcAddr, "--channel", ch, "--output", "none",
			"--admin", anyAdmin, "--startup", "500ms", "--upload", procsPlayerUpload)
		sw.players = append(sw.players, pl)
	}
	for _, pl := range sw.players {
		pl.admin = adminAddr(t, ctx, pl.p)
	}
	return sw
}

// dump shows every process: its admin address, whether it runs, and its
// log.
func (sw *procsSwarm) dump() string {
	var b strings.Builder
	for _, n := range append([]*procsNode{sw.src}, sw.players...) {
		state := "running"
		select {
		case <-n.p.done:
			state = fmt.Sprintf("ended: %v", n.p.err)
		default:
		}
		if n.killed {
			state = "killed by the test"
		}
		fmt.Fprintf(&b, "--- %s (admin %s, %s):\n%s\n", n.name, n.admin, state, n.p.text())
	}
	return b.String()
}

// alive returns the players the test did not kill.
func (sw *procsSwarm) alive() []*procsNode {
	var out []*procsNode
	for _, pl := range sw.players {
		if !pl.killed {
			out = append(out, pl)
		}
	}
	return out
}

// kill ends a player with SIGKILL: it tells no one.
func (sw *procsSwarm) kill(t *testing.T, pl *procsNode) {
	t.Helper()
	pl.killed = true
	if err := pl.p.cmd.Process.Kill(); err != nil {
		t.Fatalf("kill %s: %v", pl.name, err)
	}
	if _, ok := pl.p.wait(10 * time.Second); !ok {
		t.Fatalf("%s not ended 10 s after SIGKILL", pl.name)
	}
}

// procsState reads a node's /debug/state.
func procsState(ctx context.Context, addr string) (*admin.State, error) {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/debug/state", nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s: %s", resp.Status, b)
	}
	var s admin.State
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, err
	}
	return &s, nil
}

// procsModeStats shows the delivery mode's figures of each node, sorted.
func procsModeStats(names []string, states []*admin.State) string {
	var b strings.Builder
	for i, s := range states {
		if s == nil {
			fmt.Fprintf(&b, "%s: no state\n", names[i])
			continue
		}
		fmt.Fprintf(&b, "%s %s (%s): %s\n", names[i], short(s.ID), s.Addr, modeLine(s.ModeInfo))
	}
	return b.String()
}

// procsStates reads the state of every node in nodes (nil where it failed).
func procsStates(ctx context.Context, nodes []*procsNode) ([]string, []*admin.State) {
	names := make([]string, len(nodes))
	states := make([]*admin.State, len(nodes))
	for i, n := range nodes {
		names[i] = n.name
		states[i], _ = procsState(ctx, n.admin)
	}
	return names, states
}

// waitPlaying waits until every player's played counter moves.
func (sw *procsSwarm) waitPlaying(t *testing.T, ctx context.Context, within time.Duration) []int {
	t.Helper()
	deadline := time.NewTimer(within)
	defer deadline.Stop()
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	first := make([]int, len(sw.players))
	now := make([]int, len(sw.players))
	for i := range first {
		first[i] = -1
	}
	for {
		moving := 0
		for i, pl := range sw.players {
			now[i] = played(ctx, pl.admin)
			if now[i] > 0 && first[i] < 0 {
				first[i] = now[i]
			}
			if first[i] > 0 && now[i] > first[i] {
				moving++
			}
		}
		if moving == len(sw.players) {
			return now
		}
		select {
		case <-tick.C:
		case <-deadline.C:
			t.Fatalf("not every player plays within %v: first counts %v, now %v\n%s", within, first, now, sw.dump())
		case <-ctx.Done():
			t.Fatalf("not every player plays before the deadline: first counts %v, now %v\n%s", first, now, sw.dump())
		}
	}
}

// keepPlaying waits until every player of nodes has played want chunks
// that the source made after the call began: its played counter must
// pass its value at the start by want plus the chunks still to play then
// that the source had already made (the backlog: up to the playout lag),
// so the stream must still reach it. It polls for at most within and
// returns the played counts at the start and at the end, and the
// backlogs.
func (sw *procsSwarm) keepPlaying(t *testing.T, ctx context.Context, what string, nodes []*procsNode, want int,
	within time.Duration) (before, after, backlog []int) {
	t.Helper()
	before = make([]int, len(nodes))
	after = make([]int, len(nodes))
	backlog = make([]int, len(nodes))
	next := make([]uint64, len(nodes))
	for i, n := range nodes {
		s, err := procsState(ctx, n.admin)
		if err != nil || s.Player == nil || s.Buffer == nil {
			t.Fatalf("%s: state of %s: %v (player %v)\n%s", what, n.name, err, s != nil && s.Player != nil, sw.dump())
		}
		before[i], next[i] = int(s.Player.Played), s.Buffer.Next
	}
	src, err := procsState(ctx, sw.src.admin)
	if err != nil || src.Buffer == nil {
		t.Fatalf("%s: state of the source: %v\n%s", what, err, sw.dump())
	}
	for i := range nodes {
		if src.Buffer.High > next[i] {
			backlog[i] = int(src.Buffer.High - next[i])
		}
	}
	deadline := time.NewTimer(within)
	defer deadline.Stop()
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		done := 0
		for i, n := range nodes {
			after[i] = played(ctx, n.admin)
			if after[i] >= before[i]+backlog[i]+want {
				done++
			}
		}
		if done == len(nodes) {
			return before, after, backlog
		}
		var stopped []string
		for _, n := range nodes {
			select {
			case <-n.p.done:
				stopped = append(stopped, n.name)
			default:
			}
		}
		if len(stopped) > 0 {
			t.Fatalf("%s: %s ended: played %v -> %v\n%s", what, strings.Join(stopped, ", "), before, after, sw.dump())
		}
		select {
		case <-tick.C:
		case <-deadline.C:
			names, states := procsStates(ctx, append([]*procsNode{sw.src}, nodes...))
			t.Fatalf("%s: %s did not each play %d new chunks within %v: played %v -> %v, backlog %v\nmode figures:\n%s\n%s",
				what, procsNames(nodes), want, within, before, after, backlog, procsModeStats(names, states), sw.dump())
		case <-ctx.Done():
			t.Fatalf("%s: %s did not each play %d new chunks before the deadline: played %v -> %v, backlog %v\n%s",
				what, procsNames(nodes), want, before, after, backlog, sw.dump())
		}
	}
}

func procsNames(nodes []*procsNode) string {
	var s []string
	for _, n := range nodes {
		s = append(s, n.name)
	}
	return strings.Join(s, ", ")
}

// procsMissed returns each node's missed chunks (-1 where unknown).
func procsMissed(ctx context.Context, nodes []*procsNode) []int64 {
	out := make([]int64, len(nodes))
	for i, n := range nodes {
		out[i] = -1
		if s, err := procsState(ctx, n.admin); err == nil && s.Player != nil {
			out[i] = int64(s.Player.Missed)
		}
	}
	return out
}

// procsWindow shows each node's continuity between two readings of
// played and missed chunks.
func procsWindow(before, after []int, missedBefore, missedAfter []int64) string {
	var parts []string
	for i := range before {
		p, m := int64(after[i]-before[i]), missedAfter[i]-missedBefore[i]
		if p+m <= 0 || missedBefore[i] < 0 || missedAfter[i] < 0 {
			parts = append(parts, "?")
			continue
		}
		parts = append(parts, fmt.Sprintf("%.3f", float64(p)/float64(p+m)))
	}
	return "[" + strings.Join(parts, " ") + "]"
}

// TestForestProcesses runs `alm source --mode forest` and five `alm
// player` processes. The source's upload carries one child per stripe, so
// players forward stripes to each other. Once all play, the player with
// the most stripe children (a parent of other players) is killed with
// SIGKILL; every other player must go on playing, and some must have lost
// their parent (the kill hit a parent).
func TestForestProcesses(t *testing.T) { procsKillParent(t, "forest") }

// TestTreeProcesses is TestForestProcesses for `alm source --mode tree`:
// the source's upload carries one child, the players below it two each.
func TestTreeProcesses(t *testing.T) { procsKillParent(t, "tree") }

// procsKillParent runs a swarm of a tree mode, kills the player with the
// most children and checks that the others go on playing and that some
// lost their parent.
func procsKillParent(t *testing.T, mode string) {
	ctx, sw := procsPlaying(t, mode)

	// A player with children in some stripe: the source takes one child
	// per stripe, so the other players hang below players. Children
	// come and go while the trees settle: read again until one shows.
	// (Players orphaned in a stripe are not waited for: in a swarm this
	// small a stripe may have no player at home and stay orphaned; the
	// log shows orphan=1 then.)
	var parent *procsNode
	var names []string
	var states []*admin.State
	func() {
		deadline := time.NewTimer(15 * time.Second)
		defer deadline.Stop()
		tick := time.NewTicker(200 * time.Millisecond)
		defer tick.Stop()
		for {
			names, states = procsStates(ctx, sw.players)
			most := 0.0
			for i, s := range states {
				if s == nil {
					continue
				}
				if c := s.ModeInfo["children"]; s.ModeInfo["interior_stripes"] > 0 && c > most {
					parent, most = sw.players[i], c
				}
			}
			if parent != nil {
				return
			}
			select {
			case <-tick.C:
			case <-deadline.C:
				srcNames, srcStates := procsStates(ctx, []*procsNode{sw.src})
				t.Fatalf("within 15 s, no player was the parent of another in any stripe (the source feeds them all?)\nmode figures:\n%s%s\n%s",
					procsModeStats(srcNames, srcStates), procsModeStats(names, states), sw.dump())
			case <-ctx.Done():
				t.Fatalf("no player is the parent of another before the deadline\n%s", sw.dump())
			}
		}
	}()
	srcNames, srcStates := procsStates(ctx, []*procsNode{sw.src})
	t.Logf("mode figures before the kill:\n%s%s", procsModeStats(srcNames, srcStates), procsModeStats(names, states))

	rest := make([]*procsNode, 0, procsPlayers-1)
	for _, pl := range sw.players {
		if pl != parent {
			rest = append(rest, pl)
		}
	}
	lossesBefore := procsParentLosses(ctx, rest)
	missedBefore := procsMissed(ctx, rest)
	var orphans []string
	for i, st := range states {
		if st != nil && st.ModeInfo["orphan"] != 0 {
			orphans = append(orphans, sw.players[i].name)
		}
	}
	if len(orphans) > 0 {
		t.Logf("NOTE: orphaned in some stripe before the kill (they miss that stripe's chunks): %s", strings.Join(orphans, ", "))
	}
	t.Logf("killing %s, a parent in the %s", parent.name, mode)
	sw.kill(t, parent)

	sw.survive(t, ctx, rest, missedBefore)
	lossesAfter := procsParentLosses(ctx, rest)
	t.Logf("parent losses of the others: %v -> %v", lossesBefore, lossesAfter)
	lost := false
	for i := range rest {
		if lossesAfter[i] > lossesBefore[i] {
			lost = true
		}
	}
	if !lost {
		names, states := procsStates(ctx, rest)
		t.Errorf("no other player lost a parent after %s was killed: it was no one's parent\nmode figures:\n%s\n%s",
			parent.name, procsModeStats(names, states), sw.dump())
	}
}

// procsParentLosses returns each node's parent losses in its mode's trees (-1 where
// unknown).
func procsParentLosses(ctx context.Context, nodes []*procsNode) []float64 {
	out := make([]float64, len(nodes))
	for i, n := range nodes {
		out[i] = -1
		if s, err := procsState(ctx, n.admin); err == nil {
			if v, ok := s.ModeInfo["parent_losses"]; ok {
				out[i] = v
			}
		}
	}
	return out
}

// TestMeshProcesses runs `alm source --mode mesh` and five `alm player`
// processes. Once all play, the two players that served the most chunks
// to others are killed with SIGKILL; the other three must go on playing.
func TestMeshProcesses(t *testing.T) {
	ctx, sw := procsPlaying(t, "mesh")

	// Kill the two players that gave the most to others (pushed and
	// served chunks): the worst pair to lose.
	names, states := procsStates(ctx, sw.players)
	srcNames, srcStates := procsStates(ctx, []*procsNode{sw.src})
	t.Logf("mode figures before the kills:\n%s%s", procsModeStats(srcNames, srcStates), procsModeStats(names, states))
	gave := func(i int) float64 {
		if states[i] == nil {
			return -1
		}
		return states[i].ModeInfo["pushed"] + states[i].ModeInfo["served"]
	}
	order := make([]int, len(sw.players))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return gave(order[a]) > gave(order[b]) })
	victims := []*procsNode{sw.players[order[0]], sw.players[order[1]]}
	rest := make([]*procsNode, 0, procsPlayers-2)
	for _, i := range order[2:] {
		rest = append(rest, sw.players[i])
	}
	sort.Slice(rest, func(a, b int) bool { return rest[a].name < rest[b].name })
	missedBefore := procsMissed(ctx, rest)
	t.Logf("killing %s (gave %g and %g chunks)", procsNames(victims), gave(order[0]), gave(order[1]))
	for _, v := range victims {
		sw.kill(t, v)
	}

	sw.survive(t, ctx, rest, missedBefore)
}

// procsPlaying starts a swarm of mode (skipped in -short mode), waits
// until every player plays, then for a second more of play so that the
// swarm settles a little. The context bounds the whole test.
func procsPlaying(t *testing.T, mode string) (context.Context, *procsSwarm) {
	t.Helper()
	if testing.Short() {
		t.Skip("short: builds the binary and runs six processes")
	}
	began := time.Now()
	bin := cliBuild(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	t.Cleanup(cancel)
	sw := procsStart(t, ctx, bin, mode, procsPlayers, 0)
	start := sw.waitPlaying(t, ctx, 30*time.Second)
	t.Logf("all %d players play after %v: played %v", procsPlayers, time.Since(began).Round(time.Millisecond), start)
	sw.keepPlaying(t, ctx, "settling", sw.players, int(time.Second/sw.chunk), 15*time.Second)
	return ctx, sw
}

// survive checks that the players in rest go on playing after a kill:
// each plays its backlog and procsKeepPlaying of chunks made after it.
// missedBefore is their missed counts at the kill.
func (sw *procsSwarm) survive(t *testing.T, ctx context.Context, rest []*procsNode, missedBefore []int64) {
	t.Helper()
	want := int(procsKeepPlaying / sw.chunk)
	killed := time.Now()
	before, after, backlog := sw.keepPlaying(t, ctx, "after the kill", rest, want, procsKeepWithin)
	missedAfter := procsMissed(ctx, rest)
	t.Logf("after the kill, %s played %v -> %v (want + backlog %v + %d new each) within %v; missed %v -> %v; continuity since the kill %s",
		procsNames(rest), before, after, backlog, want, time.Since(killed).Round(time.Millisecond), missedBefore, missedAfter,
		procsWindow(before, after, missedBefore, missedAfter))
}
