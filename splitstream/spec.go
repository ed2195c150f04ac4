package splitstream

import (
	"fmt"
	"strconv"

	"github.com/almcast/alm/delivery"
)

// ParseStripes reads the forest's mode argument, its number of stripes
// ("forest/16"): 1 to 16.
func ParseStripes(arg string) (int, error) {
	k, err := strconv.Atoi(arg)
	if err != nil || k < 1 || k > 16 {
		return 0, fmt.Errorf("splitstream: stripes %q, want 1 to 16", arg)
	}
	return k, nil
}

// Spec is the mode spec of a forest of k stripes (the default's when k
// is 0).
func Spec(k int) string {
	if k == 0 {
		return Name
	}
	return delivery.Spec(Name, strconv.Itoa(k))
}
