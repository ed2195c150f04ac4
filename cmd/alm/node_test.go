package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// buildAlm builds the alm binary into a temporary directory.
func buildAlm(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "alm")
	if runtime.GOOS == "windows" {
		bin += ".exe"
	}
	out, err := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// freeUDPAddrs returns n loopback UDP addresses that were free a moment ago.
func freeUDPAddrs(t *testing.T, n int) []string {
	t.Helper()
	var conns []net.PacketConn
	var addrs []string
	for range n {
		c, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
		addrs = append(addrs, c.LocalAddr().String())
	}
	for _, c := range conns {
		c.Close()
	}
	return addrs
}

// proc is one `alm node` process whose stderr is read line by line.
type proc struct {
	i    int
	cmd  *exec.Cmd
	done chan struct{} // closed once the process exited and err is set
	err  error         // what Wait returned

	mu    sync.Mutex
	lines []string
}

func (p *proc) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.lines, "\n")
}

type line struct {
	proc int
	text string
}

// startNode starts `alm node` with args; every stderr line is kept and
// sent to lines until quit is closed.
func startNode(t *testing.T, bin string, i int, lines chan<- line, quit <-chan struct{}, args ...string) *proc {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"node"}, args...)...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &proc{i: i, cmd: cmd, done: make(chan struct{})}
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			cmd.Process.Kill()
			<-p.done
		}
	})
	go func() {
		defer close(p.done)
		s := bufio.NewScanner(stderr)
		for s.Scan() {
			p.mu.Lock()
			p.lines = append(p.lines, s.Text())
			p.mu.Unlock()
			select {
			case lines <- line{i, s.Text()}:
			case <-quit:
			}
		}
		io.Copy(io.Discard, stderr)
		p.err = cmd.Wait()
	}()
	return p
}

// TestNodeProcesses runs five `alm node` processes, the first starting the
// overlay and the others joining through it, waits until every one
// reports a leaf set of the four others, then interrupts them all.
func TestNodeProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs five processes")
	}
	const n = 5
	bin := buildAlm(t)
	dir := t.TempDir()
	addrs := freeUDPAddrs(t, n)
	lines := make(chan line, 64)
	quit := make(chan struct{})
	stopLines := sync.OnceFunc(func() { close(quit) })
	defer stopLines()
	procs := make([]*proc, n)
	for i := range procs {
		args := []string{"--listen", addrs[i], "--key", filepath.Join(dir, fmt.Sprintf("node%d.key", i)), "--status", "200ms"}
		if i > 0 {
			args = append(args, "--bootstrap", addrs[0])
		}
		procs[i] = startNode(t, bin, i, lines, quit, args...)
	}
	dump := func() string {
		var b strings.Builder
		for _, p := range procs {
			fmt.Fprintf(&b, "--- node %d:\n%s\n", p.i, p.output())
		}
		return b.String()
	}

	want := fmt.Sprintf("joined=true leaf=%d ", n-1)
	ready := make([]bool, n)
	left := n
	deadline := time.NewTimer(60 * time.Second)
	defer deadline.Stop()
	for left > 0 {
		select {
		case l := <-lines:
			if !ready[l.proc] && strings.Contains(l.text, "msg=status") && strings.Contains(l.text, want) {
				ready[l.proc] = true
				left--
			}
		case <-deadline.C:
			t.Fatalf("nodes ready %v after 60s; logs:\n%s", ready, dump())
		}
	}

	for i := range n {
		key := filepath.Join(dir, fmt.Sprintf("node%d.key", i))
		st, err := os.Stat(key)
		if err != nil {
			t.Fatalf("key file: %v", err)
		}
		if runtime.GOOS != "windows" && st.Mode().Perm() != 0o600 {
			t.Errorf("key file %s has mode %v, want 0600", key, st.Mode().Perm())
		}
	}

	for _, p := range procs {
		if err := p.cmd.Process.Signal(os.Interrupt); err != nil {
			t.Fatalf("interrupt node %d: %v", p.i, err)
		}
	}
	stopLines()
	stop := time.NewTimer(30 * time.Second)
	defer stop.Stop()
	for _, p := range procs {
		select {
		case <-p.done:
		case <-stop.C:
			t.Fatalf("nodes did not exit 30s after the interrupt; logs:\n%s", dump())
		}
		var ee *exec.ExitError
		switch {
		case errors.As(p.err, &ee):
			t.Errorf("node %d exited with %v", p.i, ee)
		case p.err != nil:
			t.Errorf("node %d: %v", p.i, p.err)
		}
	}
	for _, p := range procs {
		out := p.output()
		if !strings.Contains(out, "msg=\"node starting\"") || !strings.Contains(out, "msg=leaving") || !strings.Contains(out, "msg=stopped") {
			t.Errorf("node %d log lacks start, leave or stop:\n%s", p.i, out)
		}
	}
	if t.Failed() || testing.Verbose() {
		t.Logf("logs:\n%s", dump())
	}
}
