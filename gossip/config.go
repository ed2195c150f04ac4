// Package gossip is a partial-view membership protocol for the viewers of a
// channel, in the manner of HyParView (Leitão et al., DSN 2007): every member
// keeps a small, bounded passive view of other members and refreshes it by
// periodic shuffles with a random member of that view; the mesh partners of
// the delivery mode play the part of HyParView's active view. A new member
// gets its first members through the overlay: the node responsible for the
// channel's ID keeps a bounded, refreshed sample of members, as BitTorrent's
// Mainline DHT keeps peers for an infohash (BEP 5 announce/get_peers), so
// nothing is central. Members that leave silently age out: a member that is
// not heard from again is dropped from the rendezvous sample after
// SampleExpiry, and from views when it misses a shuffle or grows older than
// Expiry.
//
// A Node is pure protocol logic on an env.Env: no clock, goroutines, locks
// or sockets.
package gossip

import (
	"errors"
	"time"
)

// Config tunes a gossip node. Start from DefaultConfig.
type Config struct {
	// ViewSize bounds the passive view. Default 24.
	ViewSize int
	// ShuffleLen is how many entries a shuffle carries (the sender's own
	// entry included). Default 6.
	ShuffleLen int
	// ShufflePeriod is how often a member shuffles with a member of its
	// view. Default 10s.
	ShufflePeriod time.Duration
	// ShuffleTimeout is how long a shuffle waits for its answer before the
	// peer is taken for gone and dropped from the view. Default 3s.
	ShuffleTimeout time.Duration
	// Expiry drops view entries older than this (age travels with each
	// entry). Default 5m.
	Expiry time.Duration
	// AnnouncePeriod is how often a member renews its entry at the
	// rendezvous (and asks for members if its view is short). Default 20s.
	AnnouncePeriod time.Duration
	// SampleSize bounds the rendezvous sample per channel. Default 128.
	SampleSize int
	// SampleExpiry drops rendezvous entries not renewed for this long.
	// Default 60s.
	SampleExpiry time.Duration
	// Reply is how many members the rendezvous hands out per request.
	// Default 8: enough for a first set of partners, at half the bytes of
	// 16, which matters when a crowd joins at once (the rendezvous answers
	// every newcomer).
	Reply int
	// MaxTopics bounds how many channels one node keeps a sample (and a
	// path cache) for. Default 1024.
	MaxTopics int
	// PathCache bounds how many recent announcers a node keeps per
	// channel from the announcements it routes towards the rendezvous
	// (Coral's sloppy storage along the lookup path). Default 16; 0 turns
	// path caches off, so only the rendezvous answers.
	PathCache int
	// PathFresh is how recent a path cache's entries must be: a node on
	// the way answers a request for members itself only when it holds
	// Reply members (other than the asker) that announced within this
	// long, which happens only on routes busy enough to overload the
	// rendezvous. Default 4s.
	PathFresh time.Duration
}

// DefaultConfig returns the documented defaults.
func DefaultConfig() Config {
	return Config{
		ViewSize:       24,
		ShuffleLen:     6,
		ShufflePeriod:  10 * time.Second,
		ShuffleTimeout: 3 * time.Second,
		Expiry:         5 * time.Minute,
		AnnouncePeriod: 20 * time.Second,
		SampleSize:     128,
		SampleExpiry:   60 * time.Second,
		Reply:          8,
		MaxTopics:      1024,
		PathCache:      16,
		PathFresh:      4 * time.Second,
	}
}

// Validate reports the first bad field.
func (c Config) Validate() error {
	switch {
	case c.ViewSize < 1 || c.ViewSize > maxEntries:
		return errors.New("gossip: view size must be in [1, 64]")
	case c.ShuffleLen < 1 || c.ShuffleLen > maxEntries:
		return errors.New("gossip: shuffle length must be in [1, 64]")
	case c.ShufflePeriod <= 0 || c.ShuffleTimeout <= 0 || c.Expiry <= 0:
		return errors.New("gossip: shuffle period, timeout and expiry must be positive")
	case c.AnnouncePeriod <= 0 || c.SampleExpiry <= 0:
		return errors.New("gossip: announce period and sample expiry must be positive")
	case c.SampleSize < 1 || c.Reply < 1 || c.Reply > maxEntries || c.MaxTopics < 1:
		return errors.New("gossip: sample size, reply (at most 64) and topics must be positive")
	case c.PathCache < 0 || c.PathCache > 0 && c.PathFresh <= 0:
		return errors.New("gossip: path cache must not be negative, its freshness positive")
	}
	return nil
}
