package lab

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"runtime/pprof"
	"testing"
)

// TestProfileStream: with ALM_LAB_CPUPROFILE set, the stream phase's
// profile is written (a gzipped pprof file) when the phase ends, and ending
// it twice is harmless; without it no profiling starts.
func TestProfileStream(t *testing.T) {
	t.Setenv("ALM_LAB_CPUPROFILE", "")
	off := profileStream()
	if err := pprof.StartCPUProfile(io.Discard); err != nil {
		t.Fatalf("profiling without ALM_LAB_CPUPROFILE: %v", err)
	}
	pprof.StopCPUProfile()
	off()
	name := filepath.Join(t.TempDir(), "cpu.prof")
	t.Setenv("ALM_LAB_CPUPROFILE", name)
	stop := profileStream()
	x := 0
	for i := range 1_000_000 {
		x += i * i
	}
	_ = x
	stop()
	stop()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, []byte{0x1f, 0x8b}) {
		t.Fatalf("not a gzipped profile: %d bytes", len(b))
	}
}
