package source

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/pion/sdp/v3"

	"github.com/almcast/alm/chunk"
)

// MaxMedia bounds the media (m= lines) of a stream the source ingests.
const MaxMedia = 8

// ErrSDP is wrapped by every error of ParseSDP and LoadSDP about the
// description itself; test with errors.Is.
var ErrSDP = errors.New("source: unusable SDP")

// Media is one RTP stream of a session: where the encoder sends it and
// what it carries.
type Media struct {
	Kind        string // audio, video, ... as in the m= line
	Port        int    // UDP port the encoder sends this media to
	PayloadType uint8  // the RTP payload type the source accepts
	Codec       string // encoding name, e.g. H264, opus, PCMU
	Clock       int    // RTP clock rate, Hz
	Channels    int    // audio channels (1 when the SDP does not say); 0 for other media
}

// SDP is a session description the source can ingest: the bytes as given
// (what viewers receive in the channel metadata) and its media in order.
type SDP struct {
	Raw   []byte
	Media []Media
}

// staticCodec is an RTP/AVP static payload type (RFC 3551, tables 4-5).
type staticCodec struct {
	name            string
	clock, channels int
}

var staticCodecs = map[uint8]staticCodec{
	0: {"PCMU", 8000, 1}, 3: {"GSM", 8000, 1}, 4: {"G723", 8000, 1},
	5: {"DVI4", 8000, 1}, 6: {"DVI4", 16000, 1}, 7: {"LPC", 8000, 1},
	8: {"PCMA", 8000, 1}, 9: {"G722", 8000, 1}, 10: {"L16", 44100, 2},
	11: {"L16", 44100, 1}, 12: {"QCELP", 8000, 1}, 13: {"CN", 8000, 1},
	14: {"MPA", 90000, 0}, 15: {"G728", 8000, 1}, 16: {"DVI4", 11025, 1},
	17: {"DVI4", 22050, 1}, 18: {"G729", 8000, 1}, 25: {"CelB", 90000, 0},
	26: {"JPEG", 90000, 0}, 28: {"nv", 90000, 0}, 31: {"H261", 90000, 0},
	32: {"MPV", 90000, 0}, 33: {"MP2T", 90000, 0}, 34: {"H263", 90000, 0},
}

func sdpErr(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrSDP}, args...)...)
}

// ParseSDP reads a session description (as ffmpeg's -sdp_file writes it)
// and checks that the source can ingest it: at most MaxMedia RTP/AVP or
// RTP/AVPF media, each on its own non-zero port with its own payload type
// (the player demultiplexes by payload type), and at most
// chunk.MaxSDPSize bytes. Of an m= line's formats the first with an
// rtpmap, or a static payload type, is the one accepted.
func ParseSDP(b []byte) (*SDP, error) {
	if len(b) == 0 {
		return nil, sdpErr("empty")
	}
	if len(b) > chunk.MaxSDPSize {
		return nil, sdpErr("%d bytes, limit %d", len(b), chunk.MaxSDPSize)
	}
	var sd sdp.SessionDescription
	if err := sd.Unmarshal(b); err != nil {
		return nil, sdpErr("parse: %v", err)
	}
	if len(sd.MediaDescriptions) == 0 {
		return nil, sdpErr("no media (m=) lines")
	}
	if len(sd.MediaDescriptions) > MaxMedia {
		return nil, sdpErr("%d media, limit %d", len(sd.MediaDescriptions), MaxMedia)
	}
	s := &SDP{Raw: append([]byte(nil), b...)}
	ports := map[int]int{}
	types := map[uint8]int{}
	for i, md := range sd.MediaDescriptions {
		m, err := parseMedia(i, md)
		if err != nil {
			return nil, err
		}
		if j, dup := ports[m.Port]; dup {
			return nil, sdpErr("media %d and %d share port %d", j, i, m.Port)
		}
		if j, dup := types[m.PayloadType]; dup {
			return nil, sdpErr("media %d and %d share payload type %d; the source demultiplexes by payload type", j, i, m.PayloadType)
		}
		ports[m.Port], types[m.PayloadType] = i, i
		s.Media = append(s.Media, m)
	}
	return s, nil
}

func parseMedia(i int, md *sdp.MediaDescription) (Media, error) {
	mn := md.MediaName
	proto := strings.Join(mn.Protos, "/")
	if proto != "RTP/AVP" && proto != "RTP/AVPF" {
		return Media{}, sdpErr("media %d (%s) uses %q, not RTP/AVP or RTP/AVPF", i, mn.Media, proto)
	}
	if mn.Port.Value <= 0 || mn.Port.Value > 65535 {
		return Media{}, sdpErr("media %d (%s) has port %d", i, mn.Media, mn.Port.Value)
	}
	if mn.Port.Range != nil && *mn.Port.Range != 1 {
		return Media{}, sdpErr("media %d (%s) has a port range /%d", i, mn.Media, *mn.Port.Range)
	}
	rtpmaps := map[uint8]string{}
	for _, a := range md.Attributes {
		if a.Key != "rtpmap" {
			continue
		}
		pt, enc, ok := strings.Cut(strings.TrimSpace(a.Value), " ")
		n, err := strconv.ParseUint(pt, 10, 7)
		if !ok || err != nil {
			return Media{}, sdpErr("media %d (%s): bad rtpmap %q", i, mn.Media, a.Value)
		}
		if _, dup := rtpmaps[uint8(n)]; !dup {
			rtpmaps[uint8(n)] = strings.TrimSpace(enc)
		}
	}
	for _, f := range mn.Formats {
		n, err := strconv.ParseUint(f, 10, 7)
		if err != nil {
			return Media{}, sdpErr("media %d (%s): format %q is not an RTP payload type", i, mn.Media, f)
		}
		pt := uint8(n)
		m := Media{Kind: mn.Media, Port: mn.Port.Value, PayloadType: pt}
		if enc, ok := rtpmaps[pt]; ok {
			if err := m.setEncoding(enc); err != nil {
				return Media{}, sdpErr("media %d (%s): rtpmap %d %q: %v", i, mn.Media, pt, enc, err)
			}
			return m, nil
		}
		if sc, ok := staticCodecs[pt]; ok {
			m.Codec, m.Clock, m.Channels = sc.name, sc.clock, sc.channels
			return m, nil
		}
	}
	return Media{}, sdpErr("media %d (%s): no payload type with an rtpmap or a static codec among %v", i, mn.Media, mn.Formats)
}

// setEncoding reads "name/clock[/channels]".
func (m *Media) setEncoding(enc string) error {
	parts := strings.Split(enc, "/")
	if len(parts) < 2 || len(parts) > 3 || parts[0] == "" {
		return errors.New("want name/clock[/channels]")
	}
	clock, err := strconv.Atoi(parts[1])
	if err != nil || clock < 1 || clock > 10_000_000 {
		return errors.New("bad clock rate")
	}
	m.Codec, m.Clock = parts[0], clock
	if m.Kind == "audio" {
		m.Channels = 1
	}
	if len(parts) == 3 {
		ch, err := strconv.Atoi(parts[2])
		if err != nil || ch < 1 || ch > 255 {
			return errors.New("bad channel count")
		}
		m.Channels = ch
	}
	return nil
}

// MPEGTSPort describes MPEG-TS over RTP (RFC 2250: static payload type
// 33, MP2T/90000) arriving on port, the one medium of such a stream. OBS's
// custom FFmpeg output with the rtp_mpegts container and ffmpeg's -f
// rtp_mpegts send it (as should GStreamer's rtpmp2tpay) without writing
// an SDP.
func MPEGTSPort(port int) (*SDP, error) {
	if port < 1 || port > 65535 {
		return nil, sdpErr("port %d out of range", port)
	}
	return ParseSDP([]byte(fmt.Sprintf("v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=MPEG-TS over RTP\r\n"+
		"c=IN IP4 127.0.0.1\r\nt=0 0\r\nm=video %d RTP/AVP 33\r\na=rtpmap:33 MP2T/90000\r\n", port)))
}

// LoadSDP reads and parses an SDP file.
func LoadSDP(path string) (*SDP, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("source: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, chunk.MaxSDPSize+1))
	if err != nil {
		return nil, fmt.Errorf("source: %w", err)
	}
	s, err := ParseSDP(b)
	if err != nil {
		return nil, fmt.Errorf("%w (in %s)", err, path)
	}
	return s, nil
}
