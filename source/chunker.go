// Package source is the broadcaster's end of a stream: it takes RTP
// packets (from a real encoder over UDP, described by an SDP file, or from
// the built-in test stream), cuts them into chunks of a fixed duration,
// signs each chunk with the source's key and hands it to the delivery
// mode.
package source

import (
	"crypto/ed25519"
	"errors"
	"math"
	"time"

	"github.com/almcast/alm/chunk"
	"github.com/almcast/alm/env"
)

// ChunkerConfig tunes the chunker.
type ChunkerConfig struct {
	// Duration is the media time one chunk covers. Default 200ms.
	Duration time.Duration
	// MaxPackets cuts a chunk early when it holds this many packets.
	// Default chunk.MaxPackets.
	MaxPackets int
	// FirstSeq is the first chunk's sequence number. Default 0. `alm
	// source` numbers chunks by the wall clock (Unix time over Duration):
	// a restarted source goes on above every number it signed before, so
	// no two chunks it ever signs share a number, and a chunk recorded
	// from an earlier broadcast cannot stand in for one of this.
	FirstSeq uint64
}

// DefaultChunkerConfig returns the documented defaults.
func DefaultChunkerConfig() ChunkerConfig {
	return ChunkerConfig{Duration: 200 * time.Millisecond, MaxPackets: chunk.MaxPackets}
}

// Validate reports a bad field.
func (c ChunkerConfig) Validate() error {
	if c.Duration < 10*time.Millisecond || c.Duration > 10*time.Second {
		return errors.New("source: chunk duration must be within [10ms, 10s]")
	}
	if c.MaxPackets < 1 || c.MaxPackets > chunk.MaxPackets {
		return errors.New("source: max packets out of range")
	}
	if c.FirstSeq > math.MaxInt64/4/uint64(c.Duration) {
		return errors.New("source: first sequence number too large for the chunk duration")
	}
	return nil
}

// ChunkerStats counts the chunker's work.
type ChunkerStats struct {
	Packets, Chunks, Bytes, Dropped uint64
}

// Chunker cuts packets into signed chunks every Duration on the node's
// clock. It is protocol logic: call it on the node's event loop.
type Chunker struct {
	cfg     ChunkerConfig
	e       env.Env
	key     ed25519.PrivateKey
	ch      chunk.Channel
	publish func(*chunk.Chunk)
	seq     uint64
	cur     [][]byte
	curSize int
	start   time.Duration
	stop    func()
	stats   ChunkerStats
}

// NewChunker returns a chunker for channel ch signing with key; publish
// receives every signed chunk.
func NewChunker(e env.Env, cfg ChunkerConfig, key ed25519.PrivateKey, ch chunk.Channel, publish func(*chunk.Chunk)) (*Chunker, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if !ch.Key.Equal(key.Public()) {
		return nil, errors.New("source: the key does not own the channel")
	}
	c := &Chunker{cfg: cfg, e: e, key: key, ch: ch, publish: publish, seq: cfg.FirstSeq}
	c.start = e.Now()
	c.stop = env.Steady(e, cfg.Duration, c.cut)
	return c, nil
}

// Add takes one RTP packet (already checked by the caller). Packets over
// chunk.MaxPacketSize are dropped and counted.
func (c *Chunker) Add(pkt []byte) {
	if len(pkt) == 0 || len(pkt) > chunk.MaxPacketSize || c.curSize+len(pkt) > chunk.MaxChunkSize {
		c.stats.Dropped++
		return
	}
	c.stats.Packets++
	c.cur = append(c.cur, pkt)
	c.curSize += len(pkt)
	if len(c.cur) >= c.cfg.MaxPackets {
		c.cut()
	}
}

// cut signs what has been gathered as the next chunk. Every period yields
// a chunk, empty if nothing came, so sequence numbers follow media time.
func (c *Chunker) cut() {
	ck := &chunk.Chunk{
		Channel:  c.ch.ID(),
		Seq:      c.seq,
		Time:     int64(c.start) + int64(c.seq-c.cfg.FirstSeq)*int64(c.cfg.Duration),
		Duration: int64(c.cfg.Duration),
		Packets:  c.cur,
	}
	ck.Sign(c.key)
	c.seq++
	c.cur = nil
	c.stats.Chunks++
	c.stats.Bytes += uint64(c.curSize)
	c.curSize = 0
	c.publish(ck)
}

// Stats returns the counters.
func (c *Chunker) Stats() ChunkerStats { return c.stats }

// Start is the source time the chunker started at: the first chunk
// (FirstSeq) covers the media from then.
func (c *Chunker) Start() time.Duration { return c.start }

// Zero is the source time chunk 0 would have had: chunk seq covers the
// media from Zero + seq*Duration (before Start when FirstSeq > 0).
func (c *Chunker) Zero() time.Duration {
	return c.start - time.Duration(c.cfg.FirstSeq)*c.cfg.Duration
}

// Stop stops cutting chunks.
func (c *Chunker) Stop() { c.stop() }
