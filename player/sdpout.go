package player

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/pion/sdp/v3"
)

// maxOutputSDP bounds a source SDP the player rewrites (chunk.MaxSDPSize
// bounds what the metadata carries).
const maxOutputSDP = 64 << 10

// parseSDP parses a stream's session description with pion/sdp.
func parseSDP(src []byte) (*sdp.SessionDescription, error) {
	if len(src) == 0 {
		return nil, errors.New("player: empty SDP")
	}
	if len(src) > maxOutputSDP {
		return nil, fmt.Errorf("player: SDP of %d bytes", len(src))
	}
	var sd sdp.SessionDescription
	if err := sd.Unmarshal(src); err != nil {
		return nil, fmt.Errorf("player: parse SDP: %w", err)
	}
	if len(sd.MediaDescriptions) == 0 {
		return nil, errors.New("player: SDP has no media")
	}
	return &sd, nil
}

// sdpHost turns host into the address an SDP names: an IP, with
// "localhost" read as 127.0.0.1.
func sdpHost(host string) (ip net.IP, addrType string, err error) {
	if host == "localhost" {
		host = "127.0.0.1"
	}
	ip = net.ParseIP(host)
	if ip == nil {
		return nil, "", fmt.Errorf("player: output host %q is not an IP address or localhost", host)
	}
	if ip.To4() != nil {
		return ip.To4(), "IP4", nil
	}
	return ip, "IP6", nil
}

// OutputSDP rewrites the source's SDP for what an RTPOutput sends: every
// c= line (session and media level) names host, the o= line's address
// is host, and the i-th m= line's port is basePort+2*i. Payload types,
// rtpmap and fmtp are kept; a=rtcp lines (which name the source's ports)
// are dropped.
func OutputSDP(src []byte, host string, basePort int) ([]byte, error) {
	sd, err := parseSDP(src)
	if err != nil {
		return nil, err
	}
	ip, addrType, err := sdpHost(host)
	if err != nil {
		return nil, err
	}
	if err := checkBasePort(basePort, len(sd.MediaDescriptions)); err != nil {
		return nil, err
	}
	conn := func() *sdp.ConnectionInformation {
		return &sdp.ConnectionInformation{NetworkType: "IN", AddressType: addrType, Address: &sdp.Address{Address: ip.String()}}
	}
	sd.Origin.NetworkType, sd.Origin.AddressType, sd.Origin.UnicastAddress = "IN", addrType, ip.String()
	sd.ConnectionInformation = conn()
	for i, md := range sd.MediaDescriptions {
		if md.ConnectionInformation != nil {
			md.ConnectionInformation = conn()
		}
		md.MediaName.Port = sdp.RangedPort{Value: basePort + 2*i}
		attrs := md.Attributes[:0]
		for _, a := range md.Attributes {
			if a.Key != "rtcp" {
				attrs = append(attrs, a)
			}
		}
		md.Attributes = attrs
	}
	return sd.Marshal()
}

// checkBasePort reports whether n media fit at basePort, basePort+2, ...
func checkBasePort(basePort, n int) error {
	if basePort < 1 || basePort%2 != 0 {
		return fmt.Errorf("player: output port %d must be even and positive", basePort)
	}
	if last := basePort + 2*(n-1) + 1; last > 65535 {
		return fmt.Errorf("player: %d media at port %d need ports up to %d", n, basePort, last)
	}
	return nil
}

// WriteSDP writes OutputSDP(src, host, basePort) to path (mode 0644),
// replacing the file in one rename so a player never reads half of it.
func WriteSDP(path string, src []byte, host string, basePort int) error {
	b, err := OutputSDP(src, host, basePort)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("player: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return fmt.Errorf("player: %w", err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return fmt.Errorf("player: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("player: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("player: %w", err)
	}
	return nil
}

// outMedia is what the output needs of one m= line: the payload types it
// carries and the RTP clock of each (0: unknown).
type outMedia struct {
	types map[uint8]int // payload type -> clock rate
}

// staticClock is the clock rate of RTP/AVP static payload types (RFC
// 3551) that carry no rtpmap.
func staticClock(pt uint8) int {
	switch {
	case pt <= 13 && pt != 6 && pt != 10 && pt != 11, pt == 15, pt == 18:
		return 8000
	case pt == 6:
		return 16000
	case pt == 10 || pt == 11:
		return 44100
	case pt == 16:
		return 11025
	case pt == 17:
		return 22050
	case pt == 14 || pt == 25 || pt == 26 || pt == 28 || pt >= 31 && pt <= 34:
		return 90000
	}
	return 0
}

// outputMedia reads the payload types and clocks of each m= line.
func outputMedia(sd *sdp.SessionDescription) []outMedia {
	ms := make([]outMedia, len(sd.MediaDescriptions))
	for i, md := range sd.MediaDescriptions {
		m := outMedia{types: map[uint8]int{}}
		for _, f := range md.MediaName.Formats {
			if n, err := strconv.ParseUint(f, 10, 7); err == nil {
				m.types[uint8(n)] = staticClock(uint8(n))
			}
		}
		for _, a := range md.Attributes {
			if a.Key != "rtpmap" {
				continue
			}
			pt, enc, _ := strings.Cut(strings.TrimSpace(a.Value), " ")
			n, err := strconv.ParseUint(pt, 10, 7)
			if err != nil {
				continue
			}
			parts := strings.Split(strings.TrimSpace(enc), "/")
			if len(parts) < 2 {
				continue
			}
			if clock, err := strconv.Atoi(parts[1]); err == nil && clock > 0 {
				if _, ok := m.types[uint8(n)]; ok {
					m.types[uint8(n)] = clock
				}
			}
		}
		ms[i] = m
	}
	return ms
}
