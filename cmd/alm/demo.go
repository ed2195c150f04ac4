package main

import (
	"context"
	"flag"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/almcast/alm/delivery"
	"github.com/almcast/alm/lab"
	"github.com/almcast/alm/report"
)

func init() {
	commands["demo"] = command{"stream a test tone to about 50 viewers over real QUIC, once per delivery mode, and compare", runDemo}
}

func runDemo(ctx context.Context, args []string) error {
	sc := lab.DefaultScenario()
	sc.Net = "quic"
	sc.Viewers = 50
	sc.Duration = 20 * time.Second
	sc.Modes = delivery.Names()
	sc.SourceUpload = 60
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.IntVar(&sc.Viewers, "viewers", sc.Viewers, "number of viewers")
	rate := fs.String("rate", "1M", "stream bit rate")
	fs.DurationVar(&sc.Duration, "duration", sc.Duration, "how long each mode streams")
	modes := fs.String("modes", strings.Join(sc.Modes, ","), "comma-separated delivery modes")
	fs.DurationVar(&sc.Latency, "latency", sc.Latency, "one-way latency the shims add")
	fs.DurationVar(&sc.Buffer, "buffer", sc.Buffer, "how long a packet may wait on a node's uplink before it is dropped (default 1s)")
	srcUp := fs.String("source-upload", "60x", "the source's upload capacity in multiples of the rate")
	out := fs.String("out", "", "report directory (default: ./alm-demo-TIMESTAMP)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var err error
	if sc.Rate, err = lab.ParseRate(*rate); err != nil {
		return err
	}
	if sc.SourceUpload, err = lab.ParseMult(*srcUp); err != nil {
		return err
	}
	sc.Modes = strings.Split(*modes, ",")
	dir := *out
	if dir == "" {
		dir = "alm-demo-" + time.Now().Format("20060102-150405")
	}
	if err := sc.Validate(); err != nil {
		return err
	}
	fmt.Printf("alm demo: a source and %d viewers in this process over QUIC on loopback (%v one-way latency added), %.1f Mbit/s for %v per mode\n",
		sc.Viewers, sc.Latency, float64(sc.Rate)/1e6, sc.Duration)
	res, err := lab.EachMode(ctx, sc, func(ctx context.Context, i int, one lab.Scenario) (lab.ModeResult, error) {
		m := one.Modes[0]
		done := make(chan struct{})
		go progress(done, fmt.Sprintf("[%d/%d] %s", i+1, len(sc.Modes), m), sc.Duration+2*sc.JoinInterval*time.Duration(sc.Viewers)+sc.TuneInTime()+8*time.Second)
		// Each mode in a fresh process, as alm lab does over QUIC.
		r, err := runModeProcess(ctx, one)
		close(done)
		if err == nil {
			fmt.Printf("\r[%d/%d] %-8s continuity %.4f, startup p95 %.0f ms, lag p95 %.0f ms%20s\n", i+1, len(sc.Modes), m,
				r.ContinuityMean, r.StartupMsP95, r.LagMsP95, "")
		}
		return r, err
	})
	if err != nil {
		return err
	}
	fmt.Println()
	printStreamTable(res)
	path, err := report.Write(dir, res)
	if err != nil {
		return err
	}
	fmt.Printf("\nreport: %s (open %s; data in %s, per viewer in %s)\n", dir, path, filepath.Join(dir, report.JSONFile), filepath.Join(dir, report.ViewersFile))
	return nil
}

// progress draws a status line with a bar until done is closed.
func progress(done <-chan struct{}, label string, expect time.Duration) {
	start := time.Now()
	t := time.NewTicker(250 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-done:
			return
		case <-t.C:
			frac := float64(time.Since(start)) / float64(expect)
			if frac > 1 {
				frac = 1
			}
			n := int(frac * 30)
			fmt.Printf("\r%s [%s%s] %3.0f%%", label, strings.Repeat("#", n), strings.Repeat(".", 30-n), frac*100)
		}
	}
}
