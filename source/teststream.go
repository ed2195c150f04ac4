package source

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/pion/rtp"

	"github.com/almcast/alm/env"
)

// TestPayloadType is the RTP payload type of the built-in test stream.
const TestPayloadType = 96

// testPayloadSize is the RTP payload of one test packet: 300 stereo L16
// samples; testPacketSize adds the 12-byte RTP header.
const (
	testPayloadSize = 1200
	testPacketSize  = testPayloadSize + 12
)

// TestClock is the sample rate of a test stream of rate bit/s (RTP
// headers included), for its SDP.
func TestClock(rate int64) int {
	return int(float64(rate) * (testPayloadSize / 4) / (testPacketSize * 8))
}

// TestStream generates an audio stream that needs no external tool: a
// sine tone as 16-bit linear PCM (L16, stereo) in RTP, with the sample
// rate chosen so the stream has the requested bit rate. Any RTP player
// plays it from the SDP that TestSDP returns. It runs on the node's clock.
type TestStream struct {
	e       env.Env
	rate    int64
	clock   int // samples per second
	ssrc    uint32
	seq     uint16
	sample  uint32
	phase   float64
	add     func([]byte)
	stop    func()
	payload []byte
}

// NewTestStream starts a test stream of rate bit/s (64 kbit/s to 20
// Mbit/s) that hands each RTP packet to add.
func NewTestStream(e env.Env, rate int64, add func(pkt []byte)) (*TestStream, error) {
	if rate < 64_000 || rate > 20_000_000 {
		return nil, fmt.Errorf("source: test stream rate %d outside [64k, 20M] bit/s", rate)
	}
	if add == nil {
		return nil, errors.New("source: test stream needs a sink")
	}
	t := &TestStream{e: e, rate: rate, add: add, ssrc: e.Rand().Uint32(), payload: make([]byte, testPayloadSize)}
	// The rate counts whole RTP packets, headers included.
	t.clock = TestClock(rate)
	period := time.Duration(float64(time.Second) * testPacketSize * 8 / float64(rate))
	t.stop = env.Steady(e, period, t.emit)
	return t, nil
}

// SDP returns the session description of the stream as sent to addr
// (host:port), for players.
func (t *TestStream) SDP(host string, port int) string {
	return TestSDP(host, port, t.clock)
}

// TestSDP describes a test stream of the given sample rate at host:port.
func TestSDP(host string, port, clock int) string {
	return fmt.Sprintf("v=0\r\no=- 0 0 IN IP4 %s\r\ns=alm test stream\r\nc=IN IP4 %s\r\nt=0 0\r\nm=audio %d RTP/AVP %d\r\na=rtpmap:%d L16/%d/2\r\n",
		host, host, port, TestPayloadType, TestPayloadType, clock)
}

// Clock is the stream's sample rate.
func (t *TestStream) Clock() int { return t.clock }

func (t *TestStream) emit() {
	const samples = testPayloadSize / 4
	step := 2 * math.Pi * 440 / float64(t.clock)
	for i := 0; i < samples; i++ {
		v := int16(8000 * math.Sin(t.phase))
		t.phase += step
		binary.BigEndian.PutUint16(t.payload[4*i:], uint16(v))
		binary.BigEndian.PutUint16(t.payload[4*i+2:], uint16(v))
	}
	if t.phase > 2*math.Pi {
		t.phase = math.Mod(t.phase, 2*math.Pi)
	}
	pkt := rtp.Packet{
		Header: rtp.Header{
			Version:        2,
			PayloadType:    TestPayloadType,
			SequenceNumber: t.seq,
			Timestamp:      t.sample,
			SSRC:           t.ssrc,
		},
		Payload: t.payload,
	}
	b, err := pkt.Marshal()
	if err != nil {
		return
	}
	t.seq++
	t.sample += samples
	t.add(b)
}

// Stop ends the stream.
func (t *TestStream) Stop() { t.stop() }
