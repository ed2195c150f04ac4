package report

import (
	"fmt"
	"html/template"
	"io"

	"github.com/almcast/alm/lab"
)

// section is one scenario's tables and plots on the page.
type section struct {
	Heading string
	ID      string
	Knobs   []knob
	Header  []string
	Rows    [][]string
	Figures []figure
}

// page is everything the template draws.
type page struct {
	Title    string
	Subtitle string
	FontCSS  template.CSS
	JSONFile string
	CSVFile  string // the per-viewer table

	// A sweep has its own table and plots before the per-rate sections.
	SweepHeader  []string
	SweepRows    [][]string
	SweepFigures []figure
	Sections     []section
}

// Markup marks a plot's SVG, which this package rendered itself, as safe.
func (f figure) Markup() template.HTML { return template.HTML(f.SVG) }

// newSection builds the tables and plots of one scenario's results.
func newSection(heading, id string, res *lab.StreamResult) (section, error) {
	figs, err := modeFigures(res)
	if err != nil {
		return section{}, err
	}
	return section{
		Heading: heading,
		ID:      id,
		Knobs:   scenarioKnobs(res.Scenario, res.RMax),
		Header:  summaryHeader,
		Rows:    summaryRows(res.Modes),
		Figures: figs,
	}, nil
}

// describe is a one-line summary of a scenario.
func describe(sc lab.Scenario) string {
	return fmt.Sprintf("%s network, %d viewers, %g s, modes: %v", sc.Net, sc.Viewers, sc.DurationS, sc.Modes)
}

// render writes the page as one self-contained HTML document.
func (p *page) render(w io.Writer) error {
	css, err := fontFaceCSS()
	if err != nil {
		return err
	}
	p.FontCSS = template.CSS(css)
	if err := pageTemplate.Execute(w, p); err != nil {
		return fmt.Errorf("report: write page: %w", err)
	}
	return nil
}

var pageTemplate = template.Must(template.New("page").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>
{{.FontCSS}}
body{font-family:"Liberation Sans",Arial,Helvetica,sans-serif;margin:24px auto;max-width:1200px;padding:0 16px;color:#222;background:#fff}
h1{font-size:26px;margin:0 0 4px}
h2{font-size:20px;margin:32px 0 8px;border-bottom:1px solid #ccc;padding-bottom:4px}
h3{font-size:16px;margin:20px 0 6px}
.sub{color:#555;margin:0 0 16px}
table{border-collapse:collapse;font-size:13px;margin:6px 0 12px}
th,td{border:1px solid #ddd;padding:3px 8px;text-align:right}
th{background:#f3f3f3}
td:first-child,th:first-child{text-align:left}
table.knobs td{text-align:left}
table.knobs td.note{color:#666}
.plots{display:grid;grid-template-columns:repeat(auto-fill,minmax(520px,1fr));gap:16px}
figure.plot{margin:0;border:1px solid #e3e3e3;padding:8px}
figure.plot svg{display:block;width:100%;height:auto}
figcaption{font-size:13px;color:#444;margin-top:4px}
</style>
</head>
<body>
<h1>{{.Title}}</h1>
<p class="sub">{{.Subtitle}} · data: <a href="{{.JSONFile}}">{{.JSONFile}}</a>, per viewer: <a href="{{.CSVFile}}">{{.CSVFile}}</a></p>
{{if .SweepFigures}}
<h2 id="sweep">Rate sweep</h2>
<table class="sweep">
<tr>{{range .SweepHeader}}<th>{{.}}</th>{{end}}</tr>
{{range .SweepRows}}<tr>{{range .}}<td>{{.}}</td>{{end}}</tr>
{{end}}</table>
<div class="plots">
{{range .SweepFigures}}<figure class="plot" id="{{.Name}}" data-plot="{{.Name}}">{{.Markup}}<figcaption>{{.Caption}}</figcaption></figure>
{{end}}</div>
{{end}}
{{range .Sections}}
<h2 id="{{.ID}}">{{.Heading}}</h2>
<h3>Scenario</h3>
<table class="knobs">
{{range .Knobs}}<tr><th>{{.Name}}</th><td>{{.Value}}</td><td class="note">{{.Note}}</td></tr>
{{end}}</table>
<h3>Results</h3>
<table class="summary">
<tr>{{range .Header}}<th>{{.}}</th>{{end}}</tr>
{{range .Rows}}<tr>{{range .}}<td>{{.}}</td>{{end}}</tr>
{{end}}</table>
<div class="plots">
{{$id := .ID}}{{range .Figures}}<figure class="plot" id="{{$id}}-{{.Name}}" data-plot="{{.Name}}">{{.Markup}}<figcaption>{{.Caption}}</figcaption></figure>
{{end}}</div>
{{end}}
</body>
</html>
`))
