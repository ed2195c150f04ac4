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
