package source

import (
	"testing"

	"github.com/pion/rtp"
)

// FuzzClassify feeds arbitrary datagrams to the ingest's packet check: it
// must never panic, and what it accepts as RTP must parse as RTP of the
// expected payload type. Seeds are in testdata/fuzz/FuzzClassify.
func FuzzClassify(f *testing.F) {
	good, _ := (&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 96, SequenceNumber: 1, Timestamp: 2, SSRC: 3}, Payload: []byte{1, 2, 3}}).Marshal()
	f.Add(good, uint8(96))
	f.Add(good, uint8(97))
	f.Add([]byte{0x80, 0xc8, 0x00, 0x01, 0, 0, 0, 0}, uint8(96)) // RTCP SR header
	f.Add([]byte{0x80}, uint8(96))
	f.Fuzz(func(t *testing.T, b []byte, pt uint8) {
		pt &= 0x7f
		switch classify(b, pt) {
		case pktOK:
			var p rtp.Packet
			if err := p.Unmarshal(b); err != nil || p.PayloadType != pt || p.Version != 2 {
				t.Fatalf("accepted a datagram that is not RTP of type %d: %v", pt, err)
			}
		case pktRTCP:
			if !isRTCP(b) {
				t.Fatal("called RTCP what does not parse as RTCP")
			}
		}
	})
}
