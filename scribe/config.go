// Package scribe builds multicast trees over the overlay's key-based
// routing API (Castro et al., Scribe, JSAC 2002). A group is named by an
// ID; the node responsible for it is the rendezvous (root). A member joins
// by routing a Join towards the group ID: every node on the way that can
// take a child adopts the previous one and, if it was not in the tree yet,
// goes on joining as itself, so the tree is the union of the reverse
// routes. Data flows from the top of the tree (here the stream's source,
// which feeds the root) down to the children by direct sends.
//
// Each node caps its children through a Policy given by the mode (from its
// upload capacity); a full node pushes a newcomer down to a child with
// spare room, or evicts a child the policy prefers to drop (SplitStream's
// push-down), and orphans search a spare-capacity group by anycast.
// Parents beat to their children and children refresh their parents; a
// child whose parent falls silent joins its grandparent (named by the
// beats), which gives it the silent parent's slot, and the repair is timed.
//
// The node responsible for a group ID may not run Scribe at all (an
// overlay node that does not watch the stream drops what is delivered to
// it). A joiner whose join went unanswered marks its next one Near: the
// first member on the route that is not in the tree yet and whose leaf
// set spans the group ID takes it as the root would and attaches to the
// feeder, standing in for the root (the feeder's rule for a closer root
// sorts out stand-ins once the real root joins). A route that leads
// straight to the silent root meets no stand-in.
//
// The package also holds the Relay, which forwards chunks down the trees
// at once (the caps keep the copies within the upload), repairs losses by
// asking the parent (gaps in a tree's sequence show them) and then peers
// with upload to spare, and the "tree" delivery mode: one Scribe tree
// carrying the whole stream. Like every protocol core it gets time,
// randomness and sending from an env.Env and runs on the node's event loop.
package scribe

import (
	"errors"
	"time"
)

// Config tunes a node's Scribe. The zero value is not valid; start from
// DefaultConfig.
type Config struct {
	// BeatPeriod is how often a parent sends each child a heartbeat
	// carrying its path from the top. Default 400ms.
	BeatPeriod time.Duration
	// ParentTimeout is how long a parent may stay silent (no chunk, no
	// heartbeat) before the child drops it and joins again. Default 1.5s.
	ParentTimeout time.Duration
	// RefreshPeriod is how often a child tells its parent it is still
	// there, with its spare room. Default 1s.
	RefreshPeriod time.Duration
	// ChildTimeout is how long a child may stay silent before its parent
	// drops it. Default 4s.
	ChildTimeout time.Duration
	// JoinTimeout is how long a join attempt waits for an Accept before
	// the next attempt. Default 1s.
	JoinTimeout time.Duration
	// EntryTries is how many attempts of a node's first search for a
	// parent go to the entry that JoinAt named, as long as each went
	// unanswered (slow, not refused), before joins take the overlay route
	// (which stops at the first member on its way: deep trees). Over QUIC
	// with 200 viewers, a join handed down from the source often took
	// over JoinTimeout, and with one try the tree grew 16 deep against 7
	// in the simulator (continuity 0.875). Later searches (repairs) try
	// a grandparent, then the route: retrying the source there, and after
	// refusals, cost the tree under churn (scenario U, 10% a minute)
	// continuity 0.894 -> 0.77. Default 3.
	EntryTries int
	// MaxPushDown bounds how many times one join is handed on between
	// tree nodes (push-down and push-up). Default 12.
	MaxPushDown int
	// MaxPath bounds the path from the top a node accepts; a longer one
	// is taken for a loop. Default 48.
	MaxPath int
	// MaxChildren bounds a node's children in one group whatever the
	// policy says, so that no input can grow state without bound.
	// Default 256.
	MaxChildren int
	// ReversePath lets a node that is not in the tree yet take a join
	// routed through it and join in turn (Scribe's reverse-path trees).
	// Off, a routed join is taken only by nodes already in the tree (or
	// the root), and full nodes push it down: shallower trees. Default
	// false.
	ReversePath bool
	// QuietBeats sends a child no beat while data flows to it and the
	// beat has no news (see beatDue). A single tree in the simulator
	// (scenario U, 1,000 viewers, with joining nodes ignoring early beats
	// too): U 0.9963 -> 0.9983 (lag p95 3980 -> 3272 ms, overhead 0.033
	// -> 0.029), churn 0.9795 -> 0.9858. The forest turned it on later
	// (see splitstream.DefaultConfig; before the early-beat fix it cost
	// the forest: churn 0.9894 -> 0.9854, H 0.9811 -> 0.9753). Default
	// false; the tree and the forest turn it on.
	QuietBeats bool
	// ProbeParent, with QuietBeats, asks a parent silent for half its
	// ParentTimeout for a beat at once (a Probe), and gives a silent
	// parent up only once such a probe has gone unanswered for a beat
	// period. A parent that sends data leaves its beats out, so a few lost
	// chunks in a row make it look silent: with the forest's chunks every
	// 200 ms in a stripe and 5% loss, TestForestLossNoFalseParentLoss gave
	// up 4 live parents in 60 s without it, none with it. Default false;
	// the forest turns it on.
	ProbeParent bool
	// QuietRefresh leaves out a refresh to a parent when every group it
	// would carry is one in which this node has no children and the
	// entry is the one the parent last had from it, sent less than two
	// RefreshPeriods ago. A leaf's refresh then only keeps it from
	// ChildTimeout; a node with children in a group still refreshes
	// every period, as the grandparent of orphans must hear it to weigh
	// their word that it fell silent. Over QUIC each refresh costs a
	// packet and an acknowledgement. Default false; the forest turns it
	// on.
	QuietRefresh bool
	// RootKeepsTop lets the group's root, when it attaches to a top that
	// is full, take the place of the top's child farthest from the group
	// ID (that child and its subtree join again below it). Off, the
	// root's join is handed down like any other. Default true; the tree
	// turns it off.
	RootKeepsTop bool
	// NearestRoom hands a join this full node cannot take to the child
	// whose subtree has a free slot fewest levels down (children say so
	// in their refreshes), not to the one with the most free slots: an
	// orphan that comes back with its subtree sinks least. A single tree
	// in scenario U with churn 10%/min, seeds 1-5: continuity 0.982,
	// 0.980, 0.971, 0.973, 0.928 -> 0.979, 0.986, 0.980, 0.988, 0.983
	// (deepest viewer 23-31 -> 16-24); without churn the tree is a level
	// shallower too (depth max 12 -> 10-11). Default false; the tree
	// turns it on.
	NearestRoom bool
	// ByCapacity lets a joiner that reaches a full node take the place
	// of its weakest child when the joiner has at least two more free
	// slots than that child has slots in all; the child and its subtree
	// join again under the joiner. Nodes with more upload rise and those
	// with less sink, where joins first pitched every kind together
	// (scenario H, a single tree: two of the source's three children
	// uploaded only the stream's rate, and every viewer below them lost
	// what they could not pass on; seeds 1-3: continuity 0.817, 0.704,
	// 0.601 -> 0.821, 0.920, 0.899, viewers never placed 47, 94, 112 ->
	// 1, 3, 15; with a child's slots known from its join (Join.Kids)
	// rather than only from its first refresh, 0.924, 0.921, 0.925,
	// never placed 5, 17, 7, lag p95 1500 ms at each). Nodes of equal
	// capacity never displace each other. Not at a top whose children
	// follow RootKeepsTop. Default false; the tree turns it on.
	ByCapacity bool
	// NamedJoinTimeout, when positive, is how long a join sent to a
	// named node (the grandparent or a former sibling, after a parent
	// loss or a drop) waits, in place of JoinTimeout: the grandparent
	// frees the lost parent's slot only once that parent has been silent
	// for ParentTimeout, and an orphan that gives up sooner goes on by
	// the route and may sink. Default 0.
	NamedJoinTimeout time.Duration
	// JoinBackoff doubles the wait of each join attempt that follows an
	// unanswered one, up to four times JoinTimeout: where joins are slow
	// to answer rather than lost (long hand-down chains while a crowd
	// tunes in), asking again soon only adds load. Default false; the
	// forest turns it on.
	JoinBackoff bool
}

// DefaultConfig returns the documented defaults.
func DefaultConfig() Config {
	return Config{
		BeatPeriod:    400 * time.Millisecond,
		ParentTimeout: 1500 * time.Millisecond,
		RefreshPeriod: time.Second,
		ChildTimeout:  4 * time.Second,
		JoinTimeout:   time.Second,
		EntryTries:    3,
		MaxPushDown:   12,
		MaxPath:       48,
		MaxChildren:   256,
		RootKeepsTop:  true,
	}
}

// Validate reports the first field out of range.
func (c Config) Validate() error {
	switch {
	case c.BeatPeriod <= 0 || c.RefreshPeriod <= 0 || c.JoinTimeout <= 0 || c.NamedJoinTimeout < 0:
		return errors.New("scribe: periods must be positive")
	case c.ParentTimeout <= c.BeatPeriod:
		return errors.New("scribe: parent timeout must exceed the beat period")
	case c.ChildTimeout <= c.RefreshPeriod:
		return errors.New("scribe: child timeout must exceed the refresh period")
	case c.ParentTimeout <= c.RefreshPeriod:
		// A grandparent takes an orphan's word that its parent fell
		// silent only if it has not heard from that parent for
		// ParentTimeout either: a live node must refresh sooner.
		return errors.New("scribe: parent timeout must exceed the refresh period")
	case c.MaxPushDown < 1 || c.MaxPath < 2 || c.MaxPath > maxPath || c.EntryTries < 0:
		return errors.New("scribe: max push-down must be positive, max path in [2, 64] and entry tries not negative")
	case c.MaxChildren < 1 || c.MaxChildren > 4096:
		return errors.New("scribe: max children must be in [1, 4096]")
	}
	return nil
}
