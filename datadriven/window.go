package datadriven

import (
	"time"

	"github.com/almcast/alm/chunk"
)

// windowFor is the window, in chunks, for a chunk duration: cfg.Window
// when set, else enough multiples of 64 to cover cfg.WindowSpan (64 when
// the duration is unknown), at most 64*MaxMapWords.
func windowFor(cfg Config, dur time.Duration) int {
	if cfg.Window > 0 {
		return cfg.Window
	}
	if dur <= 0 {
		return 64
	}
	n := int((cfg.WindowSpan + dur - 1) / dur)
	words := min(max((n+63)/64, 1), MaxMapWords)
	return words * 64
}

// size (re)allocates the window's state for the channel's chunk duration
// (meta may be nil). It must run before anything is held: the mode calls
// it when built and again in Start, once the metadata is known.
func (m *Mode) size(meta *chunk.Meta) {
	var dur time.Duration
	if meta != nil {
		dur = time.Duration(meta.ChunkDuration)
	}
	w := windowFor(m.cfg, dur)
	if w == m.window {
		return
	}
	m.window = w
	m.flood = m.cfg.FloodLimit * w / 64
	m.held = NewBufferMap(w)
	m.store = make([]*chunk.Chunk, w)
	m.heardSeq = make([]uint64, w)
	m.heardAt = make([]time.Duration, w)
}
