package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"text/tabwriter"

	"github.com/almcast/alm/lab"
)

func init() {
	commands["overlay"] = command{"build an overlay, route lookups and report how they went", runOverlay}
}

func runOverlay(ctx context.Context, args []string) error {
	cfg := lab.DefaultOverlayConfig()
	fs := flag.NewFlagSet("overlay", flag.ContinueOnError)
	fs.StringVar(&cfg.Net, "net", cfg.Net, "network: sim or quic")
	fs.IntVar(&cfg.Nodes, "nodes", cfg.Nodes, "number of nodes")
	fs.IntVar(&cfg.Lookups, "lookups", cfg.Lookups, "number of lookups to random keys")
	fs.Uint64Var(&cfg.Seed, "seed", cfg.Seed, "random seed")
	fs.DurationVar(&cfg.JoinInterval, "join-interval", cfg.JoinInterval, "time between joins")
	fs.Float64Var(&cfg.Churn, "churn", cfg.Churn, "fraction of nodes killed at once before the lookups")
	fs.DurationVar(&cfg.Repair, "repair", cfg.Repair, "time allowed for repair after the kill")
	fs.DurationVar(&cfg.Settle, "settle", cfg.Settle, "time to settle after the last join")
	fs.DurationVar(&cfg.Rest, "rest", cfg.Rest, "window at rest over which maintenance traffic is measured")
	fs.DurationVar(&cfg.Latency, "latency", cfg.Latency, "mean one-way latency between nodes")
	fs.IntVar(&cfg.Overlay.LeafSet, "leafset", cfg.Overlay.LeafSet, "leaf set size")
	fs.BoolVar(&cfg.Overlay.PNS, "pns", cfg.Overlay.PNS, "proximity neighbour selection")
	fs.IntVar(&cfg.Overlay.DiscoverySteps, "discovery-steps", cfg.Overlay.DiscoverySteps, "steps of the nearby-node search when joining")
	asJSON := fs.Bool("json", false, "print one JSON object instead of a table")
	prof := profileFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	stopProf, err := prof.start()
	if err != nil {
		return err
	}
	defer stopProf()
	var res *lab.OverlayResult
	switch cfg.Net {
	case "sim":
		res, err = lab.RunOverlaySim(ctx, cfg)
	default:
		res, err = lab.RunOverlay(ctx, cfg)
	}
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(os.Stdout)
		return enc.Encode(res)
	}
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	stretch := "n/a"
	if res.Stretch != nil {
		stretch = fmt.Sprintf("%.3f", *res.Stretch)
	}
	fmt.Fprintf(w, "net\tnodes\tlive\tlookups\tdelivered\thops mean\thops p99\tstretch\tmaint msg/node/s\twall s\tpeak RSS MB\n")
	fmt.Fprintf(w, "%s\t%d\t%d\t%d\t%.4f\t%.2f\t%.0f\t%s\t%.3f\t%.1f\t%.0f\n", res.Net, res.Nodes, res.Live, res.Lookups,
		res.Delivered, res.HopsMean, res.HopsP99, stretch, res.MaintMsgsPerNodeS, res.WallS, res.PeakRSSMB)
	return w.Flush()
}
