package wire_test

import (
	"errors"
	"strconv"
	"testing"

	"github.com/fxamacker/cbor/v2"

	"github.com/almcast/alm/overlay"
	"github.com/almcast/alm/wire"
)

// deepRoute returns an overlay Route frame of at most max bytes whose
// payload is a Route whose payload is a Route ... down to a Lookup, as deep
// as fits. Each nested Any is decoded by decoding (and checking and
// copying) the whole rest of the frame again, so the cost of decoding it
// grows with the square of its size.
func deepRoute(tb testing.TB, max int) (frame []byte, depth int) {
	lookup, err := wire.Encode(&overlay.Lookup{N: 1})
	if err != nil {
		tb.Fatal(err)
	}
	route, err := wire.Encode(&overlay.Route{Payload: wire.Any{M: &overlay.Lookup{N: 1}}})
	if err != nil {
		tb.Fatal(err)
	}
	payload, err := cbor.Marshal(lookup)
	if err != nil {
		tb.Fatal(err)
	}
	prefix := route[:len(route)-len(payload)] // the Route up to its payload
	frame = lookup
	for {
		payload, err := cbor.Marshal(frame)
		if err != nil {
			tb.Fatal(err)
		}
		next := append(append([]byte(nil), prefix...), payload...)
		if len(next) > max {
			return frame, depth
		}
		frame, depth = next, depth+1
	}
}

func TestDeepRouteRejected(t *testing.T) {
	// One level of nesting is what the overlay uses and decodes.
	one, depth := deepRoute(t, 60)
	if depth != 1 {
		t.Fatalf("test frame has depth %d", depth)
	}
	if _, err := wire.Decode(one); err != nil {
		t.Fatalf("a Route carrying a Lookup: %v", err)
	}
	// A Route carrying a Route is refused, however deep, and cheaply.
	frame, depth := deepRoute(t, 250<<10)
	if _, err := wire.Decode(frame); !errors.Is(err, wire.ErrMalformed) {
		t.Fatalf("Route nested %d deep: %v, want ErrMalformed", depth, err)
	}
}

// BenchmarkDecodeDeepRoute decodes Route frames nested as deep as the
// Route's bound allows. With one Route per ~48 bytes the largest is about
// 5400 deep.
func BenchmarkDecodeDeepRoute(b *testing.B) {
	for _, size := range []int{4 << 10, 64 << 10, wire.MaxSize((*overlay.Route).WireType(nil))} {
		frame, depth := deepRoute(b, size)
		b.Run(byteSize(len(frame)), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(frame)))
			for b.Loop() {
				// Refused at the second level, whatever the depth.
				if _, err := wire.Decode(frame); !errors.Is(err, wire.ErrMalformed) {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(depth), "depth")
		})
	}
}

func byteSize(n int) string {
	if n >= 1<<10 {
		return strconv.Itoa(n>>10) + "KiB"
	}
	return strconv.Itoa(n) + "B"
}
