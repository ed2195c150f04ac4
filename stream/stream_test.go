package stream_test

import (
	"crypto/ed25519"
	"testing"
	"time"

	"github.com/almcast/alm/chunk"
	"github.com/almcast/alm/delivery"
	_ "github.com/almcast/alm/direct"
	"github.com/almcast/alm/env"
	"github.com/almcast/alm/id"
	"github.com/almcast/alm/overlay"
	"github.com/almcast/alm/sim"
	"github.com/almcast/alm/source"
	"github.com/almcast/alm/splitstream"
	"github.com/almcast/alm/stream"
	"github.com/almcast/alm/wire"
)

// verifyingOutput re-checks every chunk it is asked to play.
type verifyingOutput struct {
	ch            chunk.Channel
	played, wrong int
}

func (v *verifyingOutput) Play(c *chunk.Chunk) {
	v.played++
	if c.Verify(v.ch) != nil {
		v.wrong++
	}
}

type world struct {
	nw      *sim.Network
	src     *stream.Node
	srcNode *sim.Node
	viewers []*stream.Node
	outs    []*verifyingOutput
	ch      chunk.Channel
}

func build(t *testing.T, viewers int) *world {
	t.Helper()
	w := buildQuiet(t, viewers)
	w.broadcast(t)
	for i, v := range w.viewers {
		w.nw.Nodes()[i+1].Do(v.Watch)
	}
	return w
}

// buildQuiet builds the overlay and the nodes; the source has not
// broadcast yet and no viewer watches.
func buildQuiet(t *testing.T, viewers int) *world {
	t.Helper()
	return buildWith(t, viewers, nil)
}

// buildWith is buildQuiet with every node's stream config passed through
// tune (when not nil).
func buildWith(t *testing.T, viewers int, tune func(*stream.Config)) *world {
	t.Helper()
	cfg := sim.DefaultConfig()
	cfg.Seed = 7
	nw, err := sim.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	key := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
	ch, _ := chunk.NewChannel(key.Public().(ed25519.PublicKey), "t")
	w := &world{nw: nw, ch: ch}
	var ovs []*overlay.Node
	mk := func(viewer bool) {
		nw.Add(sim.NodeSpec{}, func(e env.Env) env.Handler {
			mux := env.NewMux()
			ov, _ := overlay.New(e, overlay.DefaultConfig())
			mux.Handle(overlay.Proto, ov)
			scfg := stream.DefaultConfig()
			if tune != nil {
				tune(&scfg)
			}
			var st *stream.Node
			if viewer {
				out := &verifyingOutput{ch: ch}
				st, err = stream.New(e, ov, ch, scfg, out)
				w.viewers = append(w.viewers, st)
				w.outs = append(w.outs, out)
			} else {
				st, err = stream.NewSource(e, ov, key, "t", scfg)
				w.src = st
			}
			if err != nil {
				t.Fatal(err)
			}
			st.Attach(mux)
			ovs = append(ovs, ov)
			return mux
		})
	}
	mk(false)
	w.srcNode = nw.Nodes()[0]
	ovs[0].Start()
	for i := 0; i < viewers; i++ {
		nw.RunFor(50 * time.Millisecond)
		mk(true)
		ovs[len(ovs)-1].Join(ovs[nw.Rand().IntN(len(ovs)-1)].Self())
	}
	nw.RunFor(5 * time.Second)
	return w
}

func (w *world) broadcast(t *testing.T) {
	t.Helper()
	var srcErr error
	w.srcNode.Do(func() {
		if srcErr = w.src.Broadcast(source.TestSDP("127.0.0.1", 5004, 31250), 1_000_000); srcErr == nil {
			_, srcErr = source.NewTestStream(w.srcNode, 1_000_000, w.src.Add)
		}
	})
	if srcErr != nil {
		t.Fatal(srcErr)
	}
}

func TestDirectStreamReachesEveryViewer(t *testing.T) {
	w := build(t, 30)
	w.nw.RunFor(30 * time.Second)
	for i, v := range w.viewers {
		s := v.Player().Stats()
		if s.Continuity() < 1 || s.Played < 100 {
			t.Errorf("viewer %d: played %d missed %d", i, s.Played, s.Missed)
		}
		if w.outs[i].wrong != 0 {
			t.Errorf("viewer %d played %d chunks that do not verify", i, w.outs[i].wrong)
		}
	}
}

// TestLagMarginAddsToModesLag: a viewer's player aims for its mode's own
// lag plus Config.LagMargin, and may raise it to the mode's maximum plus
// the margin.
func TestLagMarginAddsToModesLag(t *testing.T) {
	const margin = 1500 * time.Millisecond
	w := buildWith(t, 5, func(c *stream.Config) {
		c.Mode = splitstream.Name
		c.LagMargin = margin
	})
	w.broadcast(t)
	for i, v := range w.viewers {
		w.nw.Nodes()[i+1].Do(v.Watch)
	}
	w.nw.RunFor(10 * time.Second)
	lag, maxLag := delivery.Lag(splitstream.Name, 0), delivery.MaxLagFor(splitstream.Name, 0, 0, 0)
	if lag == 0 || maxLag == 0 {
		t.Fatalf("the forest states no lag (%v) or maximum (%v)", lag, maxLag)
	}
	for i, v := range w.viewers {
		p := v.Player()
		if p.TargetLag() != lag+margin || p.MaxLag() != maxLag+margin {
			t.Errorf("viewer %d aims for %v (most %v), want %v (most %v)", i, p.TargetLag(), p.MaxLag(), lag+margin, maxLag+margin)
		}
		if s := p.Stats(); s.Played == 0 {
			t.Errorf("viewer %d played nothing", i)
		}
	}
}

func TestBadChunksAreDroppedAndCounted(t *testing.T) {
	w := build(t, 5)
	w.nw.RunFor(45 * time.Second) // long enough for the window to move on
	victim := w.viewers[0]
	victimNode := w.nw.Nodes()[1]
	attacker := w.nw.Nodes()[2].Self()
	before := victim.StreamStats()
	played := w.outs[0].played

	low, high := victim.Window()
	good, ok := victim.Chunk(high - 1)
	if !ok {
		t.Fatal("victim holds no chunk")
	}
	// A forged chunk: the next sequence number, signed by another key.
	other := ed25519.NewKeyFromSeed(append(make([]byte, 31), 1))
	forged := &chunk.Chunk{Channel: w.ch.ID(), Seq: high + 3, Time: good.Time + 3*good.Duration, Duration: good.Duration, Packets: good.Packets}
	forged.Sign(other)
	// A tampered chunk: a real signature over other packets.
	tampered := &chunk.Chunk{Channel: good.Channel, Seq: high + 4, Time: good.Time, Duration: good.Duration, Packets: [][]byte{{1, 2, 3}}, Sig: good.Sig}
	// A replay of a chunk already held, a chunk of another channel, and
	// one from far before the window.
	wrongCh := *good
	wrongCh.Channel[0] ^= 1
	old := *good
	if low == 0 {
		t.Fatal("the window has not moved")
	}
	old.Seq = low - 1
	victimNode.Do(func() {
		victim.Receive(attacker, forged)
		victim.Receive(attacker, tampered)
		victim.Receive(attacker, good)
		victim.Receive(attacker, &wrongCh)
		victim.Receive(attacker, &old)
	})
	after := victim.StreamStats()
	if after.Forged-before.Forged != 2 {
		t.Errorf("forged counted %d, want 2", after.Forged-before.Forged)
	}
	if after.Duplicates == before.Duplicates {
		t.Error("the replayed chunk was not counted as a duplicate")
	}
	if after.WrongChannel-before.WrongChannel != 1 {
		t.Errorf("wrong channel counted %d", after.WrongChannel-before.WrongChannel)
	}
	if after.Stale == before.Stale {
		t.Error("the out-of-window chunk was not refused")
	}
	w.nw.RunFor(20 * time.Second)
	if w.outs[0].wrong != 0 {
		t.Fatalf("%d forged chunks were played", w.outs[0].wrong)
	}
	if w.outs[0].played <= played {
		t.Fatal("the victim stopped playing")
	}
	if s := victim.Player().Stats(); s.Continuity() < 0.99 {
		t.Fatalf("victim continuity %.3f after the attack", s.Continuity())
	}
}

// A viewer asks again after half of FindRetry, then after FindRetry, and
// from the first retry on also asks leaf-set members directly; once the
// channel is announced every viewer finds it.
func TestFindRetriesSoonerFirstAndAsksAround(t *testing.T) {
	w := buildQuiet(t, 8)
	direct := 0
	w.nw.Trace = func(_, _ *sim.Node, m wire.Message, _ int, _ bool) {
		if _, ok := m.(*stream.Find); ok {
			direct++ // routed finds travel inside overlay messages
		}
	}
	retry := stream.DefaultConfig().FindRetry
	v, vn := w.viewers[0], w.nw.Nodes()[1]
	vn.Do(v.Watch)
	w.nw.RunFor(10 * time.Millisecond)
	if f := v.StreamStats().Finds; f != 1 || direct != 0 {
		t.Fatalf("after watch: %d finds, %d direct; want 1, 0", f, direct)
	}
	w.nw.RunFor(retry / 2)
	if f := v.StreamStats().Finds; f != 2 {
		t.Fatalf("after FindRetry/2: %d finds, want 2", f)
	}
	if direct == 0 {
		t.Fatal("the retry asked no leaf-set member")
	}
	w.nw.RunFor(retry / 2)
	if f := v.StreamStats().Finds; f != 2 {
		t.Fatalf("after FindRetry: %d finds, want still 2", f)
	}
	w.nw.RunFor(retry / 2)
	if f := v.StreamStats().Finds; f != 3 {
		t.Fatalf("after 1.5 FindRetry: %d finds, want 3", f)
	}
	w.broadcast(t)
	for i, v := range w.viewers[1:] {
		w.nw.Nodes()[i+2].Do(v.Watch)
	}
	w.nw.RunFor(5 * time.Second)
	for i, v := range w.viewers {
		if v.Meta() == nil {
			t.Errorf("viewer %d has not found the channel (%d finds)", i, v.StreamStats().Finds)
		}
	}
}

// A find sent straight to a node is answered for the viewer that sent it
// (or a leaf-set neighbour), and refused from a stranger naming another
// node.
func TestDirectFindAnsweredOnlyForAsker(t *testing.T) {
	w := build(t, 5)
	w.nw.RunFor(5 * time.Second)
	holder, hn := w.viewers[0], w.nw.Nodes()[1]
	if holder.Meta() == nil {
		t.Fatal("viewer 0 has not found the channel")
	}
	asker := w.nw.Nodes()[3].Self()
	var stranger id.Ref
	stranger.ID[0], stranger.Addr = 0x5a, "stranger"
	for _, tc := range []struct {
		from  id.Ref
		found int
		bad   uint64
	}{
		{from: asker, found: 1},
		{from: stranger, bad: 1},
	} {
		found := 0
		w.nw.Trace = func(from, to *sim.Node, m wire.Message, _ int, _ bool) {
			if _, ok := m.(*stream.Found); ok && from == hn && to.Self().ID == asker.ID {
				found++
			}
		}
		before := holder.StreamStats().BadFinds
		hn.Do(func() { holder.Receive(tc.from, &stream.Find{Channel: w.ch.ID(), Viewer: asker}) })
		w.nw.RunFor(time.Second)
		if found != tc.found || holder.StreamStats().BadFinds-before != tc.bad {
			t.Errorf("find from %s: %d answers, %d refused; want %d, %d", tc.from.Addr, found,
				holder.StreamStats().BadFinds-before, tc.found, tc.bad)
		}
	}
}

// The source's window keeps its Keep newest chunks, by seq, whatever the
// ring's slots held before.
func TestWindowKeepsNewest(t *testing.T) {
	w := build(t, 1)
	w.nw.RunFor(50 * time.Second) // well past Keep chunks
	low, high := w.src.Window()
	if keep := uint64(stream.DefaultConfig().Keep); high-low != keep {
		t.Fatalf("window [%d, %d), want %d chunks", low, high, keep)
	}
	for seq := low; seq < high; seq++ {
		c, ok := w.src.Chunk(seq)
		if !ok || c.Seq != seq || !w.src.Has(seq) {
			t.Fatalf("chunk %d of window [%d, %d) missing", seq, low, high)
		}
	}
	for _, seq := range []uint64{low - 1, high, high + 150} {
		if _, ok := w.src.Chunk(seq); ok || w.src.Has(seq) {
			t.Errorf("chunk %d outside window [%d, %d) held", seq, low, high)
		}
	}
}

// TestChunksAfterLongOutageTaken: the source dies and nothing arrives for
// longer than the Keep × 4 chunks a node takes past its newest; the
// player's clock runs on meanwhile. A chunk signed by the channel's key
// near the player's next one (as a restarted `alm source`, numbering by
// the wall clock, sends) is taken; one more than Keep × 4 past the
// player's next is still refused as stale.
func TestChunksAfterLongOutageTaken(t *testing.T) {
	w := build(t, 1)
	w.nw.RunFor(10 * time.Second)
	v, vn := w.viewers[0], w.nw.Nodes()[1]
	if v.Player().Stats().Played == 0 {
		t.Fatal("the viewer plays nothing before the outage")
	}
	_, high := v.Window()
	w.nw.Kill(w.srcNode)
	keep := uint64(stream.DefaultConfig().Keep)
	w.nw.RunFor(time.Duration(keep*4+100) * 200 * time.Millisecond)
	next := v.Player().Next()
	if next <= high+keep*4 {
		t.Fatalf("the player's clock reached %d, not past %d", next, high+keep*4)
	}
	key := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
	ref, ok := v.Chunk(high - 1)
	if !ok {
		t.Fatalf("the viewer does not hold its newest chunk %d", high-1)
	}
	signed := func(seq uint64) *chunk.Chunk {
		c := &chunk.Chunk{Channel: ref.Channel, Seq: seq, Duration: ref.Duration,
			Time: ref.Time + int64(seq-ref.Seq)*ref.Duration, Packets: ref.Packets}
		c.Sign(key)
		return c
	}
	played := v.Player().Stats().Played
	var near, far bool
	vn.Do(func() {
		near = v.Accept(w.srcNode.Self(), signed(next+5))
		far = v.Accept(w.srcNode.Self(), signed(next+keep*4+10))
	})
	if !near {
		t.Fatalf("chunk %d, 5 past the player's next after the outage, refused (newest before it %d)", next+5, high-1)
	}
	if far {
		t.Fatal("a chunk more than Keep × 4 past the player's next taken")
	}
	w.nw.RunFor(2 * time.Second)
	if got := v.Player().Stats().Played; got != played+1 {
		t.Fatalf("played %d chunks after the outage's, want the 1 taken", got-played)
	}
}

// TestRelayBoundedAndCounted floods a viewer that does not watch with
// routed messages of a protocol it does not run, as the overlay's
// fallback hands them over. It looks the channel up once to take the mode
// up as a forwarder; the direct mode cannot relay, so every message is
// dropped and counted, those beyond maxPending at once. Nothing plays
// until the viewer watches, and then it plays.
func TestRelayBoundedAndCounted(t *testing.T) {
	w := buildQuiet(t, 8)
	w.broadcast(t)
	for i := 1; i < len(w.viewers); i++ {
		w.nw.Nodes()[i+1].Do(w.viewers[i].Watch)
	}
	v, node := w.viewers[0], w.nw.Nodes()[1]
	const flood = 300
	node.Do(func() {
		for i := 0; i < flood; i++ {
			v.Deliver(&overlay.Msg{Key: w.ch.ID(), Origin: w.srcNode.Self(), Payload: &overlay.Lookup{}})
		}
	})
	w.nw.RunFor(3 * time.Second)
	st := v.StreamStats()
	if st.RelayStarts != 1 || st.Unclaimed != flood || v.Meta() == nil {
		t.Fatalf("relay starts %d, unclaimed %d of %d, meta %v", st.RelayStarts, st.Unclaimed, flood, v.Meta() != nil)
	}
	if w.outs[0].played != 0 || v.Player().Stats().Started != 0 {
		t.Fatalf("a node that does not watch played %d chunks", w.outs[0].played)
	}
	node.Do(v.Watch)
	w.nw.RunFor(5 * time.Second)
	if w.outs[0].played < 10 || w.outs[0].wrong != 0 {
		t.Fatalf("after watching: played %d, wrong %d", w.outs[0].played, w.outs[0].wrong)
	}
}

// TestWatchingNodeHoldsRouted: a viewer that watches but has not found the
// channel yet holds routed messages no application claims without
// starting a second lookup of the channel (a relay start), and hands
// them over once its mode runs (here the direct mode, which takes none:
// all counted as unclaimed).
func TestWatchingNodeHoldsRouted(t *testing.T) {
	w := buildQuiet(t, 8)
	w.broadcast(t)
	v, node := w.viewers[0], w.nw.Nodes()[1]
	node.Do(func() {
		v.Watch()
		for range 5 {
			v.Deliver(&overlay.Msg{Key: w.ch.ID(), Origin: w.srcNode.Self(), Payload: &overlay.Lookup{}})
		}
	})
	w.nw.RunFor(5 * time.Second)
	st := v.StreamStats()
	if st.RelayStarts != 0 || st.Finds != 1 || st.Unclaimed != 5 {
		t.Fatalf("relay starts %d, finds %d, unclaimed %d of 5", st.RelayStarts, st.Finds, st.Unclaimed)
	}
	if w.outs[0].played < 10 {
		t.Fatalf("played %d chunks", w.outs[0].played)
	}
}
