// Package admin is a node's window for operators: Prometheus metrics at
// /metrics and the node's state as JSON at /debug/state, served on an
// address of the operator's choice. The node's state is read on its event
// loop (through a snapshot function), so protocol code needs no locks.
package admin

import (
	"time"

	"github.com/almcast/alm/overlay"
	"github.com/almcast/alm/player"
	"github.com/almcast/alm/qnet"
	"github.com/almcast/alm/stream"
)

// Peer is a node in a leaf set or routing table.
type Peer struct {
	ID    string  `json:"id"`
	Addr  string  `json:"addr"`
	Row   int     `json:"row,omitempty"`
	Col   int     `json:"col,omitempty"`
	RTTms float64 `json:"rtt_ms,omitempty"`
}

// State is what /debug/state shows.
type State struct {
	ID       string             `json:"id"`
	Addr     string             `json:"addr"`
	Role     string             `json:"role"` // node, source or player
	Uptime   float64            `json:"uptime_s"`
	Joined   bool               `json:"joined"`
	LeafSet  []Peer             `json:"leaf_set"`
	Table    []Peer             `json:"routing_table"`
	Overlay  overlay.Stats      `json:"overlay"`
	Channel  string             `json:"channel,omitempty"`
	Mode     string             `json:"mode,omitempty"`
	Source   string             `json:"source,omitempty"`
	ModeInfo map[string]float64 `json:"mode_stats,omitempty"`
	Peers    map[string]any     `json:"mode_peers,omitempty"` // children, parents, partners
	Stream   *stream.Stats      `json:"stream,omitempty"`
	Player   *PlayerState       `json:"player,omitempty"`
	Buffer   *Buffer            `json:"buffer,omitempty"`
	QUIC     qnet.Stats         `json:"quic"`
	BytesOut map[string]uint64  `json:"bytes_sent_by_protocol"`
	BytesIn  map[string]uint64  `json:"bytes_received_by_protocol"`
}

// PlayerState is a player's figures.
type PlayerState struct {
	player.Stats
	Continuity float64 `json:"continuity"`
	StartupMs  int64   `json:"startup_ms"`
	LagMs      int64   `json:"lag_ms"`
}

// Buffer is the range of chunks a node holds.
type Buffer struct {
	Low  uint64 `json:"low"`
	High uint64 `json:"high"`
	Next uint64 `json:"next_to_play"`
}

// Snapshot fills a State from a node's parts; call it on the node's event
// loop. st may be nil for a bare overlay node.
func Snapshot(q *qnet.Node, ov *overlay.Node, st *stream.Node, role string, started time.Time) State {
	self := q.Self()
	s := State{ID: self.ID.String(), Addr: self.Addr, Role: role, Uptime: time.Since(started).Seconds(),
		Joined: ov.Joined(), Overlay: ov.Stats(), QUIC: q.Stats()}
	for _, r := range ov.LeafSet().All() {
		s.LeafSet = append(s.LeafSet, Peer{ID: r.ID.String(), Addr: r.Addr})
	}
	for _, e := range ov.Table().Entries() {
		row, col, _ := ov.Table().Slot(e.Ref.ID)
		s.Table = append(s.Table, Peer{ID: e.Ref.ID.String(), Addr: e.Ref.Addr, Row: row, Col: col, RTTms: float64(e.RTT) / 1e6})
	}
	s.BytesOut, s.BytesIn = q.ProtoBytes()
	if st == nil {
		return s
	}
	s.Channel = st.Channel().String()
	if src := st.Source(); !src.IsZero() {
		s.Source = src.String()
	}
	ss := st.StreamStats()
	s.Stream = &ss
	if m := st.Mode(); m != nil {
		s.ModeInfo = m.Stats()
		if mt := st.Meta(); mt != nil {
			s.Mode = mt.Mode
		}
		if p, ok := m.(PeerLister); ok {
			s.Peers = p.Peers()
		}
	}
	low, high := st.Window()
	s.Buffer = &Buffer{Low: low, High: high}
	if pl := st.Player(); pl != nil {
		ps := pl.Stats()
		s.Player = &PlayerState{Stats: ps, Continuity: ps.Continuity(), StartupMs: ps.StartupDelay().Milliseconds(), LagMs: ps.Lag.Milliseconds()}
		s.Buffer.Next = pl.Next()
	}
	return s
}

// PeerLister is implemented by modes that can name their peers (children,
// parents, partners) for /debug/state.
type PeerLister interface {
	Peers() map[string]any
}
