package report

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/almcast/alm/lab"
)

// fakeResult returns a deterministic result of the named modes with
// per-viewer samples, as lab.RunStream would give.
func fakeResult(t *testing.T, rate int64, modes ...string) *lab.StreamResult {
	t.Helper()
	sc := lab.DefaultScenario()
	sc.Modes = modes
	sc.Viewers = 200
	sc.Rate = rate
	if err := sc.Validate(); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(uint64(rate), 7))
	res := &lab.StreamResult{Scenario: sc, RMax: sc.RMax()}
	for i, name := range modes {
		m := lab.ModeResult{Mode: name, Viewers: sc.Viewers, Overhead: 0.02 * float64(i+1), UploadUtil: 0.3 + 0.25*float64(i)}
		for range sc.Viewers {
			cont := 1 - rng.Float64()*0.05*float64(i)
			lag := 2000 + rng.Float64()*500*float64(i+1)
			startup := 1500 + rng.Float64()*800*float64(i+1)
			m.ViewerRows = append(m.ViewerRows, lab.Viewer{Upload: 2 * rate, Started: true, Continuity: cont,
				Startup: time.Duration(startup * 1e6), Lag: time.Duration(lag * 1e6),
				Mode: map[string]float64{"children": float64(rng.IntN(3)), name: 1}})
		}
		m.ContinuityMean = lab.Mean(m.ContinuitySamples())
		m.ContinuityP5 = lab.Percentile(m.ContinuitySamples(), 5)
		res.Modes = append(res.Modes, m)
	}
	return res
}

// fakeSweep returns a sweep of the named modes at the given fractions of
// rmax, continuity falling as the rate passes rmax.
func fakeSweep(t *testing.T, fractions []float64, modes ...string) *Sweep {
	t.Helper()
	base := fakeResult(t, 1_000_000, modes...).Scenario
	sw := &Sweep{}
	for _, f := range fractions {
		sc := AtRate(base, int64(f*base.RMax()))
		pt := fakeResult(t, sc.Rate, modes...)
		pt.Scenario.Upload, pt.Scenario.SourceUpload = sc.Upload, sc.SourceUpload
		pt.RMax = pt.Scenario.RMax()
		for i := range pt.Modes {
			pt.Modes[i].ContinuityMean = min(1, 1.3-0.3*f-0.05*float64(i))
		}
		sw.Points = append(sw.Points, pt)
	}
	return sw
}
