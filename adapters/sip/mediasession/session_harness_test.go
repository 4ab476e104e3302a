package mediasession

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/iwf-gateway/iwf/adapters/sip/msrp"
	"github.com/iwf-gateway/iwf/internal/leakcheck"
)

// mustURI parses an MSRP URI the test wrote.
func mustURI(t testing.TB, s string) msrp.URI {
	t.Helper()
	u, err := msrp.ParseURI(s)
	if err != nil {
		t.Fatalf("ParseURI(%q): %v", s, err)
	}
	return u
}

// ioWait bounds how long a test waits for an event that should come at
// once; it only keeps a broken test from hanging.
const ioWait = 20 * time.Second

// testLog logs to the test when IWF_TEST_LOG=1.
func testLog(t testing.TB) *slog.Logger {
	if os.Getenv("IWF_TEST_LOG") != "1" {
		return nil
	}
	return slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type tWriter struct{ t testing.TB }

func (w tWriter) Write(p []byte) (int, error) { w.t.Log(string(p)); return len(p), nil }

// startEndpoint starts an Endpoint on 127.0.0.1:0 that the test closes;
// callers that check leaks call leakcheck.Check first.
func startEndpoint(t testing.TB, cfg EndpointConfig) *Endpoint {
	t.Helper()
	if cfg.Listen == "" {
		cfg.Listen = "127.0.0.1:0"
	}
	e, err := NewEndpoint(cfg, testLog(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), ioWait)
	t.Cleanup(cancel)
	return ctx
}

// recorder is a Handler that keeps what it received.
type recorder struct {
	mu   sync.Mutex
	msgs []*Message
	got  chan *Message
	err  error // returned to every message
}

func newRecorder() *recorder { return &recorder{got: make(chan *Message, 1024)} }

func (r *recorder) handle(ctx context.Context, s *Session, m *Message) error {
	r.mu.Lock()
	r.msgs = append(r.msgs, m)
	err := r.err
	r.mu.Unlock()
	r.got <- m
	return err
}

func (r *recorder) next(t testing.TB) *Message {
	t.Helper()
	select {
	case m := <-r.got:
		return m
	case <-time.After(ioWait):
		t.Fatal("no message reached the handler")
		return nil
	}
}

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.msgs)
}

// pair is a passive session on iwf (a) and the peer's active session (b)
// connected to it.
type pair struct {
	a, b   *Endpoint
	sa, sb *Session
	ra, rb *recorder
}

func connectPair(t testing.TB, cfgA, cfgB EndpointConfig) *pair {
	t.Helper()
	p := &pair{a: startEndpoint(t, cfgA), b: startEndpoint(t, cfgB), ra: newRecorder(), rb: newRecorder()}
	p.sa, p.sb = p.connect(t)
	return p
}

// connect adds one more session pair between the two endpoints.
func (p *pair) connect(t testing.TB) (sa, sb *Session) {
	t.Helper()
	sa, err := p.a.NewSession(SessionOptions{Handler: p.ra.handle})
	if err != nil {
		t.Fatal(err)
	}
	sb, err = p.b.NewSession(SessionOptions{Handler: p.rb.handle})
	if err != nil {
		t.Fatal(err)
	}
	if err := sb.Connect(testCtx(t), []msrp.URI{sa.LocalURI()}); err != nil {
		t.Fatalf("Connect: %v", err)
	}
	return sa, sb
}

// rawPeer is a hand-driven MSRP peer on one TCP connection.
type rawPeer struct {
	t  testing.TB
	nc net.Conn
	r  *msrp.Reader
}

func dialRaw(t testing.TB, e *Endpoint) *rawPeer {
	t.Helper()
	nc, err := net.Dial("tcp", e.Addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	return &rawPeer{t: t, nc: nc, r: msrp.NewReader(nc, msrp.Config{})}
}

func (p *rawPeer) write(f *msrp.Frame) {
	p.t.Helper()
	b, err := f.Marshal()
	if err != nil {
		p.t.Fatal(err)
	}
	p.writeBytes(b)
}

func (p *rawPeer) writeBytes(b []byte) {
	p.t.Helper()
	if _, err := p.nc.Write(b); err != nil {
		p.t.Fatal(err)
	}
}

func (p *rawPeer) read() *msrp.Frame {
	p.t.Helper()
	p.nc.SetReadDeadline(time.Now().Add(ioWait))
	f, err := p.r.ReadFrame()
	if err != nil {
		p.t.Fatalf("read frame: %v", err)
	}
	return f
}

// expectClosed reads until the connection ends.
func (p *rawPeer) expectClosed() {
	p.t.Helper()
	p.nc.SetReadDeadline(time.Now().Add(ioWait))
	if _, err := io.Copy(io.Discard, p.nc); err != nil {
		p.t.Fatalf("connection not closed: %v", err)
	}
}

// rawURI is the URI a raw peer presents, with its own session-id.
func rawURI(t testing.TB, id string) msrp.URI {
	return mustURI(t, "msrp://127.0.0.1:9/"+id+";tcp")
}

// rawSend is one SEND chunk from a raw peer.
func rawSend(t testing.TB, to msrp.URI, tid, msgID string, br msrp.ByteRange, body string, flag msrp.Flag) *msrp.Frame {
	f := &msrp.Frame{
		TransactionID: tid, Method: msrp.MethodSEND, ToPath: []msrp.URI{to}, FromPath: []msrp.URI{rawURI(t, "rawpeer1")},
		MessageID: msgID, ByteRange: &br, Flag: flag,
	}
	if body != "" || flag != msrp.FlagAbort {
		f.ContentType = "text/plain"
		f.Body = []byte(body)
	}
	return f
}

// expectResponse reads one response and checks its transaction and code.
func (p *rawPeer) expectResponse(tid string, code msrp.StatusCode) *msrp.Frame {
	p.t.Helper()
	f := p.read()
	if !f.IsResponse() || f.TransactionID != tid || f.Code != code {
		p.t.Fatalf("got %s, want response %s %d", f, tid, code)
	}
	return f
}

// fakePeer listens for iwf's active connections.
type fakePeer struct {
	t  testing.TB
	ln net.Listener
}

func listenFake(t testing.TB) *fakePeer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return &fakePeer{t: t, ln: ln}
}

func (f *fakePeer) uri(id string) msrp.URI {
	port := f.ln.Addr().(*net.TCPAddr).Port
	return mustURI(f.t, "msrp://127.0.0.1:"+strconv.Itoa(port)+"/"+id+";tcp")
}

// accept takes iwf's connection and answers its binding SEND 200.
func (f *fakePeer) accept() *rawPeer {
	f.t.Helper()
	type result struct {
		nc  net.Conn
		err error
	}
	ch := make(chan result, 1)
	go func() { nc, err := f.ln.Accept(); ch <- result{nc, err} }()
	var r result
	select {
	case r = <-ch:
	case <-time.After(ioWait):
		f.t.Fatal("iwf did not connect")
	}
	if r.err != nil {
		f.t.Fatal(r.err)
	}
	f.t.Cleanup(func() { r.nc.Close() })
	p := &rawPeer{t: f.t, nc: r.nc, r: msrp.NewReader(r.nc, msrp.Config{})}
	bind := p.read()
	if bind.Method != msrp.MethodSEND || bind.ContentType != "" || bind.ByteRange == nil || bind.ByteRange.Total != 0 {
		f.t.Fatalf("binding SEND: %s %+v", bind, bind.ByteRange)
	}
	p.write(okFor(bind))
	return p
}

// okFor is the 200 a peer answers to req.
func okFor(req *msrp.Frame) *msrp.Frame {
	return answer(req, msrp.StatusOK)
}

func answer(req *msrp.Frame, code msrp.StatusCode) *msrp.Frame {
	return &msrp.Frame{TransactionID: req.TransactionID, Code: code, Comment: code.Text(),
		ToPath: req.FromPath[:1], FromPath: req.ToPath[:1]}
}

// connectFake makes a session of e connect to a fake peer, whose side of
// the connection it returns.
func connectFake(t testing.TB, e *Endpoint, fp *fakePeer, h Handler) (*Session, *rawPeer) {
	t.Helper()
	s, err := e.NewSession(SessionOptions{Handler: h})
	if err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() { errc <- s.Connect(testCtx(t), []msrp.URI{fp.uri("fakesess1")}) }()
	p := fp.accept()
	if err := <-errc; err != nil {
		t.Fatalf("Connect: %v", err)
	}
	return s, p
}

// leaks checks goroutines and returns a context for the test.
func leaks(t *testing.T) context.Context {
	leakcheck.Check(t)
	return testCtx(t)
}

// sendAsync runs Send in a goroutine and returns its result channel.
func sendAsync(ctx context.Context, s *Session, m Message) <-chan error {
	ch := make(chan error, 1)
	go func() { ch <- s.Send(ctx, m) }()
	return ch
}

func waitErr(t testing.TB, ch <-chan error) error {
	t.Helper()
	select {
	case err := <-ch:
		return err
	case <-time.After(ioWait):
		t.Fatal("Send did not return")
		return nil
	}
}

// sendErr asserts err is a *SendError with code and returns it.
func sendErr(t testing.TB, err error, code msrp.StatusCode) *SendError {
	t.Helper()
	var se *SendError
	if !errors.As(err, &se) || se.Code != code {
		t.Fatalf("err = %v, want SendError %d", err, code)
	}
	return se
}
