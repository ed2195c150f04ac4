package report

import (
	"fmt"
	"maps"
	"slices"

	"github.com/almcast/alm/lab"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
)

// continuityByUpload draws, for each upload capacity the viewers have, one
// bar per mode: the mean continuity of that mode's viewers of that
// capacity. It returns nil when all viewers upload alike.
func continuityByUpload(modes []lab.ModeResult) (*plot.Plot, error) {
	// Each capacity, with its viewers in the first mode that has any.
	viewers := map[int64]int{}
	for _, m := range modes {
		seen := map[int64]int{}
		for _, v := range m.ViewerRows {
			seen[v.Upload]++
		}
		for up, n := range seen {
			if viewers[up] == 0 {
				viewers[up] = n
			}
		}
	}
	if len(viewers) < 2 {
		return nil, nil
	}
	classes := slices.Sorted(maps.Keys(viewers))
	p := newPlot("Continuity by upload capacity", "viewer upload", "mean continuity")
	width := vg.Points(min(28, float64(plotWidth)*0.6/float64(len(classes)*max(1, len(modes)))))
	for i, m := range modes {
		sum := make([]float64, len(classes))
		n := make([]float64, len(classes))
		for _, v := range m.ViewerRows {
			k := slices.Index(classes, v.Upload)
			sum[k] += v.Continuity
			n[k]++
		}
		vals := make(plotter.Values, len(classes))
		for k := range vals {
			if n[k] > 0 {
				vals[k] = sum[k] / n[k]
			}
		}
		b, err := plotter.NewBarChart(vals, width)
		if err != nil {
			return nil, err
		}
		b.Color = plotutil.Color(i)
		b.LineStyle.Width = 0
		b.Offset = width * vg.Length(float64(i)-float64(len(modes)-1)/2)
		p.Add(b)
		p.Legend.Add(m.Mode, b)
		var labels plotter.XYLabels
		for k, v := range vals {
			labels.XYs = append(labels.XYs, plotter.XY{X: float64(k), Y: v})
			labels.Labels = append(labels.Labels, fmt.Sprintf("%.3f", v))
		}
		l, err := valueLabels(labels, 7, vg.Point{X: b.Offset, Y: vg.Points(2)})
		if err != nil {
			return nil, err
		}
		p.Add(l)
	}
	names := make([]string, len(classes))
	for k, c := range classes {
		names[k] = fmt.Sprintf("%s, %d viewers", mbps(float64(c)), viewers[c])
	}
	p.NominalX(names...)
	p.Y.Min, p.Y.Max = 0, 1.35 // room above the bars for the legend
	p.Y.Tick.Marker = plot.ConstantTicks(plainTicks(0, 1))
	p.Legend.Top, p.Legend.Left = true, true
	return p, nil
}
