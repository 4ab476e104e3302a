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
