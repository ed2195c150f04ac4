package lab

import (
	"math"
	"testing"
	"time"
)

// TestViewerRows: a run keeps one row per judged viewer, with the
// viewer's upload share of the scenario and figures that add up to the
// mode's summary.
func TestViewerRows(t *testing.T) {
	r := runMode(t, "mesh", 30, 15*time.Second, func(sc *Scenario) {
		up, err := ParseUpload("0x:30,1x:50,4x:20")
		if err != nil {
			t.Fatal(err)
		}
		sc.Upload = up
	})
	if len(r.ViewerRows) != r.Viewers || r.Viewers != 30 {
		t.Fatalf("%d rows for %d viewers", len(r.ViewerRows), r.Viewers)
	}
	uploads := map[int64]int{}
	var cont float64
	var missed uint64
	for i, v := range r.ViewerRows {
		uploads[v.Upload]++
		cont += v.Continuity
		missed += v.Missed
		if v.Started != (v.Startup > 0) {
			t.Errorf("viewer %d: started %v, startup %v", i, v.Started, v.Startup)
		}
	}
	// A 0x viewer still has minUpload for control messages.
	rate := DefaultScenario().Rate
	if uploads[minUpload] != 9 || uploads[rate] != 15 || uploads[4*rate] != 6 {
		t.Errorf("uploads %v, want 9 at %d, 15 at 1x, 6 at 4x", uploads, minUpload)
	}
	if mean := cont / float64(len(r.ViewerRows)); math.Abs(mean-r.ContinuityMean) > 1e-9 {
		t.Errorf("rows' continuity %.6f, summary %.6f", mean, r.ContinuityMean)
	}
	if missed != r.ChunksMissed {
		t.Errorf("rows missed %d, summary %d", missed, r.ChunksMissed)
	}
}
