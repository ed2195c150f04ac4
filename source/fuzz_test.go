package source

import (
	"bytes"
	"errors"
	"testing"

	"github.com/almcast/alm/chunk"
)

// FuzzParseSDP checks that ParseSDP never panics, fails only with ErrSDP,
// and that what it accepts meets the promises the ingest relies on. Seeds
// are in testdata/fuzz/FuzzParseSDP.
func FuzzParseSDP(f *testing.F) {
	f.Add([]byte(TestSDP("127.0.0.1", 5004, 44100)))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := ParseSDP(b)
		if err != nil {
			if !errors.Is(err, ErrSDP) {
				t.Fatalf("error %v does not wrap ErrSDP", err)
			}
			if s != nil {
				t.Fatal("SDP returned with an error")
			}
			return
		}
		if len(b) > chunk.MaxSDPSize || !bytes.Equal(s.Raw, b) {
			t.Fatal("Raw is not the input")
		}
		if len(s.Media) == 0 || len(s.Media) > MaxMedia {
			t.Fatalf("%d media", len(s.Media))
		}
		ports, types := map[int]bool{}, map[uint8]bool{}
		for _, m := range s.Media {
			if m.Port < 1 || m.Port > 65535 || ports[m.Port] {
				t.Fatalf("port %d", m.Port)
			}
			if m.PayloadType > 127 || types[m.PayloadType] {
				t.Fatalf("payload type %d", m.PayloadType)
			}
			if m.Codec == "" || m.Clock < 1 || m.Channels < 0 {
				t.Fatalf("media %+v", m)
			}
			ports[m.Port], types[m.PayloadType] = true, true
		}
		if _, err := NewIngest(s, ""); err != nil {
			t.Fatalf("NewIngest: %v", err)
		}
	})
}
