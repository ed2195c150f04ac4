package splitstream

import (
	"fmt"
	"strconv"

	"github.com/almcast/alm/delivery"
)

// MaxStripes is the most stripes a forest has: stripe IDs differ in
// their first digit, of which there are 16.
const MaxStripes = 16

// CheckStripes reports whether k stripes are allowed: 1 to MaxStripes.
func CheckStripes(k int) error {
	if k < 1 || k > MaxStripes {
		return fmt.Errorf("splitstream: %d stripes, want 1 to %d", k, MaxStripes)
	}
	return nil
}

// ParseStripes reads the forest's mode argument, its number of stripes
// ("forest/16").
func ParseStripes(arg string) (int, error) {
	k, err := strconv.Atoi(arg)
	if err != nil {
		return 0, fmt.Errorf("splitstream: stripes %q, want 1 to %d", arg, MaxStripes)
	}
	return k, CheckStripes(k)
}

// Spec is the mode spec of a forest of k stripes (the default's when k
// is 0).
func Spec(k int) string {
	if k == 0 {
		return Name
	}
	return delivery.Spec(Name, strconv.Itoa(k))
}
