package report

import (
	"fmt"

	"github.com/almcast/alm/lab"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
)

// sweepModes returns every mode that appears in the sweep, in order of
// first appearance, so each keeps one colour across the page.
func sweepModes(sw *Sweep) []string {
	seen := map[string]bool{}
	var out []string
	for _, pt := range sw.Points {
		for _, m := range pt.Modes {
			if !seen[m.Mode] {
				seen[m.Mode] = true
				out = append(out, m.Mode)
			}
		}
	}
	return out
}

// rateFraction is a point's stream rate as a fraction of its rmax.
func rateFraction(pt *lab.StreamResult) float64 {
	if pt.RMax <= 0 {
		return 0
	}
	return float64(pt.Scenario.Rate) / pt.RMax
}

// sweepFigures returns the plots of continuity against rate/rmax.
func sweepFigures(sw *Sweep) ([]figure, error) {
	builders := []struct {
		name, title, caption string
		value                func(lab.ModeResult) float64
	}{
		{"sweep-continuity", "Mean continuity against rate / rmax", "Mean continuity over viewers at each stream rate, as a fraction of the capacity bound rmax (dashed line).",
			func(m lab.ModeResult) float64 { return m.ContinuityMean }},
		{"sweep-continuity-p5", "5th-percentile continuity against rate / rmax", "Continuity of the viewer at the 5th percentile: how the worse-off viewers fare as the rate nears rmax.",
			func(m lab.ModeResult) float64 { return m.ContinuityP5 }},
	}
	var out []figure
	for _, b := range builders {
		p, err := sweepPlot(sw, b.title, b.value)
		if err != nil {
			return nil, fmt.Errorf("report: plot %s: %w", b.name, err)
		}
		svg, err := svgOf(p)
		if err != nil {
			return nil, err
		}
		out = append(out, figure{Name: b.name, Caption: b.caption, SVG: svg})
	}
	return out, nil
}

// sweepPlot draws value against rate/rmax, one line per mode, and rmax.
func sweepPlot(sw *Sweep, title string, value func(lab.ModeResult) float64) (*plot.Plot, error) {
	p := newPlot(title, "stream rate / rmax", "continuity")
	xMax := 1.05
	for i, name := range sweepModes(sw) {
		var xys plotter.XYs
		for _, pt := range sw.Points {
			for _, m := range pt.Modes {
				if m.Mode == name {
					xys = append(xys, plotter.XY{X: rateFraction(pt), Y: value(m)})
					xMax = max(xMax, rateFraction(pt)*1.05)
				}
			}
		}
		l, s, err := plotter.NewLinePoints(xys)
		if err != nil {
			return nil, err
		}
		l.LineStyle = modeStyle(i)
		s.Color = plotutil.Color(i)
		s.Shape = plotutil.Shape(i)
		s.Radius = vg.Points(3)
		p.Add(l, s)
		p.Legend.Add(name, l, s)
	}
	rmax, err := plotter.NewLine(plotter.XYs{{X: 1, Y: 0}, {X: 1, Y: 1.05}})
	if err != nil {
		return nil, err
	}
	rmax.LineStyle = referenceLine
	p.Add(rmax)
	p.Legend.Add("rmax", rmax)
	p.X.Min, p.X.Max = 0, xMax
	p.Y.Min, p.Y.Max = 0, 1.05
	legendMidLeft(p)
	return p, nil
}
