package qnet

import (
	"fmt"
	"testing"
	"time"

	"github.com/almcast/alm/env"
	"github.com/almcast/alm/id"
	"github.com/almcast/alm/identity"
	"github.com/almcast/alm/wire"
)

// BenchmarkThroughput sends messages of several sizes from one node to
// another over loopback, in windows of 256 so that queues never overflow.
func BenchmarkThroughput(b *testing.B) {
	for _, size := range []int{1 << 10, 16 << 10, 256 << 10} {
		b.Run(fmt.Sprintf("%dKiB", size>>10), func(b *testing.B) {
			benchThroughput(b, size)
		})
	}
}

func benchThroughput(b *testing.B, size int) {
	mk := func() Config {
		k, err := identity.Generate()
		if err != nil {
			b.Fatal(err)
		}
		return Config{Key: k, Log: quiet()}
	}
	got := make(chan struct{}, 1024)
	recvNode, err := New(mk(), func(env.Env) env.Handler {
		return env.HandlerFunc(func(id.Ref, wire.Message) { got <- struct{}{} })
	})
	if err != nil {
		b.Fatal(err)
	}
	var sendEnv env.Env
	sendNode, err := New(mk(), func(e env.Env) env.Handler {
		sendEnv = e
		return env.HandlerFunc(nil)
	})
	if err != nil {
		b.Fatal(err)
	}
	stopR, stopS := runBench(recvNode), runBench(sendNode)
	defer stopR()
	defer stopS()
	msg := &testMsg{Data: make([]byte, size)}
	frame, _ := wire.Encode(msg)
	b.SetBytes(int64(len(frame)))
	b.ResetTimer()
	const window = 256
	for sent := 0; sent < b.N; {
		k := min(window, b.N-sent)
		sendNode.Do(func() {
			for range k {
				sendEnv.Send(recvNode.Self(), msg)
			}
		})
		for range k {
			select {
			case <-got:
			case <-time.After(waitLong):
				b.Fatalf("stalled: %+v", sendNode.Stats())
			}
		}
		sent += k
	}
	b.StopTimer()
	if d := sendNode.Stats().SendDrops; d != 0 {
		b.Errorf("%d drops", d)
	}
}
