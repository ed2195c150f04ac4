package report

import (
	"math"
	"slices"
	"testing"

	"github.com/almcast/alm/lab"
)

func TestParseRates(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []int64
	}{
		{"0.5,0.7,0.9,1.0", []int64{1_250_000, 1_750_000, 2_250_000, 2_500_000}},
		{"2, 10", []int64{5_000_000, 25_000_000}},
		{"500k,1M", []int64{500_000, 1_000_000}},
		{"0.5,1M", []int64{0, 1_000_000}}, // a unit anywhere makes all absolute
		{"64000,1.5M", []int64{64_000, 1_500_000}},
	} {
		got, err := ParseRates(c.in, 2_500_000)
		if c.want[0] == 0 {
			if err == nil {
				t.Errorf("%q: want an error for 0.5 read as 0.5 bit/s, got %v", c.in, got)
			}
			continue
		}
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("%q: got %v, %v; want %v", c.in, got, err, c.want)
		}
	}
	for _, bad := range []string{"", "0.5,,1", "-1", "0,0.5", "fast"} {
		if got, err := ParseRates(bad, 2_500_000); err == nil {
			t.Errorf("%q: got %v, want an error", bad, got)
		}
	}
}

func TestAtRateKeepsCapacity(t *testing.T) {
	sc := lab.DefaultScenario()
	sc.Upload = []lab.UploadClass{{Mult: 0, Percent: 30}, {Mult: 1, Percent: 50}, {Mult: 4, Percent: 20}}
	rmax := sc.RMax()
	for _, f := range []float64{0.5, 1, 1.2} {
		at := AtRate(sc, int64(f*rmax))
		if got := float64(at.Rate) / at.RMax(); math.Abs(got-f) > 1e-6 {
			t.Errorf("fraction %g: rate/rmax = %g", f, got)
		}
		if got := at.SourceUpload * float64(at.Rate); math.Abs(got-sc.SourceUpload*float64(sc.Rate)) > 1 {
			t.Errorf("fraction %g: source capacity %g bit/s, want %g", f, got, sc.SourceUpload*float64(sc.Rate))
		}
	}
	AtRate(sc, 2*sc.Rate).Upload[2].Mult = 99
	if sc.Upload[2].Mult != 4 {
		t.Fatal("AtRate shares the upload classes with its input")
	}
}
