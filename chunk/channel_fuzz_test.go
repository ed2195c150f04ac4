package chunk

import (
	"errors"
	"strings"
	"testing"
)

// FuzzParseChannel feeds ParseChannel arbitrary text, as channel strings
// pasted from anywhere arrive: it must never panic, every failure must
// wrap ErrChannel, and every string it accepts must name a valid channel
// whose text form parses back to the same channel.
func FuzzParseChannel(f *testing.F) {
	f.Add("alm://" + strings.Repeat("ab", 32) + "/live")
	f.Add("  alm://" + strings.Repeat("00", 32) + "/a.b_c-d\n")
	f.Add("alm://" + strings.Repeat("AB", 32) + "/x")
	f.Add("alm://" + strings.Repeat("ab", 31) + "/short-key")
	f.Add("alm://" + strings.Repeat("ab", 32) + "/")
	f.Add("alm://" + strings.Repeat("ab", 32) + "/a/b")
	f.Add("alm://" + strings.Repeat("ab", 32))
	f.Add("http://example.org/")
	f.Add("alm://zz/name")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseChannel(s)
		if err != nil {
			if !errors.Is(err, ErrChannel) {
				t.Fatalf("error %v does not wrap ErrChannel", err)
			}
			return
		}
		if _, err := NewChannel(c.Key, c.Name); err != nil {
			t.Fatalf("accepted %q as an invalid channel: %v", s, err)
		}
		back, err := ParseChannel(c.String())
		if err != nil || back.String() != c.String() || back.ID() != c.ID() {
			t.Fatalf("%q -> %s does not parse back: %v", s, c, err)
		}
	})
}
