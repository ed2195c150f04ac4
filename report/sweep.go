package report

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/almcast/alm/lab"
)

// Sweep is one population streamed at several rates, each point a full
// scenario run of every mode. It marshals as {"sweep":[StreamResult,...]}.
type Sweep struct {
	Points []*lab.StreamResult `json:"sweep"`
}

// maxFraction is the largest unitless --rates value read as a fraction of
// rmax; anything larger, or with a unit, is an absolute bit rate.
const maxFraction = 10

// ParseRates reads a rate list such as "0.5,0.7,0.9,1.0" or "500k,1M" into
// bit rates. When every value is a plain number no greater than 10 the
// values are fractions of rmax (bit/s); otherwise each is a bit rate in the
// form lab.ParseRate reads.
func ParseRates(s string, rmax float64) ([]int64, error) {
	parts := strings.Split(s, ",")
	fractions := make([]float64, len(parts))
	relative := true
	for i, p := range parts {
		p = strings.TrimSpace(p)
		parts[i] = p
		v, err := strconv.ParseFloat(p, 64)
		if err != nil || v > maxFraction {
			relative = false
			continue
		}
		fractions[i] = v
	}
	out := make([]int64, len(parts))
	for i, p := range parts {
		if !relative {
			r, err := lab.ParseRate(p)
			if err != nil {
				return nil, fmt.Errorf("report: rates %q: %w", s, err)
			}
			if r < 1 {
				return nil, fmt.Errorf("report: rates %q: %q is below 1 bit/s (fractions of rmax cannot mix with bit rates)", s, p)
			}
			out[i] = r
			continue
		}
		if fractions[i] <= 0 {
			return nil, fmt.Errorf("report: rates %q: %q is not a positive fraction of rmax", s, p)
		}
		out[i] = int64(fractions[i]*rmax + 0.5)
	}
	return out, nil
}

// AtRate returns sc streaming at rate bit/s with the same absolute upload
// capacities as sc had at its own rate: the multiples of the rate are
// rescaled, so rmax stays put while the rate moves.
func AtRate(sc lab.Scenario, rate int64) lab.Scenario {
	scale := float64(sc.Rate) / float64(rate)
	out := sc
	out.Rate = rate
	out.SourceUpload = sc.SourceUpload * scale
	out.Upload = make([]lab.UploadClass, len(sc.Upload))
	for i, c := range sc.Upload {
		out.Upload[i] = lab.UploadClass{Mult: c.Mult * scale, Percent: c.Percent}
	}
	out.Modes = append([]string(nil), sc.Modes...)
	return out
}
