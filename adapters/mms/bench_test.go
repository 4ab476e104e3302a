package mms_test

import (
	"context"
	"testing"

	"github.com/iwf-gateway/iwf/adapters/mms/mm7"
)

// BenchmarkSubmit measures one SubmitReq with a small text attachment
// over a keep-alive loopback connection to the fake relay.
func BenchmarkSubmit(b *testing.B) {
	p := newPair(b, nil)
	parts := []mm7.Part{textPart("t", "hello from iwf")}
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := p.vasp.Submit(ctx, submitReq("+4915112345678"), parts); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkInboundDeliver measures one DeliverReq posted by the fake
// relay, through authentication, decode and Handler, to its DeliverRsp.
func BenchmarkInboundDeliver(b *testing.B) {
	p := newPair(b, nil)
	p.rec.discard = true
	parts := []mm7.Part{textPart("t", "hello to iwf")}
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if st, err := p.relay.InjectDeliver(ctx, deliverReq(), parts); err != nil || st != mm7.StatusSuccess {
			b.Fatal(st, err)
		}
	}
}
