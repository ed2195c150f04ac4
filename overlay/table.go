package overlay

import (
	"time"

	"github.com/almcast/alm/id"
)

// Entry is one routing-table slot: a node and its measured round-trip time
// (0 when not yet measured).
type Entry struct {
	Ref id.Ref
	RTT time.Duration
}

// Table is a Pastry routing table: row r holds nodes that share the first r
// digits with this node and differ in digit r; column c is that digit.
// Rows are allocated as they fill.
type Table struct {
	self id.ID
	rows [][id.Base]Entry
	n    int
	// alts keeps, for the deep rows (AltRow and below), a few more nodes
	// per slot besides the proximity-chosen entry. Those slots are sparse
	// (a handful of nodes share that long a prefix), and choosing among
	// them the one numerically closest to a key often reaches the key's
	// node a hop sooner.
	alts [][id.Base][]id.Ref
}

// AltRow is the first row that keeps alternates; MaxAlts bounds them.
const (
	AltRow  = 2
	MaxAlts = 3
)

// NewTable returns an empty table for self.
func NewTable(self id.ID) *Table { return &Table{self: self} }

// Slot returns the row and column x belongs in; ok is false for self.
func (t *Table) Slot(x id.ID) (row, col int, ok bool) {
	row = t.self.SharedPrefix(x)
	if row >= id.Digits {
		return 0, 0, false
	}
	return row, x.Digit(row), true
}

// Get returns the entry at (row, col); its Ref is zero when empty.
func (t *Table) Get(row, col int) Entry {
	if row >= len(t.rows) {
		return Entry{}
	}
	return t.rows[row][col]
}

// Set stores e at x's slot, replacing what was there.
func (t *Table) Set(e Entry) {
	row, col, ok := t.Slot(e.Ref.ID)
	if !ok {
		return
	}
	for len(t.rows) <= row {
		t.rows = append(t.rows, [id.Base]Entry{})
	}
	if t.rows[row][col].Ref.IsZero() {
		t.n++
	}
	t.rows[row][col] = e
}

// Lookup returns x's entry if x is in the table.
func (t *Table) Lookup(x id.ID) (Entry, bool) {
	row, col, ok := t.Slot(x)
	if !ok {
		return Entry{}, false
	}
	e := t.Get(row, col)
	return e, !e.Ref.IsZero() && e.Ref.ID == x
}

// Remove clears x's slot (or alternate place) if x holds it, promoting an
// alternate; it reports whether x was the slot's entry.
func (t *Table) Remove(x id.ID) bool {
	row, col, ok := t.Slot(x)
	if !ok || row >= len(t.rows) {
		return false
	}
	if row < len(t.alts) {
		alts := t.alts[row][col]
		for i, a := range alts {
			if a.ID == x {
				t.alts[row][col] = append(alts[:i], alts[i+1:]...)
				break
			}
		}
	}
	if t.rows[row][col].Ref.ID != x || t.rows[row][col].Ref.IsZero() {
		return false
	}
	t.rows[row][col] = Entry{}
	t.n--
	if row < len(t.alts) && len(t.alts[row][col]) > 0 {
		t.rows[row][col] = Entry{Ref: t.alts[row][col][0]}
		t.alts[row][col] = t.alts[row][col][1:]
		t.n++
	}
	return true
}

// AddAlt keeps r as an alternate for its slot if it is in a deep row, not
// the slot's entry and there is room.
func (t *Table) AddAlt(r id.Ref) {
	row, col, ok := t.Slot(r.ID)
	if !ok || row < AltRow || row >= len(t.rows) || t.rows[row][col].Ref.ID == r.ID {
		return
	}
	for len(t.alts) <= row {
		t.alts = append(t.alts, [id.Base][]id.Ref{})
	}
	alts := t.alts[row][col]
	for _, a := range alts {
		if a.ID == r.ID {
			return
		}
	}
	if len(alts) < MaxAlts {
		t.alts[row][col] = append(alts, r)
	}
}

// Alts returns the alternates of slot (row, col).
func (t *Table) Alts(row, col int) []id.Ref {
	if row >= len(t.alts) {
		return nil
	}
	return t.alts[row][col]
}

// Rows returns the number of rows allocated.
func (t *Table) Rows() int { return len(t.rows) }

// Len returns the number of filled slots.
func (t *Table) Len() int { return t.n }

// Row returns the filled entries of row r.
func (t *Table) Row(r int) []id.Ref {
	if r >= len(t.rows) {
		return nil
	}
	var out []id.Ref
	for _, e := range t.rows[r] {
		if !e.Ref.IsZero() {
			out = append(out, e.Ref)
		}
	}
	return out
}

// Entries returns every filled entry, row by row.
func (t *Table) Entries() []Entry {
	out := make([]Entry, 0, t.n)
	for r := range t.rows {
		for _, e := range t.rows[r] {
			if !e.Ref.IsZero() {
				out = append(out, e)
			}
		}
	}
	return out
}
