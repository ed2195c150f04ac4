package lab

// The tree and forest modes (Scribe and SplitStream).
import (
	_ "github.com/almcast/alm/scribe"
	_ "github.com/almcast/alm/splitstream"
)
