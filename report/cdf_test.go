package report

import (
	"math"
	"testing"
)

func TestCDFPoints(t *testing.T) {
	if cdfPoints(nil) != nil {
		t.Fatal("no samples should give no points")
	}
	got := cdfPoints([]float64{3, 1, 2, 2})
	want := [][2]float64{{1, 0}, {1, 0.25}, {2, 0.75}, {3, 1}}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i, w := range want {
		if got[i].X != w[0] || got[i].Y != w[1] {
			t.Fatalf("point %d: got %v, want %v", i, got[i], w)
		}
	}
}

func TestCDFPointsThinsLargeSets(t *testing.T) {
	s := make([]float64, 100_000)
	for i := range s {
		s[i] = float64(i % 977)
	}
	got := cdfPoints(s)
	if len(got) > maxCDFPoints+2 {
		t.Fatalf("%d points for %d samples, want at most about %d", len(got), len(s), maxCDFPoints)
	}
	for i := 1; i < len(got); i++ {
		if got[i].X < got[i-1].X || got[i].Y < got[i-1].Y {
			t.Fatalf("not monotone at %d: %v then %v", i, got[i-1], got[i])
		}
	}
	if last := got[len(got)-1]; last.X != 976 || math.Abs(last.Y-1) > 1e-12 {
		t.Fatalf("last point %v, want {976 1}", last)
	}
}
