package gateway

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/iwf-gateway/iwf/adapters/imps"
	"github.com/iwf-gateway/iwf/adapters/imps/impstest"
	"github.com/iwf-gateway/iwf/adapters/imps/wv"
	"github.com/iwf-gateway/iwf/adapters/mms"
	"github.com/iwf-gateway/iwf/adapters/mms/mm7"
	"github.com/iwf-gateway/iwf/adapters/mms/mm7test"
	"github.com/iwf-gateway/iwf/adapters/sip"
	"github.com/iwf-gateway/iwf/addressmap"
	"github.com/iwf-gateway/iwf/cpm"
	"github.com/iwf-gateway/iwf/journal"
	"github.com/iwf-gateway/iwf/translate"
)

// Numbers of the legacy harness: +4477009002x are MMS users, +4477009003x
// are auto-routed (SMS or MMS), imps.example.net is the IMPS domain.
const (
	mmsUser  = "tel:+447700900201"
	autoUser = "tel:+447700900301"
	impsUser = "sip:alice@imps.example.net"
)

// legacy is a harness with a real MM7 link to an mm7test relay and a real
// IMPS session with an impstest server, all on loopback.
type legacy struct {
	*harness
	relay *mm7test.Relay
	vasp  *mms.VASP
	srv   *impstest.Server
	imps  *imps.Client
}

func newLegacy(t *testing.T, relayCfg mm7test.Config) *legacy {
	t.Helper()
	relayCfg.Username, relayCfg.Password = "iwf", "out-secret"
	relayCfg.VASPUsername, relayCfg.VASPPassword = "relay", "in-secret"
	if relayCfg.ReportDelay == 0 {
		relayCfg.ReportDelay = 10 * time.Millisecond
	}
	relay, err := mm7test.NewRelay(relayCfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(relay.Close)
	srv, err := impstest.NewServer(impstest.Config{Accounts: map[string]impstest.Account{"iwf-gateway": {Password: "pw"}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	l := &legacy{harness: unstartedHarness(t), relay: relay, srv: srv}
	l.vasp, err = mms.New(mms.Config{RelayURL: relay.URL(), Listen: "127.0.0.1:0", Username: "iwf", Password: "out-secret",
		InboundUsername: "relay", InboundPassword: "in-secret", VASPID: "iwf", VASID: "cpm"}, nil,
		func(ctx context.Context, m mm7.Message) error { return l.g.HandleMM7(ctx, "mm7", m) })
	if err != nil {
		t.Fatal(err)
	}
	if err := l.vasp.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	relay.SetVASP("http://"+l.vasp.Addr()+"/", "relay", "in-secret")
	l.imps, err = imps.New(imps.Config{ServerURL: srv.URL(), User: "iwf-gateway", Password: "pw", PollInterval: 20 * time.Millisecond}, nil,
		func(ctx context.Context, m *wv.NewMessage) error { return l.g.HandleIMPSMessage(ctx, m) },
		imps.WithReportHandler(func(ctx context.Context, r *wv.DeliveryReportRequest) error { return l.g.HandleIMPSReport(ctx, r) }))
	if err != nil {
		t.Fatal(err)
	}
	l.rules = []addressmap.Rule{
		{Match: "+4477009005", Network: NetworkCPM},
		{Match: "+4477009002", Network: NetworkMMS, Route: "mm7"},
		{Match: "+4477009003", Network: NetworkAuto, Route: "smsc1"},
	}
	l.extend = func(d *Deps) {
		d.MMS = &MMSRoute{Name: "mm7", Link: l.vasp, Workers: 4, Policy: translate.MMSRoute{MaxBytes: 300 << 10}}
		d.IMPS = &IMPSRoute{Name: "imps", Link: l.imps, Workers: 4,
			Names: addressmap.IMPSConfig{Domain: "cpm.example.net", RemoteDomains: []string{"imps.example.net"}}}
	}
	l.start()
	runDone := make(chan struct{})
	go func() { defer close(runDone); _ = l.imps.Run(context.Background()) }()
	t.Cleanup(func() {
		l.stop()
		_ = l.imps.Close()
		<-runDone
		_ = l.vasp.Close()
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := l.imps.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}
	return l
}

func pictureMessage(id, to string, notify cpm.Disposition) cpm.Message {
	m := textMessage(id, to, "Look at this", notify)
	m.Subject = "Holiday"
	m.Parts = append(m.Parts, cpm.Part{ContentType: "image/jpeg", Filename: "beach.jpg", Body: bytes.Repeat([]byte{0xFF, 0xD8, 0x00, 0x7F}, 5000)})
	return m
}

func TestMMSSubmitAndDeliveryReport(t *testing.T) {
	l := newLegacy(t, mm7test.Config{})
	ctx := context.Background()
	if err := l.g.AcceptFromCPM(ctx, pictureMessage("pic-1", mmsUser, cpm.PositiveDelivery|cpm.Display)); err != nil {
		t.Fatal(err)
	}
	l.eventually("the display notification", func() bool { return len(l.reports()) == 2 })
	subs := l.relay.Submits()
	if len(subs) != 1 {
		t.Fatalf("%d submits", len(subs))
	}
	req := subs[0].Message.Operation.(*mm7.SubmitReq)
	if req.Subject != "Holiday" || req.Recipients == nil || len(req.Recipients.To) != 1 || req.Recipients.To[0].Value != "+447700900201" {
		t.Errorf("SubmitReq %+v", req)
	}
	if s := req.SenderIdentification.SenderAddress; s == nil || s.Value != "+447700900999" {
		t.Errorf("sender %+v", s)
	}
	if req.DeliveryReport == nil || !*req.DeliveryReport || req.ReadReply == nil || !*req.ReadReply {
		t.Errorf("report flags %v %v", req.DeliveryReport, req.ReadReply)
	}
	got, err := translate.MessageFromDeliver(&mm7.Message{Operation: &mm7.DeliverReq{Content: req.Content}, Attachments: subs[0].Message.Attachments})
	if err != nil {
		t.Fatal(err)
	}
	var image, smil bool
	for _, p := range got.Parts {
		image = image || (strings.HasPrefix(p.ContentType, "image/jpeg") && len(p.Body) == 20000)
		smil = smil || strings.HasPrefix(p.ContentType, "application/smil")
	}
	if !image || !smil {
		t.Errorf("relay got parts %+v", got.Parts)
	}
	got2 := map[cpm.Status]bool{}
	for _, r := range l.reports() {
		if r.MessageID != "pic-1" || r.Display != (r.Status == cpm.Displayed) {
			t.Errorf("report %+v", r)
		}
		got2[r.Status] = true
	}
	if !got2[cpm.Delivered] || !got2[cpm.Displayed] {
		t.Errorf("reports %+v", l.reports())
	}
	if s := l.g.Stats(); s.Delivered != 1 || s.MMSSubmits != 1 {
		t.Errorf("stats %+v", s)
	}
}

func TestMMSRelayErrors(t *testing.T) {
	l := newLegacy(t, mm7test.Config{})
	ctx := context.Background()
	// A server error (3xxx) is retried; the next answer succeeds.
	l.relay.SetFault(mm7test.Fault{Status: mm7.StatusServerError})
	if err := l.g.AcceptFromCPM(ctx, pictureMessage("retry-1", mmsUser, cpm.PositiveDelivery)); err != nil {
		t.Fatal(err)
	}
	l.eventually("a retry", func() bool { return l.g.Stats().Retries > 0 })
	l.relay.SetFault(mm7test.Fault{})
	l.eventually("delivery after the retry", func() bool { return l.g.Stats().Delivered == 1 })
	// A client error (2xxx) and a service error (4xxx) fail at once with a negative IMDN.
	for i, st := range []mm7.StatusCode{mm7.StatusAddressNotFound, mm7.StatusServiceDenied} {
		l.relay.SetFault(mm7test.Fault{Status: st, AsFault: i == 1})
		if err := l.g.AcceptFromCPM(ctx, pictureMessage("fail-"+st.Error(), mmsUser, cpm.NegativeDelivery)); err != nil {
			t.Fatal(err)
		}
		l.eventually("failure", func() bool { return l.g.Stats().Failed == int64(i+1) })
	}
	l.eventually("two negative reports", func() bool {
		failed := 0
		for _, r := range l.reports() {
			if r.Status == cpm.Failed {
				failed++
			}
		}
		return failed == 2
	})
}

func TestMMSDeliveryReportFailed(t *testing.T) {
	l := newLegacy(t, mm7test.Config{ReportStatus: "Rejected"})
	if err := l.g.AcceptFromCPM(context.Background(), pictureMessage("rej-1", mmsUser, cpm.PositiveDelivery|cpm.NegativeDelivery)); err != nil {
		t.Fatal(err)
	}
	l.eventually("a negative report", func() bool { return len(l.reports()) == 1 })
	if r := l.reports()[0]; r.Status != cpm.Failed || r.MessageID != "rej-1" {
		t.Errorf("report %+v", r)
	}
}

func TestMOMMSToCPM(t *testing.T) {
	l := newLegacy(t, mm7test.Config{})
	ctx := context.Background()
	png := bytes.Repeat([]byte{0x89, 'P', 'N', 'G', 0, 1, 2, 3}, 300)
	req := mm7.DeliverReq{
		Sender: &mm7.Address{Kind: mm7.KindNumber, Value: "+447700900201/TYPE=PLMN"},
		Recipients: &mm7.Recipients{
			To: mm7.AddressList{{Kind: mm7.KindNumber, Value: "+447700900555"}},
			Cc: mm7.AddressList{{Kind: mm7.KindNumber, Value: "+447700900556"}, {Kind: mm7.KindNumber, Value: "+447700900202"}},
		},
		Subject: "Photo",
	}
	parts := []mm7.Part{{ContentType: `multipart/mixed`, ContentID: "content", Parts: []mm7.Part{
		{ContentType: "text/plain; charset=iso-8859-1", ContentID: "t1", Body: []byte("Caf\xe9"), TransferEncoding: "quoted-printable"},
		{ContentType: "image/png", ContentID: "i1", ContentLocation: "pic.png", Body: png, TransferEncoding: "base64"},
	}}}
	st, err := l.relay.InjectDeliver(ctx, req, parts)
	if err != nil || st != mm7.StatusSuccess {
		t.Fatalf("DeliverReq answered %v, %v", st, err)
	}
	// The relay sends it again (its DeliverRsp was lost): a repeat.
	if st, err := l.relay.InjectDeliver(ctx, req, parts); err != nil || st != mm7.StatusSuccess {
		t.Fatalf("repeat answered %v, %v", st, err)
	}
	// +447700900202 is an MMS user: the relay serves that one itself.
	l.eventually("two CPM copies", func() bool { return len(l.cpm.outgoing()) == 2 })
	to := map[string]bool{}
	for _, o := range l.cpm.outgoing() {
		m, err := translate.MessageFromSIP(&sip.Request{RequestURI: o.RequestURI, From: o.From, To: o.To, ContentType: o.ContentType, Body: o.Body})
		if err != nil {
			t.Fatal(err)
		}
		to[o.RequestURI] = true
		if m.Subject != "Photo" || len(m.Parts) != 2 || string(m.Parts[0].Body) != "Café" || !bytes.Equal(m.Parts[1].Body, png) {
			t.Errorf("CPM message %+v", m)
		}
		if !strings.Contains(o.From, "+447700900201") {
			t.Errorf("From %q", o.From)
		}
	}
	if len(to) != 2 {
		t.Errorf("recipients %v", to)
	}
	if s := l.g.Stats(); s.AcceptedMMS != 2 || s.Duplicates != 1 {
		t.Errorf("stats %+v", s)
	}
}

func TestMOMMSRefused(t *testing.T) {
	l := newLegacy(t, mm7test.Config{})
	ctx := context.Background()
	parts := []mm7.Part{{ContentType: "text/plain", ContentID: "t", Body: []byte("hi")}}
	st, _ := l.relay.InjectDeliver(ctx, mm7.DeliverReq{
		Sender:     &mm7.Address{Kind: mm7.KindRFC2822, Value: "not a number"},
		Recipients: &mm7.Recipients{To: mm7.AddressList{{Kind: mm7.KindNumber, Value: "+447700900555"}}},
	}, parts)
	if st != mm7.StatusAddressError {
		t.Errorf("bad sender answered %v", st)
	}
	st, _ = l.relay.InjectDeliver(ctx, mm7.DeliverReq{Sender: &mm7.Address{Kind: mm7.KindNumber, Value: "+447700900201"}}, parts)
	if st != mm7.StatusAddressError {
		t.Errorf("no recipient answered %v", st)
	}
	if n := l.g.Stats().AcceptedMMS; n != 0 {
		t.Errorf("%d accepted", n)
	}
}

func TestPagerLimitFailsLargeMMS(t *testing.T) {
	l := newLegacy(t, mm7test.Config{})
	parts := []mm7.Part{{ContentType: "video/mp4", ContentID: "v", Body: bytes.Repeat([]byte{1}, 100<<10), TransferEncoding: "base64"}}
	st, err := l.relay.InjectDeliver(context.Background(), mm7.DeliverReq{
		Sender:     &mm7.Address{Kind: mm7.KindNumber, Value: "+447700900201"},
		Recipients: &mm7.Recipients{To: mm7.AddressList{{Kind: mm7.KindNumber, Value: "+447700900555"}}},
	}, parts)
	if err != nil || st != mm7.StatusSuccess {
		t.Fatalf("answered %v %v", st, err)
	}
	l.eventually("the failure", func() bool { return l.g.Stats().Failed == 1 })
	if n := len(l.cpm.outgoing()); n != 0 {
		t.Errorf("%d MESSAGEs sent", n)
	}
}

func TestAutoRouting(t *testing.T) {
	l := newLegacy(t, mm7test.Config{})
	ctx := context.Background()
	if err := l.g.AcceptFromCPM(ctx, textMessage("a-1", autoUser, "short text", 0)); err != nil {
		t.Fatal(err)
	}
	if err := l.g.AcceptFromCPM(ctx, pictureMessage("a-2", autoUser, 0)); err != nil {
		t.Fatal(err)
	}
	withSubject := textMessage("a-3", autoUser, "text with a subject", 0)
	withSubject.Subject = "Hi"
	if err := l.g.AcceptFromCPM(ctx, withSubject); err != nil {
		t.Fatal(err)
	}
	l.eventually("all three submitted", func() bool { return l.g.Stats().Submitted == 3 })
	if subs, _ := l.smsc.submitted(); len(subs) != 1 || !strings.Contains(string(subs[0].Message), "short text") {
		t.Errorf("SMS submits %+v", subs)
	}
	if n := len(l.relay.Submits()); n != 2 {
		t.Errorf("%d MMS submits, want 2", n)
	}
}

func TestIMPSBothWays(t *testing.T) {
	l := newLegacy(t, mm7test.Config{})
	ctx := context.Background()
	if err := l.g.AcceptFromCPM(ctx, textMessage("im-1", impsUser, "hello alice", cpm.PositiveDelivery)); err != nil {
		t.Fatal(err)
	}
	l.eventually("the delivery report", func() bool { return len(l.reports()) == 1 })
	sent := l.srv.Sent()
	if len(sent) != 1 {
		t.Fatalf("%d sent", len(sent))
	}
	mi := sent[0].Request.MessageInfo
	if len(mi.Recipient.Users) != 1 || mi.Recipient.Users[0].UserID != "wv:alice@imps.example.net" ||
		mi.Sender.User == nil || mi.Sender.User.UserID != "wv:+447700900999@cpm.example.net" || sent[0].Request.ContentData != "hello alice" {
		t.Errorf("SendMessage %+v", sent[0].Request)
	}
	if r := l.reports()[0]; r.Status != cpm.Delivered || r.MessageID != "im-1" {
		t.Errorf("report %+v", r)
	}
	// Alice answers.
	_, err := l.srv.Inject(ctx, "iwf-gateway", wv.NewMessage{MessageInfo: wv.MessageInfo{
		ContentType: "text/plain", ContentSize: 9,
		Sender:    wv.Sender{User: &wv.User{UserID: "wv:alice@imps.example.net"}},
		Recipient: wv.Recipient{Users: []wv.User{{UserID: "wv:+447700900999@cpm.example.net"}}},
	}, ContentData: "hi there!"})
	if err != nil {
		t.Fatal(err)
	}
	l.eventually("the answer at the CPM user", func() bool { return len(l.texts()) == 1 })
	out := l.cpm.outgoing()
	last := out[len(out)-1]
	if !strings.Contains(last.RequestURI, "+447700900999") || !strings.Contains(last.From, "alice@imps.example.net") || l.texts()[0] != "hi there!" {
		t.Errorf("MESSAGE %+v", last)
	}
	l.eventually("the server's inbox acknowledged", func() bool { return len(l.srv.Delivered()) == 1 })
}

func TestIMPSSessionExpiryMidTraffic(t *testing.T) {
	l := newLegacy(t, mm7test.Config{})
	ctx := context.Background()
	for i := range 20 {
		if i == 10 {
			l.srv.ExpireSessions()
		}
		if err := l.g.AcceptFromCPM(ctx, textMessage("exp-"+string(rune('a'+i)), impsUser, "n", 0)); err != nil {
			t.Fatal(err)
		}
	}
	l.eventually("all 20 sent", func() bool { return l.g.Stats().Submitted == 20 })
	if got := len(l.srv.Sent()); got < 20 {
		t.Errorf("server took %d", got)
	}
}

func TestIMPSRefusesMultipart(t *testing.T) {
	l := newLegacy(t, mm7test.Config{})
	err := l.g.AcceptFromCPM(context.Background(), pictureMessage("mp", impsUser, 0))
	var se *sip.StatusError
	if !errors.As(err, &se) || se.Code != 415 {
		t.Errorf("multipart to IMPS: %v", err)
	}
}

// TestMOMMSTooLargeToJournal: an MO MMS the VASP's limits let through
// (an operator may raise mm7.max_message_bytes) but whose journal entry
// would exceed journal.MaxDataSize is refused 2004, permanently, and
// nothing is journaled.
func TestMOMMSTooLargeToJournal(t *testing.T) {
	l := newLegacy(t, mm7test.Config{})
	video := bytes.Repeat([]byte{1, 2, 3, 4}, journal.MaxDataSize/4+1)
	m := mm7.Message{
		TransactionID: "big-1",
		Operation: &mm7.DeliverReq{
			MM7Version: "6.8.0",
			Sender:     &mm7.Address{Kind: mm7.KindNumber, Value: "+447700900201"},
			Recipients: &mm7.Recipients{To: mm7.AddressList{{Kind: mm7.KindNumber, Value: "+447700900555"}}},
			Content:    &mm7.ContentRef{Href: "cid:v"},
		},
		Attachments: []mm7.Part{{ContentType: "video/mp4", ContentID: "v", Body: video}},
	}
	if err := l.g.HandleMM7(context.Background(), "mm7", m); err != mm7.StatusContentRefused {
		t.Fatalf("HandleMM7 of a %d-byte video: %v; want %v", len(video), err, mm7.StatusContentRefused)
	}
	if s := l.g.Stats(); s.AcceptedMMS != 0 || s.Rejected != 1 {
		t.Errorf("accepted %d, rejected %d; want 0 and 1", s.AcceptedMMS, s.Rejected)
	}
}
