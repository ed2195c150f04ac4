package report

import (
	"fmt"
	"image/color"
	"math"

	"github.com/almcast/alm/lab"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// figure is one rendered plot with its anchor name and caption.
type figure struct {
	Name    string // stable id, such as "continuity-cdf"
	Caption string
	SVG     string
}

// referenceLine is the style of a bound drawn for comparison, such as
// full upload capacity or rmax.
var referenceLine = draw.LineStyle{Color: color.Gray{Y: 70}, Width: vg.Points(1.2), Dashes: []vg.Length{vg.Points(5), vg.Points(3)}}

// modeStyle returns the line style of the i-th mode: a colour and, for
// readers who cannot tell the colours apart, a dash pattern.
func modeStyle(i int) draw.LineStyle {
	return draw.LineStyle{Color: plotutil.Color(i), Width: vg.Points(1.6), Dashes: plotutil.Dashes(i)}
}

// modeFigures returns the per-mode plots of one scenario's results.
func modeFigures(res *lab.StreamResult) ([]figure, error) {
	builders := []struct {
		name, caption string
		build         func([]lab.ModeResult) (*plot.Plot, error)
	}{
		{"continuity-cdf", "Share of viewers whose continuity (chunks played on time / chunks due) is at or below x. Further right is better.", continuityCDF},
		{"lag-cdf", "Playback lag: how far each viewer's playback trails the source. Further left is better.", lagCDF},
		{"startup-cdf", "Startup delay: from joining to the first chunk played. Viewers who never started are not drawn.", startupCDF},
		{"overhead", "Overhead: bytes sent beyond the payload, as a share of the payload bytes delivered.", overheadBars},
		{"upload-util", "Upload utilisation: the share of the viewers' upload capacity used; 1.0 is full capacity.", uploadBars},
		{"continuity-by-upload", "Mean continuity of the viewers of each upload capacity, per mode (drawn when the viewers' uploads differ).", continuityByUpload},
	}
	var out []figure
	for _, b := range builders {
		p, err := b.build(res.Modes)
		if err != nil {
			return nil, fmt.Errorf("report: plot %s: %w", b.name, err)
		}
		if p == nil {
			continue // not drawn for these results
		}
		svg, err := svgOf(p)
		if err != nil {
			return nil, err
		}
		out = append(out, figure{Name: b.name, Caption: b.caption, SVG: svg})
	}
	return out, nil
}

// cdfPlot draws one CDF line per mode of the samples pick returns, named
// in the legend by label.
func cdfPlot(title, xLabel string, modes []lab.ModeResult, pick func(lab.ModeResult) []float64, label func(lab.ModeResult) string) (*plot.Plot, bool, error) {
	p := newPlot(title, xLabel, "share of viewers ≤ x")
	drawn := false
	for i, m := range modes {
		xys := cdfPoints(pick(m))
		if xys == nil {
			p.Legend.Add(label(m) + " (no samples)")
			continue
		}
		l, err := plotter.NewLine(xys)
		if err != nil {
			return nil, false, err
		}
		l.StepStyle = plotter.PostStep
		l.LineStyle = modeStyle(i)
		p.Add(l)
		p.Legend.Add(label(m), l)
		drawn = true
	}
	p.Y.Min, p.Y.Max = 0, 1
	p.Legend.XOffs = -vg.Points(8)
	p.Legend.YOffs = vg.Points(8)
	if !drawn {
		p.X.Min, p.X.Max = 0, 1
	}
	return p, drawn, nil
}

// continuityCDF plots the CDF of continuity over viewers, per mode.
func continuityCDF(modes []lab.ModeResult) (*plot.Plot, error) {
	p, drawn, err := cdfPlot("Continuity over viewers (CDF)", "continuity", modes,
		func(m lab.ModeResult) []float64 { return m.ContinuitySamples() },
		// Lines of perfect modes coincide at 1; the mean tells them apart.
		func(m lab.ModeResult) string { return fmt.Sprintf("%s, mean %.4f", m.Mode, m.ContinuityMean) })
	if err != nil || !drawn {
		return p, err
	}
	// Continuity is mostly near 1: zoom in unless some viewer fared worse.
	// A little room past 1 keeps the step of perfect viewers visible.
	p.X.Min = math.Min(p.X.Min, 0.95)
	p.X.Max = 1 + 0.015*(1-p.X.Min)
	legendMidLeft(p)
	return p, nil
}

// lagCDF plots the CDF of playback lag over viewers who started, per mode.
func lagCDF(modes []lab.ModeResult) (*plot.Plot, error) {
	p, drawn, err := cdfPlot("Playback lag (CDF)", "lag behind the source (ms)", modes,
		func(m lab.ModeResult) []float64 { return m.LagSamples() }, modeName)
	if err == nil && drawn {
		padX(p)
	}
	return p, err
}

// startupCDF plots the CDF of startup delay over viewers who started, per mode.
func startupCDF(modes []lab.ModeResult) (*plot.Plot, error) {
	p, drawn, err := cdfPlot("Startup delay (CDF)", "startup delay (ms)", modes,
		func(m lab.ModeResult) []float64 { return m.StartupSamples() }, modeName)
	if err == nil && drawn {
		padX(p)
	}
	return p, err
}

// padX widens the x range a little beyond the data, so steps at either
// end stay clear of the axes, without going below zero for data that
// does not.
func padX(p *plot.Plot) {
	lo, hi := p.X.Min, p.X.Max
	pad := 0.05 * (hi - lo)
	if pad == 0 {
		pad = math.Max(1, math.Abs(hi)*0.05)
	}
	p.X.Min, p.X.Max = lo-pad, hi+pad
	if lo >= 0 && p.X.Min < 0 {
		p.X.Min = 0
	}
}

// modeName labels a line by its mode alone.
func modeName(m lab.ModeResult) string { return m.Mode }

// barPlot draws one labelled bar per mode, in the mode's colour.
func barPlot(title, yLabel string, modes []lab.ModeResult, value func(lab.ModeResult) float64) (*plot.Plot, float64, error) {
	p := newPlot(title, "", yLabel)
	width := vg.Points(math.Min(48, float64(plotWidth)*0.5/float64(max(1, len(modes)))))
	names := make([]string, len(modes))
	top := 0.0
	var labels plotter.XYLabels
	for i, m := range modes {
		v := value(m)
		if math.IsNaN(v) || math.IsInf(v, 0) {
			v = 0
		}
		b, err := plotter.NewBarChart(plotter.Values{v}, width)
		if err != nil {
			return nil, 0, err
		}
		b.XMin = float64(i)
		b.Color = plotutil.Color(i)
		b.LineStyle.Width = 0
		p.Add(b)
		names[i] = m.Mode
		top = math.Max(top, v)
		labels.XYs = append(labels.XYs, plotter.XY{X: float64(i), Y: v})
		labels.Labels = append(labels.Labels, fmt.Sprintf("%.3g", v))
	}
	if len(modes) > 0 {
		l, err := valueLabels(labels, 10, vg.Point{Y: vg.Points(3)})
		if err != nil {
			return nil, 0, err
		}
		p.Add(l)
		p.NominalX(names...)
	}
	p.Y.Min = 0
	if top <= 0 {
		top = 1
	}
	p.Y.Max = top * 1.18
	return p, top, nil
}

// valueLabels writes each label centred above its point, in size-point
// type, moved by offset.
func valueLabels(labels plotter.XYLabels, size float64, offset vg.Point) (*plotter.Labels, error) {
	l, err := plotter.NewLabels(labels)
	if err != nil {
		return nil, err
	}
	for i := range l.TextStyle {
		l.TextStyle[i].Font = font.From(plotFont, vg.Points(size))
		l.TextStyle[i].XAlign = draw.XCenter
	}
	l.Offset = offset
	return l, nil
}

// overheadBars plots each mode's overhead as a bar.
func overheadBars(modes []lab.ModeResult) (*plot.Plot, error) {
	p, _, err := barPlot("Overhead", "overhead / payload", modes, func(m lab.ModeResult) float64 { return m.Overhead })
	return p, err
}

// uploadBars plots each mode's upload utilisation against full capacity.
func uploadBars(modes []lab.ModeResult) (*plot.Plot, error) {
	p, top, err := barPlot("Upload utilisation", "used / capacity", modes, func(m lab.ModeResult) float64 { return m.UploadUtil })
	if err != nil {
		return nil, err
	}
	p.Y.Max = math.Max(1.15, top*1.18)
	capLine, err := plotter.NewLine(plotter.XYs{{X: -0.5, Y: 1}, {X: float64(len(modes)) - 0.5, Y: 1}})
	if err != nil {
		return nil, err
	}
	capLine.LineStyle = referenceLine
	p.Add(capLine)
	p.Legend.Add("capacity = 1.0", capLine)
	p.Legend.Top = true
	p.Legend.YOffs = -vg.Points(4)
	return p, nil
}
