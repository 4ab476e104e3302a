package imps_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/iwf-gateway/iwf/adapters/imps/impstest"
	"github.com/iwf-gateway/iwf/adapters/imps/wv"
)

// BenchmarkSendMessage measures SendMessage round trips against the fake
// server on loopback, from parallel callers.
func BenchmarkSendMessage(b *testing.B) {
	srv := newServer(b, impstest.Config{})
	h := start(b, srv, clientConfig(srv), nil, true)
	req := sendRequest("benchmark message", false)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := h.client.SendMessage(context.Background(), req); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkSendMessageConcurrent measures SendMessage from 16 callers,
// the gateway's default number of IMPS workers: with the default
// batching, and with one transaction per document and a document per
// caller in flight (as before batching), for comparison.
func BenchmarkSendMessageConcurrent(b *testing.B) {
	for _, bc := range []struct {
		name            string
		maxPosts, batch int
	}{{"batched", 0, 0}, {"one-per-document", 16, 1}} {
		b.Run(bc.name, func(b *testing.B) {
			srv := newServer(b, impstest.Config{})
			cfg := clientConfig(srv)
			cfg.MaxPosts, cfg.MaxBatch = bc.maxPosts, bc.batch
			h := start(b, srv, cfg, nil, true)
			req := sendRequest("benchmark message", false)
			b.ReportAllocs()
			b.ResetTimer()
			var next atomic.Int64
			var wg sync.WaitGroup
			for range 16 {
				wg.Go(func() {
					for next.Add(1) <= int64(b.N) {
						if _, err := h.client.SendMessage(context.Background(), req); err != nil {
							b.Error(err)
							return
						}
					}
				})
			}
			wg.Wait()
			b.StopTimer()
			if got := len(srv.Sent()); got != b.N {
				b.Fatalf("server got %d of %d", got, b.N)
			}
		})
	}
}

// BenchmarkInbound measures NewMessage delivery (poll, handler,
// MessageDelivered) of b.N injected messages.
func BenchmarkInbound(b *testing.B) {
	benchmarkInbound(b, newServer(b, impstest.Config{PollBatch: 15}))
}

// BenchmarkInboundNotifyGet measures Notify/Get delivery (poll,
// GetMessage-Request, handler, MessageDelivered, Status answering the
// MessageNotification) of b.N injected messages.
func BenchmarkInboundNotifyGet(b *testing.B) {
	benchmarkInbound(b, notifyServer(b, impstest.Config{PollBatch: 15}))
}

func benchmarkInbound(b *testing.B, srv *impstest.Server) {
	cfg := clientConfig(srv)
	cfg.PollInterval = time.Millisecond
	done := make(chan struct{}, b.N)
	start(b, srv, cfg, func(context.Context, *wv.NewMessage) error { done <- struct{}{}; return nil }, true)
	m := newMessage("benchmark message")
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if _, err := srv.Inject(context.Background(), user, m); err != nil {
			b.Fatal(err)
		}
	}
	limit := time.NewTimer(time.Minute)
	defer limit.Stop()
	for range b.N {
		select {
		case <-done:
		case <-limit.C:
			b.Fatalf("only part of %d messages handled; server stats %+v", b.N, srv.Stats())
		}
	}
	b.StopTimer()
	eventually(b, "every message acknowledged", func() bool { return srv.Pending(user) == 0 })
}
