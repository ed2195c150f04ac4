package overlay

// Stats counts a node's overlay activity.
type Stats struct {
	// MaintSent counts maintenance messages sent: probes and their answers,
	// heartbeats, state exchange, announcements, notices.
	MaintSent uint64
	// RouteSent counts routed messages and their acknowledgements sent.
	RouteSent uint64
	// Delivered counts messages delivered here; Duplicates those dropped
	// as already delivered.
	Delivered, Duplicates uint64
	// DeliveredHops sums the hops of the messages delivered here.
	DeliveredHops uint64
	// Forwarded counts messages sent on towards their key.
	Forwarded uint64
	// HopTimeouts counts next hops that did not acknowledge in time;
	// Reroutes the messages sent again another way; RouteDrops the messages
	// given up (hop retries or MaxHops exhausted).
	HopTimeouts, Reroutes, RouteDrops uint64
	// Deaths counts nodes this node declared dead.
	Deaths uint64
	// Joins counts completed joins (1 for a node that joined once).
	Joins uint64
	// JoinStalls counts join attempts started again because the last one
	// had heard nothing for a while (a lost message).
	JoinStalls uint64
	// BadInput counts messages that made no sense (unknown payload,
	// invalid references).
	BadInput uint64
}
