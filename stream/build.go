package stream

import (
	"crypto/ed25519"

	"github.com/almcast/alm/chunk"
	"github.com/almcast/alm/env"
	"github.com/almcast/alm/overlay"
	"github.com/almcast/alm/player"
)

// Stack is one streaming node's protocol cores, wired to one Mux.
type Stack struct {
	Overlay *overlay.Node
	Stream  *Node
	Mux     *env.Mux
}

// Build makes a node's overlay and stream node on e: the source of ch when
// sourceKey (which must own ch) is given, else a viewer of ch playing to
// out. Runtimes call it from their node constructors.
func Build(e env.Env, ocfg overlay.Config, cfg Config, ch chunk.Channel, sourceKey ed25519.PrivateKey, out player.Output) (*Stack, error) {
	ov, err := overlay.New(e, ocfg)
	if err != nil {
		return nil, err
	}
	mux := env.NewMux()
	mux.Handle(overlay.Proto, ov)
	var st *Node
	if sourceKey != nil {
		st, err = NewSource(e, ov, sourceKey, ch.Name, cfg)
	} else {
		st, err = New(e, ov, ch, cfg, out)
	}
	if err != nil {
		return nil, err
	}
	st.Attach(mux)
	return &Stack{Overlay: ov, Stream: st, Mux: mux}, nil
}
