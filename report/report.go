// Package report writes the results of lab runs as a self-contained HTML
// page with plots (index.html, needing no network to open), the JSON
// they came from (results.json) and every viewer's figures (viewers.csv)
// into a directory.
package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/almcast/alm/lab"
)

// File names inside a report directory.
const (
	PageFile = "index.html"
	JSONFile = "results.json"
)

// Write writes a report on one scenario, every mode of it, into dir,
// creating dir if needed. It returns the path of the page.
func Write(dir string, res *lab.StreamResult) (string, error) {
	sec, err := newSection("Scenario and results", "run", res)
	if err != nil {
		return "", err
	}
	p := &page{
		Title:    "alm: delivery modes compared",
		Subtitle: describe(res.Scenario) + fmt.Sprintf(", %s, rmax %s", mbps(float64(res.Scenario.Rate)), mbps(res.RMax)),
		JSONFile: JSONFile,
		CSVFile:  ViewersFile,
		Sections: []section{sec},
	}
	return writeFiles(dir, p, res, []*lab.StreamResult{res})
}

// WriteSweep writes a report on a rate sweep into dir: continuity against
// rate/rmax per mode, then each rate's own scenario, results and plots.
func WriteSweep(dir string, sw *Sweep) (string, error) {
	if len(sw.Points) == 0 {
		return "", fmt.Errorf("report: empty sweep")
	}
	figs, err := sweepFigures(sw)
	if err != nil {
		return "", err
	}
	header, rows := sw.Table()
	p := &page{
		Title:        "alm: rate sweep",
		Subtitle:     describe(sw.Points[0].Scenario) + fmt.Sprintf(", %d rates, rmax %s", len(sw.Points), mbps(sw.Points[0].RMax)),
		JSONFile:     JSONFile,
		CSVFile:      ViewersFile,
		SweepHeader:  header,
		SweepRows:    rows,
		SweepFigures: figs,
	}
	for i, pt := range sw.Points {
		heading := fmt.Sprintf("Rate %s (%.2f × rmax)", mbps(float64(pt.Scenario.Rate)), rateFraction(pt))
		sec, err := newSection(heading, fmt.Sprintf("rate-%d", i+1), pt)
		if err != nil {
			return "", err
		}
		p.Sections = append(p.Sections, sec)
	}
	return writeFiles(dir, p, sw, sw.Points)
}

// writeFiles renders the page, the JSON of data and the viewers of runs
// into dir.
func writeFiles(dir string, p *page, data any, runs []*lab.StreamResult) (string, error) {
	var html bytes.Buffer
	if err := p.render(&html); err != nil {
		return "", err
	}
	js, err := json.MarshalIndent(data, "", "  ")
	if err != nil {
		return "", fmt.Errorf("report: encode results: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("report: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, JSONFile), append(js, '\n'), 0o644); err != nil {
		return "", fmt.Errorf("report: %w", err)
	}
	csv, err := viewersCSV(runs)
	if err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(dir, ViewersFile), csv, 0o644); err != nil {
		return "", fmt.Errorf("report: %w", err)
	}
	path := filepath.Join(dir, PageFile)
	if err := os.WriteFile(path, html.Bytes(), 0o644); err != nil {
		return "", fmt.Errorf("report: %w", err)
	}
	return path, nil
}
