// Package stream binds one node's part in a stream: it finds the channel
// through the overlay (the node responsible for the channel's ID keeps the
// source's signed metadata, as BitTorrent's DHT keeps peers for an
// infohash), runs the delivery mode, checks every chunk that arrives
// (channel, signature, duplicates) before the player or the mode sees it,
// and on the source drives the chunker.
package stream

import (
	"errors"
	"time"

	"github.com/almcast/alm/player"
	"github.com/almcast/alm/source"
)

// Config tunes a node's streaming.
type Config struct {
	// Mode names the delivery mode. Default "direct". A viewer with no
	// mode runs the one the source's metadata names.
	Mode string
	// Player tunes the viewer's player.
	Player player.Config
	// TargetLag is the playback lag the player aims for
	// (player.Config.TargetLag): 0, the mode's preference
	// (delivery.Preferences.Lag, known once the mode is); negative, none
	// (the player buffers its startup delay after its first chunk);
	// positive, that lag. Default 0.
	TargetLag time.Duration
	// MaxLag is the most the player may raise its lag to when chunks
	// keep coming late (player.Config.MaxLag): 0, the mode's preference
	// (delivery.Preferences.MaxLag) when TargetLag is 0 too, else none;
	// negative, none; positive, that. Default 0.
	MaxLag time.Duration
	// LagMargin is added to the mode's own lag and maximum lag when
	// TargetLag (and, for the maximum, MaxLag) leaves them to the mode and
	// the mode has a lag: room for delays the mode's lags were not tuned
	// for, such as many nodes sharing one process's cores. Default 0.
	LagMargin time.Duration
	// Chunker tunes the source's chunker.
	Chunker source.ChunkerConfig
	// AnnouncePeriod is how often the source renews its entry at the
	// rendezvous. Default 30s.
	AnnouncePeriod time.Duration
	// FindRetry is how long a viewer waits for an answer before it asks
	// again (the first time half as long); each retry also asks a few
	// leaf-set members directly. Default 1s.
	FindRetry time.Duration
	// Keep is how many chunks a node keeps after playing them, to serve
	// peers. Default 150 (30s of 200ms chunks).
	Keep int
	// Upload is the node's upload capacity in bit/s (0: unknown).
	Upload int64
	// Rate is the stream's nominal rate in bit/s (0: unknown).
	Rate int64
	// NoRelay keeps a node that does not watch from taking up the
	// channel's mode to serve what the overlay routes to it (as a
	// stripe's or tree's root, see relayFor): such messages are dropped.
	// Default false.
	NoRelay bool
}

// DefaultConfig returns the documented defaults.
func DefaultConfig() Config {
	return Config{
		Mode:           "direct",
		Player:         player.DefaultConfig(),
		Chunker:        source.DefaultChunkerConfig(),
		AnnouncePeriod: 30 * time.Second,
		FindRetry:      time.Second,
		Keep:           150,
	}
}

// Validate reports a bad field.
func (c Config) Validate() error {
	if c.AnnouncePeriod <= 0 || c.FindRetry <= 0 || c.Keep < 1 || c.Upload < 0 || c.Rate < 0 {
		return errors.New("stream: periods, keep, upload and rate must be positive")
	}
	if c.LagMargin < 0 {
		return errors.New("stream: lag margin must not be negative")
	}
	if err := c.Player.Validate(); err != nil {
		return err
	}
	return c.Chunker.Validate()
}
