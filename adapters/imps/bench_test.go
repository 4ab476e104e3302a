package imps_test

import (
	"context"
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
