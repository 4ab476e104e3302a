package mediasession

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/iwf-gateway/iwf/adapters/sip/msrp"
)

// The receiving side is driven frame by frame from a bare socket, with
// the examples of RFC 4975 in testdata/ readdressed to a session of iwf.

// passive starts an Endpoint with one session recording into rec and a
// raw peer connected to it.
func passive(t *testing.T, cfg EndpointConfig, opts SessionOptions) (*Endpoint, *Session, *rawPeer) {
	t.Helper()
	e := startEndpoint(t, cfg)
	s, err := e.NewSession(opts)
	if err != nil {
		t.Fatal(err)
	}
	return e, s, dialRaw(t, e)
}

// readdress points a golden frame at session s, from the raw peer.
func readdress(t *testing.T, name string, s *Session) *msrp.Frame {
	t.Helper()
	f := golden(t, name)
	f.ToPath = []msrp.URI{s.LocalURI()}
	return f
}

// golden decodes testdata/name, one of the RFC 4975 examples.
func golden(t *testing.T, name string) *msrp.Frame {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	f, err := msrp.Unmarshal(b, msrp.Config{})
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return f
}

func TestReceiveRFC4975Send(t *testing.T) {
	leaks(t)
	rec := newRecorder()
	_, s, peer := passive(t, EndpointConfig{}, SessionOptions{Handler: rec.handle})

	// RFC 4975 section 7.1.1 as published: Byte-Range 1-25/25 with a
	// 23-byte body. The last chunk ends short of its total: 400.
	f := readdress(t, "rfc4975_7.1.1_send.msrp", s)
	peer.write(f)
	peer.expectResponse("a786hjs2", msrp.StatusUnintelligible)

	// With the range corrected the message is taken, and the 200 is the
	// one the RFC shows: To-Path the sender, From-Path the session.
	f.ByteRange = &msrp.ByteRange{Start: 1, End: 23, Total: 23}
	peer.write(f)
	resp := peer.expectResponse("a786hjs2", msrp.StatusOK)
	want := golden(t, "rfc4975_7.1.1_200ok.msrp")
	if !pathEqual(resp.ToPath, want.ToPath) || !pathEqual(resp.FromPath, []msrp.URI{s.LocalURI()}) || resp.Comment != "OK" {
		t.Fatalf("200 = %+v", resp)
	}
	if m := rec.next(t); string(m.Body) != "Hey Bob, are you there?" || m.ContentType != "text/plain" || m.MessageID != "87652491" {
		t.Fatalf("handler got %+v", m)
	}
}

func TestReceiveSuccessReport(t *testing.T) {
	leaks(t)
	rec := newRecorder()
	_, s, peer := passive(t, EndpointConfig{}, SessionOptions{Handler: rec.handle})
	// RFC 4975 section 7.1.2: Success-Report yes, Failure-Report no. No
	// response comes; the REPORT does, once the Handler took the message.
	f := readdress(t, "rfc4975_7.1.2_send.msrp", s)
	n := int64(len(f.Body))
	f.ByteRange = &msrp.ByteRange{Start: 1, End: n, Total: n}
	peer.write(f)
	rec.next(t)
	rep := peer.read()
	want := golden(t, "rfc4975_7.1.2_report.msrp")
	switch {
	case rep.Method != msrp.MethodREPORT, rep.MessageID != want.MessageID, *rep.Status != *want.Status,
		!pathEqual(rep.ToPath, want.ToPath), !pathEqual(rep.FromPath, []msrp.URI{s.LocalURI()}),
		*rep.ByteRange != msrp.ByteRange{Start: 1, End: n, Total: n}:
		t.Fatalf("REPORT = %s %+v, want like %+v", rep, rep, want)
	}
}

func TestReceiveChunksAnyOrder(t *testing.T) {
	leaks(t)
	rec := newRecorder()
	_, s, peer := passive(t, EndpointConfig{}, SessionOptions{Handler: rec.handle})
	// RFC 4975 section 5.1's "abcd" + "EFGH", second chunk first, the
	// first sent twice.
	c1 := readdress(t, "rfc4975_5.1_chunk1.msrp", s)
	c2 := readdress(t, "rfc4975_5.1_chunk2.msrp", s)
	peer.write(c2)
	peer.expectResponse(c2.TransactionID, msrp.StatusOK)
	peer.write(c1)
	peer.expectResponse(c1.TransactionID, msrp.StatusOK)
	if m := rec.next(t); string(m.Body) != "abcdEFGH" {
		t.Fatalf("reassembled %q", m.Body)
	}
}

func TestReceiveAbort(t *testing.T) {
	leaks(t)
	rec := newRecorder()
	_, s, peer := passive(t, EndpointConfig{}, SessionOptions{Handler: rec.handle})
	to := s.LocalURI()
	peer.write(rawSend(t, to, "tid00001", "aborted1", msrp.ByteRange{Start: 1, End: 4, Total: 10}, "abcd", msrp.FlagMore))
	peer.expectResponse("tid00001", msrp.StatusOK)
	peer.write(rawSend(t, to, "tid00002", "aborted1", msrp.ByteRange{Start: 5, End: msrp.Unknown, Total: 10}, "ef", msrp.FlagAbort))
	peer.expectResponse("tid00002", msrp.StatusOK)
	peer.write(rawSend(t, to, "tid00003", "whole001", msrp.ByteRange{Start: 1, End: 3, Total: 3}, "xyz", msrp.FlagEnd))
	peer.expectResponse("tid00003", msrp.StatusOK)
	if m := rec.next(t); m.MessageID != "whole001" || rec.count() != 1 {
		t.Fatalf("handler got %s (%d messages)", m.MessageID, rec.count())
	}
	s.mu.Lock()
	left, buffered := len(s.recv.inbound), s.recv.buffered
	s.mu.Unlock()
	if left != 0 || buffered != 0 {
		t.Fatalf("after abort: %d messages, %d bytes held", left, buffered)
	}
}

func TestReceiveRefusals(t *testing.T) {
	leaks(t)
	rec := newRecorder()
	e, s, peer := passive(t, EndpointConfig{}, SessionOptions{Handler: rec.handle})
	to := s.LocalURI()

	t.Run("no such session", func(t *testing.T) {
		ghost := to
		ghost.SessionID = "nosuchsession"
		peer.write(rawSend(t, ghost, "tid10001", "msg10001", msrp.ByteRange{Start: 1, End: 1, Total: 1}, "x", msrp.FlagEnd))
		resp := peer.expectResponse("tid10001", msrp.StatusSessionDoesNotExist)
		if !pathEqual(resp.ToPath, []msrp.URI{rawURI(t, "rawpeer1")}) || !pathEqual(resp.FromPath, []msrp.URI{ghost}) {
			t.Fatalf("481 addressed %v from %v", resp.ToPath, resp.FromPath)
		}
	})
	t.Run("REPORT gets no response", func(t *testing.T) {
		rep := &msrp.Frame{TransactionID: "tid10002", Method: msrp.MethodREPORT, ToPath: []msrp.URI{to}, FromPath: []msrp.URI{rawURI(t, "rawpeer1")},
			MessageID: "unknown1", Status: &msrp.Status{Code: 200}}
		peer.write(rep)
		peer.write(rawSend(t, to, "tid10003", "msg10003", msrp.ByteRange{Start: 1, End: 1, Total: 1}, "x", msrp.FlagEnd))
		peer.expectResponse("tid10003", msrp.StatusOK) // the first thing read: nothing answered the REPORT
		rec.next(t)
	})
	t.Run("unknown method", func(t *testing.T) {
		peer.write(&msrp.Frame{TransactionID: "tid10004", Method: "NICKNAME", ToPath: []msrp.URI{to}, FromPath: []msrp.URI{rawURI(t, "rawpeer1")}})
		peer.expectResponse("tid10004", msrp.StatusMethodNotUnderstood)
	})
	t.Run("SEND without Message-ID", func(t *testing.T) {
		f := rawSend(t, to, "tid10005", "", msrp.ByteRange{Start: 1, End: 1, Total: 1}, "x", msrp.FlagEnd)
		peer.write(f)
		peer.expectResponse("tid10005", msrp.StatusUnintelligible)
	})
	t.Run("session bound to another connection", func(t *testing.T) {
		other := dialRaw(t, e)
		other.write(rawSend(t, to, "tid10006", "msg10006", msrp.ByteRange{Start: 1, End: 1, Total: 1}, "x", msrp.FlagEnd))
		other.expectResponse("tid10006", msrp.StatusSessionInUse)
	})
	t.Run("Failure-Report partial and no", func(t *testing.T) {
		f := rawSend(t, to, "tid10007", "msg10007", msrp.ByteRange{Start: 1, End: 1, Total: 1}, "x", msrp.FlagEnd)
		f.FailureReport = "partial"
		peer.write(f)
		rec.next(t)
		g := rawSend(t, to, "tid10008", "", msrp.ByteRange{Start: 1, End: 1, Total: 1}, "x", msrp.FlagEnd)
		g.FailureReport = "no"
		peer.write(g) // refused 400, but not answered
		h := rawSend(t, to, "tid10009", "", msrp.ByteRange{Start: 1, End: 1, Total: 1}, "x", msrp.FlagEnd)
		h.FailureReport = "partial"
		peer.write(h)
		peer.expectResponse("tid10009", msrp.StatusUnintelligible)
	})
}

func TestReceivePeerPathMustMatch(t *testing.T) {
	leaks(t)
	expected := []msrp.URI{rawURI(t, "expected1")}
	_, s, peer := passive(t, EndpointConfig{}, SessionOptions{PeerPath: expected})
	f := rawSend(t, s.LocalURI(), "tid20001", "msg20001", msrp.ByteRange{Start: 1, End: 1, Total: 1}, "x", msrp.FlagEnd)
	peer.write(f)
	peer.expectResponse("tid20001", msrp.StatusActionNotAllowed)
	f.TransactionID, f.FromPath = "tid20002", expected
	f.ContentType, f.Body = "", nil // an empty SEND binds
	f.ByteRange = &msrp.ByteRange{Start: 1, End: 0, Total: 0}
	peer.write(f)
	peer.expectResponse("tid20002", msrp.StatusOK)
	if !pathEqual(s.PeerPath(), expected) {
		t.Fatalf("PeerPath %v", s.PeerPath())
	}
	if err := s.SetPeerPath(expected); err != ErrAlreadyBound {
		t.Fatalf("SetPeerPath after bind: %v", err)
	}
}

func TestReceiveLimits(t *testing.T) {
	leaks(t)
	rec := newRecorder()
	cfg := EndpointConfig{Limits: msrp.Config{MaxMessageBytes: 10_000}, ReceiveBuffer: 12_000}
	_, s, peer := passive(t, cfg, SessionOptions{Handler: rec.handle})
	to := s.LocalURI()
	chunk := string(pattern(2000))

	// A total above max message size is refused at its first chunk, and
	// so are its later chunks.
	peer.write(rawSend(t, to, "tid30001", "big00001", msrp.ByteRange{Start: 1, End: 2000, Total: 20_000}, chunk, msrp.FlagMore))
	peer.expectResponse("tid30001", msrp.StatusStopSending)
	peer.write(rawSend(t, to, "tid30002", "big00001", msrp.ByteRange{Start: 2001, End: 4000, Total: 20_000}, chunk, msrp.FlagMore))
	peer.expectResponse("tid30002", msrp.StatusStopSending)

	// An unknown total is refused at the chunk that crosses the limit.
	for i := range 6 {
		tid := "tid3010" + string(rune('0'+i))
		peer.write(rawSend(t, to, tid, "big00002", msrp.ByteRange{Start: int64(i*2000 + 1), End: msrp.Unknown, Total: msrp.Unknown}, chunk, msrp.FlagMore))
		want := msrp.StatusOK
		if i == 5 {
			want = msrp.StatusStopSending
		}
		peer.expectResponse(tid, want)
	}

	// Two messages under way may not hold more than the receive buffer.
	peer.write(rawSend(t, to, "tid30201", "half0001", msrp.ByteRange{Start: 1, End: 2000, Total: 8000}, chunk, msrp.FlagMore))
	peer.expectResponse("tid30201", msrp.StatusOK)
	peer.write(rawSend(t, to, "tid30202", "half0002", msrp.ByteRange{Start: 1, End: 2000, Total: 8000}, chunk, msrp.FlagMore))
	peer.expectResponse("tid30202", msrp.StatusStopSending)
	// The first goes on and completes.
	for i := 1; i < 4; i++ {
		tid := "tid3030" + string(rune('0'+i))
		flag := msrp.FlagMore
		if i == 3 {
			flag = msrp.FlagEnd
		}
		peer.write(rawSend(t, to, tid, "half0001", msrp.ByteRange{Start: int64(i*2000 + 1), End: int64(i*2000 + 2000), Total: 8000}, chunk, flag))
		peer.expectResponse(tid, msrp.StatusOK)
	}
	if m := rec.next(t); m.MessageID != "half0001" || len(m.Body) != 8000 {
		t.Fatalf("got %s, %d bytes", m.MessageID, len(m.Body))
	}
}

// Sending side: a message larger than the peer takes stops at the 413.
func TestSendStopsAt413(t *testing.T) {
	ctx := leaks(t)
	p := connectPair(t, EndpointConfig{Limits: msrp.Config{MaxMessageBytes: 50_000}}, EndpointConfig{})
	err := p.sb.Send(ctx, Message{ContentType: "a/b", Body: pattern(200_000)})
	if se := sendErr(t, err, msrp.StatusStopSending); se.Temporary() || !errors.Is(err, msrp.StatusStopSending) {
		t.Fatalf("413 is not temporary and unwraps to its code: %+v", se)
	}
	if err := p.sb.Send(ctx, Message{ContentType: "a/b", Body: pattern(40_000)}); err != nil {
		t.Fatalf("the session goes on: %v", err)
	}
	if m := p.ra.next(t); len(m.Body) != 40_000 {
		t.Fatalf("got %d bytes", len(m.Body))
	}
}

// A body that cannot be read is aborted with '#': the receiver drops
// what it had, and later messages are unaffected.
func TestSendAbortsOnBodyError(t *testing.T) {
	ctx := leaks(t)
	p := connectPair(t, EndpointConfig{}, EndpointConfig{})
	r := &failingReader{left: 10_000}
	err := p.sb.Send(ctx, Message{ContentType: "a/b", BodyReader: r, Size: 50_000})
	if err == nil || !errors.Is(err, ErrBodyRead) {
		t.Fatalf("Send = %v, want ErrBodyRead", err)
	}
	if err := p.sb.Send(ctx, Message{ContentType: "a/b", Body: []byte("after")}); err != nil {
		t.Fatal(err)
	}
	if m := p.ra.next(t); string(m.Body) != "after" {
		t.Fatalf("got %q", m.Body)
	}
	p.sa.mu.Lock()
	left := len(p.sa.recv.inbound)
	p.sa.mu.Unlock()
	if left != 0 {
		t.Fatalf("%d partial messages kept after the abort", left)
	}
}

type failingReader struct{ left int }

func (r *failingReader) Read(p []byte) (int, error) {
	if r.left == 0 {
		return 0, context.DeadlineExceeded
	}
	n := min(len(p), r.left)
	r.left -= n
	return n, nil
}

func TestDropStalePartialMessages(t *testing.T) {
	var r receiveState
	limits := msrp.Config{}.WithDefaults()
	for i, id := range []string{"stale001", "fresh001"} {
		f := &msrp.Frame{Method: msrp.MethodSEND, MessageID: id, ContentType: "a/b", Body: []byte("abc"),
			ByteRange: &msrp.ByteRange{Start: 1, End: 3, Total: 6}, Flag: msrp.FlagMore}
		if code, _ := r.add(f, limits, 1<<20, int64(i*100)); code != msrp.StatusOK {
			t.Fatalf("%s answered %d", id, code)
		}
	}
	r.dropStale(50)
	if _, ok := r.inbound["stale001"]; ok || len(r.inbound) != 1 || r.buffered != messageOverhead {
		t.Fatalf("after dropStale: %d messages, %d bytes", len(r.inbound), r.buffered)
	}
}
