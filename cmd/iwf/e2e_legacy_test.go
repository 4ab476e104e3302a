package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/iwf-gateway/iwf/adapters/imps/impstest"
	"github.com/iwf-gateway/iwf/adapters/imps/wv"
	"github.com/iwf-gateway/iwf/adapters/mms/mm7"
	"github.com/iwf-gateway/iwf/adapters/mms/mm7test"
	"github.com/iwf-gateway/iwf/sim/smsc"
	"github.com/iwf-gateway/iwf/translate"
)

// mmsE2E runs iwf with an mm7 section pointing at an mm7test relay in
// this process. +4477009002xx are MMS users, +4477009005xx CPM users.
func mmsE2E(t *testing.T) (*e2e, *mm7test.Relay) {
	t.Helper()
	relay, err := mm7test.NewRelay(mm7test.Config{Username: "iwf", Password: "out-secret", ReportDelay: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(relay.Close)
	vaspPort := freeTestPort(t)
	relay.SetVASP(fmt.Sprintf("http://127.0.0.1:%d/mm7", vaspPort), "relay", "in-secret")
	e := newE2E(t, e2eOptions{
		smsc:  smsc.Config{KeepSubmitted: true},
		rules: "    - {match: \"+4477009005\", network: cpm}\n    - {match: \"+4477009002\", network: mms, route: mm7}\n",
		extra: fmt.Sprintf(`mm7:
  relay_url: %s
  listen: 127.0.0.1:%d
  vasp_id: iwf
  vas_id: cpm
  username: iwf
  password: out-secret
  inbound_username: relay
  inbound_password: in-secret
`, relay.URL(), vaspPort),
	})
	return e, relay
}

// submitted waits for n SubmitReqs at the relay and returns them.
func submitted(e *e2e, relay *mm7test.Relay, n int) []mm7test.Submit {
	e.t.Helper()
	e.eventually(fmt.Sprintf("%d SubmitReqs at the relay", n), 30*time.Second, func() bool { return len(relay.Submits()) >= n })
	return relay.Submits()
}

// content decodes what a SubmitReq carried.
func content(t *testing.T, s mm7test.Submit) (*mm7.SubmitReq, []string, map[string][]byte) {
	t.Helper()
	req := s.Message.Operation.(*mm7.SubmitReq)
	m, err := translate.MessageFromDeliver(&mm7.Message{Operation: &mm7.DeliverReq{Content: req.Content}, Attachments: s.Message.Attachments})
	if err != nil {
		t.Fatalf("SubmitReq content: %v", err)
	}
	var types []string
	bodies := map[string][]byte{}
	for _, p := range m.Parts {
		ct, _, _ := strings.Cut(p.ContentType, ";")
		types = append(types, ct)
		bodies[ct] = p.Body
	}
	return req, types, bodies
}

func TestE2EMMS(t *testing.T) {
	requireTool(t, "sipp", "sip-tester")
	e, relay := mmsE2E(t)
	uas := e.startUAS(4) // 2 delivered IMDNs, 1 failed IMDN, 1 MO MMS

	// A picture with a caption, sent as a CPM client with `iwf send mms`.
	jpeg := append([]byte{0xFF, 0xD8, 0xFF, 0xE0}, bytes.Repeat([]byte{0x00, 0x11, 0xFE}, 3000)...)
	pic := filepath.Join(t.TempDir(), "beach.jpg")
	if err := os.WriteFile(pic, jpeg, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(iwfBinary, "send", "mms", "--iwf", fmt.Sprintf("127.0.0.1:%d", e.sipPort),
		"--to", "tel:+447700900201", "--subject", "Holiday", "--text", "Look at this", "--file", pic,
		"--notify", "positive-delivery,negative-delivery").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "accepted") {
		t.Fatalf("send mms: %v\n%s", err, out)
	}
	req, types, bodies := content(t, submitted(e, relay, 1)[0])
	if req.Subject != "Holiday" || req.Recipients == nil || len(req.Recipients.To) != 1 || req.Recipients.To[0].Value != "+447700900201" ||
		req.SenderIdentification.SenderAddress == nil || req.SenderIdentification.SenderAddress.Value != "+447700900999" {
		t.Errorf("SubmitReq addresses/subject: %+v", req)
	}
	if req.DeliveryReport == nil || !*req.DeliveryReport {
		t.Errorf("SubmitReq does not ask for a delivery report")
	}
	if strings.Join(types, ",") != "application/smil,text/plain,image/jpeg" || string(bodies["text/plain"]) != "Look at this" ||
		!bytes.Equal(bodies["image/jpeg"], jpeg) || !bytes.Contains(bodies["application/smil"], []byte("<img")) {
		t.Errorf("SubmitReq parts %v; text %q; jpeg intact %v; smil %s", types, bodies["text/plain"], bytes.Equal(bodies["image/jpeg"], jpeg), bodies["application/smil"])
	}

	// A relay server error (3000) is retried until the relay takes it.
	relay.SetFault(mm7test.Fault{Status: mm7.StatusServerError})
	if acc, out, err := e.runUAC("cpm_uac_mms.xml", "SEQUENTIAL\n+447700900202;retried\n", 1, 10, "t1"); err != nil || len(acc) != 1 {
		t.Fatalf("MMS MESSAGE: %v\n%s", err, out)
	}
	submitted(e, relay, 2)
	relay.SetFault(mm7test.Fault{})
	if s := submitted(e, relay, 3)[2]; s.MessageID == "" {
		t.Errorf("the retry was refused too")
	}

	// A client error (2002) fails the message with a negative IMDN.
	relay.SetFault(mm7test.Fault{Status: mm7.StatusAddressError})
	if acc, out, err := e.runUAC("cpm_uac_mms.xml", "SEQUENTIAL\n+447700900203;refused\n", 1, 10, "t1"); err != nil || len(acc) != 1 {
		t.Fatalf("MMS MESSAGE: %v\n%s", err, out)
	}
	submitted(e, relay, 4)
	relay.SetFault(mm7test.Fault{})

	// An MO MMS to a CPM user, with an MMS user in Cc and base64 parts.
	// (SIPp's message log stops at the PNG's first NUL, so its bytes are
	// checked in the gateway's tests; here its part is.)
	png := append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{0, 0xFF, 0x80}, 400)...)
	st, err := relay.InjectDeliver(context.Background(), mm7.DeliverReq{
		Sender: &mm7.Address{Kind: mm7.KindNumber, Value: "+447700900201/TYPE=PLMN"},
		Recipients: &mm7.Recipients{
			To: mm7.AddressList{{Kind: mm7.KindNumber, Value: "+447700900555"}},
			Cc: mm7.AddressList{{Kind: mm7.KindNumber, Value: "+447700900202"}},
		},
		Subject: "Photo from MMS",
	}, []mm7.Part{{ContentType: "multipart/mixed", ContentID: "content", Parts: []mm7.Part{
		{ContentType: "text/plain; charset=utf-8", ContentID: "t1", Body: []byte("Greetings from the beach"), TransferEncoding: "base64"},
		{ContentType: "image/png", ContentID: "i1", ContentLocation: "sun.png", Body: png, TransferEncoding: "base64"},
	}}})
	if err != nil || st != mm7.StatusSuccess {
		t.Fatalf("DeliverReq answered %v, %v", st, err)
	}

	got := uas()
	if n := strings.Count(got, "<delivered/>"); n != 2 {
		t.Errorf("UAS got %d delivered IMDNs, want 2:\n%s", n, got)
	}
	if n := strings.Count(got, "<failed/>"); n != 1 {
		t.Errorf("UAS got %d failed IMDNs, want 1:\n%s", n, got)
	}
	if n := strings.Count(got, "Subject: Photo from MMS"); n != 1 || !strings.Contains(got, "Greetings from the beach") ||
		!strings.Contains(got, "MESSAGE tel:+447700900555") || !strings.Contains(got, "filename=sun.png") ||
		strings.Contains(got, "MESSAGE tel:+447700900202") {
		t.Errorf("UAS did not get the MO MMS once, to the CPM user only, with its parts:\n%s", got)
	}
}

// TestE2EMMSSIGKILLUnderLoad kills iwf while MMS traffic flows and
// restarts it: every MESSAGE that got a 202 reaches the relay.
func TestE2EMMSSIGKILLUnderLoad(t *testing.T) {
	requireTool(t, "sipp", "sip-tester")
	e, relay := mmsE2E(t)
	res := make(chan map[int]bool, 1)
	go func() {
		acc, _, _ := e.runUAC("cpm_uac_mms.xml", "SEQUENTIAL\n+447700900201;load\n", 600, 150, "u1")
		res <- acc
	}()
	time.Sleep(2 * time.Second)
	e.kill9()
	killedAt := len(relay.Submits())
	time.Sleep(300 * time.Millisecond)
	e.start()
	accepted := <-res
	if len(accepted) < 100 {
		t.Fatalf("only %d MESSAGEs accepted", len(accepted))
	}
	seen := func() map[string]int {
		m := map[string]int{}
		for _, s := range relay.Submits() {
			if s.MessageID != "" {
				m[s.Message.Operation.(*mm7.SubmitReq).Subject]++
			}
		}
		return m
	}
	repeats := e.allArrived("every accepted MMS at the relay", accepted, seen)
	t.Logf("%d of 600 accepted across a SIGKILL (at %d submits); all reached the relay; %d repeats", len(accepted), killedAt, repeats)
}

// allArrived waits until seen (texts at the peer with their counts) holds
// "load #N" for every accepted call N, and returns the repeats.
func (e *e2e) allArrived(what string, accepted map[int]bool, seen func() map[string]int) (repeats int) {
	e.t.Helper()
	e.eventually(what, 60*time.Second, func() bool {
		got := seen()
		for n := range accepted {
			if got[fmt.Sprintf("load #%d", n)] == 0 {
				return false
			}
		}
		return true
	})
	for _, c := range seen() {
		repeats += c - 1
	}
	return repeats
}

// impsE2E runs iwf with an imps section pointing at an impstest server in
// this process; imps.example.net is the IMPS domain.
func impsE2E(t *testing.T) (*e2e, *impstest.Server) {
	t.Helper()
	srv, err := impstest.NewServer(impstest.Config{Accounts: map[string]impstest.Account{"iwf-gateway": {Password: "pw", Digest: true}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	e := newE2E(t, e2eOptions{extra: fmt.Sprintf(`imps:
  server_url: %s
  user: iwf-gateway
  password: pw
  auth: digest
  poll_interval: 100ms
  relogin_min: 50ms
  domain: cpm.example.net
  remote_domains: [imps.example.net]
`, srv.URL())})
	e.waitHTTP("/readyz")
	return e, srv
}

func TestE2EIMPS(t *testing.T) {
	requireTool(t, "sipp", "sip-tester")
	e, srv := impsE2E(t)
	uas := e.startUAS(3) // 2 delivered IMDNs, 1 answer from the IMPS user

	if acc, out, err := e.runUAC("cpm_uac_im.xml", "SEQUENTIAL\nalice;imps.example.net;hello alice\n", 1, 10, "u1"); err != nil || len(acc) != 1 {
		t.Fatalf("MESSAGE to IMPS: %v\n%s", err, out)
	}
	out, err := exec.Command(iwfBinary, "send", "im", "--iwf", fmt.Sprintf("127.0.0.1:%d", e.sipPort),
		"--to", "wv:bob@imps.example.net", "--text", "hello bob").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "accepted") {
		t.Fatalf("send im: %v\n%s", err, out)
	}
	e.eventually("two SendMessage at the server", 20*time.Second, func() bool { return len(srv.Sent()) >= 2 })
	byText := map[string]impstest.Sent{}
	for _, s := range srv.Sent() {
		byText[strings.TrimSpace(s.Request.ContentData)] = s
	}
	for text, to := range map[string]string{"hello alice #1": "wv:alice@imps.example.net", "hello bob": "wv:bob@imps.example.net"} {
		s, ok := byText[text]
		if !ok {
			t.Errorf("server never got %q: %+v", text, srv.Sent())
			continue
		}
		mi := s.Request.MessageInfo
		if len(mi.Recipient.Users) != 1 || mi.Recipient.Users[0].UserID != to || mi.Sender.User == nil ||
			mi.Sender.User.UserID != "wv:+447700900999@cpm.example.net" || !bool(s.Request.DeliveryReport) {
			t.Errorf("SendMessage for %q: %+v", text, s.Request)
		}
	}

	// Alice answers.
	if _, err := srv.Inject(context.Background(), "iwf-gateway", wv.NewMessage{MessageInfo: wv.MessageInfo{
		ContentType: "text/plain", ContentSize: uint32(len("hi from IMPS")),
		Sender:    wv.Sender{User: &wv.User{UserID: "wv:alice@imps.example.net"}},
		Recipient: wv.Recipient{Users: []wv.User{{UserID: "wv:+447700900999@cpm.example.net"}}},
	}, ContentData: "hi from IMPS"}); err != nil {
		t.Fatal(err)
	}
	got := uas()
	if n := strings.Count(got, "<delivered/>"); n != 2 {
		t.Errorf("UAS got %d delivered IMDNs, want 2:\n%s", n, got)
	}
	if !strings.Contains(got, "hi from IMPS") || !strings.Contains(got, "alice@imps.example.net") {
		t.Errorf("UAS did not get Alice's answer from her:\n%s", got)
	}
	e.eventually("the answer acknowledged to the server", 10*time.Second, func() bool { return len(srv.Delivered()) == 1 })
}

// TestE2EIMPSExpiryAndSIGKILL expires the IMPS session and then kills iwf
// while traffic flows: iwf logs in again, and every MESSAGE that got a
// 202 reaches the IMPS server.
func TestE2EIMPSExpiryAndSIGKILL(t *testing.T) {
	requireTool(t, "sipp", "sip-tester")
	e, srv := impsE2E(t)
	res := make(chan map[int]bool, 1)
	go func() {
		acc, _, _ := e.runUAC("cpm_uac_im.xml", "SEQUENTIAL\nalice;imps.example.net;load\n", 800, 200, "u1")
		res <- acc
	}()
	time.Sleep(time.Second)
	srv.ExpireSessions()
	time.Sleep(time.Second)
	e.kill9()
	killedAt := len(srv.Sent())
	time.Sleep(300 * time.Millisecond)
	e.start()
	accepted := <-res
	if len(accepted) < 100 {
		t.Fatalf("only %d MESSAGEs accepted", len(accepted))
	}
	seen := func() map[string]int {
		m := map[string]int{}
		for _, s := range srv.Sent() {
			m[strings.TrimSpace(s.Request.ContentData)]++
		}
		return m
	}
	repeats := e.allArrived("every accepted MESSAGE at the IMPS server", accepted, seen)
	t.Logf("%d of 800 accepted across a session expiry and a SIGKILL (at %d sent); all reached the server; %d repeats; %d logins",
		len(accepted), killedAt, repeats, srv.Stats().Logins)
}
