package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/almcast/alm/delivery"
	"github.com/almcast/alm/lab"
	"github.com/almcast/alm/report"
)

func init() {
	commands["lab"] = command{"run a streaming scenario for several delivery modes and compare them", runLab}
}

func runLab(ctx context.Context, args []string) error {
	sc := lab.DefaultScenario()
	fs := flag.NewFlagSet("lab", flag.ContinueOnError)
	fs.StringVar(&sc.Net, "net", sc.Net, "network: sim or quic")
	fs.IntVar(&sc.Viewers, "viewers", sc.Viewers, "number of viewers")
	modes := fs.String("modes", strings.Join(sc.Modes, ","), "comma-separated delivery modes (have: "+strings.Join(delivery.Names(), ", ")+")")
	rate := fs.String("rate", "1M", "stream bit rate in bit/s (500k, 1M accepted)")
	fs.DurationVar(&sc.Duration, "duration", sc.Duration, "how long the audience watches (the stream runs --lead longer)")
	fs.Uint64Var(&sc.Seed, "seed", sc.Seed, "random seed")
	upload := fs.String("upload", "2x", "viewers' upload capacity in multiples of the rate: 2x, or shares like 0x:30,1x:50,4x:20")
	srcUp := fs.String("source-upload", "4x", "the source's upload capacity in multiples of the rate")
	fs.DurationVar(&sc.Latency, "latency", sc.Latency, "mean one-way latency")
	fs.DurationVar(&sc.Buffer, "buffer", sc.Buffer, "quic: how long a packet may wait on a node's uplink before it is dropped, a router's buffer (default 1s)")
	fs.Float64Var(&sc.Loss, "loss", sc.Loss, "fraction of messages lost")
	fs.Float64Var(&sc.Churn, "churn", sc.Churn, "share of viewers leaving without notice per minute (replaced by new arrivals)")
	fs.DurationVar(&sc.Chunk, "chunk", sc.Chunk, "chunk duration (default: each mode's own, 25ms for tree and forest, 200ms for the others; with --net quic no shorter than 50ms, the nodes sharing this process's cores)")
	fs.DurationVar(&sc.Startup, "startup", sc.Startup, "player startup buffer (players without a target lag)")
	targetLag := fs.String("target-lag", "auto", "playback lag players aim for: auto (each mode's own: 1.5s for tree and forest, 2.7s for mesh, all longer in audiences beyond 2,000, and with --net quic 1.5s more, the nodes sharing this process's cores; none for direct), off (buffer --startup after the first chunk) or a duration")
	maxLag := fs.String("max-lag", "auto", "most a player may raise its lag to when chunks keep coming late (a rebuffering): auto (each mode's own with --target-lag auto: 3s for forest, 4s for mesh and tree, with --net quic 1.5s more; none for direct; else none), off or a duration")
	fs.DurationVar(&sc.JoinInterval, "join-interval", sc.JoinInterval, "gap between viewers joining the overlay before the stream starts (0: 20ms, or in simulated audiences over 10,000 viewers 200s spread over them; over QUIC a viewer also waits while 8 others are still joining)")
	fs.DurationVar(&sc.TuneIn, "tune-in", sc.TuneIn, fmt.Sprintf("time over which the viewers start watching once the stream starts (default: sim 1s, or 1s per %d viewers in larger audiences; quic the join interval per viewer, at least 1s)", lab.TuneInRate))
	fs.DurationVar(&sc.Lead, "lead", sc.Lead, "how long the stream runs before the audience starts to tune in (0: as it starts)")
	fs.StringVar(&sc.Uplink, "uplink", sc.Uplink, "quic: how each node's uplink orders the packets waiting: fifo (one queue) or fair (a queue per destination, served in turn, as fq_codel's; acknowledgements do not wait behind the chunks for other peers) (default fifo)")
	fs.BoolVar(&sc.ControlFirst, "control-first", sc.ControlFirst, fmt.Sprintf("sim: each node's uplink sends messages of %d bytes or less (control) ahead of the chunks waiting, as a send scheduler would (default: one first-in first-out uplink per node)", lab.ControlSize))
	fs.IntVar(&sc.Stripes, "stripes", sc.Stripes, stripesUsage)
	fs.Func("pns", "the overlay's proximity neighbour selection (routing-table slots keep the nearest node measured, joins go through a nearby node): auto (on in the simulator; off with --net quic, whose shims give every path the same latency), on or off (the first node heard of: fewer probes and connections) (default auto)", func(v string) error {
		switch v {
		case "true", lab.PNSOn:
			sc.PNS = lab.PNSOn
		case "false", lab.PNSOff:
			sc.PNS = lab.PNSOff
		case lab.PNSAuto:
			sc.PNS = lab.PNSAuto
		default:
			return fmt.Errorf("%q is none of auto, on, off", v)
		}
		return nil
	})
	asJSON := fs.Bool("json", false, "print one JSON object instead of a table")
	reportDir := fs.String("report", "", "also write an HTML report with plots, and results.json, into this directory")
	rates := fs.String("rates", "", "sweep the stream rate: fractions of rmax like 0.5,0.7,0.9,1.0 (all ≤ 10, no unit) or bit rates like 500k,1M; upload capacities stay those at --rate")
	prof := profileFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	var err error
	if sc.Rate, err = lab.ParseRate(*rate); err != nil {
		return err
	}
	if sc.Upload, err = lab.ParseUpload(*upload); err != nil {
		return err
	}
	if sc.SourceUpload, err = lab.ParseMult(*srcUp); err != nil {
		return err
	}
	if sc.TargetLag, err = lab.ParseLag(*targetLag); err != nil {
		return err
	}
	if sc.MaxLag, err = lab.ParseLag(*maxLag); err != nil {
		return fmt.Errorf("-max-lag: %w", err)
	}
	sc.Modes = strings.Split(*modes, ",")
	stopProf, err := prof.start()
	if err != nil {
		return err
	}
	defer stopProf()
	if *rates != "" {
		return runSweep(ctx, sc, *rates, *asJSON, *reportDir, prof.on())
	}
	res, err := runModes(ctx, sc, prof.on())
	if err != nil {
		return err
	}
	if *asJSON {
		if err := json.NewEncoder(os.Stdout).Encode(res); err != nil {
			return err
		}
	} else {
		printStreamTable(res)
	}
	if *reportDir != "" {
		path, err := report.Write(*reportDir, res)
		if err != nil {
			return err
		}
		fmt.Fprintf(reportOut(*asJSON), "report: %s\n", path)
	}
	return nil
}

// runSweep runs the scenario at each rate of the list, with the upload
// capacities it has at its own rate, and prints (or reports) every point.
func runSweep(ctx context.Context, sc lab.Scenario, rates string, asJSON bool, reportDir string, inProcess bool) error {
	if err := sc.Validate(); err != nil {
		return err
	}
	rs, err := report.ParseRates(rates, sc.RMax())
	if err != nil {
		return err
	}
	sw := &report.Sweep{}
	for _, r := range rs {
		res, err := runModes(ctx, report.AtRate(sc, r), inProcess)
		if err != nil {
			return err
		}
		sw.Points = append(sw.Points, res)
		if !asJSON {
			printStreamTable(res)
			fmt.Println()
		}
	}
	if asJSON {
		if err := json.NewEncoder(os.Stdout).Encode(sw); err != nil {
			return err
		}
	} else {
		printSweepTable(sw)
	}
	if reportDir != "" {
		path, err := report.WriteSweep(reportDir, sw)
		if err != nil {
			return err
		}
		fmt.Fprintf(reportOut(asJSON), "report: %s\n", path)
	}
	return nil
}

// reportOut is where to name the report: stderr when stdout carries JSON.
func reportOut(asJSON bool) *os.File {
	if asJSON {
		return os.Stderr
	}
	return os.Stdout
}

// printSweepTable prints mean continuity per mode at each rate.
func printSweepTable(sw *report.Sweep) {
	header, rows := sw.Table()
	fmt.Println("sweep: mean continuity")
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, strings.Join(header, "\t")+"\t")
	for _, row := range rows {
		fmt.Fprintln(w, strings.Join(row, "\t")+"\t")
	}
	w.Flush()
}

func printStreamTable(res *lab.StreamResult) {
	sc := res.Scenario
	fmt.Printf("%s: %d viewers, %.2f Mbit/s, %gs, latency %gms, loss %g, churn %g/min; rmax %.2f Mbit/s\n",
		sc.Net, sc.Viewers, float64(sc.Rate)/1e6, sc.DurationS, sc.LatencyMs, sc.Loss, sc.Churn, res.RMax/1e6)
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "mode\tviewers\tcontinuity\tp5\tstartup p50 ms\tp95\tlag p50 ms\tp95\tarrival p95 ms\toverhead\tupload util\tsource MB\tforged played\twall s\t")
	for _, m := range res.Modes {
		fmt.Fprintf(w, "%s\t%d\t%.4f\t%.3f\t%.0f\t%.0f\t%.0f\t%.0f\t%.0f\t%.4f\t%.3f\t%.1f\t%d\t%.1f\t\n",
			m.Mode, m.Viewers, m.ContinuityMean, m.ContinuityP5, m.StartupMsP50, m.StartupMsP95, m.LagMsP50, m.LagMsP95,
			m.ArrivalMsP95, m.Overhead, m.UploadUtil, float64(m.SourceUploadBytes)/1e6, m.ForgedPlayed, m.WallS)
	}
	w.Flush()
}
