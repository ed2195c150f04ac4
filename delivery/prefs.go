package delivery

import "time"

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
}

var prefs = map[string]Preferences{}

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
	mu.Lock()
	p := prefs[name]
	mu.Unlock()
	if p.ChunkDuration > 0 {
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
	mu.Lock()
	p := prefs[name]
	mu.Unlock()
	return p.Lag
}
