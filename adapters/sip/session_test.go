package sip

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/iwf-gateway/iwf/adapters/sip/mediasession"
	"github.com/iwf-gateway/iwf/adapters/sip/msrp"
	"github.com/iwf-gateway/iwf/adapters/sip/sdp"
)

// TestChatBothWays opens a chat from one Endpoint to another and sends
// messages each way on it.
func TestChatBothWays(t *testing.T) {
	leaks(t)
	peer := newAcceptor()
	b := startSessions(t, sessionConfig(), peer.handle)
	cfg := sessionConfig()
	cfg.OutboundProxy = proxyOf(t, b)
	a := startSessions(t, cfg, nil)
	replies := make(chan *SessionMessage, 4)
	o := largeMessage()
	o.Kind = KindChat
	o.Handler = func(ctx context.Context, m *SessionMessage) error { replies <- m; return nil }
	ctx := sendCtx(t)
	out, err := a.OpenSession(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	in := peer.nextSession(t)
	if in.Kind != KindChat {
		t.Fatalf("kind %v", in.Kind)
	}
	if err := out.Send(ctx, &SessionMessage{ContentType: "text/plain", Body: []byte("ping")}); err != nil {
		t.Fatal(err)
	}
	if m := peer.nextMessage(t); string(m.Body) != "ping" {
		t.Fatalf("peer got %q", m.Body)
	}
	if err := in.Send(ctx, &SessionMessage{ContentType: "text/plain", Body: []byte("pong")}); err != nil {
		t.Fatal(err)
	}
	if m := nextMessage(t, replies); string(m.Body) != "pong" {
		t.Fatalf("iwf got %q", m.Body)
	}
	if err := in.End(ctx); err != nil {
		t.Fatal(err)
	}
	if err := waitDone(t, out.Done(), out.Err); !errors.Is(err, ErrEndedByPeer) {
		t.Fatalf("ended with %v", err)
	}
}

// TestIdleSessionEnded: a session that carries no MSRP frame for
// msrp_idle_timeout is ended by BYE.
func TestIdleSessionEnded(t *testing.T) {
	leaks(t)
	peer := newAcceptor()
	cfg := sessionConfig()
	cfg.MSRPIdleTimeout = 100 * time.Millisecond
	b := startSessions(t, cfg, peer.handle)
	cfg = sessionConfig()
	cfg.OutboundProxy = proxyOf(t, b)
	a := startSessions(t, cfg, nil)
	o := largeMessage()
	o.Kind = KindChat
	out, err := a.OpenSession(sendCtx(t), o)
	if err != nil {
		t.Fatal(err)
	}
	in := peer.nextSession(t)
	if err := waitDone(t, in.Done(), in.Err); !errors.Is(err, ErrMediaEnded) || !errors.Is(err, mediasession.ErrIdle) {
		t.Fatalf("idle session ended with %v", err)
	}
	if err := waitDone(t, out.Done(), out.Err); !errors.Is(err, ErrEndedByPeer) {
		t.Fatalf("other side ended with %v", err)
	}
}

// TestSendOverPeerMaxSize refuses a message the peer announced it would
// not take.
func TestSendOverPeerMaxSize(t *testing.T) {
	leaks(t)
	peer := newAcceptor()
	cfg := sessionConfig()
	cfg.MSRPMaxMessageBytes = 1000
	b := startSessions(t, cfg, peer.handle)
	cfg = sessionConfig()
	cfg.OutboundProxy = proxyOf(t, b)
	a := startSessions(t, cfg, nil)
	ctx := sendCtx(t)
	out, err := a.OpenSession(ctx, largeMessage())
	if err != nil {
		t.Fatal(err)
	}
	if err := out.Send(ctx, &SessionMessage{ContentType: "message/cpim", Body: make([]byte, 1001)}); !errors.Is(err, ErrMessageTooLarge) {
		t.Fatalf("Send = %v", err)
	}
	out.Close(ctx)
}

// TestShutdownEndsSessions: Shutdown sends BYE for every open session
// and leaves nothing running.
func TestShutdownEndsSessions(t *testing.T) {
	leaks(t)
	peer := newAcceptor()
	b := startSessions(t, sessionConfig(), peer.handle)
	cfg := sessionConfig()
	cfg.OutboundProxy = proxyOf(t, b)
	a := startSessions(t, cfg, nil)
	o := largeMessage()
	o.Kind = KindChat
	var outs []*OutSession
	for range 3 {
		out, err := a.OpenSession(sendCtx(t), o)
		if err != nil {
			t.Fatal(err)
		}
		outs = append(outs, out)
	}
	var ins []*IncomingSession
	for range 3 {
		ins = append(ins, peer.nextSession(t))
	}
	if err := a.Shutdown(sendCtx(t)); err != nil {
		t.Fatal(err)
	}
	for _, in := range ins {
		if err := waitDone(t, in.Done(), in.Err); !errors.Is(err, ErrEndedByPeer) {
			t.Fatalf("peer's session ended with %v", err)
		}
	}
	for _, out := range outs {
		if out.Err() == nil {
			t.Fatal("session open after Shutdown")
		}
	}
	if _, err := a.OpenSession(sendCtx(t), o); !errors.Is(err, ErrClosed) {
		t.Fatalf("OpenSession after Shutdown: %v", err)
	}
}

func TestSessionConfigValidate(t *testing.T) {
	good := []Config{
		{MSRPListen: "0.0.0.0:2855", MSRPHost: "msrp.example.net", MSRPMaxSessions: 10, MSRPMaxMessageBytes: 1 << 20,
			MSRPChunkSize: 4096, MSRPIdleTimeout: time.Minute, SessionExpires: 90 * time.Second,
			MSRPAcceptTypes: []string{"message/cpim", "image/*", "*"}, LargeMessageGrace: time.Second},
		{SessionExpires: 2 * time.Second}, // Min-SE follows it down
	}
	for i, c := range good {
		if err := c.Validate(); err != nil {
			t.Errorf("good %d: %v", i, err)
		}
	}
	bad := []Config{
		{MSRPListen: "127.0.0.1"},
		{MSRPListen: "0.0.0.0:2855"}, // no msrp_host
		{MSRPHost: "bad host"},
		{MSRPMaxSessions: -1},
		{MSRPMaxMessageBytes: 2 << 30},
		{MSRPChunkSize: 2 << 20},
		{MSRPIdleTimeout: -time.Second},
		{SessionExpires: 60 * time.Second, MinSessionExpires: 90 * time.Second},
		{SessionExpires: 1500 * time.Millisecond},
		{SessionExpires: 48 * time.Hour},
		{MSRPAcceptTypes: []string{"text"}},
		{MSRPAcceptWrappedTypes: []string{"text/plain; charset=utf-8"}},
		{LargeMessageGrace: -time.Second},
	}
	for i, c := range bad {
		if err := c.Validate(); err == nil || !strings.HasPrefix(err.Error(), "sip: config: ") {
			t.Errorf("bad %d (%+v): %v", i, c, err)
		}
	}
}

func TestKindOf(t *testing.T) {
	for _, c := range []struct {
		headers []string
		file    bool
		want    SessionKind
	}{
		{[]string{`Accept-Contact: *;+g.3gpp.icsi-ref="urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.largemsg"`}, false, KindLargeMessage},
		{[]string{`Accept-Contact: *;+g.3gpp.icsi-ref="urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.session"`}, false, KindChat},
		{[]string{`Accept-Contact: *;+g.3gpp.iari-ref="urn%3Aurn-7%3A3gpp-application.ims.iari.rcse.ft"`}, false, KindFileTransfer},
		{[]string{`Contact: <sip:a@b>;+g.3gpp.icsi-ref="urn%3AURN-7%3A3gpp-service.ims.icsi.oma.cpm.LargeMsg"`}, false, KindLargeMessage},
		{[]string{`Accept-Contact: *;+g.3gpp.icsi-ref="urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.largemsg"`}, true, KindFileTransfer},
		{nil, false, KindChat},
	} {
		req := sip.NewRequest(sip.INVITE, sip.Uri{Scheme: "sip", Host: "x"})
		for _, h := range c.headers {
			name, value, _ := strings.Cut(h, ": ")
			if name == "Contact" {
				var ch sip.ContactHeader
				addr, params, _ := strings.Cut(value, ";")
				sip.ParseUri(strings.Trim(addr, "<>"), &ch.Address)
				ch.Params = sip.NewParams()
				k, v, _ := strings.Cut(params, "=")
				ch.Params.Add(k, v)
				req.AppendHeader(&ch)
				continue
			}
			req.AppendHeader(sip.NewHeader(name, value))
		}
		if got := kindOf(req, c.file); got != c.want {
			t.Errorf("%v file=%v: %v, want %v", c.headers, c.file, got, c.want)
		}
	}
	for k, s := range map[SessionKind]string{KindChat: "chat", KindLargeMessage: "large-message", KindFileTransfer: "file-transfer", 0: "unknown"} {
		if k.String() != s {
			t.Errorf("%d.String() = %q", k, k.String())
		}
	}
}

// TestFileTransfer pushes a file from one Endpoint to another: the
// offer carries a=file-selector, the receiver sees a file transfer with
// the selector, and the file arrives over MSRP.
func TestFileTransfer(t *testing.T) {
	leaks(t)
	peer := newAcceptor()
	b := startSessions(t, sessionConfig(), peer.handle)
	cfg := sessionConfig()
	cfg.OutboundProxy = proxyOf(t, b)
	a := startSessions(t, cfg, nil)
	file := pattern(40000)
	o := largeMessage()
	o.Kind = KindFileTransfer
	o.FileSelector = &sdp.FileSelector{Name: "holiday photo.jpg", Type: "image/jpeg", Size: int64(len(file))}
	o.FileTransferID = "ft0001"
	ctx := sendCtx(t)
	out, err := a.OpenSession(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	in := peer.nextSession(t)
	if in.Kind != KindFileTransfer || in.FileSelector == nil || *in.FileSelector != *o.FileSelector || in.FileTransferID != "ft0001" {
		t.Fatalf("incoming %+v, selector %+v", in, in.FileSelector)
	}
	if err := out.Send(ctx, &SessionMessage{ContentType: "image/jpeg", Body: file}); err != nil {
		t.Fatal(err)
	}
	if m := peer.nextMessage(t); !bytes.Equal(m.Body, file) || m.ContentType != "image/jpeg" {
		t.Fatalf("received %q, %d bytes", m.ContentType, len(m.Body))
	}
	out.Close(ctx)

	big := *o
	big.FileSelector = &sdp.FileSelector{Name: "huge.bin", Size: DefaultMSRPMaxMessageBytes + 1}
	_, err = a.OpenSession(ctx, &big)
	if se := (*StatusError)(nil); !errors.As(err, &se) || se.Code != 488 {
		t.Fatalf("file over max-size: %v", err)
	}
}

// TestIncomingMessageTooLarge: a message growing past
// msrp_max_message_bytes is refused with MSRP 413, and never reaches the
// handler.
func TestIncomingMessageTooLarge(t *testing.T) {
	leaks(t)
	acc := newAcceptor()
	cfg := sessionConfig()
	cfg.MSRPMaxMessageBytes = 5000
	e := startSessions(t, cfg, acc.handle)
	client := startMSRPClient(t)
	local, err := client.NewSession(mediasession.SessionOptions{})
	if err != nil {
		t.Fatal(err)
	}
	u := newRawUA(t, e, "too-large-1")
	res := u.invite(nil, "application/sdp", offer(local.LocalURI().String(), "active", "sendrecv"))
	if res.code != 200 || !strings.Contains(string(res.body), "a=max-size:5000") {
		t.Fatalf("answered %d:\n%s", res.code, res.body)
	}
	acc.nextSession(t)
	ctx := sendCtx(t)
	if err := local.Connect(ctx, answerPath(t, res.body)); err != nil {
		t.Fatal(err)
	}
	err = local.Send(ctx, mediasession.Message{ContentType: "message/cpim", Body: pattern(8000)})
	var se *mediasession.SendError
	if !errors.As(err, &se) || se.Code != msrp.StatusStopSending {
		t.Fatalf("Send = %v, want 413", err)
	}
	select {
	case m := <-acc.messages:
		t.Fatalf("handler got %d bytes", len(m.Body))
	default:
	}
	if res := u.inDialog("BYE", nil, "", ""); res.code != 200 {
		t.Fatalf("BYE answered %d", res.code)
	}
}

// TestInviteCancelled: a CANCEL while the SessionHandler decides ends
// its context; the INVITE is answered 487 and no session stays.
func TestInviteCancelled(t *testing.T) {
	leaks(t)
	entered := make(chan struct{})
	slow := func(ctx context.Context, in *IncomingSession) (MessageHandler, error) {
		close(entered)
		<-ctx.Done()
		return nil, ctx.Err()
	}
	e := startSessions(t, sessionConfig(), slow)
	u := newRawUA(t, e, "cancel-1")
	u.cseq = 1
	inv := u.request("INVITE", 1, nil, "application/sdp", offer(peerPath, "active", "sendrecv"))
	u.send(inv)
	<-entered
	cancel := strings.Replace(strings.Replace(string(u.request("INVITE", 1, nil, "", "")), "INVITE sip:", "CANCEL sip:", 1),
		"CSeq: 1 INVITE", "CSeq: 1 CANCEL", 1)
	cancel = strings.Replace(cancel, "Contact: <sip:peer@"+u.contact()+";transport=tcp>\r\n", "", 1)
	u.send([]byte(cancel))
	if res := u.final("CANCEL"); res.code != 200 {
		t.Fatalf("CANCEL answered %d", res.code)
	}
	res := u.final("INVITE")
	if res.code != 487 {
		t.Fatalf("INVITE answered %d", res.code)
	}
	u.ackFailure(res)
	if n := e.Sessions(); n != 0 {
		t.Fatalf("%d sessions after CANCEL", n)
	}
}

// TestOpenSessionCancelled: OpenSession's context ends while the peer
// rings; iwf sends CANCEL and returns a temporary error.
func TestOpenSessionCancelled(t *testing.T) {
	leaks(t)
	f := startFakeUAS(t, "", 180)
	cfg := sessionConfig()
	cfg.OutboundProxy = f.proxy()
	a := startSessions(t, cfg, nil)
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		f.next(sip.INVITE)
		cancel()
	}()
	_, err := a.OpenSession(ctx, largeMessage())
	var te *TransactionError
	if !errors.As(err, &te) || !te.Temporary() || !errors.Is(err, context.Canceled) {
		t.Fatalf("OpenSession = %v", err)
	}
	if c := f.next(sip.CANCEL); c.CSeq().SeqNo != 1 {
		t.Fatalf("CANCEL %s", c)
	}
}
