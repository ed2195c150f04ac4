package sim

import (
	"time"

	"github.com/almcast/alm/env"
)

// Lagging returns e reporting its event loop late by d (env.Laggard), as a
// QUIC node's loop does when its process is short of CPU; everything else
// is e's. The simulator's own nodes are never late: tests wrap a node's Env
// with it to drive the code that makes allowance for lateness.
func Lagging(e env.Env, d time.Duration) env.Env { return lagging{e, d} }

type lagging struct {
	env.Env
	late time.Duration
}

func (e lagging) Lateness() time.Duration { return e.late }
