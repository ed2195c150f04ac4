package lab

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/almcast/alm/overlay"
	"github.com/almcast/alm/qnet"
	"github.com/almcast/alm/splitstream"
)

// UploadClass is a share of viewers with one upload capacity.
type UploadClass struct {
	Mult    float64 `json:"mult"`    // capacity in multiples of the stream rate
	Percent float64 `json:"percent"` // share of viewers, 0-100
}

// ParseUpload reads "2x" (everyone) or "0x:30,1x:50,4x:20".
func ParseUpload(s string) ([]UploadClass, error) {
	var out []UploadClass
	total := 0.0
	for _, part := range strings.Split(strings.TrimSpace(s), ",") {
		multS, pctS, hasPct := strings.Cut(part, ":")
		mult, err := parseMult(multS)
		if err != nil {
			return nil, err
		}
		pct := 100.0
		if hasPct {
			pct, err = strconv.ParseFloat(strings.TrimSuffix(pctS, "%"), 64)
			if err != nil || pct < 0 || pct > 100 {
				return nil, fmt.Errorf("lab: upload share %q is not a percentage", pctS)
			}
		}
		total += pct
		out = append(out, UploadClass{Mult: mult, Percent: pct})
	}
	if math.Abs(total-100) > 0.01 {
		return nil, fmt.Errorf("lab: upload shares in %q add up to %g%%, not 100%%", s, total)
	}
	return out, nil
}

func parseMult(s string) (float64, error) {
	v, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(s), "x"), 64)
	if err != nil || v < 0 || v > 1e6 {
		return 0, fmt.Errorf("lab: %q is not a multiple of the rate like 2x", s)
	}
	return v, nil
}

// ParseMult reads a multiple of the rate such as "4x".
func ParseMult(s string) (float64, error) { return parseMult(s) }

// ParseLag reads a target or maximum lag: "auto" (each mode's own, 0),
// "off" (none, negative) or a positive duration.
func ParseLag(s string) (time.Duration, error) {
	switch strings.TrimSpace(s) {
	case "auto", "":
		return 0, nil
	case "off":
		return -1, nil
	}
	d, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("lab: lag %q is not auto, off or a positive duration", s)
	}
	return d, nil
}

// ParseRate reads a bit rate: 500000, 500k, 1M, 1.5M.
func ParseRate(s string) (int64, error) {
	s = strings.TrimSpace(s)
	mult := 1.0
	switch {
	case strings.HasSuffix(s, "k"), strings.HasSuffix(s, "K"):
		mult, s = 1e3, s[:len(s)-1]
	case strings.HasSuffix(s, "M"), strings.HasSuffix(s, "m"):
		mult, s = 1e6, s[:len(s)-1]
	case strings.HasSuffix(s, "G"):
		mult, s = 1e9, s[:len(s)-1]
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || v <= 0 {
		return 0, fmt.Errorf("lab: %q is not a bit rate like 500k or 1M", s)
	}
	return int64(v * mult), nil
}

// Scenario is one streaming experiment, run for each mode alike. JSON
// names are a contract with scripts.
type Scenario struct {
	Net          string        `json:"net"`
	Viewers      int           `json:"viewers"`
	Modes        []string      `json:"modes"`
	Rate         int64         `json:"rate"`
	Duration     time.Duration `json:"-"`
	DurationS    float64       `json:"duration_s"`
	Seed         uint64        `json:"seed"`
	Upload       []UploadClass `json:"upload"`
	SourceUpload float64       `json:"source_upload"`
	Latency      time.Duration `json:"-"`
	LatencyMs    float64       `json:"latency_ms"`
	Loss         float64       `json:"loss"`
	Churn        float64       `json:"churn"`
	// Buffer is how long a packet may wait on a QUIC node's shimmed
	// uplink before it is dropped (a router's buffer); 0 takes the
	// shim's default, 1s (qnet.Shim.QueueDelay). The simulator's
	// uplinks hold 10s. JSON gives the QUIC value used.
	Buffer   time.Duration `json:"-"`
	BufferMs float64       `json:"buffer_ms"`
	// Chunk is the chunk duration; 0 leaves it to each mode (its
	// delivery.Preferences, else 200ms). Each mode's result says what it
	// ran with.
	Chunk     time.Duration `json:"-"`
	ChunkMs   float64       `json:"chunk_ms"`
	Startup   time.Duration `json:"-"`
	StartupMs float64       `json:"startup_ms"`
	// TargetLag is the playback lag players aim for (see
	// stream.Config.TargetLag): 0 leaves it to each mode (its
	// delivery.Preferences; without one, players buffer Startup after
	// their first chunk), negative turns it off, positive sets it. JSON:
	// 0 each mode's, -1 off. Each mode's result says what it ran with.
	TargetLag   time.Duration `json:"-"`
	TargetLagMs float64       `json:"target_lag_ms"`
	// MaxLag is the most players may raise their lag to when chunks keep
	// coming late (see stream.Config.MaxLag): 0 leaves it to each mode
	// (with TargetLag 0 too), negative turns raising off, positive sets
	// it. JSON: 0 each mode's, -1 off.
	MaxLag   time.Duration `json:"-"`
	MaxLagMs float64       `json:"max_lag_ms"`
	// JoinInterval is the gap between viewers joining the overlay before
	// the stream starts; 0 takes the default, DefaultJoinInterval, or in
	// simulated audiences larger than JoinSpreadViewers, JoinSpread spread
	// over them. Validate sets it to the gap used, which JSON gives.
	JoinInterval  time.Duration `json:"-"`
	JoinIntervalS float64       `json:"join_interval_s"`
	// TuneIn is how long the audience takes to start watching once the
	// stream starts, viewers evenly spread over it; 0 takes the default,
	// TuneInTime. JSON gives the time used.
	TuneIn  time.Duration `json:"-"`
	TuneInS float64       `json:"tune_in_s"`
	// Lead is how long the stream runs before the audience starts to tune
	// in (0: the audience tunes in as the stream starts, as before). With
	// a lead, viewers join a running stream, as they mostly do: chunks
	// older than a startup buffer already exist, and a mode may fetch
	// them. The run lasts Lead plus Duration; churn starts with the
	// audience.
	Lead  time.Duration `json:"-"`
	LeadS float64       `json:"lead_s"`
	// ControlFirst (simulator only) has each node's uplink send messages
	// of ControlSize bytes or less (joins, acknowledgements, buffer maps,
	// requests) ahead of the larger ones waiting (chunks), as a node's
	// send scheduler would; they still take their time on the link.
	// Default off: one first-in first-out uplink per node, where control
	// waits behind the media queued before it.
	ControlFirst bool `json:"control_first"`
	// Uplink (QUIC only) is how each node's shim orders the packets
	// waiting on its uplink: UplinkFIFO, one queue, first in first out,
	// or UplinkFair, a queue per destination served in turn (qnet.Shim.Fair,
	// as fq_codel's flow queues on a home router). "" takes UplinkFIFO;
	// JSON gives the one used (in the simulator always "fifo", whose other
	// order is ControlFirst's).
	Uplink string `json:"uplink"`
	// Stripes is the forest's number of stripes, 1 to 16; 0 takes the
	// forest's default (splitstream.Config.Stripes, 4). Other modes
	// ignore it.
	Stripes int `json:"stripes,omitempty"`
	// PNS is whether every node's overlay uses proximity neighbour
	// selection (overlay.Config.PNS): PNSOn, or PNSOff, where
	// routing-table slots keep the first candidate heard of rather than
	// the nearest measured and a joining node joins through the node it
	// was given. "" (PNSAuto) takes PNSOn in the simulator, whose latency
	// model gives each pair of nodes its own, and PNSOff over QUIC, where
	// the shims give every path the same latency: there PNS has nothing
	// to choose between, and its round-trip probes, most of a join's
	// contacts, cost the CPU that every node of the run shares (200
	// forest viewers: about 12,200 connections at the stream's start
	// against 7,600-7,900 without). JSON gives the one used.
	PNS string `json:"pns"`
}

// Proximity neighbour selection settings (Scenario.PNS).
const (
	PNSAuto = "auto"
	PNSOn   = "on"
	PNSOff  = "off"
)

// Uplink queue orders (Scenario.Uplink).
const (
	UplinkFIFO = "fifo"
	UplinkFair = "fair"
)

// ControlSize is the largest message ControlFirst sends ahead of media: a
// chunk is kilobytes (25ms of 1 Mbit/s: 3.1 KB); Scribe's joins, the
// overlay's acknowledgements and a mesh's buffer maps and requests are
// tens to a few hundred bytes.
const ControlSize = 512

// DefaultJoinInterval is the gap between joins a Scenario with
// JoinInterval 0 takes, over QUIC and in simulated audiences of up to
// JoinSpreadViewers.
const DefaultJoinInterval = 20 * time.Millisecond

// JoinSpreadViewers and JoinSpread: a simulated audience larger than
// JoinSpreadViewers joins over JoinSpread by default (2ms apart at
// 100,000 viewers) rather than DefaultJoinInterval apart (33 virtual
// minutes at 100,000, most of the run's wall time going to the overlay's
// upkeep while the rest join). A join costs the simulator about the same
// at either pace; the overlay takes joins this close together without
// harm (10,000 mesh viewers, 30 s of stream: 0.9907 at 20ms, 0.9991 at
// 2ms).
const (
	JoinSpreadViewers = 10_000
	JoinSpread        = 200 * time.Second
)

// joinInterval is the gap between joins used: JoinInterval if set, else
// the default for the network and audience.
func (s *Scenario) joinInterval() time.Duration {
	switch {
	case s.JoinInterval > 0:
		return s.JoinInterval
	case s.Net == "sim" && s.Viewers > JoinSpreadViewers:
		return JoinSpread / time.Duration(s.Viewers)
	}
	return DefaultJoinInterval
}

// TuneInRate is how many viewers per second start watching by default in
// audiences larger than it; smaller ones all tune in within a second. A
// flash crowd of tens of thousands in one second measures how the
// rendezvous and the tree roots survive a stampede, not how the stream
// is delivered; set TuneIn to study that.
const TuneInRate = 1000

// TuneInTime is the tune-in time: TuneIn if set, else one second per
// TuneInRate viewers, at least one second. Over QUIC the default is the
// join interval per viewer, at least one second: every viewer starting
// its trees or partnerships within a second sets up thousands of
// connections at once, which two cores take seconds to handshake (200
// forest viewers: twice the push-downs and live parents given up).
func (s *Scenario) TuneInTime() time.Duration {
	if s.TuneIn > 0 {
		return s.TuneIn
	}
	if s.Net == "quic" {
		return max(time.Second, time.Duration(s.Viewers)*s.joinInterval())
	}
	if s.Viewers <= TuneInRate {
		return time.Second
	}
	return time.Duration(s.Viewers) * time.Second / TuneInRate
}

// DefaultScenario returns the documented defaults: 100 viewers, 1 Mbit/s,
// 60s, everyone uploading 2x the rate, source 4x, 50ms latency.
func DefaultScenario() Scenario {
	return Scenario{
		Net:          "sim",
		Viewers:      100,
		Modes:        []string{"direct"},
		Rate:         1_000_000,
		Duration:     time.Minute,
		Seed:         1,
		Upload:       []UploadClass{{Mult: 2, Percent: 100}},
		SourceUpload: 4,
		Latency:      50 * time.Millisecond,
		Startup:      2 * time.Second,
	}
}

// Validate reports the first bad knob and fills the JSON mirrors.
func (s *Scenario) Validate() error {
	if s.Stripes != 0 {
		if err := splitstream.CheckStripes(s.Stripes); err != nil {
			return fmt.Errorf("lab: %w (0: the forest's default)", err)
		}
	}
	switch {
	case s.Net != "sim" && s.Net != "quic":
		return fmt.Errorf("lab: net %q is neither sim nor quic", s.Net)
	case s.Viewers < 1:
		return errors.New("lab: need at least one viewer")
	case len(s.Modes) == 0:
		return errors.New("lab: no modes")
	case s.Rate < 8_000:
		return errors.New("lab: rate below 8 kbit/s")
	case s.Duration <= 0:
		return errors.New("lab: duration must be positive")
	case s.SourceUpload <= 0:
		return errors.New("lab: the source needs some upload")
	case s.Latency < 0 || s.Loss < 0 || s.Loss >= 1 || s.Churn < 0 || s.Churn >= 1:
		return errors.New("lab: latency, loss or churn out of range")
	case s.ControlFirst && s.Net != "sim":
		return errors.New("lab: control-first is for the simulator (a QUIC node's uplink is its shim's)")
	case s.Uplink != "" && s.Uplink != UplinkFIFO && s.Uplink != UplinkFair:
		return fmt.Errorf("lab: uplink %q is neither %s nor %s", s.Uplink, UplinkFIFO, UplinkFair)
	case s.PNS != "" && s.PNS != PNSAuto && s.PNS != PNSOn && s.PNS != PNSOff:
		return fmt.Errorf("lab: pns %q is none of %s, %s, %s", s.PNS, PNSAuto, PNSOn, PNSOff)
	case s.Uplink == UplinkFair && s.Net != "quic":
		return errors.New("lab: a fair uplink is for --net quic (the simulator's uplinks are first in, first out; see --control-first)")
	case (s.Chunk != 0 && s.Chunk < 10*time.Millisecond) || s.Startup < 0 || s.JoinInterval < 0 || s.TuneIn < 0 || s.Buffer < 0 || s.Lead < 0:
		return errors.New("lab: chunk, startup, join interval, tune-in, buffer or lead out of range")
	}
	s.DurationS = s.Duration.Seconds()
	s.LatencyMs = float64(s.Latency) / 1e6
	s.BufferMs = float64(s.buffer()) / 1e6
	s.ChunkMs = float64(s.Chunk) / 1e6
	s.StartupMs = float64(s.Startup) / 1e6
	s.TargetLagMs, s.MaxLagMs = lagJSON(s.TargetLag), lagJSON(s.MaxLag)
	if s.Uplink == "" {
		s.Uplink = UplinkFIFO
	}
	if s.PNS == "" || s.PNS == PNSAuto {
		s.PNS = PNSOn
		if s.Net == "quic" {
			s.PNS = PNSOff
		}
	}
	s.JoinInterval = s.joinInterval()
	s.JoinIntervalS = s.JoinInterval.Seconds()
	s.TuneInS = s.TuneInTime().Seconds()
	s.LeadS = s.Lead.Seconds()
	return nil
}

// Uploads returns each viewer's upload multiple, assigned by class shares
// and shuffled by perm (a permutation of the viewers).
func (s *Scenario) Uploads(perm []int) []float64 {
	out := make([]float64, s.Viewers)
	i := 0
	for ci, c := range s.Upload {
		n := int(math.Round(c.Percent / 100 * float64(s.Viewers)))
		if ci == len(s.Upload)-1 {
			n = s.Viewers - i
		}
		for j := 0; j < n && i < s.Viewers; j++ {
			out[perm[i]] = c.Mult
			i++
		}
	}
	return out
}

// RMax is the capacity bound min(u_s, (u_s + sum u_i) / N) in bit/s
// (Kumar, Liu and Ross 2007), for the scenario's population.
func (s *Scenario) RMax() float64 {
	us := s.SourceUpload * float64(s.Rate)
	sum := us
	for _, c := range s.Upload {
		sum += c.Mult * float64(s.Rate) * c.Percent / 100 * float64(s.Viewers)
	}
	return math.Min(us, sum/float64(s.Viewers))
}

// lagJSON is a target or maximum lag as the scenario's JSON gives it: ms,
// 0 for each mode's own, -1 for off.
func lagJSON(d time.Duration) float64 {
	if d < 0 {
		return -1
	}
	return float64(d) / 1e6
}

// buffer is the QUIC shims' uplink buffer: Buffer, or the shim's default.
func (s *Scenario) buffer() time.Duration {
	if s.Buffer > 0 {
		return s.Buffer
	}
	return qnet.DefaultQueueDelay
}

// overlay returns the overlay configuration every node of the run takes.
func (s *Scenario) overlay() overlay.Config {
	c := overlay.DefaultConfig()
	c.PNS = s.PNS != PNSOff
	return c
}
