package report

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"maps"
	"slices"
	"strconv"

	"github.com/almcast/alm/lab"
)

// ViewersFile is the per-viewer table in a report directory.
const ViewersFile = "viewers.csv"

// viewersHeader names the columns of ViewersFile: the stream's rate
// (bit/s; it tells a sweep's rates apart), the mode, the viewer's index
// in the order viewers joined that mode's run, its upload capacity
// (bit/s), continuity, whether it started, startup delay, final lag and
// stall time (ms), chunks missed and lag raises. A viewer that never
// started has empty startup and lag. Then come the modes' own figures
// for each viewer (lab.Viewer.Mode), one column mode_NAME per name any
// viewer of the runs has, sorted; empty where a viewer lacks it.
var viewersHeader = []string{"rate_bps", "mode", "viewer", "upload_bps", "continuity", "started",
	"startup_ms", "lag_ms", "stall_ms", "missed", "raises"}

// viewersCSV writes every judged viewer of every mode of the runs.
func viewersCSV(runs []*lab.StreamResult) ([]byte, error) {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	names := map[string]bool{}
	for _, run := range runs {
		for _, m := range run.Modes {
			for _, v := range m.ViewerRows {
				for k := range v.Mode {
					names[k] = true
				}
			}
		}
	}
	extra := slices.Sorted(maps.Keys(names))
	header := slices.Clone(viewersHeader)
	for _, k := range extra {
		header = append(header, "mode_"+k)
	}
	if err := w.Write(header); err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	ms := func(started bool, v float64) string {
		if !started {
			return ""
		}
		return strconv.FormatFloat(v, 'f', 1, 64)
	}
	for _, run := range runs {
		rate := strconv.FormatInt(run.Scenario.Rate, 10)
		for _, m := range run.Modes {
			for i, v := range m.ViewerRows {
				rec := []string{rate, m.Mode, strconv.Itoa(i), strconv.FormatInt(v.Upload, 10),
					strconv.FormatFloat(v.Continuity, 'f', 4, 64), strconv.FormatBool(v.Started),
					ms(v.Started, float64(v.Startup)/1e6), ms(v.Started, float64(v.Lag)/1e6),
					strconv.FormatFloat(float64(v.Stall)/1e6, 'f', 1, 64),
					strconv.FormatUint(v.Missed, 10), strconv.FormatUint(v.Raises, 10)}
				for _, k := range extra {
					x, ok := v.Mode[k]
					if !ok {
						rec = append(rec, "")
						continue
					}
					rec = append(rec, strconv.FormatFloat(x, 'g', -1, 64))
				}
				if err := w.Write(rec); err != nil {
					return nil, fmt.Errorf("report: %w", err)
				}
			}
		}
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	return b.Bytes(), nil
}
