package mms_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/iwf-gateway/iwf/adapters/mms"
	"github.com/iwf-gateway/iwf/adapters/mms/mm7"
	"github.com/iwf-gateway/iwf/adapters/mms/mm7test"
)

func deliverReq() mm7.DeliverReq {
	return mm7.DeliverReq{
		Sender:     &mm7.Address{Kind: mm7.KindNumber, Value: "+4915112345678"},
		Recipients: &mm7.Recipients{To: mm7.AddressList{{Kind: mm7.KindShortCode, Value: "1234"}}},
		Subject:    "mo",
	}
}

func TestDeliverReachesHandler(t *testing.T) {
	p := newPair(t, nil)
	st, err := p.relay.InjectDeliver(context.Background(), deliverReq(), []mm7.Part{textPart("t1", "héllo")})
	if err != nil || st != mm7.StatusSuccess {
		t.Fatalf("deliver answered %d, %v; want 1000", st, err)
	}
	got := p.rec.messages()
	if len(got) != 1 {
		t.Fatalf("handler called %d times", len(got))
	}
	req, ok := got[0].Operation.(*mm7.DeliverReq)
	if !ok || req.Sender.Value != "+4915112345678" || req.Subject != "mo" {
		t.Fatalf("handler saw %+v", got[0].Operation)
	}
	if c := got[0].Content(); c == nil || string(c.Body) != "héllo" {
		t.Errorf("content %+v", c)
	}
}

func TestHandlerErrorsBecomeStatuses(t *testing.T) {
	cases := []struct {
		err  error
		want mm7.StatusCode
	}{
		{mm7.StatusAddressNotFound, 2003},
		{fmt.Errorf("route: %w", mm7.StatusServiceUnavailable), 4006},
		{errors.New("journal: disk full"), 3000},
		{mm7.StatusCode(7), 3000}, // not an MM7 status
	}
	p := newPair(t, nil)
	for _, tc := range cases {
		p.rec.mu.Lock()
		p.rec.answer = tc.err
		p.rec.mu.Unlock()
		st, err := p.relay.InjectDeliver(context.Background(), deliverReq(), nil)
		if err != nil || st != tc.want {
			t.Errorf("handler error %v: answered %d, %v; want %d", tc.err, st, err, tc.want)
		}
	}
}

func TestReportsReachHandler(t *testing.T) {
	p := newPair(t, nil)
	yes := true
	req := submitReq("+491")
	req.DeliveryReport, req.ReadReply = &yes, &yes
	id, err := p.vasp.Submit(context.Background(), req, nil)
	if err != nil {
		t.Fatal(err)
	}
	reps, err := p.relay.WaitReports(context.Background(), 2)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range reps {
		if r.Err != nil || r.Status != mm7.StatusSuccess || r.MessageID != id {
			t.Errorf("report %+v, want 1000 for %s", r, id)
		}
	}
	var dr *mm7.DeliveryReportReq
	var rr *mm7.ReadReplyReq
	for _, m := range p.rec.messages() {
		switch op := m.Operation.(type) {
		case *mm7.DeliveryReportReq:
			dr = op
		case *mm7.ReadReplyReq:
			rr = op
		}
	}
	if dr == nil || dr.MessageID != id || dr.MMStatus != "Retrieved" {
		t.Errorf("delivery report %+v", dr)
	}
	if rr == nil || rr.MessageID != id || rr.MMStatus != "Read" {
		t.Errorf("read reply %+v", rr)
	}
}

func TestInboundWrongCredentials(t *testing.T) {
	p := newPair(t, nil)
	p.relay.SetVASP("http://"+p.vasp.Addr()+"/mm7", "relay", "guess")
	_, err := p.relay.InjectDeliver(context.Background(), deliverReq(), nil)
	var he *mm7test.HTTPError
	if !errors.As(err, &he) || he.Code != http.StatusUnauthorized {
		t.Fatalf("err = %v, want http 401", err)
	}
	// No credentials at all.
	rsp := rawPost(t, p.vasp.Addr(), "", "", "text/xml", "<x/>")
	if rsp.StatusCode != http.StatusUnauthorized || rsp.Header.Get("WWW-Authenticate") == "" {
		t.Errorf("no credentials: http %d, WWW-Authenticate %q", rsp.StatusCode, rsp.Header.Get("WWW-Authenticate"))
	}
	if n := len(p.rec.messages()); n != 0 {
		t.Errorf("handler called %d times", n)
	}
}

func TestMalformedInboundGetsFault(t *testing.T) {
	p := newPair(t, nil)
	ctx := context.Background()
	cases := []struct {
		name, ct, body string
		want           mm7.StatusCode
	}{
		{"not xml", "text/xml", "<Envelope", mm7.StatusValidationError},
		{"doctype", "text/xml", `<!DOCTYPE x [<!ENTITY a "b">]><x/>`, mm7.StatusValidationError},
		{"bad content type", "image/png", "\x89PNG", mm7.StatusValidationError},
		{"no boundary", "multipart/related", "--x--", mm7.StatusValidationError},
	}
	for _, tc := range cases {
		st, err := p.relay.PostRaw(ctx, tc.ct, []byte(tc.body))
		if st != tc.want || !errors.Is(err, tc.want) {
			t.Errorf("%s: answered %d, %v; want fault %d", tc.name, st, err, tc.want)
		}
	}
	// A SubmitReq is well formed but not for a VASP.
	st, err := p.relay.Post(ctx, mm7.Message{TransactionID: "x1", Operation: submitReq("+491")})
	if st != mm7.StatusUnsupportedOperation || err == nil {
		t.Errorf("SubmitReq to vasp: answered %d, %v; want 4003", st, err)
	}
	if n := len(p.rec.messages()); n != 0 {
		t.Errorf("handler called %d times", n)
	}
}

func TestOversizeInboundRefused(t *testing.T) {
	p := newPair(t, func(c *mms.Config) { c.MaxMessageBytes = 4096 })
	big := textPart("big", strings.Repeat("y", 8192))
	st, err := p.relay.InjectDeliver(context.Background(), deliverReq(), []mm7.Part{big})
	if st != mm7.StatusValidationError || err == nil {
		t.Errorf("oversize deliver answered %d, %v; want 4004", st, err)
	}
	rsp := rawPost(t, p.vasp.Addr(), "relay", "relay-secret", "text/xml", strings.Repeat("z", 5000))
	if rsp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("oversize raw post: http %d, want 413", rsp.StatusCode)
	}
	if n := len(p.rec.messages()); n != 0 {
		t.Errorf("handler called %d times", n)
	}
}

func TestInboundOnlyPost(t *testing.T) {
	p := newPair(t, nil)
	req, _ := http.NewRequest(http.MethodGet, "http://"+p.vasp.Addr()+"/mm7", nil)
	req.SetBasicAuth("relay", "relay-secret")
	rsp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	rsp.Body.Close()
	if rsp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET: http %d, want 405", rsp.StatusCode)
	}
}

func rawPost(t *testing.T, addr, user, pass, ct, body string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, "http://"+addr+"/mm7", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", ct)
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	rsp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, rsp.Body)
	rsp.Body.Close()
	return rsp
}
