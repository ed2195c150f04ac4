package report

import (
	"sort"

	"gonum.org/v1/plot/plotter"
)

// maxCDFPoints bounds the points drawn per CDF line, so a run with 100,000
// viewers gives a page as light as one with 100.
const maxCDFPoints = 400

// cdfPoints returns the empirical CDF of samples as step points: for each
// drawn sample x, the share of samples at or below it. It starts at share 0
// at the smallest sample and ends at share 1 at the largest. Large sample
// sets are thinned to about maxCDFPoints quantiles. Nil for no samples.
func cdfPoints(samples []float64) plotter.XYs {
	n := len(samples)
	if n == 0 {
		return nil
	}
	s := append([]float64(nil), samples...)
	sort.Float64s(s)
	step := 1
	if n > maxCDFPoints {
		step = (n + maxCDFPoints - 1) / maxCDFPoints
	}
	xys := plotter.XYs{{X: s[0], Y: 0}}
	for i := 0; i < n; i += step {
		// Draw the last sample of each run of equal values, so a step
		// reaches the share of samples at or below its value.
		for i+1 < n && s[i+1] == s[i] {
			i++
		}
		xys = append(xys, plotter.XY{X: s[i], Y: float64(i+1) / float64(n)})
	}
	if last := xys[len(xys)-1]; last.Y < 1 {
		xys = append(xys, plotter.XY{X: s[n-1], Y: 1})
	}
	return xys
}
