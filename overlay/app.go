package overlay

import (
	"time"

	"github.com/almcast/alm/id"
	"github.com/almcast/alm/wire"
)

// Msg is a routed message as an application sees it.
type Msg struct {
	Key     id.ID
	Origin  id.Ref
	Prev    id.Ref // the node it came from (Origin at the first hop, self at the origin)
	Hops    int
	Payload wire.Message
	Sent    time.Duration // the origin's clock when it first sent the message
}

// Application is a KBR application (Common API, Dabek et al. 2003). It is
// registered under the protocol name of its payload messages and receives
// the messages routed with those payloads.
type Application interface {
	// Forward is called on every node a message passes through on its
	// way, before it is sent to next. The application may change
	// m.Payload (not m.Key); returning false stops the message here.
	Forward(m *Msg, next id.Ref) bool
	// Deliver is called on the node responsible for m.Key.
	Deliver(m *Msg)
	// LeafSetChanged is called when node enters (joined) or leaves the
	// leaf set.
	LeafSetChanged(node id.Ref, joined bool)
}

// Register adds an application for messages of protocol proto.
func (n *Node) Register(proto string, app Application) {
	if _, ok := n.apps[proto]; !ok {
		n.appOrder = append(n.appOrder, proto)
	}
	n.apps[proto] = app
}

// SetFallback sets the application that gets the routed messages
// delivered here whose protocol no registered application claims (nil:
// they are dropped and counted as bad input). It sees Deliver only, never
// Forward, and may register the protocol's application and hand the
// message on to it (App).
func (n *Node) SetFallback(app Application) { n.fallback = app }

// App returns the application registered for proto, or nil.
func (n *Node) App(proto string) Application { return n.apps[proto] }

// appList returns the applications in registration order.
func (n *Node) appList() []Application {
	out := make([]Application, 0, len(n.appOrder))
	for _, p := range n.appOrder {
		out = append(out, n.apps[p])
	}
	return out
}
