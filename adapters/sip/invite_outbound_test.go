package sip

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/iwf-gateway/iwf/adapters/sip/sdp"
)

// TestOpenSessionLargeMessage sends a 300 KB large message from one
// Endpoint (iwf) to another standing in for the CPM client: INVITE with
// the large message feature tag and a sendonly offer, 200 with the SDP
// answer, ACK, MSRP connect, the message in 2048-byte chunks, the
// receiver's handler called once, then BYE from the sender.
func TestOpenSessionLargeMessage(t *testing.T) {
	leaks(t)
	peer := newAcceptor()
	b := startSessions(t, sessionConfig(), peer.handle)
	cfg := sessionConfig()
	cfg.OutboundProxy = proxyOf(t, b)
	a := startSessions(t, cfg, nil)
	ctx := sendCtx(t)

	out, err := a.OpenSession(ctx, largeMessage())
	if err != nil {
		t.Fatal(err)
	}
	in := peer.nextSession(t)
	switch {
	case in.Kind != KindLargeMessage, in.From != "sip:+4917698765432@iwf.example.net;user=phone",
		in.PAssertedIdentity != "tel:+4917698765432", in.ConversationID != "conv-large-1",
		in.ContributionID != "contrib-large-1", in.CallID != out.CallID(),
		in.MaxSize != DefaultMSRPMaxMessageBytes, len(in.AcceptTypes) == 0:
		t.Fatalf("incoming session %+v", in)
	}
	body := pattern(300 << 10)
	m := &SessionMessage{ContentType: "message/cpim", Body: body, SuccessReport: true}
	if err := out.Send(ctx, m); err != nil {
		t.Fatal(err)
	}
	got := peer.nextMessage(t)
	if !bytes.Equal(got.Body, body) || got.ContentType != "message/cpim" || got.MessageID != m.MessageID || m.MessageID == "" {
		t.Fatalf("received %s %q, %d bytes", got.MessageID, got.ContentType, len(got.Body))
	}
	if err := out.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if err := waitDone(t, in.Done(), in.Err); !errors.Is(err, ErrEndedByPeer) {
		t.Fatalf("receiver's session ended with %v", err)
	}
	if err := out.Err(); !errors.Is(err, ErrSessionEnded) {
		t.Fatalf("sender's session ended with %v", err)
	}
	if err := out.Send(ctx, m); !errors.Is(err, ErrSessionEnded) {
		t.Fatalf("Send after Close: %v", err)
	}
	if a.Sessions() != 0 || b.Sessions() != 0 {
		t.Fatalf("sessions left: %d, %d", a.Sessions(), b.Sessions())
	}
}

// TestOpenSessionRequest checks the INVITE iwf sends and the ACK after
// the 2xx, then a message over the MSRP connection iwf made to the
// answerer's path.
func TestOpenSessionRequest(t *testing.T) {
	leaks(t)
	f := startFakeUAS(t, "")
	cfg := sessionConfig()
	cfg.OutboundProxy = f.proxy()
	a := startSessions(t, cfg, nil)
	ctx := sendCtx(t)
	out, err := a.OpenSession(ctx, largeMessage())
	if err != nil {
		t.Fatal(err)
	}
	inv := f.next(sip.INVITE)
	for name, want := range map[string]string{
		"Accept-Contact":      `*;+g.3gpp.icsi-ref="urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.largemsg"`,
		"P-Asserted-Identity": "<tel:+4917698765432>", "Conversation-ID": "conv-large-1", "Contribution-ID": "contrib-large-1",
		"Supported": "timer", "Session-Expires": "1800", "Min-SE": "90", "Content-Type": "application/sdp",
		"Route": "<" + f.proxy() + ";lr>",
	} {
		if got := header(inv, name); got != want {
			t.Errorf("%s: %q, want %q", name, got, want)
		}
	}
	if c := header(inv, "Contact"); !strings.Contains(c, addrOf(t, a, "tcp")+";transport=tcp>") || !strings.Contains(c, "oma.cpm.largemsg") {
		t.Errorf("Contact: %s", c)
	}
	if inv.Transport() != "TCP" || inv.Recipient.String() != "sip:+4915112345678@ims.example.net;user=phone" {
		t.Errorf("INVITE %s over %s", inv.Recipient.String(), inv.Transport())
	}
	off, err := sdp.Parse(inv.Body())
	if err != nil {
		t.Fatal(err)
	}
	mm, err := sdp.MSRPMediaOf(&off.Media[0])
	if err != nil || mm.Setup != sdp.SetupActPass || mm.Direction != sdp.SendOnly || !strings.HasPrefix(mm.Path[0], "msrp://127.0.0.1:") {
		t.Errorf("offer %+v (%v)", mm, err)
	}
	ack := f.next(sip.ACK)
	if ack.CSeq().SeqNo != 1 || !ack.To().Params.Has("tag") {
		t.Errorf("ACK %s", ack)
	}
	if err := out.Send(ctx, &SessionMessage{ContentType: "message/cpim", Body: []byte("hello")}); err != nil {
		t.Fatal(err)
	}
	select {
	case m := <-f.messages:
		if string(m.Body) != "hello" {
			t.Fatalf("fake received %q", m.Body)
		}
	case <-time.After(ioBound):
		t.Fatal("no MSRP message")
	}
	if err := out.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if bye := f.next(sip.BYE); bye.CSeq().SeqNo != 2 {
		t.Errorf("BYE CSeq %d", bye.CSeq().SeqNo)
	}
}

// TestOpenSessionRefused maps final statuses to *StatusError with the
// right Temporary, and retries a 422 once with the interval it asks for.
func TestOpenSessionRefused(t *testing.T) {
	leaks(t)
	for _, c := range []struct {
		code      int
		temporary bool
	}{{486, true}, {480, true}, {503, true}, {404, false}, {603, false}, {302, false}} {
		f := startFakeUAS(t, "", c.code)
		cfg := sessionConfig()
		cfg.OutboundProxy = f.proxy()
		a := startSessions(t, cfg, nil)
		_, err := a.OpenSession(sendCtx(t), largeMessage())
		var se *StatusError
		if !errors.As(err, &se) || se.Code != c.code || se.Temporary() != c.temporary {
			t.Errorf("%d: OpenSession = %v", c.code, err)
		}
		if n := a.Sessions(); n != 0 {
			t.Errorf("%d: %d sessions left", c.code, n)
		}
	}
	f := startFakeUAS(t, "", 422)
	cfg := sessionConfig()
	cfg.OutboundProxy = f.proxy()
	a := startSessions(t, cfg, nil)
	out, err := a.OpenSession(sendCtx(t), largeMessage())
	if err != nil {
		t.Fatalf("after 422: %v", err)
	}
	f.next(sip.INVITE)
	again := f.next(sip.INVITE)
	if header(again, "Session-Expires") != "3" || header(again, "Min-SE") != "3" || again.CSeq().SeqNo != 2 {
		t.Errorf("retried INVITE: SE %q, Min-SE %q, CSeq %d", header(again, "Session-Expires"), header(again, "Min-SE"), again.CSeq().SeqNo)
	}
	out.Close(sendCtx(t))
}

func TestOpenSessionInvalid(t *testing.T) {
	leaks(t)
	cfg := sessionConfig()
	cfg.OutboundProxy = "sip:127.0.0.1:9;transport=tcp"
	a := startSessions(t, cfg, nil)
	bad := []*OutgoingSession{
		nil,
		{RequestURI: "not a uri", From: "sip:a@b"},
		{RequestURI: "sip:a@b", From: "sip:c@d", Kind: KindFileTransfer},
		{RequestURI: "sip:a@b", From: "sip:c@d", ConversationID: "x\r\ny"},
		{RequestURI: "sip:a@b", From: "sip:c@d", AcceptTypes: []string{"bad type"}},
	}
	for i, o := range bad {
		if _, err := a.OpenSession(sendCtx(t), o); !errors.Is(err, ErrInvalidOutgoing) {
			t.Errorf("%d: %v", i, err)
		}
	}
	plain := startEndpoint(t, Config{}, (&recorder{}).handle)
	if _, err := plain.OpenSession(sendCtx(t), largeMessage()); !errors.Is(err, ErrSessionsDisabled) {
		t.Errorf("without EnableSessions: %v", err)
	}
}
