package mmsc

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/iwf-gateway/iwf/adapters/mms"
	"github.com/iwf-gateway/iwf/adapters/mms/mm7"
	"github.com/iwf-gateway/iwf/adapters/mms/mm7test"
	"github.com/iwf-gateway/iwf/internal/leakcheck"
)

// link is a real VASP (iwf's MM7 adapter) and the sandbox relay, pointed
// at each other with credentials on both sides. Every request the relay
// posts to the VASP arrives on got.
type link struct {
	mmsc *MMSC
	vasp *mms.VASP
	got  chan mm7.Message
}

func newLink(t *testing.T, cfg Config) *link {
	t.Helper()
	cfg.Username, cfg.Password = "iwf", "iwf-secret"
	m, err := New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	l := &link{mmsc: m, got: make(chan mm7.Message, 16)}
	vcfg := mms.Config{RelayURL: m.URL(), Listen: "127.0.0.1:0", VASPID: "iwf", Username: "iwf", Password: "iwf-secret",
		InboundUsername: "mmsc", InboundPassword: "mmsc-secret"}
	l.vasp, err = mms.New(vcfg, nil, func(_ context.Context, msg mm7.Message) error {
		l.got <- msg
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.vasp.Close() })
	if err := l.vasp.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	m.SetVASP("http://"+l.vasp.Addr()+"/mm7", vcfg.InboundUsername, vcfg.InboundPassword)
	return l
}

func (l *link) next(t *testing.T) mm7.Message {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	select {
	case m := <-l.got:
		return m
	case <-ctx.Done():
		t.Fatal("nothing posted to the VASP")
		return mm7.Message{}
	}
}

func picture() []mm7.Part {
	return []mm7.Part{{ContentType: `multipart/related; type="application/smil"`, ContentID: "content", Parts: []mm7.Part{
		{ContentType: "application/smil", ContentID: "smil", Body: []byte("<smil><body><par><text src=\"cid:t\"/></par></body></smil>")},
		{ContentType: `text/plain; charset="utf-8"`, ContentID: "t", Body: []byte("Grüße from the sandbox")},
		{ContentType: "image/gif", ContentID: "g", TransferEncoding: "base64", Body: []byte("GIF89a\x01\x00\x01\x00\x00\xff\x00,")},
	}}}
}

func submit(from, to, subject string) *mm7.SubmitReq {
	yes := true
	return &mm7.SubmitReq{
		SenderIdentification: mm7.SenderIdentification{SenderAddress: &mm7.Address{Kind: mm7.KindShortCode, Value: from}},
		Recipients: &mm7.Recipients{To: mm7.AddressList{
			{Kind: mm7.KindRFC2822, Value: "shown@example.com", DisplayOnly: true},
			{Kind: mm7.KindNumber, Value: to},
		}},
		DeliveryReport: &yes,
		Subject:        subject,
		Content:        &mm7.ContentRef{Href: "cid:content"},
	}
}

func sameParts(t *testing.T, got, want []mm7.Part) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d parts, want %d", len(got), len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		gt, _, _ := g.MediaType()
		wt, _, _ := w.MediaType()
		if gt != wt || g.ContentID != w.ContentID || !bytes.Equal(g.Body, w.Body) {
			t.Errorf("part %d: %s <%s> %q, want %s <%s> %q", i, gt, g.ContentID, g.Body, wt, w.ContentID, w.Body)
		}
		sameParts(t, g.Parts, w.Parts)
	}
}

func TestSubmitGetsReportAndEcho(t *testing.T) {
	leakcheck.Check(t)
	l := newLink(t, Config{ReportDelay: time.Millisecond, Echo: true})
	id, err := l.vasp.Submit(context.Background(), submit("4545", "+447700900123", "holiday"), picture())
	if err != nil {
		t.Fatal(err)
	}
	var report *mm7.DeliveryReportReq
	var echo mm7.Message
	for report == nil || echo.Operation == nil {
		m := l.next(t)
		switch op := m.Operation.(type) {
		case *mm7.DeliveryReportReq:
			report = op
		case *mm7.DeliverReq:
			echo = m
		default:
			t.Fatalf("unexpected %s", op.OperationName())
		}
	}
	if report.MessageID != id || report.MMStatus != "Retrieved" {
		t.Errorf("report %+v, want Retrieved for %s", report, id)
	}
	dr := echo.Operation.(*mm7.DeliverReq)
	if dr.Sender == nil || dr.Sender.Kind != mm7.KindNumber || dr.Sender.Value != "+447700900123" {
		t.Errorf("echo sender %+v, want the first deliverable recipient", dr.Sender)
	}
	if dr.Recipients == nil || len(dr.Recipients.To) != 1 || dr.Recipients.To[0] != (mm7.Address{Kind: mm7.KindShortCode, Value: "4545"}) {
		t.Errorf("echo recipients %+v, want the submit's sender", dr.Recipients)
	}
	if dr.Subject != "echo: holiday" {
		t.Errorf("echo subject %q", dr.Subject)
	}
	sameParts(t, echo.Attachments, picture())
	if c := echo.Content(); c == nil || c.ContentID != "content" {
		t.Errorf("echo content %+v, want the presentation", c)
	}
	subs := l.mmsc.Submits()
	if len(subs) != 1 || subs[0].MessageID != id {
		t.Errorf("submits %+v", subs)
	}
}

func TestCredentialsRequired(t *testing.T) {
	leakcheck.Check(t)
	m, err := New(Config{Username: "iwf", Password: "right", Echo: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	v, err := mms.New(mms.Config{RelayURL: m.URL(), Username: "iwf", Password: "wrong",
		InboundUsername: "x", InboundPassword: "y"}, nil, func(context.Context, mm7.Message) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	_, err = v.Submit(context.Background(), submit("1", "+2", "s"), picture())
	var te *mms.TransportError
	if !errors.As(err, &te) || te.HTTPStatus != 401 {
		t.Fatalf("submit with a wrong password: %v, want http 401", err)
	}
	if n := len(m.Submits()); n != 0 {
		t.Errorf("%d submits recorded", n)
	}
}

func TestFaultRefusesWithoutEcho(t *testing.T) {
	leakcheck.Check(t)
	l := newLink(t, Config{ReportDelay: time.Millisecond, Echo: true})
	l.mmsc.SetFault(mm7test.Fault{Status: mm7.StatusServiceUnavailable})
	_, err := l.vasp.Submit(context.Background(), submit("4545", "+447700900123", "s"), picture())
	if !errors.Is(err, mm7.StatusServiceUnavailable) {
		t.Fatalf("submit under fault: %v, want 4006", err)
	}
	l.mmsc.SetFault(mm7test.Fault{})
	// The refused submit scheduled nothing: the first request the VASP
	// sees is the injected one.
	st, err := l.mmsc.InjectDeliver(context.Background(), mm7.DeliverReq{
		Sender: &mm7.Address{Kind: mm7.KindNumber, Value: "+447700900123"}, Subject: "mo"}, picture())
	if err != nil || st != mm7.StatusSuccess {
		t.Fatalf("inject: %d, %v", st, err)
	}
	if m := l.next(t); m.Operation.(*mm7.DeliverReq).Subject != "mo" {
		t.Errorf("first request to the VASP: %+v", m.Operation)
	}
}

func TestCloseCancelsPendingEcho(t *testing.T) {
	leakcheck.Check(t)
	l := newLink(t, Config{ReportDelay: time.Hour, Echo: true})
	if _, err := l.vasp.Submit(context.Background(), submit("4545", "+447700900123", "s"), picture()); err != nil {
		t.Fatal(err)
	}
	if err := l.mmsc.Close(); err != nil {
		t.Fatal(err)
	}
	if err := l.mmsc.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

func TestEchoNeedsSenderAndRecipient(t *testing.T) {
	msg := func(op *mm7.SubmitReq) mm7test.Submit {
		return mm7test.Submit{MessageID: "m1", Message: mm7.Message{Operation: op}}
	}
	noSender := submit("1", "+2", "s")
	noSender.SenderIdentification.SenderAddress = nil
	onlyShown := submit("1", "+2", "s")
	onlyShown.Recipients.To = onlyShown.Recipients.To[:1]
	bccOnly := submit("1", "+2", "s")
	bccOnly.Recipients = &mm7.Recipients{Bcc: mm7.AddressList{{Kind: mm7.KindNumber, Value: "+3"}}}
	for name, tc := range map[string]struct {
		op   *mm7.SubmitReq
		from string
	}{"no sender": {noSender, ""}, "display-only recipient": {onlyShown, ""}, "bcc": {bccOnly, "+3"}} {
		req, ok := echoOf(msg(tc.op))
		if ok != (tc.from != "") || ok && req.Sender.Value != tc.from {
			t.Errorf("%s: echo %+v, %v; want from %q", name, req, ok, tc.from)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	if _, err := New(Config{ReportDelay: -time.Second}, nil); err == nil {
		t.Error("a negative report delay was accepted")
	}
}
