package lab

import (
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"sort"
	"sync"
	"time"

	"github.com/almcast/alm/overlay"
	"github.com/almcast/alm/sim"
	"github.com/almcast/alm/wire"
)

// progress prints one line per virtual second of a simulated stream run to
// stderr when ALM_LAB_PROGRESS is set: a tool for studying runs at scale
// (where the time goes, when the trees settle). It never changes the run.
type progress struct {
	nw     *sim.Network
	start  time.Time
	on     bool
	played uint64
	missed uint64
	events uint64
	last   sim.Stats
	kinds  map[string]*kind
	src    *sim.Node        // the source, once known (stream)
	srcK   map[string]*kind // what the source sent, by kind
}

type kind struct {
	name     string
	n, bytes uint64
}

func newProgress(nw *sim.Network, start time.Time) *progress {
	p := &progress{nw: nw, start: start, on: os.Getenv("ALM_LAB_PROGRESS") != ""}
	if p.on && os.Getenv("ALM_LAB_PROGRESS") == "kinds" {
		p.kinds, p.srcK = map[string]*kind{}, map[string]*kind{}
		prev := nw.Trace
		nw.Trace = func(from, to *sim.Node, m wire.Message, size int, dropped bool) {
			if prev != nil {
				prev(from, to, m, size, dropped)
			}
			name := wire.Name(m)
			if r, ok := m.(*overlay.Route); ok && r.Payload.M != nil {
				name += "/" + wire.Name(r.Payload.M)
			}
			tally(p.kinds, name, size)
			if from == p.src {
				tally(p.srcK, name, size)
			}
		}
	}
	return p
}

// tally counts one message of kind name and size bytes in ks.
func tally(ks map[string]*kind, name string, size int) {
	k := ks[name]
	if k == nil {
		k = &kind{name: name}
		ks[name] = k
	}
	k.n++
	k.bytes += uint64(size)
}

// heap writes a heap profile of the live run to the file named by
// ALM_LAB_HEAPPROFILE, if set (the CLI's --memprofile is taken after the
// run, when the network is garbage).
func (p *progress) heap() {
	if os.Getenv("ALM_LAB_HEAPPROFILE") != "" {
		collect()
	}
}

// collect runs a garbage collection and, if ALM_LAB_HEAPPROFILE names a
// file, writes a heap profile of what is live to it.
func collect() {
	runtime.GC()
	name := os.Getenv("ALM_LAB_HEAPPROFILE")
	if name == "" {
		return
	}
	f, err := os.Create(name)
	if err != nil {
		fmt.Fprintln(os.Stderr, "lab:", err)
		return
	}
	defer f.Close()
	if err := pprof.WriteHeapProfile(f); err != nil {
		fmt.Fprintln(os.Stderr, "lab:", err)
	}
}

// profileStream starts a CPU profile of the stream phase into the file
// named by ALM_LAB_CPUPROFILE, if set (the CLI's --cpuprofile also covers
// the overlay's joins and their handshakes), and returns the function that
// ends it (once; later calls do nothing).
func profileStream() (stop func()) {
	name := os.Getenv("ALM_LAB_CPUPROFILE")
	if name == "" {
		return func() {}
	}
	f, err := os.Create(name)
	if err != nil {
		fmt.Fprintln(os.Stderr, "lab:", err)
		return func() {}
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		fmt.Fprintln(os.Stderr, "lab:", err)
		f.Close()
		return func() {}
	}
	return sync.OnceFunc(func() {
		pprof.StopCPUProfile()
		f.Close()
	})
}

// phase reports the end of a phase of the run.
func (p *progress) phase(name string) {
	if !p.on {
		return
	}
	st := p.nw.Stats()
	fmt.Fprintf(os.Stderr, "lab: %s t=%v wall=%.1fs events=%d %s\n", name, p.nw.Now(), time.Since(p.start).Seconds(), st.Events, p.nw)
	p.events = st.Events
}

// stream reports the last second of the stream: chunks played and missed
// over all viewers in it, and the simulator's work.
func (p *progress) stream(peers []*simPlayer) {
	if !p.on {
		return
	}
	p.src = peers[0].node
	var played, missed uint64
	for _, x := range peers[1:] {
		s := x.st.Player().Stats()
		played += s.Played
		missed += s.Missed
	}
	dp, dm := played-p.played, missed-p.missed
	p.played, p.missed = played, missed
	cont := 1.0
	if dp+dm > 0 {
		cont = float64(dp) / float64(dp+dm)
	}
	st := p.nw.Stats()
	fmt.Fprintf(os.Stderr, "lab: t=%v wall=%.1fs events=%d (+%d) continuity(last s)=%.4f sent=%d lost=%d qdrops=%d source_backlog=%v %s\n",
		p.nw.Now(), time.Since(p.start).Seconds(), st.Events, st.Events-p.events, cont,
		st.Sent-p.last.Sent, st.Lost-p.last.Lost, st.QueueDrops-p.last.QueueDrops, p.src.Backlog().Round(time.Millisecond), p.nw)
	p.events, p.last = st.Events, st
	if p.kinds != nil {
		printKinds("", p.kinds, 16, func(k *kind) uint64 { return k.n })
		printKinds("source: ", p.srcK, 5, func(k *kind) uint64 { return k.bytes })
	}
}

// printKinds prints the top n kinds of ks by key, each line after
// prefix, and empties ks.
func printKinds(prefix string, ks map[string]*kind, n int, key func(*kind) uint64) {
	list := make([]*kind, 0, len(ks))
	for _, k := range ks {
		list = append(list, k)
	}
	sort.Slice(list, func(i, j int) bool { return key(list[i]) > key(list[j]) })
	for _, k := range list[:min(len(list), n)] {
		fmt.Fprintf(os.Stderr, "    %s%-20s %9d msgs %11d bytes\n", prefix, k.name, k.n, k.bytes)
	}
	clear(ks)
}
