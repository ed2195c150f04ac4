package player

import (
	"testing"
)

// FuzzOutputSDP feeds the player's SDP rewrite what a channel's metadata
// may carry (a source's SDP, from the network): it must return an error
// or an SDP that parses again, with the i-th medium on 6000+2i, the
// output host in every c= line and no a=rtcp line; outputMedia must take
// whatever parses. Seeds are in testdata/fuzz/FuzzOutputSDP.
func FuzzOutputSDP(f *testing.F) {
	f.Add(readTestSDP(f))
	f.Fuzz(func(t *testing.T, b []byte) {
		if sd, err := parseSDP(b); err == nil {
			ms := outputMedia(sd)
			if len(ms) != len(sd.MediaDescriptions) {
				t.Fatalf("%d output media of %d", len(ms), len(sd.MediaDescriptions))
			}
		}
		out, err := OutputSDP(b, "127.0.0.1", 6000)
		if err != nil {
			if out != nil {
				t.Fatal("SDP returned with an error")
			}
			return
		}
		sd := unmarshal(t, out)
		if c := sd.ConnectionInformation; c == nil || c.Address == nil || c.Address.Address != "127.0.0.1" {
			t.Fatalf("session c= %+v", c)
		}
		if len(sd.MediaDescriptions) == 0 {
			t.Fatal("no media")
		}
		for i, md := range sd.MediaDescriptions {
			if md.MediaName.Port.Value != 6000+2*i || md.MediaName.Port.Range != nil {
				t.Fatalf("media %d port %+v", i, md.MediaName.Port)
			}
			if c := md.ConnectionInformation; c != nil && (c.Address == nil || c.Address.Address != "127.0.0.1") {
				t.Fatalf("media %d c= %+v", i, c)
			}
			for _, a := range md.Attributes {
				if a.Key == "rtcp" {
					t.Fatalf("media %d kept a=rtcp:%s", i, a.Value)
				}
			}
		}
	})
}
