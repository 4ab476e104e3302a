package smpp_test

import (
	"context"
	"testing"
	"time"

	"github.com/iwf-gateway/iwf/adapters/smpp"
	"github.com/iwf-gateway/iwf/sim/smsc"
)

// BenchmarkSubmit pushes submits through one transceiver bind (window 256)
// to sim/smsc from 256 concurrent callers and reports submits/s.
func BenchmarkSubmit(b *testing.B) {
	sim := smsc.New(smsc.Config{}, nil)
	if err := sim.Start(context.Background()); err != nil {
		b.Fatal(err)
	}
	defer sim.Close()
	c, err := smpp.NewClient(smpp.Config{Address: sim.Addr(), SystemID: "bench", Window: 256}, nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- c.Run(context.Background()) }()
	defer func() { c.Close(); <-done }()
	ctx := context.Background()
	if err := c.WaitReady(ctx); err != nil {
		b.Fatal(err)
	}
	sm := msg("benchmark message of a typical length, forty-odd characters")
	b.SetParallelism(128)
	b.ResetTimer()
	begin := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := c.Submit(ctx, sm); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(begin).Seconds(), "submits/s")
}
