package admin

import (
	"strings"
	"testing"
	"time"

	"github.com/almcast/alm/player"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// TestPlayerMetrics: a player's figures, its lag raises among them, come
// out as Prometheus metrics.
func TestPlayerMetrics(t *testing.T) {
	st := State{Player: &PlayerState{Stats: player.Stats{Played: 90, Missed: 10, Lag: 1500 * time.Millisecond,
		Raises: 2, Stalled: 750 * time.Millisecond}, Continuity: 0.9}}
	c := &collector{snap: func() (State, error) { return st, nil }}
	want := `
# HELP alm_lag_raises_total Times the player raised its lag because chunks kept coming late (rebufferings).
# TYPE alm_lag_raises_total counter
alm_lag_raises_total 2
# HELP alm_stall_seconds_total Playout time the player paused for its lag raises.
# TYPE alm_stall_seconds_total counter
alm_stall_seconds_total 0.75
# HELP alm_playback_lag_seconds Playout time minus source time.
# TYPE alm_playback_lag_seconds gauge
alm_playback_lag_seconds 1.5
`
	if err := testutil.CollectAndCompare(c, strings.NewReader(want), "alm_lag_raises_total", "alm_stall_seconds_total", "alm_playback_lag_seconds"); err != nil {
		t.Error(err)
	}
}
