package stream

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/almcast/alm/chunk"
	"github.com/almcast/alm/delivery"
	"github.com/almcast/alm/env"
	"github.com/almcast/alm/gossip"
	"github.com/almcast/alm/id"
	"github.com/almcast/alm/overlay"
	"github.com/almcast/alm/player"
	"github.com/almcast/alm/source"
	"github.com/almcast/alm/wire"
)

// Stats counts what a node's stream glue saw.
type Stats struct {
	// Accepted counts new, valid chunks; Duplicates chunks already held;
	// Forged chunks whose signature failed (never played or forwarded);
	// WrongChannel chunks of another channel; Stale chunks outside the
	// window.
	Accepted, Duplicates, Forged, WrongChannel, Stale uint64
	// Finds counts the viewer's requests to the rendezvous.
	Finds uint64
	// BadMeta counts metadata that failed verification.
	BadMeta uint64
	// BadFinds counts finds sent straight to this node by neither the
	// viewer nor a leaf-set neighbour (refused).
	BadFinds uint64
	// PayloadSent counts the media bytes in chunks this node sent.
	PayloadSent uint64
	// Unclaimed counts routed messages delivered here for a protocol
	// the node does not run and could not take up (see relayFor).
	Unclaimed uint64
	// RelayStarts counts the times the node took up its mode as a
	// forwarder only, before watching.
	RelayStarts uint64
}

type dirEntry struct {
	meta chunk.Meta
	src  id.Ref
	at   time.Duration
}

// Node is one node's streaming state, on the node's event loop. It
// implements delivery.Host for its mode.
type Node struct {
	cfg    Config
	e      env.Env
	ov     *overlay.Node
	ch     chunk.Channel
	verify *chunk.Verifier    // of ch's key
	key    ed25519.PrivateKey // source only
	mode   delivery.Mode      // a viewer without a configured mode takes the source's
	gossip *gossip.Node       // membership; its rendezvous serves every channel routed here
	mux    *env.Mux
	player *player.Player // viewer only
	chunks *source.Chunker
	meta   *chunk.Meta
	src    id.Ref
	buf    []*chunk.Chunk // ring of the window, by seq mod Keep
	low    uint64         // chunks below low are forgotten
	high   uint64         // highest seq held + 1
	dir    map[id.ID]*dirEntry
	swept  time.Duration // when dir was last swept of lapsed entries (dirRoom)
	held   []heldFind
	stats  Stats
	stops  []func()
	active bool
	// pending holds the routed messages a node that does not watch
	// takes its mode up for (relayFor), until the channel is found.
	pending []*overlay.Msg

	// OnMeta, when set, is called once when a viewer learns the
	// channel's metadata (to set up its output).
	OnMeta func(m *chunk.Meta)
}

var _ delivery.Host = (*Node)(nil)

// New returns a node of channel ch on overlay ov. out is where a viewer's
// player plays (nil: measure only). Register the node with the overlay
// and the node's Mux with Attach.
func New(e env.Env, ov *overlay.Node, ch chunk.Channel, cfg Config, out player.Output) (*Node, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	n := &Node{cfg: cfg, e: e, ov: ov, ch: ch, verify: chunk.NewVerifier(ch.Key), dir: map[id.ID]*dirEntry{}}
	// Every node serves the gossip rendezvous, whatever its mode: a
	// viewer learns the mode only from the channel's metadata.
	g, err := gossip.New(e, ov, nil, gossip.DefaultConfig())
	if err != nil {
		return nil, err
	}
	n.gossip = g
	p, err := player.New(e, cfg.Player, out)
	if err != nil {
		return nil, err
	}
	n.player = p
	if cfg.Mode != "" {
		if n.mode, err = delivery.New(cfg.Mode, n); err != nil {
			return nil, err
		}
	}
	return n, nil
}

// NewSource returns the source node of a channel owned by key.
func NewSource(e env.Env, ov *overlay.Node, key ed25519.PrivateKey, name string, cfg Config) (*Node, error) {
	ch, err := chunk.NewChannel(key.Public().(ed25519.PublicKey), name)
	if err != nil {
		return nil, err
	}
	if cfg.Mode == "" {
		return nil, errors.New("stream: the source needs a mode")
	}
	n, err := New(e, ov, ch, cfg, nil)
	if err != nil {
		return nil, err
	}
	n.key = key
	n.player = nil
	n.src = e.Self()
	return n, nil
}

// Attach registers the node's handlers on mux (the gossip protocol's
// among them) and its directory with the overlay. The gossip rendezvous
// registered itself with the overlay when the node was built.
func (n *Node) Attach(mux *env.Mux) {
	n.mux = mux
	mux.Handle(Proto, n)
	mux.Handle(chunk.Proto, n)
	mux.Handle(gossip.Proto, n.gossip)
	if n.mode != nil {
		mux.Handle(n.mode.Proto(), n.mode)
	}
	n.ov.Register(Proto, n)
	n.ov.SetFallback(n)
}

// Gossip returns the node's membership protocol (modes that find peers
// by gossip use it; its rendezvous answers whatever the mode).
func (n *Node) Gossip() *gossip.Node { return n.gossip }

// Player returns the viewer's player (nil on the source).
func (n *Node) Player() *player.Player { return n.player }

// StartupDelay is how long the player buffers after its first chunk
// (player.Buffer; modes that pick the first chunk count on it).
func (n *Node) StartupDelay() time.Duration {
	if n.player != nil {
		return n.player.Buffer()
	}
	return n.cfg.Player.StartupDelay
}

// Mode returns the node's delivery mode (nil on a viewer until it has
// found the channel).
func (n *Node) Mode() delivery.Mode { return n.mode }

// Meta returns the channel metadata, once known.
func (n *Node) Meta() *chunk.Meta { return n.meta }

// StreamStats returns the node's counters.
func (n *Node) StreamStats() Stats { return n.stats }

// Chunker returns the source's chunker (nil on viewers).
func (n *Node) Chunker() *source.Chunker { return n.chunks }

// Broadcast starts the source: it cuts chunks from what Add receives,
// announces the channel with sdp and serves it. rate is the nominal
// stream rate in bit/s.
func (n *Node) Broadcast(sdp string, rate int64) error {
	if n.key == nil {
		return errors.New("stream: only the source broadcasts")
	}
	var err error
	n.chunks, err = source.NewChunker(n.e, n.cfg.Chunker, n.key, n.ch, n.publish)
	if err != nil {
		return err
	}
	m := &chunk.Meta{Channel: n.ch.ID(), Name: n.ch.Name, Key: n.ch.Key, SDP: sdp,
		ChunkDuration: int64(n.cfg.Chunker.Duration), Rate: rate, Start: int64(n.chunks.Zero()), Mode: n.cfg.Mode}
	m.Sign(n.key)
	n.meta = m
	n.active = true
	n.announce()
	n.stops = append(n.stops, env.Every(n.e, n.cfg.AnnouncePeriod, 0.1, n.announce))
	n.mode.Start()
	return nil
}

// Add hands one RTP packet to the source's chunker.
func (n *Node) Add(pkt []byte) {
	if n.chunks != nil {
		n.chunks.Add(pkt)
	}
}

func (n *Node) announce() {
	n.ov.Route(n.ch.ID(), &Announce{Meta: *n.meta, Source: n.e.Self()})
}

func (n *Node) publish(c *chunk.Chunk) {
	n.store(c)
	n.mode.Publish(c)
}

// Watch starts a viewer: it asks the rendezvous for the channel and, once
// answered, starts the mode.
func (n *Node) Watch() {
	if n.key != nil || n.active {
		return
	}
	n.active = true
	n.player.Join()
	if n.meta != nil {
		n.begin() // found already while relaying
		return
	}
	n.find()
}

func (n *Node) find() {
	if n.meta != nil || !n.seeking() {
		return
	}
	if !n.ov.Joined() {
		n.e.After(n.cfg.FindRetry/10, n.find)
		return
	}
	// The first answer is usually back within a few hundred ms; the
	// first retry comes after half of FindRetry, later ones after all.
	wait := n.cfg.FindRetry
	if n.stats.Finds == 0 {
		wait /= 2
	}
	f := &Find{Channel: n.ch.ID(), Viewer: n.e.Self()}
	if n.stats.Finds > 0 {
		n.askAround(f)
	}
	n.stats.Finds++
	n.ov.Route(n.ch.ID(), f)
	n.e.After(wait, n.find)
}

// askAround sends a find that went unanswered directly to a few of the
// viewer's leaf-set members, chosen at random: any of them that holds the
// channel's entry or has found the channel answers, none passes it on.
// While leaf sets disagree, finds routed to the channel's ID can keep
// ending at a node that wrongly believes it is the rendezvous and holds
// them.
func (n *Node) askAround(f *Find) {
	var to []id.Ref
	cw, ccw := n.ov.LeafSet().Sides()
	leaf := append(append([]id.Ref(nil), cw...), ccw...)
	for _, i := range n.e.Rand().Perm(len(leaf)) {
		if len(to) == askNearby {
			break
		}
		to = append(to, leaf[i])
	}
	for _, r := range to {
		n.e.Send(r, f)
	}
}

// askNearby is how many leaf-set members an unanswered find is also sent
// to.
const askNearby = 2

// Stop ends the node's streaming at once.
func (n *Node) Stop() {
	n.active = false
	n.pending = nil
	for _, s := range n.stops {
		s()
	}
	n.stops = nil
	if n.chunks != nil {
		n.chunks.Stop()
	}
	if n.player != nil {
		n.player.Stop()
	}
	if n.mode != nil {
		n.mode.Stop()
	}
	n.gossip.Stop()
}

// Leave ends the node's streaming, telling its peers.
func (n *Node) Leave() {
	if n.mode != nil {
		n.mode.Leave()
	}
	n.Stop()
}

// Receive implements env.Handler for chunks, directory answers, replicas
// and finds sent straight to this node.
func (n *Node) Receive(from id.Ref, m wire.Message) {
	switch m := m.(type) {
	case *chunk.Chunk:
		fresh := n.Accept(from, m)
		if n.mode != nil && (fresh || n.Has(m.Seq)) {
			n.mode.Chunk(from, m, fresh)
		}
	case *Found:
		n.onFound(m)
	case *Announce:
		n.onAnnounce(m) // a replica from the rendezvous
	case *Find:
		n.onDirectFind(from, m)
	}
}

// onDirectFind answers a find sent straight to this node, by the viewer
// itself (askAround) or by a leaf-set neighbour that lacks the entry as
// the rendezvous (askReplicas); it is never passed on. Others are refused,
// so strangers cannot point answers at a third node with it.
func (n *Node) onDirectFind(from id.Ref, f *Find) {
	if f.Viewer.ID != from.ID && !n.ov.LeafSet().Contains(from.ID) {
		n.stats.BadFinds++
		return
	}
	n.answer(f)
}

func (n *Node) onFound(m *Found) {
	if n.meta != nil || !n.seeking() || n.key != nil || m.Source.IsZero() {
		return
	}
	if err := m.Meta.Verify(n.ch); err != nil {
		n.stats.BadMeta++
		return
	}
	if n.mode == nil {
		mode, err := delivery.New(m.Meta.Mode, n)
		if err != nil {
			n.stats.BadMeta++
			return
		}
		n.mode = mode
		if n.mux != nil {
			n.mux.Handle(mode.Proto(), mode)
		}
	}
	meta := m.Meta
	n.meta = &meta
	n.src = m.Source
	if n.OnMeta != nil {
		n.OnMeta(n.meta)
	}
	if !n.active {
		n.relay()
		return
	}
	n.begin()
	n.handOver() // routed while the node watched but had not found the channel
}

// begin starts a viewer's player and mode once the channel is known.
func (n *Node) begin() {
	if n.player != nil {
		name := n.cfg.Mode
		if name == "" {
			name = n.meta.Mode
		}
		lag, maxLag := delivery.Lags(name, n.cfg.TargetLag, n.cfg.MaxLag, n.cfg.LagMargin, n.ov.LeafSet().Size())
		n.player.SetTargetLag(lag)
		n.player.SetMaxLag(maxLag)
		n.player.SetRaiseAfter(delivery.RaiseAfter(name))
		if s, ok := n.mode.(delivery.Starter); ok {
			n.player.SetGate(s.StartFrom)
		}
	}
	n.mode.Start()
}

// store keeps c in the serving window.
func (n *Node) store(c *chunk.Chunk) {
	if c.Seq < n.low {
		return
	}
	if n.buf == nil {
		n.buf = make([]*chunk.Chunk, n.cfg.Keep)
	}
	if c.Seq+1 > n.high {
		n.high = c.Seq + 1
	}
	if keep := uint64(n.cfg.Keep); n.high-n.low > keep {
		n.low = n.high - keep
	}
	n.buf[c.Seq%uint64(len(n.buf))] = c
}

// window returns chunk seq if the window holds it.
func (n *Node) window(seq uint64) *chunk.Chunk {
	if seq < n.low || seq >= n.high || len(n.buf) == 0 {
		return nil
	}
	if c := n.buf[seq%uint64(len(n.buf))]; c != nil && c.Seq == seq {
		return c
	}
	return nil
}

// Chunk returns a held chunk (for modes that serve requests).
func (n *Node) Chunk(seq uint64) (*chunk.Chunk, bool) {
	c := n.window(seq)
	return c, c != nil
}

// Window returns the range of sequence numbers the node may hold: [low,
// high).
func (n *Node) Window() (low, high uint64) { return n.low, n.high }

// Env implements delivery.Host.
func (n *Node) Env() env.Env { return n.e }

// Overlay implements delivery.Host.
func (n *Node) Overlay() *overlay.Node { return n.ov }

// Channel implements delivery.Host.
func (n *Node) Channel() chunk.Channel { return n.ch }

// IsSource implements delivery.Host.
func (n *Node) IsSource() bool { return n.key != nil }

// Source implements delivery.Host.
func (n *Node) Source() id.Ref { return n.src }

// Upload implements delivery.Host.
func (n *Node) Upload() int64 { return n.cfg.Upload }

// Rate implements delivery.Host.
func (n *Node) Rate() int64 {
	if n.meta != nil && n.meta.Rate > 0 {
		return n.meta.Rate
	}
	return n.cfg.Rate
}

// Send implements delivery.Host.
func (n *Node) Send(to id.Ref, m wire.Message) {
	if c, ok := m.(*chunk.Chunk); ok {
		n.stats.PayloadSent += uint64(c.Payload())
	}
	n.e.Send(to, m)
}

// Has implements delivery.Host.
func (n *Node) Has(seq uint64) bool {
	if seq >= n.low {
		// Every chunk the player took is in the window too, unless the
		// window has moved past it.
		return n.window(seq) != nil
	}
	return n.player != nil && n.player.Has(seq)
}

// Accept implements delivery.Host: it checks the chunk and gives a new,
// valid one to the player.
func (n *Node) Accept(from id.Ref, c *chunk.Chunk) bool {
	switch {
	case c.Channel != n.ch.ID():
		n.stats.WrongChannel++
		return false
	case n.Has(c.Seq):
		n.stats.Duplicates++
		return false
	case c.Seq < n.low || c.Seq > n.ahead():
		n.stats.Stale++
		return false
	}
	if err := c.VerifyWith(n.verify); err != nil {
		n.stats.Forged++
		return false
	}
	if n.player != nil && n.active && !n.player.Offer(c) && c.Seq < n.player.Next() {
		// Too late to play, but still worth keeping for peers.
		n.stats.Stale++
	}
	n.store(c)
	n.stats.Accepted++
	return true
}

// ahead is the highest sequence number Accept takes: Keep×4 past the
// newest chunk held, or past the player's next chunk when the player has
// played on beyond that. A player's clock runs on through an outage of the
// source, and `alm source` numbers chunks by the wall clock, so a source
// restarted after any outage sends chunks near the player's next one: they
// must not be refused for being far past the last chunk before it.
func (n *Node) ahead() uint64 {
	top := n.high
	if n.player != nil {
		top = max(top, n.player.Next())
	}
	if top == 0 {
		return math.MaxUint64 // nothing held or played yet
	}
	return top + uint64(n.cfg.Keep)*4
}

// String describes the node.
func (n *Node) String() string {
	return fmt.Sprintf("stream(%s %s)", n.ch.Name, n.e.Self())
}
