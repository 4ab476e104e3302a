package mediasession

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/iwf-gateway/iwf/adapters/sip/msrp"
)

func TestEndpointConfigValidate(t *testing.T) {
	if err := (&EndpointConfig{}).Validate(); err != nil {
		t.Fatalf("zero config: %v", err)
	}
	for _, c := range []EndpointConfig{
		{Listen: "nocolon"},
		{Host: "bad host"},
		{ChunkSize: -1},
		{MaxSessions: -1},
		{IdleTimeout: -time.Second},
		{ChunkSize: 4096, SendWindow: 2048},
		{ChunkSize: 2 << 20},
		{Limits: msrp.Config{MaxBodyBytes: -1}},
	} {
		if err := c.Validate(); err == nil || !strings.HasPrefix(err.Error(), "mediasession: ") {
			t.Errorf("Validate(%+v) = %v", c, err)
		}
	}
	d := EndpointConfig{}.withDefaults()
	if d.ChunkSize != 2048 || d.MaxConnections != d.MaxSessions || d.ReceiveBuffer != msrp.DefaultMaxMessageBytes ||
		d.TransactionTimeout != 30*time.Second {
		t.Errorf("defaults %+v", d)
	}
}

func TestEndpointLifecycleErrors(t *testing.T) {
	leaks(t)
	e, err := NewEndpoint(EndpointConfig{Listen: "127.0.0.1:0"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.NewSession(SessionOptions{}); !errors.Is(err, ErrNotStarted) {
		t.Fatalf("NewSession before Start: %v", err)
	}
	if err := e.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := e.Start(context.Background()); !errors.Is(err, ErrAlreadyStarted) {
		t.Fatalf("second Start: %v", err)
	}
	e.Close()
	e.Close()
	if err := e.Shutdown(context.Background()); err != nil {
		t.Fatalf("Shutdown after Close: %v", err)
	}
	if _, err := e.NewSession(SessionOptions{}); !errors.Is(err, ErrClosed) {
		t.Fatalf("NewSession after Close: %v", err)
	}
	wild, err := NewEndpoint(EndpointConfig{Listen: "0.0.0.0:0"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := wild.Start(context.Background()); err == nil {
		t.Fatal("listening on 0.0.0.0 without host: want error")
	}
	wild.Close()
}

func TestMaxSessions(t *testing.T) {
	leaks(t)
	e := startEndpoint(t, EndpointConfig{MaxSessions: 2})
	s1, err1 := e.NewSession(SessionOptions{})
	_, err2 := e.NewSession(SessionOptions{})
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	if _, err := e.NewSession(SessionOptions{}); !errors.Is(err, ErrTooManySessions) {
		t.Fatalf("third session: %v", err)
	}
	s1.Close()
	s1.Close()
	if !errors.Is(s1.Err(), ErrSessionClosed) {
		t.Fatalf("Err after Close: %v", s1.Err())
	}
	if _, err := e.NewSession(SessionOptions{}); err != nil {
		t.Fatalf("after Close: %v", err)
	}
}

func TestTimeoutsEndSessionsAndConnections(t *testing.T) {
	leaks(t)
	e := startEndpoint(t, EndpointConfig{BindTimeout: 50 * time.Millisecond})

	// Never bound.
	s, err := e.NewSession(SessionOptions{})
	if err != nil {
		t.Fatal(err)
	}
	<-s.Done()
	if !errors.Is(s.Err(), ErrNotBound) {
		t.Fatalf("unbound session: %v", s.Err())
	}

	// A connection that binds no session is closed.
	dialRaw(t, e).expectClosed()

	// Bound, then idle.
	idle := startEndpoint(t, EndpointConfig{IdleTimeout: 100 * time.Millisecond})
	s, err = idle.NewSession(SessionOptions{})
	if err != nil {
		t.Fatal(err)
	}
	peer := dialRaw(t, idle)
	bind := rawSend(t, s.LocalURI(), "tid50001", "bind5001", msrp.ByteRange{Start: 1, End: 0, Total: 0}, "", msrp.FlagEnd)
	bind.ContentType, bind.Body = "", nil
	peer.write(bind)
	peer.expectResponse("tid50001", msrp.StatusOK)
	<-s.Done()
	if !errors.Is(s.Err(), ErrIdle) {
		t.Fatalf("idle session: %v", s.Err())
	}
	if st := idle.Status(); st.Sessions != 0 || st.Connections != 1 {
		t.Fatalf("status %+v: the connection stays for BindTimeout", st)
	}
}

// Shutdown lets a Handler that is running finish and answers its
// message; then everything stops.
func TestShutdownDrains(t *testing.T) {
	ctx := leaks(t)
	p := connectPair(t, EndpointConfig{}, EndpointConfig{})
	entered, release := make(chan struct{}), make(chan struct{})
	_, sb := p.connectWith(t, func(ctx context.Context, s *Session, m *Message) error {
		close(entered)
		<-release
		return nil
	})
	done := sendAsync(ctx, sb, Message{ContentType: "text/plain", Body: []byte("last words")})
	<-entered
	shut := make(chan error, 1)
	go func() { shut <- p.a.Shutdown(ctx) }()
	waitFor(t, func() bool { p.a.mu.Lock(); defer p.a.mu.Unlock(); return p.a.draining })
	if _, err := p.a.NewSession(SessionOptions{}); !errors.Is(err, ErrClosed) {
		t.Fatalf("NewSession while draining: %v", err)
	}
	close(release)
	if err := waitErr(t, done); err != nil {
		t.Fatalf("message in progress: %v", err)
	}
	if err := waitErr(t, shut); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if err := p.a.Shutdown(ctx); err != nil {
		t.Fatalf("second Shutdown: %v", err)
	}
}

// Close cancels the Handler's context, ends the sessions and closes the
// connections.
func TestCloseCancelsHandlers(t *testing.T) {
	ctx := leaks(t)
	p := connectPair(t, EndpointConfig{}, EndpointConfig{})
	entered := make(chan struct{})
	sa, sb := p.connectWith(t, func(ctx context.Context, s *Session, m *Message) error {
		close(entered)
		<-ctx.Done()
		return ctx.Err()
	})
	done := sendAsync(ctx, sb, Message{ContentType: "text/plain", Body: []byte("x")})
	<-entered
	p.a.Close()
	if !errors.Is(sa.Err(), ErrClosed) {
		t.Fatalf("session after Close: %v", sa.Err())
	}
	// The Handler's ctx.Err() is answered 500 if the answer still gets
	// out before the connection closes.
	if err := waitErr(t, done); !errors.Is(err, ErrConnectionLost) && !errors.Is(err, StatusInternalError) {
		t.Fatalf("peer's Send: %v", err)
	}
	shortCtx, cancel := context.WithTimeout(ctx, time.Nanosecond)
	defer cancel()
	<-shortCtx.Done()
	if err := p.b.Shutdown(shortCtx); !errors.Is(err, context.DeadlineExceeded) && err != nil {
		t.Fatalf("Shutdown with an expired context: %v", err)
	}
}

func TestTLS(t *testing.T) {
	ctx := leaks(t)
	cert, pool := selfSigned(t)
	a := startEndpoint(t, EndpointConfig{TLS: &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}})
	b := startEndpoint(t, EndpointConfig{TLS: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}})
	rec := newRecorder()
	sa, err := a.NewSession(SessionOptions{Handler: rec.handle})
	if err != nil {
		t.Fatal(err)
	}
	if u := sa.LocalURI(); !u.Secure || !strings.HasPrefix(u.String(), "msrps://127.0.0.1:") {
		t.Fatalf("local URI %s", u)
	}
	sb, err := b.NewSession(SessionOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := sb.Connect(ctx, []msrp.URI{sa.LocalURI()}); err != nil {
		t.Fatal(err)
	}
	body := pattern(30_000)
	if err := sb.Send(ctx, Message{ContentType: "a/b", Body: body, SuccessReport: true}); err != nil {
		t.Fatal(err)
	}
	if m := rec.next(t); string(m.Body) != string(body) {
		t.Fatal("body differs")
	}
	// Without a TLS config there is no reaching an msrps peer.
	plain := startEndpoint(t, EndpointConfig{})
	sp, err := plain.NewSession(SessionOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := sp.Connect(ctx, []msrp.URI{sa.LocalURI()}); err == nil || !strings.Contains(err.Error(), "TLS") {
		t.Fatalf("plain endpoint to msrps: %v", err)
	}
}

// selfSigned makes a certificate for 127.0.0.1 and a pool trusting it.
func selfSigned(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "iwf test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}
