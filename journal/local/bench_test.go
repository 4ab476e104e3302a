package local

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/iwf-gateway/iwf/journal"
)

// BenchmarkPut measures single-entry Puts of ~300 bytes from a fixed
// number of concurrent writers, with 2 refs (a random message id and an
// increasing SMSC id) or none, with fsync and without.
func BenchmarkPut(b *testing.B) {
	for _, sync := range []bool{true, false} {
		for _, refs := range []int{2, 0} {
			for _, writers := range []int{1, 64, 512} {
				name := fmt.Sprintf("fsync=%t/refs=%d/writers=%d", sync, refs, writers)
				b.Run(name, func(b *testing.B) {
					benchPut(b, Config{NoSync: !sync}, writers, refs)
				})
			}
		}
	}
}

// BenchmarkPutMaxDelay compares group-commit delays at 64 writers.
func BenchmarkPutMaxDelay(b *testing.B) {
	for _, d := range []time.Duration{0, 100 * time.Microsecond, time.Millisecond} {
		b.Run(fmt.Sprintf("delay=%v", d), func(b *testing.B) {
			benchPut(b, Config{MaxDelay: d}, 64, 2)
		})
	}
}

func benchPut(b *testing.B, cfg Config, writers, refs int) {
	cfg.Path = filepath.Join(b.TempDir(), "journal.db")
	j, err := Open(cfg, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer j.Close()
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
	b.ReportMetric(s.EntriesPerCommit(), "entries/commit")
}

// BenchmarkScanOpen scans 1,000,000 Open entries of ~300 bytes and
// reports the peak heap seen during the scan, to show Scan streams.
func BenchmarkScanOpen(b *testing.B) {
	const total = 1_000_000
	j, err := Open(Config{Path: filepath.Join(b.TempDir(), "journal.db"), NoSync: true}, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer j.Close()
	data := make([]byte, 300)
	batch := make([]journal.Entry, DefaultMaxBatch)
	for n := 0; n < total; n += len(batch) {
		batch = batch[:min(len(batch), total-n)]
		for i := range batch {
			batch[i] = journal.Entry{State: journal.Open, Data: data}
		}
		if err := j.Put(context.Background(), batch); err != nil {
			b.Fatal(err)
		}
	}
	runtime.GC()
	var ms runtime.MemStats
	var peak uint64
	b.ResetTimer()
	for b.Loop() {
		n := 0
		err := j.Scan(context.Background(), journal.Open, 0, func(journal.Entry) error {
			if n++; n%100_000 == 0 {
				runtime.ReadMemStats(&ms)
				peak = max(peak, ms.HeapInuse)
			}
			return nil
		})
		if err != nil || n != total {
			b.Fatalf("Scan = %v after %d entries", err, n)
		}
	}
	b.ReportMetric(float64(total*b.N)/b.Elapsed().Seconds(), "entries/s")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
}

// BenchmarkPutBigLife measures the life of a 1 MB entry as the gateway
// writes it: created Open with a ref, then Done with another ref and its
// first bytes changed (an item's delivery state comes before its bodies).
// Bytes per op are the entry's data; without fsync, so that the CPU the
// journal spends shows.
func BenchmarkPutBigLife(b *testing.B) {
	j, err := Open(Config{Path: filepath.Join(b.TempDir(), "j.db"), NoSync: true}, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer j.Close()
	ctx := context.Background()
	data := make([]byte, 1_000_000)
	for i := range data {
		data[i] = byte(i * 7)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		n++
		e := []journal.Entry{{State: journal.Open, Kind: 1, Refs: []string{fmt.Sprintf("m-%d", n)}, Data: data}}
		if err := j.Put(ctx, e); err != nil {
			b.Fatal(err)
		}
		done := append([]byte("delivered"), data[9:]...)
		e[0].State, e[0].Refs, e[0].Data = journal.Done, []string{fmt.Sprintf("s-%d", n)}, done
		if err := j.Put(ctx, e); err != nil {
			b.Fatal(err)
		}
	}
}
