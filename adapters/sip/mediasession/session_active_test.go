package mediasession

import (
	"context"
	"errors"
	"io"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/iwf-gateway/iwf/adapters/sip/msrp"
)

// iwf as the active party, against a scripted peer.

func TestConnectBindsWithEmptySend(t *testing.T) {
	ctx := leaks(t)
	e := startEndpoint(t, EndpointConfig{})
	fp := listenFake(t)
	rec := newRecorder()
	s, peer := connectFake(t, e, fp, rec.handle)
	// The peer then sends on the connection iwf opened.
	peer.write(rawSend(t, s.LocalURI(), "tid40001", "msg40001", msrp.ByteRange{Start: 1, End: 2, Total: 2}, "hi", msrp.FlagEnd))
	peer.expectResponse("tid40001", msrp.StatusOK)
	if m := rec.next(t); string(m.Body) != "hi" {
		t.Fatalf("got %q", m.Body)
	}
	// And iwf sends: the chunk goes to the peer's path, from the session.
	done := sendAsync(ctx, s, Message{ContentType: "text/plain", Body: []byte("hello")})
	f := peer.read()
	if !pathEqual(f.ToPath, []msrp.URI{fp.uri("fakesess1")}) || !pathEqual(f.FromPath, []msrp.URI{s.LocalURI()}) ||
		string(f.Body) != "hello" || *f.ByteRange != (msrp.ByteRange{Start: 1, End: 5, Total: 5}) || f.Flag != msrp.FlagEnd {
		t.Fatalf("chunk %s %+v", f, f)
	}
	peer.write(okFor(f))
	if err := waitErr(t, done); err != nil {
		t.Fatal(err)
	}
}

func TestConnectRefused(t *testing.T) {
	ctx := leaks(t)
	e := startEndpoint(t, EndpointConfig{})
	fp := listenFake(t)
	s, err := e.NewSession(SessionOptions{})
	if err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() { errc <- s.Connect(ctx, []msrp.URI{fp.uri("fakesess1")}) }()
	nc, err := fp.ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	peer := &rawPeer{t: t, nc: nc, r: msrp.NewReader(nc, msrp.Config{})}
	peer.write(answer(peer.read(), msrp.StatusSessionDoesNotExist))
	err = waitErr(t, errc)
	sendErr(t, err, msrp.StatusSessionDoesNotExist)
	<-s.Done()
	if err := s.Send(ctx, Message{ContentType: "a/b"}); !errors.Is(err, ErrSessionClosed) {
		t.Fatalf("Send on refused session: %v", err)
	}
}

func TestTransactionTimeout(t *testing.T) {
	ctx := leaks(t)
	e := startEndpoint(t, EndpointConfig{TransactionTimeout: 100 * time.Millisecond})
	s, peer := connectFake(t, e, listenFake(t), nil)
	go io.Copy(io.Discard, peer.nc) // reads, never answers
	err := s.Send(ctx, Message{ContentType: "a/b", Body: pattern(10_000)})
	if se := sendErr(t, err, msrp.StatusTimeout); !se.Temporary() || se.Report {
		t.Fatalf("%+v", se)
	}
}

func TestReportsFromPeer(t *testing.T) {
	ctx := leaks(t)
	e := startEndpoint(t, EndpointConfig{})
	s, peer := connectFake(t, e, listenFake(t), nil)

	// A success REPORT ends the wait.
	done := sendAsync(ctx, s, Message{ContentType: "a/b", Body: []byte("one"), SuccessReport: true, MessageID: "report01"})
	f := peer.read()
	if f.SuccessReport != "yes" {
		t.Fatalf("Success-Report %q", f.SuccessReport)
	}
	peer.write(okFor(f))
	peer.write(reportFor(f, msrp.Status{Code: msrp.StatusOK, Comment: "OK"}))
	if err := waitErr(t, done); err != nil {
		t.Fatal(err)
	}

	// A failure REPORT fails the Send.
	done = sendAsync(ctx, s, Message{ContentType: "a/b", Body: []byte("two"), SuccessReport: true, MessageID: "report02"})
	f = peer.read()
	peer.write(okFor(f))
	peer.write(reportFor(f, msrp.Status{Code: msrp.StatusStopSending, Comment: "too big downstream"}))
	if se := sendErr(t, waitErr(t, done), msrp.StatusStopSending); !se.Report || se.Comment != "too big downstream" {
		t.Fatalf("%+v", se)
	}

	// No REPORT at all: 408 after ReportTimeout.
	short := startEndpoint(t, EndpointConfig{ReportTimeout: 100 * time.Millisecond})
	s, peer = connectFake(t, short, listenFake(t), nil)
	done = sendAsync(ctx, s, Message{ContentType: "a/b", Body: []byte("three"), SuccessReport: true})
	peer.write(okFor(peer.read()))
	if se := sendErr(t, waitErr(t, done), msrp.StatusTimeout); !se.Report || !se.Temporary() {
		t.Fatalf("%+v", se)
	}
}

func reportFor(f *msrp.Frame, st msrp.Status) *msrp.Frame {
	total := int64(len(f.Body))
	return &msrp.Frame{TransactionID: "rep" + f.TransactionID[:8], Method: msrp.MethodREPORT, ToPath: f.FromPath, FromPath: f.ToPath[len(f.ToPath)-1:],
		MessageID: f.MessageID, ByteRange: &msrp.ByteRange{Start: 1, End: total, Total: total}, Status: &st}
}

// A peer that stops reading makes Send wait once the session's window
// is full: with Failure-Report yes the window holds unanswered chunks,
// with no it holds chunks the kernel would not take. Either way iwf
// buffers no more than the window, and reads the body no further ahead
// than the window plus the kernel's socket buffers.
func TestBackPressure(t *testing.T) {
	for _, fr := range []string{"yes", "no"} {
		t.Run("Failure-Report "+fr, func(t *testing.T) { testBackPressure(t, fr) })
	}
}

func testBackPressure(t *testing.T, failureReport string) {
	ctx := leaks(t)
	const window = 64 << 10
	e := startEndpoint(t, EndpointConfig{SendWindow: window})
	s, peer := connectFake(t, e, listenFake(t), nil)
	if tc, ok := peer.nc.(*net.TCPConn); ok {
		tc.SetReadBuffer(16 << 10)
	}
	body := &countingReader{left: 1 << 30} // 1 GiB, never in memory
	sendCtx, cancel := context.WithCancel(ctx)
	done := sendAsync(sendCtx, s, Message{ContentType: "application/octet-stream", BodyReader: body, Size: 1 << 30,
		FailureReport: failureReport})
	// Wait until the window is full: the Send is blocked.
	waitFor(t, func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.window.used+DefaultChunkSize+512 > window
	})
	read := body.read.Load()
	s.mu.Lock()
	used := s.window.used
	s.mu.Unlock()
	c := s.conn
	c.wmu.Lock()
	queued := c.queued
	c.wmu.Unlock()
	if used > window || queued > window {
		t.Fatalf("window %d bytes, queue %d bytes: bound is %d", used, queued, window)
	}
	if read > 64<<20 {
		t.Fatalf("read %d bytes of the body ahead of a peer that reads nothing", read)
	}
	select {
	case err := <-done:
		t.Fatalf("Send returned %v", err)
	default:
	}
	cancel()
	if err := waitErr(t, done); !errors.Is(err, context.Canceled) {
		t.Fatalf("Send = %v, want context.Canceled", err)
	}
	t.Logf("body read ahead: %d bytes; window %d, queue %d", read, used, queued)
}

// waitFor polls cond until it holds; it fails the test after ioWait.
func waitFor(t testing.TB, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(ioWait)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition never held")
		}
		time.Sleep(time.Millisecond)
	}
}

type countingReader struct {
	left int64
	read atomic.Int64
}

func (r *countingReader) Read(p []byte) (int, error) {
	if r.left == 0 {
		return 0, io.EOF
	}
	n := int(min(int64(len(p)), r.left))
	clear(p[:n])
	r.left -= int64(n)
	r.read.Add(int64(n))
	return n, nil
}

func TestConnectionLossEndsSessions(t *testing.T) {
	ctx := leaks(t)
	p := connectPair(t, EndpointConfig{}, EndpointConfig{})
	sa2, sb2 := p.connect(t)
	if st := p.b.Status(); st.Connections != 1 || st.Bound != 2 {
		t.Fatalf("peer status %+v: sessions to one authority share one connection", st)
	}
	if st := p.a.Status(); st.Connections != 1 || st.Bound != 2 {
		t.Fatalf("iwf status %+v", st)
	}
	p.sa.mu.Lock()
	c := p.sa.conn
	p.sa.mu.Unlock()
	c.nc.Close() // the network drops the connection
	for _, s := range []*Session{p.sa, p.sb, sa2, sb2} {
		<-s.Done()
		if !errors.Is(s.Err(), ErrConnectionLost) {
			t.Fatalf("session ended with %v", s.Err())
		}
	}
	if err := p.sb.Send(ctx, Message{ContentType: "a/b"}); !errors.Is(err, ErrSessionClosed) || !errors.Is(err, ErrConnectionLost) {
		t.Fatalf("Send after loss: %v", err)
	}
}

// Sessions connecting at once to one authority share one connection:
// the second waits for the first one's dial.
func TestConcurrentConnectsShareConnection(t *testing.T) {
	ctx := leaks(t)
	a, b := startEndpoint(t, EndpointConfig{}), startEndpoint(t, EndpointConfig{})
	const n = 8
	errs := make(chan error, n)
	for range n {
		sa, err := a.NewSession(SessionOptions{})
		if err != nil {
			t.Fatal(err)
		}
		sb, err := b.NewSession(SessionOptions{})
		if err != nil {
			t.Fatal(err)
		}
		go func() { errs <- sb.Connect(ctx, []msrp.URI{sa.LocalURI()}) }()
	}
	for range n {
		if err := waitErr(t, errs); err != nil {
			t.Fatal(err)
		}
	}
	if st := b.Status(); st.Connections != 1 || st.Bound != n {
		t.Fatalf("status %+v, want %d sessions on one connection", st, n)
	}
}

// A chunk whose body holds its own end-line is sent under other
// transaction ids.
func TestEncodeChunkAvoidsEndLineInBody(t *testing.T) {
	leaks(t)
	p := connectPair(t, EndpointConfig{}, EndpointConfig{})
	sd := &sender{s: p.sb, c: p.sb.conn, inflight: map[string]int{}}
	sd.newPrefix()
	defer p.sb.conn.forget(sd.prefixes)
	first := sd.tidPrefix
	f := &msrp.Frame{Method: msrp.MethodSEND, ToPath: p.sb.peer, FromPath: []msrp.URI{p.sb.local}, MessageID: "endline1",
		ContentType: "text/plain", Body: []byte("x\r\n-------" + first + ".0$\r\ny")}
	b, err := sd.encodeChunk(f, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer putFrameBuf(b)
	if sd.tidPrefix == first || len(sd.prefixes) != 2 {
		t.Fatalf("prefix kept: %s", sd.tidPrefix)
	}
	back, err := msrp.Unmarshal(*b, msrp.Config{})
	if err != nil || string(back.Body) != string(f.Body) {
		t.Fatalf("decoded %v: %q", err, back)
	}
}
