// Package delivery is the one interface every delivery mode implements, and
// the registry that picks a mode by name. The source hands signed chunks to
// its mode with Publish; on a viewer the mode hands the chunks it receives
// to its Host, which verifies them and gives them to the player. Neither
// source nor player knows which mode runs (the model is
// go-libp2p-pubsub's PubSubRouter: several routers on one engine).
package delivery

import (
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/almcast/alm/chunk"
	"github.com/almcast/alm/env"
	"github.com/almcast/alm/id"
	"github.com/almcast/alm/overlay"
	"github.com/almcast/alm/player"
	"github.com/almcast/alm/wire"
)

// Host is what a node gives its mode. All calls happen on the node's event
// loop.
type Host interface {
	// Env is the node's environment.
	Env() env.Env
	// Overlay is the node's overlay node.
	Overlay() *overlay.Node
	// Channel is the stream's channel.
	Channel() chunk.Channel
	// IsSource reports whether this node is the channel's source.
	IsSource() bool
	// Source is the source's reference, once known (zero before).
	Source() id.Ref
	// Upload is this node's upload capacity in bit/s (0: unknown).
	Upload() int64
	// Rate is the stream's nominal rate in bit/s (0: unknown).
	Rate() int64
	// Accept checks a chunk that arrived from a peer: channel, signature,
	// duplicates. It reports whether the chunk is new and valid; a valid
	// new chunk has been given to the player. Forged chunks are counted
	// and dropped, and must never be forwarded.
	Accept(from id.Ref, c *chunk.Chunk) (fresh bool)
	// Has reports whether the node holds (or has played) chunk seq.
	Has(seq uint64) bool
	// Send sends a mode message to a peer, counting it by kind.
	Send(to id.Ref, m wire.Message)
	// Meta is the channel's verified metadata (nil before it is known);
	// its Start and ChunkDuration map chunk numbers to source time.
	Meta() *chunk.Meta
	// Player is the viewer's player (nil on the source): modes that pull
	// read its next chunk due and playback lag for deadlines.
	Player() *player.Player
	// StartupDelay is how long the player buffers after its first chunk
	// (its startup delay, or with a target lag its minimum buffer): a
	// mode that picks the viewer's first chunk can aim for a playback lag
	// with it.
	StartupDelay() time.Duration
}

// Mode is one way of carrying chunks from the source to the viewers.
type Mode interface {
	env.Handler
	// Proto is the protocol name of the mode's own messages (wire.Proto),
	// which the node dispatches to Receive.
	Proto() string
	// Start begins the mode's work: on the source, serving; on a viewer,
	// finding the stream. The source's reference is known by then.
	Start()
	// Publish hands the source's next chunk to the mode (source only).
	Publish(c *chunk.Chunk)
	// Chunk is called for each chunk that arrived from a peer, after the
	// host accepted it (fresh) or found it a duplicate (!fresh).
	Chunk(from id.Ref, c *chunk.Chunk, fresh bool)
	// Stop ends the mode's work without notice.
	Stop()
	// Leave ends the mode's work, telling peers.
	Leave()
	// Stats returns the mode's own figures, by name (e.g. "children",
	// "partners", "hops_mean"); the lab reports them.
	Stats() map[string]float64
}

// Factory builds a mode for a host.
type Factory func(h Host) (Mode, error)

var (
	mu        sync.Mutex
	factories = map[string]ArgFactory{} // every mode, by name
)

// Register makes a mode that takes no argument available by name; modes
// call it from init.
func Register(name string, f Factory) {
	RegisterArg(name, func(h Host, arg string) (Mode, error) {
		if arg != "" {
			return nil, fmt.Errorf("delivery: mode %q takes no argument (spec %q)", name, Spec(name, arg))
		}
		return f(h)
	})
}

// Names lists the registered modes, sorted.
func Names() []string {
	mu.Lock()
	defer mu.Unlock()
	out := make([]string, 0, len(factories))
	for n := range factories {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Starter is implemented by modes that know from which chunk on a
// viewer can expect the whole stream: its player keeps what comes but
// does not start until StartFrom reports ok, then starts at or after from
// (player.SetGate).
type Starter interface {
	StartFrom() (from uint64, ok bool)
}

// Relayer is implemented by modes whose routed messages may end at a node
// that does not watch the channel: the node responsible for a tree's
// group ID is the tree's root whether or not it watches (Scribe: every
// overlay node runs it). Relay starts the mode as a forwarder only, to
// serve what is routed to it without joining as a member; Start may
// follow when the node starts watching.
type Relayer interface {
	Relay()
}

// Summarizer is implemented by modes whose lab figures need every node's
// view (tree depth, partner counts, request rates). The lab gathers each
// viewer's Stats on its own event loop and hands them to the source's
// mode, on the source's event loop; the result joins the mode's figures.
type Summarizer interface {
	Summarize(viewers []map[string]float64) map[string]float64
}
