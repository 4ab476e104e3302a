package sip

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/iwf-gateway/iwf/adapters/sip/mediasession"
	"github.com/iwf-gateway/iwf/adapters/sip/msrp"
	"github.com/iwf-gateway/iwf/adapters/sip/sdp"
)

const largeMsgTag = `Accept-Contact: *;+g.3gpp.icsi-ref="urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.largemsg"`

// TestInviteRefusals sends INVITEs iwf must refuse, each with the status
// and the header the RFCs ask for.
func TestInviteRefusals(t *testing.T) {
	leaks(t)
	cfg := sessionConfig()
	cfg.SessionExpires, cfg.MinSessionExpires = 600*time.Second, 120*time.Second
	refusing := func(ctx context.Context, in *IncomingSession) (MessageHandler, error) {
		switch in.ConversationID {
		case "not-here":
			return nil, &StatusError{Code: 404}
		case "broken":
			return nil, errors.New("journal down")
		case "busy":
			return nil, &StatusError{Code: 486, Retry: 30 * time.Second}
		}
		return nil, nil // nil MessageHandler: a handler bug, answered 500
	}
	e := startSessions(t, cfg, refusing)
	audio := "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n"
	good := offer(peerPath, "active", "sendonly")
	for _, c := range []struct {
		name     string
		headers  []string
		ct, body string
		code     int
		header   string // name: value the answer must carry
	}{
		{"bad SDP", nil, "application/sdp", "v=0\r\nthis is not SDP\r\n", 488, ""},
		{"no MSRP media", nil, "application/sdp", audio, 488, ""},
		{"no offer", nil, "", "", 488, ""},
		{"MSRP over TLS only", nil, "application/sdp", strings.Replace(good, "TCP/MSRP", "TCP/TLS/MSRP", 1), 488, ""},
		{"not SDP", nil, "text/plain", "hello", 415, "Accept: application/sdp"},
		{"interval too small", []string{"Session-Expires: 60"}, "application/sdp", good, 422, "Min-SE: 120"},
		{"unknown extension", []string{"Require: 100rel, timer"}, "application/sdp", good, 420, "Unsupported: 100rel"},
		{"handler refuses", []string{"Conversation-ID: not-here"}, "application/sdp", good, 404, ""},
		{"handler fails", []string{"Conversation-ID: broken"}, "application/sdp", good, 500, ""},
		{"handler busy", []string{"Conversation-ID: busy"}, "application/sdp", good, 486, "Retry-After: 30"},
		{"nil message handler", nil, "application/sdp", good, 500, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			u := newRawUA(t, e, "refuse-"+strings.ReplaceAll(c.name, " ", "-"))
			res := u.invite(c.headers, c.ct, c.body)
			if res.code != c.code {
				t.Fatalf("answered %d, want %d:\n%s", res.code, c.code, res.raw)
			}
			if c.header != "" {
				name, value, _ := strings.Cut(c.header, ": ")
				if got := res.header(name); got != value {
					t.Fatalf("%s: %q, want %q", name, got, value)
				}
			}
		})
	}
	if n := e.Sessions(); n != 0 {
		t.Fatalf("%d sessions left after refusals", n)
	}
}

func TestInviteUntrustedAndDisabled(t *testing.T) {
	leaks(t)
	cfg := sessionConfig()
	cfg.TrustedPeers = []string{"10.0.0.0/8"}
	untrusting := startSessions(t, cfg, newAcceptor().handle)
	if res := newRawUA(t, untrusting, "untrusted").invite(nil, "application/sdp", offer(peerPath, "active", "sendonly")); res.code != 403 {
		t.Fatalf("untrusted INVITE answered %d", res.code)
	}
	declining := startSessions(t, sessionConfig(), nil)
	if res := newRawUA(t, declining, "declined").invite(nil, "application/sdp", offer(peerPath, "active", "sendonly")); res.code != 480 {
		t.Fatalf("INVITE without SessionHandler answered %d", res.code)
	}
	plain := startEndpoint(t, Config{}, (&recorder{}).handle)
	if res := newRawUA(t, plain, "plain").invite(nil, "application/sdp", offer(peerPath, "active", "sendonly")); res.code != 405 {
		t.Fatalf("INVITE without sessions answered %d", res.code)
	}
}

// TestInviteOverMaxSessions holds one session open where one is the
// limit: the next INVITE gets 486 with Retry-After, and once the first
// ends one fits.
func TestInviteOverMaxSessions(t *testing.T) {
	leaks(t)
	cfg := sessionConfig()
	cfg.MSRPMaxSessions = 1
	acc := newAcceptor()
	e := startSessions(t, cfg, acc.handle)
	first := newRawUA(t, e, "max-1")
	if res := first.invite(nil, "application/sdp", offer(peerPath, "active", "sendrecv")); res.code != 200 {
		t.Fatalf("first INVITE answered %d", res.code)
	}
	acc.nextSession(t)
	if res := newRawUA(t, e, "max-2").invite(nil, "application/sdp", offer(peerPath, "active", "sendrecv")); res.code != 486 || res.header("Retry-After") != "5" {
		t.Fatalf("second INVITE answered %d, Retry-After %q:\n%s", res.code, res.header("Retry-After"), res.raw)
	}
	if n := e.Sessions(); n != 1 {
		t.Fatalf("%d sessions after the refusal, want 1", n)
	}
	if res := first.inDialog("BYE", nil, "", ""); res.code != 200 {
		t.Fatalf("BYE answered %d", res.code)
	}
	third := newRawUA(t, e, "max-3")
	if res := third.invite(nil, "application/sdp", offer(peerPath, "active", "sendrecv")); res.code != 200 {
		t.Fatalf("INVITE after BYE answered %d", res.code)
	}
	if res := third.inDialog("BYE", nil, "", ""); res.code != 200 {
		t.Fatalf("BYE answered %d", res.code)
	}
}

// TestInviteAnswer checks iwf's 200 to a large message INVITE: dialog
// headers, feature tag, session timer, CPM headers kept, and an SDP
// answer that makes iwf the passive end.
func TestInviteAnswer(t *testing.T) {
	leaks(t)
	acc := newAcceptor()
	e := startSessions(t, sessionConfig(), acc.handle)
	u := newRawUA(t, e, "answer-1")
	res := u.invite([]string{largeMsgTag, "Supported: timer", "Session-Expires: 1200",
		"P-Asserted-Identity: <tel:+4915112345678>", "Conversation-ID: conv-a", "Contribution-ID: contrib-a"},
		"application/sdp", offer(peerPath, "active", "sendonly"))
	if res.code != 200 {
		t.Fatalf("answered %d:\n%s", res.code, res.raw)
	}
	for name, want := range map[string]string{
		"Content-Type": "application/sdp", "Session-Expires": "1200;refresher=uac", "Require": "timer",
		"Conversation-ID": "conv-a", "Contribution-ID": "contrib-a", "Supported": "timer",
	} {
		if got := res.header(name); got != want {
			t.Errorf("%s: %q, want %q", name, got, want)
		}
	}
	if c := res.header("Contact"); !strings.Contains(c, `+g.3gpp.icsi-ref="urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.largemsg"`) ||
		!strings.Contains(c, addrOf(t, e, "tcp")+";transport=tcp") {
		t.Errorf("Contact: %s", c)
	}
	ans, err := sdp.Parse(res.body)
	if err != nil {
		t.Fatal(err)
	}
	mm, err := sdp.MSRPMediaOf(&ans.Media[0])
	if err != nil {
		t.Fatal(err)
	}
	if mm.Setup != sdp.SetupPassive || mm.Direction != sdp.RecvOnly || mm.MaxSize != DefaultMSRPMaxMessageBytes ||
		len(mm.Path) != 1 || !strings.HasPrefix(mm.Path[0], "msrp://127.0.0.1:") {
		t.Errorf("answer media %+v", mm)
	}
	in := acc.nextSession(t)
	if in.Kind != KindLargeMessage || in.PAssertedIdentity != "tel:+4915112345678" || in.MaxSize != 1000000 ||
		in.RequestURI != "sip:+4917698765432@iwf.example.net;user=phone" || in.Source.String() != u.conn.LocalAddr().String() {
		t.Errorf("IncomingSession %+v", in)
	}
	if res := u.inDialog("BYE", nil, "", ""); res.code != 200 {
		t.Fatalf("BYE answered %d", res.code)
	}
	if err := waitDone(t, in.Done(), in.Err); !errors.Is(err, ErrEndedByPeer) {
		t.Fatalf("session ended with %v", err)
	}
	if res := u.inDialog("BYE", nil, "", ""); res.code != 481 {
		t.Fatalf("BYE after the end answered %d", res.code)
	}
}

// TestReinvite refreshes the session with a re-INVITE that keeps the
// media (200, iwf's SDP unchanged), then offers another MSRP path (488)
// and finds the session still there.
func TestReinvite(t *testing.T) {
	leaks(t)
	acc := newAcceptor()
	e := startSessions(t, sessionConfig(), acc.handle)
	u := newRawUA(t, e, "reinvite-1")
	first := u.invite([]string{"Supported: timer"}, "application/sdp", offer(peerPath, "active", "sendrecv"))
	if first.code != 200 {
		t.Fatalf("INVITE answered %d", first.code)
	}
	in := acc.nextSession(t)
	same := u.inDialog("INVITE", []string{"Supported: timer", "Session-Expires: 900;refresher=uac"}, "application/sdp",
		offer(peerPath, "active", "sendrecv"))
	if same.code != 200 || string(same.body) != string(first.body) || same.header("Session-Expires") != "900;refresher=uac" {
		t.Fatalf("refresh answered %d, SE %q:\n%s", same.code, same.header("Session-Expires"), same.raw)
	}
	moved := u.inDialog("INVITE", nil, "application/sdp", offer("msrp://127.0.0.1:10/other;tcp", "active", "sendrecv"))
	if moved.code != 488 {
		t.Fatalf("changed media answered %d", moved.code)
	}
	if upd := u.inDialog("UPDATE", []string{"Session-Expires: 900"}, "", ""); upd.code != 200 || upd.header("Session-Expires") == "" {
		t.Fatalf("UPDATE answered %d:\n%s", upd.code, upd.raw)
	}
	if in.Err() != nil || e.Sessions() != 1 {
		t.Fatalf("session gone after a refused re-INVITE: %v", in.Err())
	}
	if res := u.inDialog("BYE", nil, "", ""); res.code != 200 {
		t.Fatalf("BYE answered %d", res.code)
	}
}

// TestEndSendsBye ends an incoming session from the handler's side:
// iwf sends BYE to the peer's Contact and End returns once it is
// answered.
func TestEndSendsBye(t *testing.T) {
	leaks(t)
	acc := newAcceptor()
	e := startSessions(t, sessionConfig(), acc.handle)
	u := newRawUA(t, e, "end-1")
	if res := u.invite(nil, "application/sdp", offer(peerPath, "active", "sendrecv")); res.code != 200 {
		t.Fatalf("INVITE answered %d", res.code)
	}
	in := acc.nextSession(t)
	ended := make(chan error, 1)
	go func() { ended <- in.End(sendCtx(t)) }()
	bye := u.nextRequest()
	if bye.method != "BYE" || tagOf(bye.header("To")) != u.tag || tagOf(bye.header("From")) != u.toTag ||
		!strings.HasPrefix(bye.start, "BYE sip:peer@"+u.contact()) {
		t.Fatalf("iwf sent %s", bye.raw)
	}
	u.respond(bye, 200)
	if err := <-ended; err != nil {
		t.Fatalf("End: %v", err)
	}
	if err := in.Err(); !errors.Is(err, ErrSessionEnded) {
		t.Fatalf("Err = %v", err)
	}
}

// TestIncomingLargeMessage plays a CPM client sending a large message:
// INVITE, 200 with iwf's path, ACK, then over MSRP a message in 1000-byte
// chunks with a success report asked for. The handler sees it once, the
// last chunk's 200 and the REPORT come after it returned, and after the
// grace iwf sends BYE itself.
func TestIncomingLargeMessage(t *testing.T) {
	leaks(t)
	acc := newAcceptor()
	cfg := sessionConfig()
	cfg.LargeMessageGrace = 50 * time.Millisecond
	e := startSessions(t, cfg, acc.handle)
	client := startMSRPClient(t)
	local, err := client.NewSession(mediasession.SessionOptions{})
	if err != nil {
		t.Fatal(err)
	}
	u := newRawUA(t, e, "large-in-1")
	res := u.invite([]string{largeMsgTag}, "application/sdp", offer(local.LocalURI().String(), "active", "sendonly"))
	if res.code != 200 {
		t.Fatalf("answered %d", res.code)
	}
	in := acc.nextSession(t)
	ctx := sendCtx(t)
	if err := local.Connect(ctx, answerPath(t, res.body)); err != nil {
		t.Fatal(err)
	}
	body := pattern(20000)
	if err := local.Send(ctx, mediasession.Message{MessageID: "large0001", ContentType: "message/cpim", Body: body, SuccessReport: true}); err != nil {
		t.Fatalf("MSRP Send: %v", err)
	}
	if m := acc.nextMessage(t); m.MessageID != "large0001" || !bytes.Equal(m.Body, body) || !m.SuccessReport {
		t.Fatalf("handler got %s, %d bytes", m.MessageID, len(m.Body))
	}
	bye := u.nextRequest()
	if bye.method != "BYE" {
		t.Fatalf("iwf sent %s", bye.start)
	}
	u.respond(bye, 200)
	if err := waitDone(t, in.Done(), in.Err); !errors.Is(err, ErrSessionEnded) {
		t.Fatalf("session ended with %v", err)
	}
	select {
	case m := <-acc.messages:
		t.Fatalf("handler called again with %s", m.MessageID)
	default:
	}
}

// TestIncomingMessageRefused: a MessageHandler's 413 and 415 reach the
// sender as MSRP statuses, and an error it cannot name as 500.
func TestIncomingMessageRefused(t *testing.T) {
	leaks(t)
	acc := newAcceptor()
	acc.result = func(m *SessionMessage) error {
		switch m.ContentType {
		case "image/x-huge":
			return &StatusError{Code: 413}
		case "application/x-odd":
			return &StatusError{Code: 415}
		}
		return errors.New("journal down")
	}
	e := startSessions(t, sessionConfig(), acc.handle)
	client := startMSRPClient(t)
	local, err := client.NewSession(mediasession.SessionOptions{})
	if err != nil {
		t.Fatal(err)
	}
	u := newRawUA(t, e, "refused-msg-1")
	res := u.invite(nil, "application/sdp", offer(local.LocalURI().String(), "active", "sendrecv"))
	if res.code != 200 {
		t.Fatalf("answered %d", res.code)
	}
	acc.nextSession(t)
	ctx := sendCtx(t)
	if err := local.Connect(ctx, answerPath(t, res.body)); err != nil {
		t.Fatal(err)
	}
	for ct, want := range map[string]msrp.StatusCode{"image/x-huge": 413, "application/x-odd": 415, "text/plain": 500} {
		err := local.Send(ctx, mediasession.Message{ContentType: ct, Body: []byte("x")})
		var se *mediasession.SendError
		if !errors.As(err, &se) || se.Code != want {
			t.Errorf("%s: Send = %v, want status %d", ct, err, want)
		}
		acc.nextMessage(t)
	}
	if res := u.inDialog("BYE", nil, "", ""); res.code != 200 {
		t.Fatalf("BYE answered %d", res.code)
	}
}

// startMSRPClient is an MSRP endpoint standing in for a CPM client's.
func startMSRPClient(t testing.TB) *mediasession.Endpoint {
	t.Helper()
	m, err := mediasession.NewEndpoint(mediasession.EndpointConfig{Listen: "127.0.0.1:0", ChunkSize: 1000}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

// answerPath is the MSRP path of an SDP answer.
func answerPath(t testing.TB, body []byte) []msrp.URI {
	t.Helper()
	ans, err := sdp.Parse(body)
	if err != nil {
		t.Fatal(err)
	}
	mm, err := sdp.MSRPMediaOf(&ans.Media[0])
	if err != nil {
		t.Fatal(err)
	}
	path, err := msrp.ParsePath(strings.Join(mm.Path, " "))
	if err != nil {
		t.Fatal(err)
	}
	return path
}
