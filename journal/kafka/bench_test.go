package kafka

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/iwf-gateway/iwf/journal"
)

// BenchmarkPut measures single-entry Puts of ~300 bytes from a fixed
// number of concurrent writers against a three-broker kfake cluster on
// loopback, with 2 refs (a random message id and an increasing SMSC id,
// so every Put also publishes two bindings) or none.
func BenchmarkPut(b *testing.B) {
	c := newCluster(b)
	for _, refs := range []int{2, 0} {
		for _, writers := range []int{1, 64} {
			b.Run(fmt.Sprintf("refs=%d/writers=%d", refs, writers), func(b *testing.B) {
				benchPut(b, testConfig(c), writers, refs)
			})
		}
	}
}

func benchPut(b *testing.B, cfg Config, writers, refs int) {
	j := openTest(b, cfg)
	data := make([]byte, 300)
	var next, smsc atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for range writers {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(rand.Uint64(), 1))
			for next.Add(1) <= int64(b.N) {
				e := journal.Entry{State: journal.Open, Kind: 1, Data: data}
				if refs > 0 {
					e.Refs = []string{
						fmt.Sprintf("msg-%016x%016x", rng.Uint64(), rng.Uint64()),
						fmt.Sprintf("smsc-%010d", smsc.Add(1)),
					}
				}
				if err := j.Put(context.Background(), []journal.Entry{e}); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	s := j.Stats()
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "puts/s")
	if s.Records > 0 {
		b.ReportMetric(float64(s.Puts)/float64(s.Records), "puts/produce")
	}
}

// BenchmarkLetters measures letters of ~300 bytes sent by a fixed number
// of concurrent senders, spread over the 12 partitions of one instance
// (which owns them all), and received and Done from Letters, against a
// three-broker kfake cluster on loopback. One op is one letter sent and
// received.
func BenchmarkLetters(b *testing.B) {
	c := newCluster(b)
	for _, senders := range []int{1, 64} {
		b.Run(fmt.Sprintf("senders=%d", senders), func(b *testing.B) {
			benchLetters(b, testConfig(c), senders)
		})
	}
}

func benchLetters(b *testing.B, cfg Config, senders int) {
	j := openTest(b, cfg)
	data := make([]byte, 300)
	var next atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for range senders {
		wg.Go(func() {
			for i := next.Add(1); i <= int64(b.N); i = next.Add(1) {
				if err := j.Send(context.Background(), int(i%12), data); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	for range b.N {
		l := <-j.Letters()
		l.Done()
	}
	elapsed := time.Since(start)
	wg.Wait()
	b.StopTimer()
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "letters/s")
}

// BenchmarkLetterLatency measures one letter at a time: Send, then
// receive it from Letters. ns/op is the latency from the start of Send to
// delivery, the produce acknowledged by all replicas included.
func BenchmarkLetterLatency(b *testing.B) {
	c := newCluster(b)
	j := openTest(b, testConfig(c))
	data := make([]byte, 300)
	b.ResetTimer()
	for i := range b.N {
		if err := j.Send(context.Background(), i%12, data); err != nil {
			b.Fatal(err)
		}
		l := <-j.Letters()
		l.Done()
	}
}
