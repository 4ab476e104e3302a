package sip

import (
	"context"
	"errors"
	"net"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/iwf-gateway/iwf/internal/leakcheck"
)

// TestShutdownDrains: a Handler in flight finishes and its 202 is sent,
// a new MESSAGE during the drain gets 503, and Shutdown returns nil.
func TestShutdownDrains(t *testing.T) {
	rc, entered, unblock := blockingRecorder()
	e := startEndpoint(t, Config{}, rc.handle)
	t.Cleanup(unblock) // runs before the endpoint's Close if the test fails
	p := newUDPPeer(t, addrOf(t, e, "udp"))
	p.send(wireRequest{sentBy: p.sentBy(), branch: "drain1", callID: "drain-1"}.bytes())
	<-entered

	done := make(chan error, 1)
	go func() { done <- e.Shutdown(context.Background()) }()

	// The drain has begun once the TCP listener refuses connections (it is
	// closed under the same lock that starts the drain); UDP still
	// answers, with 503.
	tcpAddr := addrOf(t, e, "tcp")
	for i := 0; ; i++ {
		c, err := net.Dial("tcp", tcpAddr)
		if err != nil {
			break
		}
		c.Close()
		if i == 1000 {
			t.Fatal("TCP listener still accepting")
		}
		runtime.Gosched()
	}
	late := newUDPPeer(t, addrOf(t, e, "udp"))
	res := late.roundTrip(wireRequest{branch: "drain2", callID: "drain-2"})
	if res.code != 503 || res.headers["retry-after"] == "" {
		t.Fatalf("during drain: %d %q", res.code, res.raw)
	}
	unblock()
	if first := p.read(); first.code != 202 {
		t.Fatalf("in-flight request got %d", first.code)
	}
	if err := <-done; err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if err := e.Shutdown(context.Background()); err != nil {
		t.Errorf("second Shutdown: %v", err)
	}
	if err := e.Start(context.Background()); !errors.Is(err, ErrClosed) {
		t.Errorf("Start after Shutdown: %v", err)
	}
}

// TestShutdownDeadlineCancelsHandler: when Shutdown's ctx ends first the
// Handler's ctx is cancelled and Shutdown returns the ctx error after the
// Handler returned.
func TestShutdownDeadlineCancelsHandler(t *testing.T) {
	entered, handlerErr := make(chan struct{}), make(chan error, 1)
	h := func(ctx context.Context, r *Request) error {
		close(entered)
		<-ctx.Done()
		handlerErr <- ctx.Err()
		return ctx.Err()
	}
	e := startEndpoint(t, Config{}, h)
	p := newUDPPeer(t, addrOf(t, e, "udp"))
	p.send(wireRequest{sentBy: p.sentBy(), branch: "dl", callID: "dl-1"}.bytes())
	<-entered
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := e.Shutdown(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Shutdown = %v", err)
	}
	select {
	case err := <-handlerErr:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("handler ctx err = %v", err)
		}
	default:
		t.Fatal("Shutdown returned before the handler did")
	}
	if err := e.Close(); err != nil {
		t.Errorf("Close after Shutdown: %v", err)
	}
}

// TestCloseLeavesNoGoroutines starts, uses and closes endpoints and
// checks the goroutine count comes back (bounded wait for sipgo's
// connection readers to observe their closed sockets).
func TestCloseLeavesNoGoroutines(t *testing.T) {
	before := runtime.NumGoroutine()
	for range 3 {
		e, err := New(Config{Listen: []string{"udp:127.0.0.1:0", "tcp:127.0.0.1:0"}}, nil, (&recorder{}).handle)
		if err != nil {
			t.Fatal(err)
		}
		if err := e.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		p := newUDPPeer(t, addrOf(t, e, "udp"))
		p.roundTrip(wireRequest{branch: "leak", callID: "leak-1"})
		tcpRoundTrip(t, addrOf(t, e, "tcp"), wireRequest{branch: "leak2", callID: "leak-2"})
		e.Close()
		e.Close()
	}
	if after := leakcheck.Settle(before, 2*time.Second); after > before {
		buf := make([]byte, 1<<16)
		n := runtime.Stack(buf, true)
		t.Fatalf("goroutines %d -> %d\n%s", before, after, buf[:n])
	}
}

func TestConfigValidate(t *testing.T) {
	good := []Config{
		{},
		{Listen: []string{"udp:0.0.0.0:5060", "TCP:[::1]:5070"}, OutboundProxy: "sip:core.example.net;transport=tcp",
			TrustedPeers: []string{"10.0.0.0/8", "192.0.2.7", "::1"}, MaxBodyBytes: 1 << 20, TransactionTimeout: time.Second},
	}
	for i, c := range good {
		if err := c.Validate(); err != nil {
			t.Errorf("good %d: %v", i, err)
		}
	}
	bad := []Config{
		{Listen: []string{"sctp:127.0.0.1:5060"}},
		{Listen: []string{"udp:127.0.0.1"}},
		{OutboundProxy: "tel:+123"},
		{OutboundProxy: "sip:core;transport=sctp"},
		{TrustedPeers: []string{"example.net"}},
		{MaxBodyBytes: -1},
		{MaxBodyBytes: 2 << 20},
		{TransactionTimeout: -time.Second},
		{Domain: "bad domain"},
		{UserAgent: "a\r\nb"},
	}
	for i, c := range bad {
		err := c.Validate()
		if err == nil || !strings.HasPrefix(err.Error(), "sip: config: ") {
			t.Errorf("bad %d (%+v): err = %v", i, c, err)
		}
		if _, err := New(c, nil, (&recorder{}).handle); err == nil {
			t.Errorf("bad %d: New accepted it", i)
		}
	}
}

func TestStatusErrorTemporary(t *testing.T) {
	for code, want := range map[int]bool{400: false, 403: false, 404: false, 408: true, 413: false, 480: true,
		486: true, 500: true, 503: true, 504: true, 600: false, 603: false, 604: false} {
		if got := (&StatusError{Code: code}).Temporary(); got != want {
			t.Errorf("%d: Temporary() = %v", code, got)
		}
	}
	if !(&StatusError{Code: 404, Retry: time.Minute}).Temporary() {
		t.Error("404 with Retry-After should be temporary")
	}
	if got := (&StatusError{Code: 404}).Error(); got != "sip: 404 Not Found" {
		t.Errorf("Error() = %q", got)
	}
}
