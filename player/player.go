// Package player is the viewer's end of a stream: it takes verified chunks
// from the delivery mode, holds them in a playout buffer, plays them out on
// schedule (on the node's clock: virtual in the simulator) to an Output
// such as RTP over UDP, and measures what the viewer saw: continuity,
// startup delay, playback lag and arrival delay.
package player

import (
	"errors"
	"time"

	"github.com/almcast/alm/chunk"
	"github.com/almcast/alm/env"
)

// Config tunes a player.
type Config struct {
	// StartupDelay is how long the player buffers after its first chunk
	// arrives before it plays. Default 1s.
	StartupDelay time.Duration
	// Window is how many chunks ahead of the playout point are kept;
	// chunks further ahead are dropped and counted. Default 600.
	Window int
	// TargetLag, when positive, is the playback lag the player aims for:
	// starting with its first chunk, it plays each chunk TargetLag after
	// the chunk's source time (clocks are assumed in step, as for the lag
	// it reports). A first chunk too old for that gets MinBuffer of
	// buffering instead. StartupDelay is not used then. (Starting at an
	// older chunk still due was tried: in a forest the chunks before the
	// first rarely come, and continuity fell.) Default 0: buffer
	// StartupDelay after the first chunk.
	TargetLag time.Duration
	// MinBuffer is, with TargetLag, the least a player buffers after its
	// first chunk. Default 400ms.
	MinBuffer time.Duration
	// MaxLag lets a playing player raise its lag, up to MaxLag, when
	// chunks keep coming after their playout time: once RaiseAfter
	// chunks have come late within RaiseWindow, playout pauses for the
	// largest lateness among them plus one chunk duration plus
	// RaiseMargin, and every later chunk plays that much later (a
	// rebuffering, counted in Stats.Raises and Stats.Stalled). Default 0:
	// the lag never changes.
	MaxLag time.Duration
	// RaiseAfter is how many late chunks within RaiseWindow raise the
	// lag. Default 6 (with 3, enough of a forest's viewers in the lab's
	// scenario U raised their lags to put its lag p95 at 1.8s, not 1.5s).
	RaiseAfter int
	// RaiseMargin is added to each raise beyond the lateness seen.
	// Default 250ms.
	RaiseMargin time.Duration
	// RaiseWindow is the span over which late chunks are counted.
	// Default 10s.
	RaiseWindow time.Duration
}

// DefaultConfig returns the documented defaults.
func DefaultConfig() Config {
	return Config{StartupDelay: time.Second, Window: 600, MinBuffer: 400 * time.Millisecond,
		RaiseAfter: 6, RaiseWindow: 10 * time.Second, RaiseMargin: 250 * time.Millisecond}
}

// Validate reports a bad field.
func (c Config) Validate() error {
	if c.StartupDelay < 0 || c.TargetLag < 0 || c.MinBuffer < 0 || c.MaxLag < 0 {
		return errors.New("player: startup delay, target lag, minimum buffer and maximum lag must not be negative")
	}
	if c.MaxLag > 0 && (c.RaiseAfter < 1 || c.RaiseWindow <= 0 || c.RaiseMargin < 0) {
		return errors.New("player: with a maximum lag, raise-after and raise window must be positive and the raise margin not negative")
	}
	if c.Window < 1 {
		return errors.New("player: window must be at least 1")
	}
	return nil
}

// Output receives chunks at their playout time.
type Output interface {
	Play(c *chunk.Chunk)
}

// Stats is what a player measured.
type Stats struct {
	// Joined is when the viewer asked for the stream.
	Joined time.Duration
	// Started is when the first chunk played (0: not yet).
	Started time.Duration
	// Received counts distinct chunks taken in; Duplicates chunks already
	// held; Late chunks that came after their playout time; Stale chunks
	// from before playback began or too far ahead of it.
	Received, Duplicates, Late, Stale uint64
	// Played and Missed count chunks present or absent at their playout
	// time.
	Played, Missed uint64
	// Lag is the playback lag: playout time minus source time, the same
	// for every chunk once playing (until a raise; then the raised lag).
	Lag time.Duration
	// Raises counts the times the lag was raised (Config.MaxLag), and
	// Stalled is the playout time they paused for in all.
	Raises  uint64
	Stalled time.Duration
	// PayloadBytes is the media received in distinct chunks.
	PayloadBytes uint64
}

// Continuity is the fraction of chunks present at their playout time
// (DONet's continuity index); 1 before anything was due.
func (s Stats) Continuity() float64 {
	if s.Played+s.Missed == 0 {
		return 1
	}
	return float64(s.Played) / float64(s.Played+s.Missed)
}

// StartupDelay is the time from joining to the first chunk played.
func (s Stats) StartupDelay() time.Duration {
	if s.Started == 0 {
		return 0
	}
	return s.Started - s.Joined
}

// Player is one viewer's playout state; call it on the node's event loop.
type Player struct {
	cfg   Config
	e     env.Env
	out   Output
	stats Stats

	joined   bool
	first    bool          // a chunk has arrived
	offset   time.Duration // playout time = source time + offset
	base     int64         // source time of seq 0 (extrapolated)
	dur      time.Duration // chunk duration
	next     uint64        // next seq to play
	buf      ring          // chunks held, from next on
	timer    env.Timer
	arrivals func(c *chunk.Chunk, delay time.Duration)
	late     []lateChunk    // recent late chunks, for raising the lag
	gate     Gate           // nil: start with the first chunk
	held     []*chunk.Chunk // chunks kept while the gate is shut, by seq
}

// New returns a player on e that plays to out (nil: measure only).
func New(e env.Env, cfg Config, out Output) (*Player, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Player{cfg: cfg, e: e, out: out}, nil
}

// OnArrival sets a hook called for every distinct chunk taken in, with
// its arrival delay (now minus source time); the lab records these.
func (p *Player) OnArrival(f func(c *chunk.Chunk, delay time.Duration)) { p.arrivals = f }

// Join marks when the viewer asked for the stream.
func (p *Player) Join() {
	if !p.joined {
		p.joined = true
		p.stats.Joined = p.e.Now()
	}
}

// Stats returns the measurements so far.
func (p *Player) Stats() Stats { return p.stats }

// SetTargetLag sets Config.TargetLag; it has effect only before the
// first chunk (a stream learns its mode, and so the lag it prefers, from
// the channel's metadata).
func (p *Player) SetTargetLag(d time.Duration) {
	if d >= 0 && !p.first {
		p.cfg.TargetLag = d
	}
}

// SetMaxLag sets Config.MaxLag (0: the lag is never raised).
func (p *Player) SetMaxLag(d time.Duration) {
	if d >= 0 {
		p.cfg.MaxLag = d
	}
}

// SetRaiseAfter sets Config.RaiseAfter (n < 1 leaves it as it is).
func (p *Player) SetRaiseAfter(n int) {
	if n >= 1 {
		p.cfg.RaiseAfter = n
	}
}

// MaxLag is the most the player may raise its lag to (0: never raised).
func (p *Player) MaxLag() time.Duration { return p.cfg.MaxLag }

// TargetLag is the playback lag the player aims for (0: none).
func (p *Player) TargetLag() time.Duration { return p.cfg.TargetLag }

// Buffer is the least the player buffers after its first chunk: the
// minimum buffer with a target lag, else the startup delay.
func (p *Player) Buffer() time.Duration {
	if p.cfg.TargetLag > 0 {
		return p.cfg.MinBuffer
	}
	return p.cfg.StartupDelay
}

// Has reports whether the player holds seq (for delivery modes that must
// not fetch a chunk twice).
func (p *Player) Has(seq uint64) bool {
	return p.buf.get(seq) != nil || p.heldAt(seq) >= 0
}

// Next is the next sequence number to play (0 before playback). While a
// gate holds the player back with a target lag, it is the first chunk
// that would still play at that lag, had the player started: the
// delivery mode neither asks for nor forwards older ones.
func (p *Player) Next() uint64 {
	if !p.first && len(p.held) > 0 && p.cfg.TargetLag > 0 {
		return p.heldNext()
	}
	return p.next
}

// Offer takes a verified chunk. It reports whether the chunk was new and
// kept.
func (p *Player) Offer(c *chunk.Chunk) bool {
	now := p.e.Now()
	if !p.first {
		if p.gate != nil {
			return p.hold(c)
		}
		p.begin(c, now)
	}
	switch {
	case c.Seq < p.next:
		if p.stats.Started != 0 {
			p.stats.Late++
			p.noteLate(now, now-p.deadline(c.Seq))
		} else {
			p.stats.Stale++
		}
		return false
	case c.Seq >= p.next+uint64(p.cfg.Window):
		p.stats.Stale++
		return false
	}
	if p.buf.get(c.Seq) != nil {
		p.stats.Duplicates++
		return false
	}
	p.buf.put(c, p.next)
	p.received(c, now)
	return true
}

// received counts a new chunk and reports its arrival.
func (p *Player) received(c *chunk.Chunk, now time.Duration) {
	p.stats.Received++
	p.stats.PayloadBytes += uint64(c.Payload())
	if p.arrivals != nil {
		p.arrivals(c, now-c.Timestamp())
	}
}

// begin starts playback with c, the first chunk to play.
func (p *Player) begin(c *chunk.Chunk, now time.Duration) {
	p.Join()
	p.first = true
	p.dur = time.Duration(c.Duration)
	if p.dur <= 0 {
		p.dur = 200 * time.Millisecond
	}
	p.base = c.Time - int64(c.Seq)*int64(p.dur)
	p.offset = now - c.Timestamp() + p.Buffer()
	if p.cfg.TargetLag > 0 {
		p.offset = max(p.offset, p.cfg.TargetLag)
	}
	p.next = c.Seq
	p.stats.Lag = p.offset
	p.timer = p.e.After(p.deadline(p.next)-now, p.tick)
}

// deadline is the playout time of seq.
func (p *Player) deadline(seq uint64) time.Duration {
	return time.Duration(p.base+int64(seq)*int64(p.dur)) + p.offset
}

// tick plays every chunk whose time has come and waits for the next.
func (p *Player) tick() {
	now := p.e.Now()
	for p.deadline(p.next) <= now {
		if p.stats.Started == 0 {
			p.stats.Started = now
		}
		if c := p.buf.take(p.next); c != nil {
			p.stats.Played++
			if p.out != nil {
				p.out.Play(c)
			}
		} else {
			p.stats.Missed++
		}
		p.next++
	}
	p.timer = p.e.After(p.deadline(p.next)-now, p.tick)
}

// Stop ends playout.
func (p *Player) Stop() {
	if p.timer != nil {
		p.timer.Stop()
	}
}
