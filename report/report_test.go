package report

import (
	"encoding/csv"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/almcast/alm/lab"
)

// externalRef matches anything in a page that would make a browser reach
// out: scripts, stylesheets, images or fonts from an address.
var externalRef = regexp.MustCompile(`(?i)(src|href)\s*=\s*["']?(https?:)?//|url\(\s*["']?(https?:)?//|<script|<link`)

func readPage(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	page := string(b)
	if m := externalRef.FindString(page); m != "" {
		t.Fatalf("page refers outside itself: %q", m)
	}
	return page
}

func TestWrite(t *testing.T) {
	res := fakeResult(t, 1_000_000, "direct", "tree", "forest", "mesh")
	for i := range res.Modes[0].ViewerRows { // never started
		res.Modes[0].ViewerRows[i].Started = false
		res.Modes[0].ViewerRows[i].Startup, res.Modes[0].ViewerRows[i].Lag = 0, 0
	}
	dir := filepath.Join(t.TempDir(), "report")
	path, err := Write(dir, res)
	if err != nil {
		t.Fatal(err)
	}
	page := readPage(t, path)
	if n := strings.Count(page, "<svg"); n != 5 {
		t.Errorf("%d plots, want 5", n)
	}
	for _, want := range []string{"continuity-cdf", "lag-cdf", "startup-cdf", "overhead", "upload-util",
		"direct (no samples)", ">forest<", "capacity = 1.0", "Liberation Sans", JSONFile,
		"keep the nearest node measured"} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	var back struct {
		Modes []struct {
			Mode string `json:"mode"`
		} `json:"modes"`
		RMax float64 `json:"rmax"`
	}
	b, err := os.ReadFile(filepath.Join(dir, JSONFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if len(back.Modes) != 4 || back.Modes[2].Mode != "forest" || back.RMax != res.RMax {
		t.Errorf("results.json holds %+v", back)
	}
	checkViewersCSV(t, dir, res)
}

// checkViewersCSV reads viewers.csv in dir: the header, then every
// viewer's row of every mode of res in order, with empty startup and lag
// for those that never started.
func checkViewersCSV(t *testing.T, dir string, runs ...*lab.StreamResult) {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, ViewersFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) == 0 || !strings.HasPrefix(strings.Join(recs[0], ","), "rate_bps,mode,viewer,upload_bps,continuity,started,startup_ms,lag_ms,stall_ms,missed,raises") {
		t.Fatalf("header %v", recs[:min(1, len(recs))])
	}
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	rows := recs[1:]
	for _, run := range runs {
		for _, m := range run.Modes {
			for i, v := range m.ViewerRows {
				if len(rows) == 0 {
					t.Fatalf("%s: rows end before viewer %d", m.Mode, i)
				}
				r := rows[0]
				rows = rows[1:]
				cont, _ := strconv.ParseFloat(r[4], 64)
				if r[0] != strconv.FormatInt(run.Scenario.Rate, 10) || r[1] != m.Mode || r[2] != strconv.Itoa(i) ||
					r[3] != strconv.FormatInt(v.Upload, 10) || math.Abs(cont-v.Continuity) > 5e-5 ||
					r[5] != strconv.FormatBool(v.Started) || (r[6] == "") == v.Started || (r[7] == "") == v.Started {
					t.Fatalf("%s viewer %d: row %v for %+v", m.Mode, i, r, v)
				}
				for k, x := range v.Mode {
					if c, ok := col["mode_"+k]; !ok || r[c] != strconv.FormatFloat(x, 'g', -1, 64) {
						t.Fatalf("%s viewer %d: mode_%s column %d (%v) for %v", m.Mode, i, k, c, ok, x)
					}
				}
				for h, c := range col {
					if k, ok := strings.CutPrefix(h, "mode_"); ok {
						if _, has := v.Mode[k]; !has && r[c] != "" {
							t.Fatalf("%s viewer %d: %s is %q, not empty", m.Mode, i, h, r[c])
						}
					}
				}
			}
		}
	}
	if len(rows) != 0 {
		t.Fatalf("%d rows too many", len(rows))
	}
}

// TestContinuityByUpload: with viewers of several upload capacities the
// page gets a plot of each mode's continuity per capacity, which names the
// capacities and their viewers; with one capacity it has none.
func TestContinuityByUpload(t *testing.T) {
	res := fakeResult(t, 1_000_000, "tree", "mesh")
	for i := range res.Modes {
		for j := range res.Modes[i].ViewerRows {
			if j%4 == 0 {
				res.Modes[i].ViewerRows[j].Upload = 4_000_000
			}
		}
	}
	path, err := Write(t.TempDir(), res)
	if err != nil {
		t.Fatal(err)
	}
	page := readPage(t, path)
	for _, want := range []string{"continuity-by-upload", "Continuity by upload capacity", "2 Mbit/s, 150 viewers", "4 Mbit/s, 50 viewers"} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if n := strings.Count(page, "<svg"); n != 6 {
		t.Errorf("%d plots, want 6", n)
	}
	one, err := Write(t.TempDir(), fakeResult(t, 1_000_000, "tree", "mesh"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(readPage(t, one), "continuity-by-upload") {
		t.Error("a plot by upload capacity for viewers who all upload alike")
	}
}

func TestWriteSweep(t *testing.T) {
	sw := fakeSweep(t, []float64{0.5, 0.9, 1.2}, "tree", "mesh")
	path, err := WriteSweep(t.TempDir(), sw)
	if err != nil {
		t.Fatal(err)
	}
	page := readPage(t, path)
	if n, want := strings.Count(page, "<svg"), 2+5*3; n != want {
		t.Errorf("%d plots, want %d", n, want)
	}
	for _, want := range []string{"sweep-continuity", "stream rate / rmax", "0.90 × rmax", "rmax"} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	b, err := os.ReadFile(filepath.Join(filepath.Dir(path), JSONFile))
	if err != nil {
		t.Fatal(err)
	}
	var back map[string][]json.RawMessage
	if err := json.Unmarshal(b, &back); err != nil || len(back["sweep"]) != 3 {
		t.Errorf("results.json: %v, %d sweep points, want 3", err, len(back["sweep"]))
	}
	checkViewersCSV(t, filepath.Dir(path), sw.Points...)
}

func TestWriteSweepEmpty(t *testing.T) {
	if _, err := WriteSweep(t.TempDir(), &Sweep{}); err == nil {
		t.Fatal("want an error for an empty sweep")
	}
}

func TestSweepTable(t *testing.T) {
	sw := fakeSweep(t, []float64{0.5, 1}, "tree", "mesh")
	sw.Points[1].Modes = sw.Points[1].Modes[:1] // mesh missing at one rate
	header, rows := sw.Table()
	if strings.Join(header, ",") != "rate,rate / rmax,tree,mesh" {
		t.Fatalf("header %v", header)
	}
	if len(rows) != 2 || rows[0][1] != "0.50" || rows[1][1] != "1.00" || rows[1][3] != "–" {
		t.Fatalf("rows %v", rows)
	}
}
