package admin

import (
	"sort"

	"github.com/prometheus/client_golang/prometheus"
)

// collector turns a State snapshot into Prometheus metrics at each scrape.
type collector struct {
	snap func() (State, error)
}

var (
	descChunks    = prometheus.NewDesc("alm_chunks_total", "Chunks by outcome: received (new and valid), duplicate, forged, played, missed.", []string{"outcome"}, nil)
	descBytes     = prometheus.NewDesc("alm_bytes_total", "Frame bytes by direction and protocol.", []string{"direction", "protocol"}, nil)
	descPayload   = prometheus.NewDesc("alm_payload_bytes_sent_total", "Media bytes in chunks this node sent.", nil, nil)
	descMode      = prometheus.NewDesc("alm_mode", "The delivery mode's own figures (children, partners, parent changes, ...).", []string{"stat"}, nil)
	descLeaf      = prometheus.NewDesc("alm_leaf_set_size", "Nodes in the leaf set.", nil, nil)
	descTable     = prometheus.NewDesc("alm_routing_table_entries", "Entries in the routing table.", nil, nil)
	descRouted    = prometheus.NewDesc("alm_routed_messages_total", "Routed messages by event: delivered, forwarded, hop_timeout, reroute, dropped.", []string{"event"}, nil)
	descHops      = prometheus.NewDesc("alm_route_hops_total", "Sum of the hops of messages delivered here (divide by alm_routed_messages_total{event=\"delivered\"}).", nil, nil)
	descConns     = prometheus.NewDesc("alm_quic_connections", "Open QUIC connections.", nil, nil)
	descBad       = prometheus.NewDesc("alm_bad_frames_total", "Frames rejected: malformed, oversized, unknown type or version.", nil, nil)
	descContinuit = prometheus.NewDesc("alm_continuity", "Fraction of chunks present at their playout time.", nil, nil)
	descLag       = prometheus.NewDesc("alm_playback_lag_seconds", "Playout time minus source time.", nil, nil)
	descRaises    = prometheus.NewDesc("alm_lag_raises_total", "Times the player raised its lag because chunks kept coming late (rebufferings).", nil, nil)
	descStalled   = prometheus.NewDesc("alm_stall_seconds_total", "Playout time the player paused for its lag raises.", nil, nil)
)

// Describe implements prometheus.Collector.
func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descChunks, descBytes, descPayload, descMode, descLeaf, descTable, descRouted, descHops, descConns, descBad, descContinuit, descLag, descRaises, descStalled} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *collector) Collect(ch chan<- prometheus.Metric) {
	s, err := c.snap()
	if err != nil {
		return
	}
	counter := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v, labels...)
	}
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	for _, dir := range []struct {
		name string
		m    map[string]uint64
	}{{"sent", s.BytesOut}, {"received", s.BytesIn}} {
		for _, p := range sortedKeys(dir.m) {
			counter(descBytes, float64(dir.m[p]), dir.name, p)
		}
	}
	gauge(descLeaf, float64(len(s.LeafSet)))
	gauge(descTable, float64(len(s.Table)))
	o := s.Overlay
	counter(descRouted, float64(o.Delivered), "delivered")
	counter(descRouted, float64(o.Forwarded), "forwarded")
	counter(descRouted, float64(o.HopTimeouts), "hop_timeout")
	counter(descRouted, float64(o.Reroutes), "reroute")
	counter(descRouted, float64(o.RouteDrops), "dropped")
	counter(descHops, float64(o.DeliveredHops))
	gauge(descConns, float64(s.QUIC.ConnsOpen))
	counter(descBad, float64(s.QUIC.BadFrames()))
	if st := s.Stream; st != nil {
		counter(descChunks, float64(st.Accepted), "received")
		counter(descChunks, float64(st.Duplicates), "duplicate")
		counter(descChunks, float64(st.Forged), "forged")
		counter(descPayload, float64(st.PayloadSent))
	}
	if p := s.Player; p != nil {
		counter(descChunks, float64(p.Played), "played")
		counter(descChunks, float64(p.Missed), "missed")
		gauge(descContinuit, p.Continuity)
		gauge(descLag, p.Lag.Seconds())
		counter(descRaises, float64(p.Raises))
		counter(descStalled, p.Stalled.Seconds())
	}
	keys := make([]string, 0, len(s.ModeInfo))
	for k := range s.ModeInfo {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		gauge(descMode, s.ModeInfo[k], k)
	}
}

func sortedKeys(m map[string]uint64) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
