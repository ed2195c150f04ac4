package delivery

import (
	"testing"

	"github.com/almcast/alm/env"
)

// shareEnv is an Env whose links spend part of the capacity beyond the
// messages.
type shareEnv struct {
	env.Env
	share float64
}

func (e shareEnv) Share() float64 { return e.share }

type uploadHost struct {
	Host
	e  env.Env
	up int64
}

func (h uploadHost) Env() env.Env  { return h.e }
func (h uploadHost) Upload() int64 { return h.up }

func TestUsable(t *testing.T) {
	for _, c := range []struct {
		e        env.Env
		up, want int64
	}{
		{shareEnv{share: 0.85}, 2_000_000, 1_700_000},
		{shareEnv{share: 0.85}, 0, 0}, // unknown stays unknown
		{shareEnv{share: 1}, 2_000_000, 2_000_000},
		{nil, 2_000_000, 2_000_000}, // a runtime without the interface
	} {
		if got := Usable(uploadHost{e: c.e, up: c.up}); got != c.want {
			t.Errorf("upload %d in %v: %d, want %d", c.up, c.e, got, c.want)
		}
	}
}
