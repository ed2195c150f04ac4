package delivery

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

// specMode is a do-nothing mode that remembers the argument it was built
// with.
type specMode struct {
	Mode // nil: only arg is looked at
	arg  string
}

func TestSpec(t *testing.T) {
	RegisterArg("test-arg", func(_ Host, arg string) (Mode, error) {
		if arg == "bad" {
			return nil, errors.New("test-arg: bad argument")
		}
		return &specMode{arg: arg}, nil
	})
	Register("test-plain", func(Host) (Mode, error) { return &specMode{arg: "plain"}, nil })
	SetPreferences("test-arg", Preferences{ChunkDuration: 25 * time.Millisecond})

	for _, c := range []struct {
		spec, arg, err string
	}{
		{"test-arg", "", ""},
		{"test-arg/16", "16", ""},
		{"test-arg/bad", "", "bad argument"},
		{"test-plain", "plain", ""},
		{"test-plain/16", "", "takes no argument"},
		{"test-nosuch", "", "unknown mode"},
		{"test-nosuch/3", "", "unknown mode"},
	} {
		m, err := New(c.spec, nil)
		switch {
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("New(%q): error %v, want one with %q", c.spec, err, c.err)
		case c.err == "" && err != nil:
			t.Errorf("New(%q): %v", c.spec, err)
		case c.err == "" && m.(*specMode).arg != c.arg:
			t.Errorf("New(%q) built with argument %q, want %q", c.spec, m.(*specMode).arg, c.arg)
		}
	}
	if names := Names(); !slices.Contains(names, "test-arg") || !slices.Contains(names, "test-plain") {
		t.Errorf("Names() = %v, want both test modes", names)
	}
	// A spec's argument leaves the mode's preferences as they are.
	if got := ChunkDuration("test-arg/16", 0); got != 25*time.Millisecond {
		t.Errorf("ChunkDuration(test-arg/16) = %v, want the mode's 25ms", got)
	}
	if name, arg := SplitSpec(Spec("forest", "16")); name != "forest" || arg != "16" {
		t.Errorf("SplitSpec(Spec) = %q, %q", name, arg)
	}
	if Spec("mesh", "") != "mesh" {
		t.Error("a spec without an argument is the name")
	}
	defer func() {
		if recover() == nil {
			t.Error("a second registration of test-arg did not panic")
		}
	}()
	Register("test-arg", func(Host) (Mode, error) { return nil, nil })
}
