package report

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"image/color"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"
)

// plotFont is the face every plot's text uses. Its glyphs are inlined once
// in the page (fontFaceCSS), so the browser measures text as gonum did.
var plotFont = font.Font{Typeface: "Liberation", Variant: "Sans"}

// Plot size in the SVG's own units; the page scales it to its column.
const (
	plotWidth  = 5.5 * vg.Inch
	plotHeight = 3.4 * vg.Inch
)

// newPlot returns a plot whose title, axes and legend use plotFont.
func newPlot(title, xLabel, yLabel string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = xLabel
	p.Y.Label.Text = yLabel
	p.Title.TextStyle.Font = font.From(plotFont, 13)
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		a.Label.TextStyle.Font = font.From(plotFont, 11)
		a.Tick.Label.Font = font.From(plotFont, 10)
	}
	p.Legend.TextStyle.Font = font.From(plotFont, 10)
	p.X.Tick.Marker = plot.TickerFunc(plainTicks)
	p.Y.Tick.Marker = plot.TickerFunc(plainTicks)
	p.Add(newGrid())
	return p
}

// plainTicks are gonum's default ticks labelled without trailing zeros
// ("2500", not "2500.00").
func plainTicks(lo, hi float64) []plot.Tick {
	ticks := plot.DefaultTicks{}.Ticks(lo, hi)
	for i, t := range ticks {
		if t.Label != "" {
			ticks[i].Label = strconv.FormatFloat(t.Value, 'g', 6, 64)
		}
	}
	return ticks
}

// legendMidLeft moves p's legend to the left edge, half way up, where CDFs
// of continuity and sweeps starting at rate 0 leave room.
func legendMidLeft(p *plot.Plot) {
	p.Legend.Top = false
	p.Legend.Left = true
	p.Legend.XOffs = vg.Points(10)
	p.Legend.YOffs = plotHeight * 0.35
}

// svgOf renders p to an SVG element fit for inlining in HTML: without the
// XML prolog, sized by the page's CSS through its viewBox.
func svgOf(p *plot.Plot) (string, error) {
	c := vgsvg.New(plotWidth, plotHeight)
	p.Draw(draw.New(c))
	var b bytes.Buffer
	if _, err := c.WriteTo(&b); err != nil {
		return "", fmt.Errorf("report: render plot %q: %w", p.Title.Text, err)
	}
	s := b.String()
	i := strings.Index(s, "<svg")
	if i < 0 {
		return "", fmt.Errorf("report: render plot %q: no <svg> element", p.Title.Text)
	}
	return s[i:], nil
}

// fontFaceCSS returns an @font-face rule carrying plotFont's TrueType data,
// so the page needs no installed or downloaded font.
func fontFaceCSS() (string, error) {
	face := font.DefaultCache.Lookup(plotFont, 10)
	var raw bytes.Buffer
	if _, err := face.Face.WriteSourceTo(nil, &raw); err != nil {
		return "", fmt.Errorf("report: read plot font: %w", err)
	}
	return fmt.Sprintf("@font-face{font-family:%q;font-style:normal;font-weight:400;src:url(data:font/ttf;base64,%s) format(\"truetype\");}",
		"Liberation Sans", base64.StdEncoding.EncodeToString(raw.Bytes())), nil
}

// newGrid returns faint grid lines at the major ticks.
func newGrid() *plotter.Grid {
	g := plotter.NewGrid()
	g.Vertical.Color = color.Gray{Y: 215}
	g.Horizontal.Color = color.Gray{Y: 215}
	return g
}
