package report

import (
	"fmt"
	"strings"

	"github.com/almcast/alm/lab"
)

// knob is one row of the scenario table.
type knob struct {
	Name, Value, Note string
}

// mbps formats a bit rate in Mbit/s.
func mbps(bps float64) string { return fmt.Sprintf("%.3g Mbit/s", bps/1e6) }

// scenarioKnobs lists every knob of the scenario, with the capacity bound.
func scenarioKnobs(sc lab.Scenario, rmax float64) []knob {
	var up []string
	for _, c := range sc.Upload {
		up = append(up, fmt.Sprintf("%.3gx = %s for %g%% of viewers", c.Mult, mbps(c.Mult*float64(sc.Rate)), c.Percent))
	}
	return []knob{
		{"net", sc.Net, "sim: simulated network; quic: real QUIC on loopback"},
		{"viewers", fmt.Sprint(sc.Viewers), ""},
		{"modes", strings.Join(sc.Modes, ", "), ""},
		{"rate", mbps(float64(sc.Rate)), "stream bit rate"},
		{"rmax", mbps(rmax), "capacity bound min(u_s, (u_s + Σu_i) / N)"},
		{"duration", fmt.Sprintf("%g s", sc.DurationS), ""},
		{"seed", fmt.Sprint(sc.Seed), ""},
		{"upload", strings.Join(up, "; "), "viewers' upload capacity"},
		{"source upload", fmt.Sprintf("%.3gx = %s", sc.SourceUpload, mbps(sc.SourceUpload*float64(sc.Rate))), ""},
		{"latency", fmt.Sprintf("%g ms", sc.LatencyMs), "mean one-way"},
		{"loss", fmt.Sprint(sc.Loss), "fraction of messages lost"},
		{"churn", fmt.Sprintf("%g / min", sc.Churn), "share of viewers leaving without notice"},
		chunkKnob(sc.ChunkMs),
		{"startup buffer", fmt.Sprintf("%g ms", sc.StartupMs), ""},
		{"join interval", fmt.Sprintf("%g s", sc.JoinIntervalS), "gap between viewers joining"},
		uplinkKnob(sc),
		pnsKnob(sc.PNS),
	}
}

// pnsKnob says whether the overlay chose its neighbours by proximity.
func pnsKnob(pns string) knob {
	switch pns {
	case lab.PNSOff:
		return knob{"proximity", "off", "routing tables keep the first node heard of (over QUIC every path has the same latency)"}
	case lab.PNSOn:
		return knob{"proximity", "on", "routing tables keep the nearest node measured"}
	}
	return knob{"proximity", "-", "not recorded"}
}

// uplinkKnob says how a node's uplink orders what it sends.
func uplinkKnob(sc lab.Scenario) knob {
	switch {
	case sc.Net != "sim" && sc.Uplink == lab.UplinkFair:
		return knob{"uplink", "the QUIC node's shim, fair", "a queue per destination, served in turn; each connection's congestion control"}
	case sc.Net != "sim":
		return knob{"uplink", "the QUIC node's shim", "first in, first out; each connection's congestion control"}
	case sc.ControlFirst:
		return knob{"uplink", "control first", fmt.Sprintf("messages up to %d bytes go ahead of chunks", lab.ControlSize)}
	}
	return knob{"uplink", "first in, first out", "control waits behind chunks"}
}

// summaryHeader names the columns of summaryRows.
var summaryHeader = []string{"mode", "viewers", "continuity", "p5", "never started",
	"startup p50 ms", "p95", "lag p50 ms", "p95", "arrival p95 ms", "overhead", "upload util", "source MB", "forged played", "wall s"}

// summaryRows returns one row of figures per mode, as the CLI table has.
func summaryRows(modes []lab.ModeResult) [][]string {
	var out [][]string
	for _, m := range modes {
		out = append(out, []string{m.Mode, fmt.Sprint(m.Viewers),
			fmt.Sprintf("%.4f", m.ContinuityMean), fmt.Sprintf("%.3f", m.ContinuityP5), fmt.Sprint(m.NeverStarted),
			fmt.Sprintf("%.0f", m.StartupMsP50), fmt.Sprintf("%.0f", m.StartupMsP95),
			fmt.Sprintf("%.0f", m.LagMsP50), fmt.Sprintf("%.0f", m.LagMsP95), fmt.Sprintf("%.0f", m.ArrivalMsP95),
			fmt.Sprintf("%.4f", m.Overhead), fmt.Sprintf("%.3f", m.UploadUtil),
			fmt.Sprintf("%.1f", float64(m.SourceUploadBytes)/1e6), fmt.Sprint(m.ForgedPlayed), fmt.Sprintf("%.1f", m.WallS)})
	}
	return out
}

// Table returns the header and rows of mean continuity per mode at each
// rate of the sweep, for the page and the command line alike.
func (sw *Sweep) Table() ([]string, [][]string) {
	modes := sweepModes(sw)
	header := append([]string{"rate", "rate / rmax"}, modes...)
	var rows [][]string
	for _, pt := range sw.Points {
		row := []string{mbps(float64(pt.Scenario.Rate)), fmt.Sprintf("%.2f", rateFraction(pt))}
		for _, name := range modes {
			cell := "–"
			for _, m := range pt.Modes {
				if m.Mode == name {
					cell = fmt.Sprintf("%.4f", m.ContinuityMean)
				}
			}
			row = append(row, cell)
		}
		rows = append(rows, row)
	}
	return header, rows
}

// chunkKnob describes the scenario's chunk duration, 0 meaning each mode's
// own.
func chunkKnob(ms float64) knob {
	if ms == 0 {
		return knob{"chunk", "each mode's own", "see each mode's chunk_ms in results.json"}
	}
	return knob{"chunk", fmt.Sprintf("%g ms", ms), ""}
}
