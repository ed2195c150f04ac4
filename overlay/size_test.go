package overlay

import (
	"math/rand/v2"
	"testing"

	"github.com/almcast/alm/id"
	"github.com/almcast/alm/wire"
)

func randRefs(r *rand.Rand, n int) []id.Ref {
	if n < 0 {
		return nil
	}
	out := make([]id.Ref, n)
	for i := range out {
		addr := "127.0.0.1:" + string(rune('0'+r.IntN(10)))
		if r.IntN(3) == 0 {
			addr = string(make([]byte, r.IntN(300)))
		}
		out[i] = id.Ref{ID: id.Random(r), Addr: addr}
	}
	return out
}

// TestWireSizes checks every WireSize against the real encoding.
func TestWireSizes(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	big := func() uint64 { return r.Uint64() >> r.IntN(64) }
	for i := 0; i < 500; i++ {
		ref := randRefs(r, 1)[0]
		msgs := []wire.Message{
			&Ping{Nonce: big()}, &Pong{Nonce: big()}, &RouteAck{Ack: big()},
			&Announce{RTT: int64(big() >> 1)}, &Suspect{Node: ref},
			&Heartbeat{Leaf: randRefs(r, r.IntN(30)-1)}, &Leave{Leaf: randRefs(r, r.IntN(30)-1)},
			&StateRequest{Nonce: big(), Leaf: r.IntN(2) == 0, Rows: make([]uint8, r.IntN(30))},
			&StateRequest{Nonce: big()},
			&StateReply{Nonce: big(), Leaf: randRefs(r, r.IntN(30)-1), Table: randRefs(r, r.IntN(60)-1)},
			&JoinReply{Nonce: big(), Final: r.IntN(2) == 0, Leaf: randRefs(r, r.IntN(30)-1), Table: randRefs(r, r.IntN(60)-1)},
			&JoinRequest{Joiner: ref, Nonce: big(), Check: r.IntN(2) == 0},
			&Route{MsgID: big(), Ack: big(), Key: id.Random(r), Origin: ref, Hops: uint8(r.IntN(40)), Sent: int64(big() >> 1), Payload: wire.Any{M: &Lookup{N: big()}}},
			&Lookup{N: big()},
		}
		for _, m := range msgs {
			b, err := wire.Encode(m)
			if err != nil {
				t.Fatalf("%s: %v", wire.Name(m), err)
			}
			if got := m.(wire.Sizer).WireSize(); got != len(b) {
				t.Fatalf("%s: WireSize %d, encoded %d", wire.Name(m), got, len(b))
			}
		}
	}
}
