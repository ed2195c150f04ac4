package sweep

import (
	"testing"
	"time"
)

func TestRoom(t *testing.T) {
	table := map[int]int{1: 10, 2: 20, 3: 30}
	var swept time.Duration
	calls := 0
	lapsed := func(v int) (int, bool) { calls++; return v, v >= 20 }
	if !Room(table, 4, time.Second, &swept, lapsed) || calls != 0 {
		t.Fatalf("under the limit: room %v after %d calls; want room without a sweep", false, calls)
	}
	if !Room(table, 3, 5*time.Second, &swept, lapsed) {
		t.Fatal("full with a lapsed entry: no room")
	}
	if _, ok := table[1]; ok || len(table) != 2 || swept != 5*time.Second {
		t.Fatalf("after the sweep: %v, swept %v; want 1 dropped, swept at 5s", table, swept)
	}
	table[4] = 5 // full again, with a lapsed entry
	calls = 0
	if Room(table, 3, 5*time.Second+Interval/2, &swept, lapsed) || calls != 0 {
		t.Fatalf("within Interval of the last sweep: swept again (%d calls) or room", calls)
	}
	if !Room(table, 3, 5*time.Second+Interval, &swept, lapsed) || len(table) != 2 {
		t.Fatalf("an Interval later: %v; want the lapsed entry dropped", table)
	}
	trim := func(v int) (int, bool) { return v - 1, true }
	table[5] = 50
	if Room(table, 3, 10*time.Second, &swept, trim) || table[5] != 49 {
		t.Fatalf("nothing lapsed: %v; want no room and entries trimmed", table)
	}
}
