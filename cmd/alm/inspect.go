package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/almcast/alm/admin"
)

func init() {
	commands["inspect"] = command{"show the state of a running node (its --admin address)", runInspect}
}

func runInspect(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("inspect", flag.ContinueOnError)
	raw := fs.Bool("json", false, "print the raw JSON state")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("usage: alm inspect [-json] ADDR (a node's --admin address)")
	}
	addr := fs.Arg(0)
	if !strings.Contains(addr, "://") {
		addr = "http://" + addr
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(addr, "/")+"/debug/state", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("inspect: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return fmt.Errorf("inspect: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("inspect: %s: %s", resp.Status, strings.TrimSpace(string(body)))
	}
	if *raw {
		_, err := os.Stdout.Write(body)
		return err
	}
	var s admin.State
	if err := json.Unmarshal(body, &s); err != nil {
		return fmt.Errorf("inspect: %w", err)
	}
	printState(os.Stdout, &s)
	return nil
}

func short(id string) string {
	if len(id) > 8 {
		return id[:8]
	}
	return id
}

func printState(w io.Writer, s *admin.State) {
	fmt.Fprintf(w, "%s %s at %s, up %.0fs, joined=%v\n", s.Role, short(s.ID), s.Addr, s.Uptime, s.Joined)
	var leaf []string
	for _, p := range s.LeafSet {
		leaf = append(leaf, short(p.ID)+"@"+p.Addr)
	}
	fmt.Fprintf(w, "leaf set (%d): %s\n", len(s.LeafSet), strings.Join(leaf, " "))
	fmt.Fprintf(w, "routing table (%d entries):\n", len(s.Table))
	rows := map[int][]string{}
	for _, p := range s.Table {
		rows[p.Row] = append(rows[p.Row], fmt.Sprintf("%x:%s(%.1fms)", p.Col, short(p.ID), p.RTTms))
	}
	keys := make([]int, 0, len(rows))
	for r := range rows {
		keys = append(keys, r)
	}
	sort.Ints(keys)
	for _, r := range keys {
		fmt.Fprintf(w, "  row %d: %s\n", r, strings.Join(rows[r], " "))
	}
	o := s.Overlay
	fmt.Fprintf(w, "overlay: delivered %d, forwarded %d, hop timeouts %d, deaths %d, maintenance sent %d\n",
		o.Delivered, o.Forwarded, o.HopTimeouts, o.Deaths, o.MaintSent)
	if s.Channel != "" {
		fmt.Fprintf(w, "channel %s, mode %s, source %s\n", s.Channel, s.Mode, s.Source)
	}
	if len(s.Peers) > 0 {
		keys := make([]string, 0, len(s.Peers))
		for k := range s.Peers {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprintf(w, "%s: %v\n", k, s.Peers[k])
		}
	}
	if len(s.ModeInfo) > 0 {
		fmt.Fprintf(w, "mode: %s\n", modeLine(s.ModeInfo))
	}
	if st := s.Stream; st != nil {
		fmt.Fprintf(w, "chunks: accepted %d, duplicates %d, forged %d, wrong channel %d, stale %d\n",
			st.Accepted, st.Duplicates, st.Forged, st.WrongChannel, st.Stale)
	}
	if b := s.Buffer; b != nil {
		fmt.Fprintf(w, "buffer: chunks %d..%d, next to play %d\n", b.Low, b.High, b.Next)
	}
	if p := s.Player; p != nil {
		fmt.Fprintf(w, "player: played %d, missed %d, continuity %.4f, startup %d ms, lag %d ms (raised %d times, %d ms stalled)\n",
			p.Played, p.Missed, p.Continuity, p.StartupMs, p.LagMs, p.Raises, p.Stalled.Milliseconds())
	}
	q := s.QUIC
	fmt.Fprintf(w, "quic: %d connections, frames out %d / in %d, send drops %d, bad frames %d, peers rejected %d\n",
		q.ConnsOpen, q.FramesSent, q.FramesReceived, q.SendDrops, q.BadFrames(), q.PeersRejected)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "protocol\tbytes out\tbytes in")
	protos := map[string]bool{}
	for k := range s.BytesOut {
		protos[k] = true
	}
	for k := range s.BytesIn {
		protos[k] = true
	}
	names := make([]string, 0, len(protos))
	for k := range protos {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		fmt.Fprintf(tw, "%s\t%d\t%d\n", k, s.BytesOut[k], s.BytesIn[k])
	}
	tw.Flush()
}

// modeLine prints a mode's figures as key=value pairs in key order.
func modeLine(info map[string]float64) string {
	keys := make([]string, 0, len(info))
	for k := range info {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s=%g", k, info[k]))
	}
	return strings.Join(parts, " ")
}
