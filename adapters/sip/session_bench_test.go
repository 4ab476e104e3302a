package sip

import (
	"context"
	"testing"
)

// BenchmarkLargeMessageSession measures whole CPM large message
// sessions between two Endpoints on loopback: INVITE, 200, ACK, MSRP
// connect, a 300 KB message in 2048-byte chunks handed to the
// receiver's handler, and BYE.
func BenchmarkLargeMessageSession(b *testing.B) {
	rcv := startSessions(b, sessionConfig(), func(ctx context.Context, in *IncomingSession) (MessageHandler, error) {
		return func(ctx context.Context, m *SessionMessage) error { return nil }, nil
	})
	cfg := sessionConfig()
	cfg.OutboundProxy = proxyOf(b, rcv)
	snd := startSessions(b, cfg, nil)
	body := pattern(300 << 10)
	ctx := context.Background()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		out, err := snd.OpenSession(ctx, largeMessage())
		if err != nil {
			b.Fatal(err)
		}
		if err := out.Send(ctx, &SessionMessage{ContentType: "message/cpim", Body: body}); err != nil {
			b.Fatal(err)
		}
		if err := out.Close(ctx); err != nil {
			b.Fatal(err)
		}
	}
}
