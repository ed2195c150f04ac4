package lab

import (
	"crypto/ed25519"
	"time"

	"github.com/almcast/alm/chunk"
	"github.com/almcast/alm/env"
	"github.com/almcast/alm/overlay"
	"github.com/almcast/alm/player"
	"github.com/almcast/alm/stream"
)

// labNode builds one node of a streaming run on e, for either runtime: the
// source of ch (key owns it) or a viewer playing to out, with upload as
// its capacity, ocfg its overlay's configuration; arrival receives each
// viewer's chunk arrival delays in ms.
func labNode(e env.Env, ocfg overlay.Config, scfg stream.Config, upload int64, ch chunk.Channel, key ed25519.PrivateKey,
	viewer bool, out player.Output, arrival func(ms float64)) (*stream.Stack, error) {
	c := scfg
	c.Upload = upload
	var owner ed25519.PrivateKey
	if !viewer {
		owner = key
	}
	s, err := stream.Build(e, ocfg, c, ch, owner, out)
	if err != nil {
		return nil, err
	}
	if pl := s.Stream.Player(); pl != nil {
		pl.OnArrival(func(_ *chunk.Chunk, d time.Duration) { arrival(float64(d) / 1e6) })
	}
	return s, nil
}
