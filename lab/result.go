package lab

import (
	"encoding/json"
	"sort"
	"time"

	"github.com/almcast/alm/delivery"
)

// ModeResult is what one mode achieved in a scenario. JSON names are a
// contract with scripts; Extra adds mode-specific figures (hops_mean,
// partners_mean, ...) as further top-level fields.
type ModeResult struct {
	Mode              string  `json:"mode"`
	Viewers           int     `json:"viewers"`
	ContinuityMean    float64 `json:"continuity_mean"`
	ContinuityP5      float64 `json:"continuity_p5"`
	StartupMsP50      float64 `json:"startup_ms_p50"`
	StartupMsP95      float64 `json:"startup_ms_p95"`
	LagMsP50          float64 `json:"lag_ms_p50"`
	LagMsP95          float64 `json:"lag_ms_p95"`
	ArrivalMsP50      float64 `json:"arrival_ms_p50"`
	ArrivalMsP95      float64 `json:"arrival_ms_p95"`
	Overhead          float64 `json:"overhead"`
	UploadUtil        float64 `json:"upload_util"`
	SourceUploadBytes uint64  `json:"source_upload_bytes"`
	// SourcePace is the rate the source's chunker took the stream in at,
	// over the nominal rate (1: the source kept pace).
	SourcePace    float64 `json:"source_pace"`
	ForgedPlayed  uint64  `json:"forged_played"`
	WallS         float64 `json:"wall_s"`
	ChunksMissed  uint64  `json:"chunks_missed"`
	ForgedDropped uint64  `json:"forged_dropped"`
	NeverStarted  int     `json:"never_started"`
	// Relays counts the viewers that took their mode up as forwarders
	// before they watched, because the overlay routed its messages to
	// them (a stripe's or tree's root; stream.Node relays).
	Relays    int     `json:"relays"`
	PeakRSSMB float64 `json:"peak_rss_mb"`
	// ChunkMs is the chunk duration the mode ran with: the scenario's, or
	// the mode's own preference when the scenario leaves it to the mode.
	ChunkMs float64 `json:"chunk_ms"`
	// TargetLagMs is the playback lag the mode's players aimed for (0:
	// none, each buffered the startup delay after its first chunk).
	TargetLagMs float64 `json:"target_lag_ms"`
	// MaxLagMs is the most the mode's players could raise their lag to
	// when chunks kept coming late (0: never raised); RaisesMean is the
	// mean number of raises per viewer and StallMsMean the mean playout
	// time each viewer paused for them (rebuffering).
	MaxLagMs    float64 `json:"max_lag_ms"`
	RaisesMean  float64 `json:"raises_mean"`
	StallMsMean float64 `json:"stall_ms_mean"`
	// Over QUIC: process CPU per payload byte delivered while streaming,
	// that of one plain quic-go stream moving the same bytes, and their
	// ratio.
	CPUNsPerByte      float64 `json:"cpu_ns_per_byte,omitempty"`
	BaselineNsPerByte float64 `json:"baseline_cpu_ns_per_byte,omitempty"`
	CPURatio          float64 `json:"cpu_ratio,omitempty"`
	// FramesByType is, over QUIC, how many frames all the run's nodes
	// sent, by message type ("chunk.chunk", "scribe.beat",
	// "mesh.have"): where the control traffic that costs each
	// frame a packet and an acknowledgement goes.
	FramesByType map[string]uint64  `json:"qnet_frames_by_type,omitempty"`
	Extra        map[string]float64 `json:"-"`

	// Each judged viewer's figures, in the order viewers joined (the
	// report plots them and writes them as viewers.csv).
	ViewerRows []Viewer `json:"-"`
}

// ContinuitySamples is every judged viewer's continuity.
func (r *ModeResult) ContinuitySamples() []float64 {
	out := make([]float64, 0, len(r.ViewerRows))
	for _, v := range r.ViewerRows {
		out = append(out, v.Continuity)
	}
	return out
}

// LagSamples is the final lag (ms) of every judged viewer that started.
func (r *ModeResult) LagSamples() []float64 {
	return r.startedMs(func(v Viewer) time.Duration { return v.Lag })
}

// StartupSamples is the startup delay (ms) of every judged viewer that
// started.
func (r *ModeResult) StartupSamples() []float64 {
	return r.startedMs(func(v Viewer) time.Duration { return v.Startup })
}

// startedMs returns f of every viewer that started, in ms.
func (r *ModeResult) startedMs(f func(Viewer) time.Duration) []float64 {
	var out []float64
	for _, v := range r.ViewerRows {
		if v.Started {
			out = append(out, float64(f(v))/1e6)
		}
	}
	return out
}

// MarshalJSON flattens Extra into the object.
func (r ModeResult) MarshalJSON() ([]byte, error) {
	type plain ModeResult
	b, err := json.Marshal(plain(r))
	if err != nil || len(r.Extra) == 0 {
		return b, err
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	keys := make([]string, 0, len(r.Extra))
	for k := range r.Extra {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if _, taken := m[k]; !taken {
			m[k] = r.Extra[k]
		}
	}
	return json.Marshal(m)
}

// StreamResult is a scenario and what each mode achieved in it.
type StreamResult struct {
	Scenario Scenario     `json:"scenario"`
	RMax     float64      `json:"rmax"`
	Modes    []ModeResult `json:"modes"`
}

// Viewer is one judged viewer's figures in a mode's run.
type Viewer struct {
	// Upload is the viewer's upload capacity, bit/s.
	Upload int64
	// Continuity is chunks played on time over chunks due.
	Continuity float64
	// Started: the viewer played a chunk; without it Startup and Lag are 0.
	Started bool
	// Startup is from tuning in to the first chunk played; Lag is how far
	// playback trailed the source at the end; Stall is the time playout
	// paused for lag raises.
	Startup, Lag, Stall time.Duration
	// Missed is chunks not played; Raises is lag raises.
	Missed, Raises uint64
	// Mode is the mode's own figures for the viewer at the end of the
	// run (delivery.Mode.Stats: children, cap, depth, partners, ...);
	// nil for a viewer that had left.
	Mode map[string]float64
}

// viewerSample is one viewer's measurements.
type viewerSample struct {
	upload     int64
	continuity float64
	started    bool
	startup    time.Duration
	lag        time.Duration
	missed     uint64
	raises     uint64
	stalled    time.Duration
	mode       map[string]float64
}

// fill computes the summary fields from per-viewer samples and arrival
// delays.
func (r *ModeResult) fill(vs []viewerSample, arrivals *Histogram) {
	var cont, lag, startup []float64
	var raises, stalled float64
	r.ViewerRows = make([]Viewer, 0, len(vs))
	for _, v := range vs {
		r.ViewerRows = append(r.ViewerRows, Viewer{Upload: v.upload, Continuity: v.continuity, Started: v.started,
			Startup: v.startup, Lag: v.lag, Stall: v.stalled, Missed: v.missed, Raises: v.raises, Mode: v.mode})
		cont = append(cont, v.continuity)
		r.ChunksMissed += v.missed
		raises += float64(v.raises)
		stalled += float64(v.stalled) / 1e6
		if !v.started {
			r.NeverStarted++
			continue
		}
		lag = append(lag, float64(v.lag)/1e6)
		startup = append(startup, float64(v.startup)/1e6)
	}
	r.Viewers = len(vs)
	if len(vs) > 0 {
		r.RaisesMean = raises / float64(len(vs))
		r.StallMsMean = stalled / float64(len(vs))
	}
	r.ContinuityMean = Mean(cont)
	r.ContinuityP5 = Percentile(cont, 5)
	r.LagMsP50 = Percentile(lag, 50)
	r.LagMsP95 = Percentile(lag, 95)
	r.StartupMsP50 = Percentile(startup, 50)
	r.StartupMsP95 = Percentile(startup, 95)
	r.ArrivalMsP50 = arrivals.Percentile(50)
	r.ArrivalMsP95 = arrivals.Percentile(95)
}

// summarize merges the source mode's own figures with what it makes of the
// viewers' (delivery.Summarizer).
func summarize(m delivery.Mode, viewers []map[string]float64) map[string]float64 {
	if m == nil {
		return nil
	}
	out := map[string]float64{}
	for k, v := range m.Stats() {
		out[k] = v
	}
	if s, ok := m.(delivery.Summarizer); ok {
		for k, v := range s.Summarize(viewers) {
			out[k] = v
		}
	}
	return out
}

// overhead is non-payload bytes sent over payload bytes delivered. Over
// QUIC the payload counted as sent may exceed the frames written when
// send queues dropped chunks; the difference is then taken as 0.
func overhead(bytesSent, payloadSent, payloadDelivered uint64) float64 {
	if payloadDelivered == 0 || payloadSent >= bytesSent {
		return 0
	}
	return float64(bytesSent-payloadSent) / float64(payloadDelivered)
}

// lagsMs returns, in ms, the target lag and the most a raise may reach
// for mode's players in sc with margin added to what sc leaves to the
// mode (delivery.Lags), in an overlay no larger than delivery.LagBaseSize
// (larger ones lengthen both by the mode's LagPerDecade).
func lagsMs(mode string, sc Scenario, margin time.Duration) (target, maxLag float64) {
	lag, m := delivery.Lags(mode, sc.TargetLag, sc.MaxLag, margin, 0)
	return float64(lag) / 1e6, float64(m) / 1e6
}
