package lab

import "github.com/almcast/alm/stream"

// sourcePace is the rate at which the source's chunker has taken in the
// stream since it started, over the nominal rate: 1 when the source
// keeps pace. (Over QUIC the chunker and the test stream once re-armed
// their timers from each late call and ran 1-3% slow unnoticed; this
// figure shows such a drift.) Call it on the source's event loop; 0 when
// unknown.
func sourcePace(st *stream.Node) float64 {
	c, rate := st.Chunker(), st.Rate()
	if c == nil || rate <= 0 {
		return 0
	}
	el := st.Env().Now() - c.Start()
	if el <= 0 {
		return 0
	}
	return float64(c.Stats().Bytes) * 8 / el.Seconds() / float64(rate)
}
