package sip

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

func TestInboundGoldenCPIMOverUDP(t *testing.T) {
	raw, err := os.ReadFile("testdata/message_cpim.sip")
	if err != nil {
		t.Fatal(err)
	}
	body, err := os.ReadFile("testdata/message_cpim.body")
	if err != nil {
		t.Fatal(err)
	}
	rc := &recorder{}
	e := startEndpoint(t, Config{}, rc.handle)
	p := newUDPPeer(t, addrOf(t, e, "udp"))
	p.send(raw)
	res := p.read()
	if res.code != 202 {
		t.Fatalf("status %d, want 202:\n%s", res.code, res.raw)
	}
	if !strings.Contains(res.headers["to"], ";tag=") {
		t.Errorf("202 To has no tag: %q", res.headers["to"])
	}
	got := rc.requests()
	if len(got) != 1 {
		t.Fatalf("handler called %d times", len(got))
	}
	r := got[0]
	want := Request{
		CallID:            "3848276298220188511@ims.example.net",
		CSeq:              1,
		RequestURI:        "sip:+4917698765432@iwf.example.net;user=phone",
		From:              "sip:+4915112345678@ims.example.net;user=phone",
		To:                "sip:+4917698765432@iwf.example.net;user=phone",
		PAssertedIdentity: "sip:+4915112345678@ims.example.net;user=phone",
		ContentType:       "message/cpim",
		ConversationID:    "f81d4fae-7dec-11d0-a765-00a0c91e6bf6",
		ContributionID:    "abcdef-1234-5678-90ab-cdef01234567",
	}
	checkRequest(t, r, want)
	if !bytes.Equal(r.Body, body) {
		t.Errorf("body differs:\n got %q\nwant %q", r.Body, body)
	}
	if r.Source.String() != p.sentBy() {
		t.Errorf("Source %v, want %v", r.Source, p.sentBy())
	}
}

func checkRequest(t *testing.T, got *Request, want Request) {
	t.Helper()
	pairs := [][3]string{
		{"CallID", got.CallID, want.CallID},
		{"RequestURI", got.RequestURI, want.RequestURI},
		{"From", got.From, want.From},
		{"To", got.To, want.To},
		{"PAssertedIdentity", got.PAssertedIdentity, want.PAssertedIdentity},
		{"ContentType", got.ContentType, want.ContentType},
		{"ConversationID", got.ConversationID, want.ConversationID},
		{"ContributionID", got.ContributionID, want.ContributionID},
	}
	for _, p := range pairs {
		if p[1] != p[2] {
			t.Errorf("%s = %q, want %q", p[0], p[1], p[2])
		}
	}
	if got.CSeq != want.CSeq {
		t.Errorf("CSeq = %d, want %d", got.CSeq, want.CSeq)
	}
}

// TestInboundPlainFromSipgoClient sends text/plain from an independent
// sipgo UAC over UDP and TCP.
func TestInboundPlainFromSipgoClient(t *testing.T) {
	rc := &recorder{}
	e := startEndpoint(t, Config{}, rc.handle)
	ua, err := sipgo.NewUA(sipgo.WithUserAgent("peer"))
	if err != nil {
		t.Fatal(err)
	}
	defer ua.Close()
	client, err := sipgo.NewClient(ua, sipgo.WithClientConnectionAddr("127.0.0.1:0"))
	if err != nil {
		t.Fatal(err)
	}
	for i, network := range []string{"udp", "tcp"} {
		target := "sip:+4917698765432@" + addrOf(t, e, network) + ";transport=" + network
		var u sip.Uri
		if err := sip.ParseUri(target, &u); err != nil {
			t.Fatal(err)
		}
		req := sip.NewRequest(sip.MESSAGE, u)
		req.AppendHeader(sip.NewHeader("Content-Type", "text/plain;charset=UTF-8"))
		req.SetBody([]byte("h\u00e9llo " + network))
		ctx, cancel := context.WithTimeout(context.Background(), ioBound)
		res, err := client.Do(ctx, req)
		cancel()
		if err != nil {
			t.Fatalf("%s: %v", network, err)
		}
		if res.StatusCode != 202 {
			t.Fatalf("%s: status %d", network, res.StatusCode)
		}
		got := rc.requests()
		if len(got) != i+1 {
			t.Fatalf("%s: handler called %d times", network, len(got))
		}
		r := got[i]
		if string(r.Body) != "h\u00e9llo "+network || r.ContentType != "text/plain;charset=UTF-8" || r.RequestURI != target {
			t.Errorf("%s: got %+v", network, r)
		}
	}
	st := e.Status()
	if len(st) != 2 || st[0].Requests != 1 || st[1].Requests != 1 || st[0].Errors+st[1].Errors != 0 {
		t.Errorf("Status() = %+v", st)
	}
}

func TestHandlerResultMapping(t *testing.T) {
	cases := []struct {
		name      string
		result    error
		panic     bool
		code      int
		retry     string
		reasonHas string
	}{
		{name: "nil", code: 202},
		{name: "404", result: &StatusError{Code: 404}, code: 404, reasonHas: "Not Found"},
		{name: "486 retry", result: &StatusError{Code: 486, Retry: 30 * time.Second}, code: 486, retry: "30"},
		{name: "wrapped 480", result: fmt.Errorf("route: %w", &StatusError{Code: 480, Reason: "No Route"}), code: 480, reasonHas: "No Route"},
		{name: "plain error", result: errors.New("journal full"), code: 500},
		{name: "panic", panic: true, code: 500},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := func(context.Context, *Request) error {
				if tc.panic {
					panic("boom")
				}
				return tc.result
			}
			e := startEndpoint(t, Config{}, h)
			p := newUDPPeer(t, addrOf(t, e, "udp"))
			res := p.roundTrip(wireRequest{branch: "map", callID: "map-1", headers: []string{"Content-Type: text/plain"}, body: []byte("x")})
			if res.code != tc.code {
				t.Fatalf("status %d, want %d\n%s", res.code, tc.code, res.raw)
			}
			if res.headers["retry-after"] != tc.retry {
				t.Errorf("Retry-After %q, want %q", res.headers["retry-after"], tc.retry)
			}
			if tc.reasonHas != "" && !strings.Contains(strings.SplitN(res.raw, "\r\n", 2)[0], tc.reasonHas) {
				t.Errorf("status line %q lacks %q", strings.SplitN(res.raw, "\r\n", 2)[0], tc.reasonHas)
			}
			wantErrors := uint64(0)
			if tc.code >= 300 {
				wantErrors = 1
			}
			if st := e.Status(); st[0].Requests != 1 || st[0].Errors != wantErrors {
				t.Errorf("Status() = %+v", st)
			}
		})
	}
}

func TestInboundRejections(t *testing.T) {
	cases := []struct {
		name string
		cfg  Config
		req  wireRequest
		code int
	}{
		{name: "untrusted", cfg: Config{TrustedPeers: []string{"10.0.0.0/8"}},
			req: wireRequest{headers: []string{"Content-Type: text/plain"}, body: []byte("x")}, code: 403},
		{name: "untrusted options", cfg: Config{TrustedPeers: []string{"10.0.0.0/8", "192.0.2.1"}},
			req: wireRequest{method: "OPTIONS"}, code: 403},
		{name: "too large", cfg: Config{MaxBodyBytes: 100},
			req: wireRequest{headers: []string{"Content-Type: text/plain"}, body: bytes.Repeat([]byte("a"), 101)}, code: 413},
		{name: "body without content type", req: wireRequest{body: []byte("x")}, code: 400},
		{name: "bad P-Asserted-Identity", req: wireRequest{headers: []string{"P-Asserted-Identity: <no uri>"}}, code: 400},
		{name: "missing To", req: wireRequest{omit: "To"}, code: 400},
		{name: "INVITE", req: wireRequest{method: "INVITE"}, code: 405},
		{name: "SUBSCRIBE", req: wireRequest{method: "SUBSCRIBE"}, code: 405},
		{name: "OPTIONS", req: wireRequest{method: "OPTIONS"}, code: 200},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rc := &recorder{}
			e := startEndpoint(t, tc.cfg, rc.handle)
			p := newUDPPeer(t, addrOf(t, e, "udp"))
			tc.req.branch, tc.req.callID = "rej", "rej-"+tc.name
			res := p.roundTrip(tc.req)
			if res.code != tc.code {
				t.Fatalf("status %d, want %d\n%s", res.code, tc.code, res.raw)
			}
			if n := len(rc.requests()); n != 0 {
				t.Errorf("handler called %d times", n)
			}
			if (tc.code == 405 || tc.req.method == "OPTIONS" && tc.code == 200) && res.headers["allow"] != "MESSAGE, OPTIONS" {
				t.Errorf("Allow = %q", res.headers["allow"])
			}
		})
	}
}

// TestRetransmissionAbsorbed retransmits the same MESSAGE bytes while the
// Handler runs and after it answered: the Handler runs once, and the
// retransmission after the answer gets the same 202 again.
func TestRetransmissionAbsorbed(t *testing.T) {
	rc, entered, unblock := blockingRecorder()
	e := startEndpoint(t, Config{}, rc.handle)
	t.Cleanup(unblock) // runs before the endpoint's Close if the test fails
	p := newUDPPeer(t, addrOf(t, e, "udp"))
	raw := wireRequest{sentBy: p.sentBy(), branch: "retx1", callID: "retx-1",
		headers: []string{"Content-Type: text/plain"}, body: []byte("once")}.bytes()
	p.send(raw)
	<-entered
	p.send(raw)
	p.send(raw)
	// An OPTIONS round trip on the same socket orders the endpoint's
	// processing after both retransmissions were read.
	if res := p.roundTrip(wireRequest{method: "OPTIONS", branch: "retx-opt", callID: "retx-opt"}); res.code != 200 {
		t.Fatalf("OPTIONS got %d", res.code)
	}
	unblock()
	first := p.read()
	p.send(raw)
	again := p.read()
	if first.code != 202 || again.code != 202 {
		t.Fatalf("codes %d, %d; want 202, 202", first.code, again.code)
	}
	if first.headers["to"] != again.headers["to"] {
		t.Errorf("retransmitted response differs: To %q vs %q", first.headers["to"], again.headers["to"])
	}
	if n := len(rc.requests()); n != 1 {
		t.Fatalf("handler called %d times, want 1", n)
	}
	if st := e.Status(); st[0].Requests != 2 { // the MESSAGE and the OPTIONS
		t.Errorf("Status() = %+v", st)
	}
}

func TestLargeBodyOverTCP(t *testing.T) {
	rc := &recorder{}
	e := startEndpoint(t, Config{}, rc.handle)
	body := bytes.Repeat([]byte("0123456789abcdef"), 40<<10/16) // 40 KiB
	res := tcpRoundTrip(t, addrOf(t, e, "tcp"), wireRequest{branch: "big", callID: "big-1",
		headers: []string{"Content-Type: application/octet-stream"}, body: body})
	if res.code != 202 {
		t.Fatalf("status %d\n%s", res.code, res.raw)
	}
	got := rc.requests()
	if len(got) != 1 || !bytes.Equal(got[0].Body, body) {
		t.Fatalf("handler saw %d requests / wrong body", len(got))
	}
	tooBig := append(body, body[:30<<10]...) // 70 KiB > 64 KiB default, under the 80 KiB framing limit
	res = tcpRoundTrip(t, addrOf(t, e, "tcp"), wireRequest{branch: "big2", callID: "big-2",
		headers: []string{"Content-Type: application/octet-stream"}, body: tooBig})
	if res.code != 413 {
		t.Fatalf("status %d, want 413", res.code)
	}
}

// blockingRecorder returns a recorder whose Handler signals entered and
// then blocks until unblock; register unblock with t.Cleanup after the
// endpoint starts, so it runs before the endpoint's Close.
func blockingRecorder() (rc *recorder, entered chan struct{}, unblock func()) {
	entered, release := make(chan struct{}, 4), make(chan struct{})
	rc = &recorder{result: func(*Request) error {
		entered <- struct{}{}
		<-release
		return nil
	}}
	unblock = sync.OnceFunc(func() { close(release) })
	return rc, entered, unblock
}

// TestAllowFollowsSessions sends raw OPTIONS and SUBSCRIBE over UDP: the
// Allow header of the 200 and the 405 lists the session methods exactly
// when sessions are on, with or without a SessionHandler (without one
// INVITE is still served, and answered 480).
func TestAllowFollowsSessions(t *testing.T) {
	const sessions = "INVITE, ACK, BYE, CANCEL, UPDATE, MESSAGE, OPTIONS"
	for _, c := range []struct {
		name    string
		enable  bool
		handler SessionHandler
		allow   string
		accept  string
	}{
		{"pager mode only", false, nil, "MESSAGE, OPTIONS", "message/cpim, text/plain, message/imdn+xml"},
		{"sessions with handler", true, newAcceptor().handle, sessions, "application/sdp, message/cpim, text/plain, message/imdn+xml"},
		{"sessions without handler", true, nil, sessions, "application/sdp, message/cpim, text/plain, message/imdn+xml"},
	} {
		t.Run(c.name, func(t *testing.T) {
			leaks(t)
			var e *Endpoint
			if c.enable {
				e = startSessions(t, sessionConfig(), c.handler)
			} else {
				e = startEndpoint(t, Config{Listen: []string{"udp:127.0.0.1:0"}}, (&recorder{}).handle)
			}
			p := newUDPPeer(t, addrOf(t, e, "udp"))
			res := p.roundTrip(wireRequest{method: "OPTIONS", branch: "allow1", callID: "allow-options"})
			if res.code != 200 || res.headers["allow"] != c.allow || res.headers["accept"] != c.accept {
				t.Fatalf("OPTIONS: %d, Allow %q, Accept %q\n%s", res.code, res.headers["allow"], res.headers["accept"], res.raw)
			}
			if got, want := res.headers["supported"], map[bool]string{true: "timer"}[c.enable]; got != want {
				t.Fatalf("OPTIONS: Supported %q, want %q", got, want)
			}
			res = p.roundTrip(wireRequest{method: "SUBSCRIBE", branch: "allow2", callID: "allow-subscribe"})
			if res.code != 405 || res.headers["allow"] != c.allow {
				t.Fatalf("SUBSCRIBE: %d, Allow %q\n%s", res.code, res.headers["allow"], res.raw)
			}
		})
	}
}
