package lab

// The tree and forest modes (Scribe and SplitStream).
import (
	_ "github.com/almcast/alm/scribe"
	"github.com/almcast/alm/splitstream"
)

// spec is the mode spec the scenario's nodes run for mode: the forest
// with the scenario's stripes (its default's when 0), else the mode as
// named.
func (s *Scenario) spec(mode string) string {
	if mode == splitstream.Name {
		return splitstream.Spec(s.Stripes)
	}
	return mode
}
