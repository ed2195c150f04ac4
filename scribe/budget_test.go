package scribe

import (
	"testing"
	"time"
)

// TestBudget: a fifth of a stream of 50 ms chunks is 4 requests a second,
// after a burst of 1.5 s of chunks (30); a zero budget bounds nothing.
func TestBudget(t *testing.T) {
	b := newBudget(0.2, 1500*time.Millisecond, 50*time.Millisecond, 0)
	for i := 0; i < 30; i++ {
		if !b.take(0) {
			t.Fatalf("request %d of the burst refused", i+1)
		}
	}
	if b.take(0) {
		t.Fatal("31st request at once taken")
	}
	next := b.ready(0)
	if next < 249*time.Millisecond || next > 251*time.Millisecond {
		t.Fatalf("next token at %v, want 250ms", next)
	}
	if b.take(next - time.Millisecond) {
		t.Fatal("token taken before it came")
	}
	if !b.take(next) || b.take(next) {
		t.Fatal("want exactly one token at 250ms")
	}
	b.refund()
	if !b.take(next) {
		t.Fatal("refunded token not there")
	}
	// A long quiet fills the bucket to its burst, no more.
	n := 0
	for b.take(time.Hour) {
		n++
	}
	if n != 30 {
		t.Fatalf("%d tokens after an hour, want the burst of 30", n)
	}

	var zero budget
	for i := 0; i < 1000; i++ {
		if !zero.take(0) {
			t.Fatal("zero budget refused a request")
		}
	}
	if zero.ready(time.Second) != time.Second {
		t.Fatal("zero budget not ready at once")
	}
	if off := newBudget(0, time.Second, 50*time.Millisecond, 0); !off.take(0) || off.rate != 0 {
		t.Fatal("share 0 should bound nothing")
	}
}
