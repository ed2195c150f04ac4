package lab

import "time"

// SharedLagMargin is added to each mode's own playback lag, and to the
// most a viewer may raise it to, in a QUIC run when --target-lag leaves
// the lag to the mode. The modes' lags were tuned in the simulator, where
// a node's work takes no time; over QUIC every node of the run shares
// this process's two cores, callbacks run up to 100 ms late near full
// load and a chunk waits behind others in each node's queues. At 200
// viewers (alm lab --net quic --viewers 200 --rate 1M --duration 30s),
// forest viewers at their 1.5 s played 0.9932 to 0.9998 in five runs and
// at 3 s 0.9985 to 0.9999 in six; mesh viewers at their 2.7 s 0.922,
// 0.946 and 0.992, at 4 s 0.995 to 0.999 in three, with a seventh of the
// duplicate payload (fewer chunks pulled while their push was on the
// way). A node in its own process (alm source, alm player) keeps its
// mode's lag, as does the simulator.
const SharedLagMargin = 1500 * time.Millisecond
