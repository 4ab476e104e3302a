package sip

import (
	"context"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/iwf-gateway/iwf/internal/leakcheck"
)

// sessionConfig is a Config for session tests: loopback, free ports,
// short timers where a test waits on them.
func sessionConfig() Config {
	return Config{
		Listen:             []string{"udp:127.0.0.1:0", "tcp:127.0.0.1:0"},
		MSRPListen:         "127.0.0.1:0",
		TransactionTimeout: 5 * time.Second,
		LargeMessageGrace:  time.Minute, // tests that want iwf's BYE shorten it
	}
}

// startSessions starts an Endpoint with sessions on; the test closes
// it. Tests that check for leaks call leaks(t) first.
func startSessions(t testing.TB, cfg Config, h SessionHandler) *Endpoint {
	t.Helper()
	e, err := New(cfg, testLog(t), (&recorder{}).handle)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.EnableSessions(h); err != nil {
		t.Fatal(err)
	}
	if err := e.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

// leaks checks that the test leaves no goroutine behind; call it before
// anything the test starts, so that its check runs after their Close.
func leaks(t *testing.T) {
	t.Helper()
	leakcheck.Check(t)
}

// proxyOf is the outbound proxy URI that sends INVITEs to e over TCP.
func proxyOf(t testing.TB, e *Endpoint) string {
	return "sip:" + addrOf(t, e, "tcp") + ";transport=tcp"
}

// acceptor is a SessionHandler that accepts every session, records it
// and hands every message it receives to a channel.
type acceptor struct {
	sessions chan *IncomingSession
	messages chan *SessionMessage
	result   func(*SessionMessage) error // nil accepts every message
}

func newAcceptor() *acceptor {
	return &acceptor{sessions: make(chan *IncomingSession, 16), messages: make(chan *SessionMessage, 64)}
}

func (a *acceptor) handle(ctx context.Context, in *IncomingSession) (MessageHandler, error) {
	a.sessions <- in
	return func(ctx context.Context, m *SessionMessage) error {
		a.messages <- m
		if a.result != nil {
			return a.result(m)
		}
		return nil
	}, nil
}

func (a *acceptor) nextSession(t testing.TB) *IncomingSession {
	t.Helper()
	select {
	case in := <-a.sessions:
		return in
	case <-time.After(ioBound):
		t.Fatal("no session reached the SessionHandler")
		return nil
	}
}

func (a *acceptor) nextMessage(t testing.TB) *SessionMessage {
	t.Helper()
	return nextMessage(t, a.messages)
}

func nextMessage(t testing.TB, ch <-chan *SessionMessage) *SessionMessage {
	t.Helper()
	select {
	case m := <-ch:
		return m
	case <-time.After(ioBound):
		t.Fatal("no message reached the MessageHandler")
		return nil
	}
}

// waitDone waits for a session to end and returns its Err.
func waitDone(t testing.TB, done <-chan struct{}, errOf func() error) error {
	t.Helper()
	select {
	case <-done:
		return errOf()
	case <-time.After(ioBound):
		t.Fatal("session did not end")
		return nil
	}
}

// largeMessage is an OutgoingSession for a CPM large message.
func largeMessage() *OutgoingSession {
	return &OutgoingSession{
		RequestURI:        "sip:+4915112345678@ims.example.net;user=phone",
		From:              "sip:+4917698765432@iwf.example.net;user=phone",
		PAssertedIdentity: "tel:+4917698765432",
		Kind:              KindLargeMessage,
		ConversationID:    "conv-large-1",
		ContributionID:    "contrib-large-1",
	}
}

// pattern is n bytes that differ from position to position, so that a
// misplaced chunk shows.
func pattern(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + i/251)
	}
	return b
}

// headerValue returns the value of the first header line name in raw.
func headerValue(raw, name string) string {
	for _, line := range strings.Split(raw, "\r\n") {
		k, v, ok := strings.Cut(line, ":")
		if ok && strings.EqualFold(strings.TrimSpace(k), name) {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

func itoa(n int) string { return strconv.Itoa(n) }

// testLog logs to the test at debug level when IWF_TEST_LOG=1.
func testLog(t testing.TB) *slog.Logger {
	if os.Getenv("IWF_TEST_LOG") != "1" {
		return nil
	}
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSuffix(string(p), "\n"))
	return len(p), nil
}
