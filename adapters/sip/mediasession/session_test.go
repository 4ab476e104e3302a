package mediasession

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/iwf-gateway/iwf/adapters/sip/msrp"
)

// pattern returns n bytes that differ from one chunk to the next.
func pattern(n int) []byte {
	b := make([]byte, n)
	r := rand.New(rand.NewPCG(uint64(n), 7))
	for i := range b {
		b[i] = byte(r.UintN(256))
	}
	return b
}

// onlyReader hides every method but Read, as a file or pipe would.
type onlyReader struct{ r io.Reader }

func (o onlyReader) Read(p []byte) (int, error) { return o.r.Read(p) }

func TestSendWholeAndChunked(t *testing.T) {
	ctx := leaks(t)
	p := connectPair(t, EndpointConfig{}, EndpointConfig{})
	for _, size := range []int{0, 1, 2047, 2048, 2049, 100_000} {
		body := pattern(size)
		for _, mode := range []string{"bytes", "reader sized", "reader unsized"} {
			t.Run(fmt.Sprintf("%d %s", size, mode), func(t *testing.T) {
				m := Message{ContentType: "application/octet-stream", MessageID: fmt.Sprintf("m%d-%d", size, len(mode))}
				switch mode {
				case "bytes":
					m.Body = body
				case "reader sized":
					m.BodyReader, m.Size = onlyReader{bytes.NewReader(body)}, int64(size)
				default:
					m.BodyReader = onlyReader{bytes.NewReader(body)}
				}
				if err := p.sb.Send(ctx, m); err != nil {
					t.Fatalf("Send: %v", err)
				}
				got := p.ra.next(t)
				if !bytes.Equal(got.Body, body) || got.ContentType != m.ContentType || got.MessageID != m.MessageID {
					t.Fatalf("received %s %q (%d bytes), want %q (%d bytes)", got.MessageID, got.ContentType, len(got.Body), m.ContentType, size)
				}
				if len(got.FromPath) != 1 || !got.FromPath[0].Equal(p.sb.LocalURI()) {
					t.Fatalf("From-Path %v, want %v", got.FromPath, p.sb.LocalURI())
				}
			})
		}
	}
	// The passive side sends back on the connection the peer opened.
	if err := p.sa.Send(ctx, Message{ContentType: "text/plain", Body: []byte("back")}); err != nil {
		t.Fatal(err)
	}
	if got := p.rb.next(t); string(got.Body) != "back" {
		t.Fatalf("peer received %q", got.Body)
	}
}

func TestSendRejectsInvalidMessage(t *testing.T) {
	ctx := leaks(t)
	p := connectPair(t, EndpointConfig{}, EndpointConfig{})
	for _, m := range []Message{
		{Body: []byte("x")},
		{ContentType: "text/plain", MessageID: "no"},
		{ContentType: "text/plain", FailureReport: "maybe"},
		{ContentType: "text\r\nplain"},
		{ContentType: "text/plain", Size: -2, BodyReader: bytes.NewReader(nil)},
		{ContentType: "text/plain", Extra: []msrp.Header{{Name: "To-Path", Value: "x"}}},
	} {
		if err := p.sb.Send(ctx, m); !errors.Is(err, ErrInvalidMessage) {
			t.Errorf("Send(%+v) = %v, want ErrInvalidMessage", m, err)
		}
	}
}

func TestSuccessAndFailureReports(t *testing.T) {
	ctx := leaks(t)
	p := connectPair(t, EndpointConfig{}, EndpointConfig{})
	body := pattern(5000)
	if err := p.sb.Send(ctx, Message{ContentType: "text/plain", Body: body, SuccessReport: true}); err != nil {
		t.Fatalf("Send with Success-Report: %v", err)
	}
	p.ra.next(t)

	p.ra.mu.Lock()
	p.ra.err = msrp.StatusMediaNotUnderstood
	p.ra.mu.Unlock()
	for _, fr := range []string{"", "yes", "partial"} {
		err := p.sb.Send(ctx, Message{ContentType: "text/x", Body: body, SuccessReport: true, FailureReport: fr})
		if se := sendErr(t, err, msrp.StatusMediaNotUnderstood); se.Report || se.Temporary() {
			t.Errorf("Failure-Report %q: %+v", fr, se)
		}
		p.ra.next(t)
	}
	// With Failure-Report: no the peer answers nothing and sends no
	// success report for a refused message: Send returns once written.
	if err := p.sb.Send(ctx, Message{ContentType: "text/x", Body: body, FailureReport: "no"}); err != nil {
		t.Fatalf("Failure-Report no: %v", err)
	}
	p.ra.next(t)
}

func TestHandlerErrorChoosesStatus(t *testing.T) {
	ctx := leaks(t)
	p := connectPair(t, EndpointConfig{}, EndpointConfig{})
	tests := []struct {
		err       error
		code      msrp.StatusCode
		temporary bool
	}{
		{msrp.StatusStopSending, msrp.StatusStopSending, false},
		{fmt.Errorf("wrapped: %w", msrp.StatusMediaNotUnderstood), msrp.StatusMediaNotUnderstood, false},
		{errors.New("journal unavailable"), StatusInternalError, true},
	}
	for _, tt := range tests {
		p.ra.mu.Lock()
		p.ra.err = tt.err
		p.ra.mu.Unlock()
		err := p.sb.Send(ctx, Message{ContentType: "text/plain", Body: []byte("hello")})
		if se := sendErr(t, err, tt.code); se.Temporary() != tt.temporary {
			t.Errorf("%v: Temporary() = %v", tt.err, se.Temporary())
		}
		p.ra.next(t)
	}
	// A panicking Handler is answered 500 and the session goes on.
	sa, sb := p.connectWith(t, func(context.Context, *Session, *Message) error { panic("boom") })
	sendErr(t, sb.Send(ctx, Message{ContentType: "text/plain", Body: []byte("x")}), StatusInternalError)
	if sa.Err() != nil {
		t.Fatalf("session ended: %v", sa.Err())
	}
	// A session without Handler refuses messages with 403.
	_, sb = p.connectWith(t, nil)
	sendErr(t, sb.Send(ctx, Message{ContentType: "text/plain", Body: []byte("x")}), msrp.StatusActionNotAllowed)
}

// connectWith adds a session pair whose iwf side has handler h.
func (p *pair) connectWith(t testing.TB, h Handler) (sa, sb *Session) {
	t.Helper()
	sa, err := p.a.NewSession(SessionOptions{Handler: h})
	if err != nil {
		t.Fatal(err)
	}
	sb, err = p.b.NewSession(SessionOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := sb.Connect(testCtx(t), []msrp.URI{sa.LocalURI()}); err != nil {
		t.Fatal(err)
	}
	return sa, sb
}

// The last chunk's 200 waits for the Handler, so that the gateway
// journals before the sender hears "accepted".
func TestAnswerWaitsForHandler(t *testing.T) {
	ctx := leaks(t)
	p := connectPair(t, EndpointConfig{}, EndpointConfig{})
	entered, release := make(chan struct{}), make(chan struct{})
	_, sb := p.connectWith(t, func(ctx context.Context, s *Session, m *Message) error {
		close(entered)
		<-release
		return nil
	})
	done := sendAsync(ctx, sb, Message{ContentType: "text/plain", Body: pattern(10_000), SuccessReport: true})
	<-entered
	select {
	case err := <-done:
		t.Fatalf("Send returned %v while the Handler runs", err)
	default:
	}
	close(release)
	if err := waitErr(t, done); err != nil {
		t.Fatal(err)
	}
}

func TestConcurrentSendsInterleave(t *testing.T) {
	ctx := leaks(t)
	p := connectPair(t, EndpointConfig{SendWindow: 8192}, EndpointConfig{SendWindow: 8192})
	const n = 8
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			m := Message{ContentType: "text/plain", MessageID: fmt.Sprintf("msg%04d", i), Body: pattern(50_000 + i)}
			if err := p.sb.Send(ctx, m); err != nil {
				t.Errorf("Send %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	seen := map[string]bool{}
	for range n {
		m := p.ra.next(t)
		var i int
		fmt.Sscanf(m.MessageID, "msg%04d", &i)
		if !bytes.Equal(m.Body, pattern(50_000+i)) {
			t.Errorf("%s corrupted", m.MessageID)
		}
		seen[m.MessageID] = true
	}
	if len(seen) != n {
		t.Fatalf("received %d distinct messages", len(seen))
	}
}

// Both ends send large messages to each other at once on the one
// connection: neither reader may stall behind its writer.
func TestBothDirectionsAtOnce(t *testing.T) {
	ctx := leaks(t)
	cfg := EndpointConfig{SendWindow: 16 << 10}
	p := connectPair(t, cfg, cfg)
	body := pattern(4 << 20)
	ab := sendAsync(ctx, p.sa, Message{ContentType: "a/b", Body: body})
	ba := sendAsync(ctx, p.sb, Message{ContentType: "a/b", Body: body})
	for _, ch := range []<-chan error{ab, ba} {
		if err := waitErr(t, ch); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(p.ra.next(t).Body, body) || !bytes.Equal(p.rb.next(t).Body, body) {
		t.Fatal("bodies differ")
	}
}

// A passive session's Send waits until the peer has bound it.
func TestPassiveSendWaitsForBind(t *testing.T) {
	ctx := leaks(t)
	a, b := startEndpoint(t, EndpointConfig{}), startEndpoint(t, EndpointConfig{})
	sa, err := a.NewSession(SessionOptions{})
	if err != nil {
		t.Fatal(err)
	}
	done := sendAsync(ctx, sa, Message{ContentType: "text/plain", Body: []byte("early")})
	rb := newRecorder()
	sb, err := b.NewSession(SessionOptions{Handler: rb.handle})
	if err != nil {
		t.Fatal(err)
	}
	if err := sb.Connect(ctx, []msrp.URI{sa.LocalURI()}); err != nil {
		t.Fatal(err)
	}
	if err := waitErr(t, done); err != nil {
		t.Fatal(err)
	}
	if got := rb.next(t); string(got.Body) != "early" {
		t.Fatalf("got %q", got.Body)
	}
	if got := sa.PeerPath(); len(got) != 1 || !got[0].Equal(sb.LocalURI()) {
		t.Fatalf("PeerPath %v", got)
	}
}
