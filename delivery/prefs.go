package delivery

import (
	"math"
	"time"
)

// DefaultChunkDuration is the chunk duration of a mode that states no
// preference.
const DefaultChunkDuration = 200 * time.Millisecond

// Preferences are what a mode would have the source choose for it when
// the user does not say.
type Preferences struct {
	// ChunkDuration is the chunk duration the mode works best with (0: no
	// preference, DefaultChunkDuration). A tree forwards each chunk whole
	// to each child in turn, so every hop costs about one chunk time per
	// child: trees want short chunks; a mesh pays per chunk in buffer-map
	// notices and requests and wants longer ones.
	ChunkDuration time.Duration
	// Lag is the playback lag the mode's viewers aim for (see
	// player.Config.TargetLag; 0: none, each viewer buffers its startup
	// delay after its first chunk). A forest pushes every chunk down
	// short trees with little jitter, so all its viewers can play in step
	// at a lag well under a startup buffer plus the first chunk's age.
	Lag time.Duration
	// LagPerDecade lengthens Lag for every tenfold by which the overlay
	// (its size estimated from a node's leaf set) exceeds LagBaseSize:
	// larger audiences mean deeper trees and later chunks. 0: none.
	LagPerDecade time.Duration
	// MaxLag, above Lag, lets a viewer whose chunks keep coming late
	// raise its lag up to MaxLag (see player.Config.MaxLag), so that a
	// viewer deep in a starved tree rebuffers once rather than missing
	// chunks for good. 0: never raised.
	MaxLag time.Duration
	// RaiseAfter is how many late chunks within the player's
	// RaiseWindow raise a viewer's lag (player.Config.RaiseAfter; 0: the
	// player's default). A mode with short chunks counts more of them in
	// the same late spell.
	RaiseAfter int
}

// LagBaseSize is the overlay size up to which a mode's Lag holds as it
// is: twice the 1,000 nodes the lags were tuned at, so that the size
// estimate's spread (about 20% with a leaf set of 24) leaves them alone
// there.
const LagBaseSize = 2000

var prefs = map[string]Preferences{}

// preferences returns the preferences of the mode a name or spec names
// (zero: none); a mode's argument does not change them.
func preferences(spec string) Preferences {
	name, _ := SplitSpec(spec)
	mu.Lock()
	defer mu.Unlock()
	return prefs[name]
}

// SetPreferences records a mode's preferences; modes call it from init.
func SetPreferences(name string, p Preferences) {
	mu.Lock()
	defer mu.Unlock()
	prefs[name] = p
}

// ChunkDuration returns the chunk duration for the named mode: d when it
// is set (positive), else the mode's preference, else
// DefaultChunkDuration.
func ChunkDuration(name string, d time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	if p := preferences(name); p.ChunkDuration > 0 {
		return p.ChunkDuration
	}
	return DefaultChunkDuration
}

// Lag returns the target playback lag for the named mode: d when it is
// set (positive), none when d is negative, else the mode's preference.
func Lag(name string, d time.Duration) time.Duration {
	switch {
	case d > 0:
		return d
	case d < 0:
		return 0
	}
	return preferences(name).Lag
}

// LagFor is Lag for a node in an overlay of about size nodes: when d
// leaves the lag to the mode (0), the mode's LagPerDecade is added for
// every tenfold size exceeds LagBaseSize.
func LagFor(name string, d time.Duration, size float64) time.Duration {
	if d != 0 {
		return Lag(name, d)
	}
	return preferences(name).lagFor(size)
}

// lagFor is the mode's own lag in an overlay of about size nodes.
func (p Preferences) lagFor(size float64) time.Duration {
	if p.Lag == 0 || size <= LagBaseSize {
		return p.Lag
	}
	return p.Lag + time.Duration(float64(p.LagPerDecade)*math.Log10(size/LagBaseSize))
}

// RaiseAfter returns the named mode's RaiseAfter (0: the player's
// default).
func RaiseAfter(name string) int { return preferences(name).RaiseAfter }

// MaxLagFor is the most a viewer of the named mode may raise its lag to
// in an overlay of about size nodes, given the target lag asked for
// (target, as for Lag) and the maximum asked for (d): d when it is set
// (positive); none when d is negative or when d is 0 and the target is
// set (the user chose the lag); else the mode's MaxLag (0 unless above
// its Lag) shifted by what LagFor adds for the size.
func MaxLagFor(name string, target, d time.Duration, size float64) time.Duration {
	switch {
	case d > 0:
		return d
	case d < 0 || target != 0:
		return 0
	}
	p := preferences(name)
	if p.MaxLag <= p.Lag {
		return 0
	}
	return p.lagFor(size) + p.MaxLag - p.Lag
}

// Lags returns LagFor and MaxLagFor with margin added to each that is
// left to the mode (target 0; for the maximum, d 0 too) when the mode has
// a lag: room for delays the mode's lags were not tuned for.
func Lags(name string, target, d, margin time.Duration, size float64) (lag, maxLag time.Duration) {
	lag, maxLag = LagFor(name, target, size), MaxLagFor(name, target, d, size)
	if target != 0 || lag == 0 {
		return lag, maxLag
	}
	if d == 0 && maxLag > 0 {
		maxLag += margin
	}
	return lag + margin, maxLag
}
