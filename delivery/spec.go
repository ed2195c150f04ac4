package delivery

import (
	"fmt"
	"strings"
)

// A mode spec names a mode and, for a mode that takes one, its argument:
// "forest" or "forest/16" (the forest with 16 stripes). The source puts
// the spec in the channel's signed metadata, so every viewer builds the
// mode the source runs, argument and all.

// ArgFactory builds a mode that takes an argument ("" when the spec
// gives none: the mode's default).
type ArgFactory func(h Host, arg string) (Mode, error)

// RegisterArg makes a mode that takes an argument available by name;
// modes call it from init.
func RegisterArg(name string, f ArgFactory) {
	mu.Lock()
	defer mu.Unlock()
	if _, dup := factories[name]; dup {
		panic("delivery: mode " + name + " registered twice")
	}
	factories[name] = f
}

// Spec joins a mode's name and argument into a spec ("" arg: the name).
func Spec(name, arg string) string {
	if arg == "" {
		return name
	}
	return name + "/" + arg
}

// SplitSpec splits a spec into the mode's name and its argument ("" when
// the spec has none).
func SplitSpec(spec string) (name, arg string) {
	name, arg, _ = strings.Cut(spec, "/")
	return name, arg
}

// New builds the mode spec names: a mode's name, or a name and argument
// for a mode registered with RegisterArg. A spec with an argument for a
// mode that takes none is an error.
func New(spec string, h Host) (Mode, error) {
	name, arg := SplitSpec(spec)
	mu.Lock()
	f, ok := factories[name]
	mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("delivery: unknown mode %q (have %v)", name, Names())
	}
	return f(h, arg)
}
