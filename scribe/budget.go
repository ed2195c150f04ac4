package scribe

import "time"

// budget is a token bucket over virtual time for a relay's repair
// requests: each chunk asked for (first or again) takes a token; tokens
// come at rate a second up to burst. A zero budget (rate 0) bounds
// nothing.
type budget struct {
	rate, burst float64 // tokens a second; most held
	tokens      float64
	at          time.Duration // when tokens was last brought up to date
}

// newBudget returns a budget of share of a stream of chunks of duration
// dur, with bursts of span worth of its chunks; share 0 or dur 0 bounds
// nothing. It starts full at now.
func newBudget(share float64, span, dur time.Duration, now time.Duration) budget {
	if share <= 0 || dur <= 0 {
		return budget{}
	}
	perSec := float64(time.Second) / float64(dur)
	b := budget{rate: share * perSec, burst: max(1, span.Seconds()*perSec), at: now}
	b.tokens = b.burst
	return b
}

// take spends a token, if there is one.
func (b *budget) take(now time.Duration) bool {
	if b.rate == 0 {
		return true
	}
	b.fill(now)
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// refund gives back a token taken for a request that was not sent.
func (b *budget) refund() {
	if b.rate != 0 {
		b.tokens = min(b.burst, b.tokens+1)
	}
}

// ready is when the next token will be there.
func (b *budget) ready(now time.Duration) time.Duration {
	if b.rate == 0 {
		return now
	}
	b.fill(now)
	if b.tokens >= 1 {
		return now
	}
	return now + time.Duration((1-b.tokens)/b.rate*float64(time.Second)) + 1
}

func (b *budget) fill(now time.Duration) {
	if now > b.at {
		b.tokens = min(b.burst, b.tokens+b.rate*(now-b.at).Seconds())
		b.at = now
	}
}
