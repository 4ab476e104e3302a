package mms_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/iwf-gateway/iwf/adapters/mms"
	"github.com/iwf-gateway/iwf/adapters/mms/mm7"
	"github.com/iwf-gateway/iwf/adapters/mms/mm7test"
)

func TestSubmitReturnsRelayMessageID(t *testing.T) {
	p := newPair(t, nil)
	ctx := context.Background()
	id1, err := p.vasp.Submit(ctx, submitReq("+4915112345678"), []mm7.Part{textPart("body1", "grüße €")})
	if err != nil {
		t.Fatal(err)
	}
	id2, err := p.vasp.Submit(ctx, submitReq("+4915112345679"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if id1 == "" || id1 == id2 {
		t.Fatalf("message ids %q, %q: want distinct non-empty", id1, id2)
	}
	subs := p.relay.Submits()
	if len(subs) != 2 || subs[0].MessageID != id1 {
		t.Fatalf("relay recorded %+v", subs)
	}
	m := subs[0].Message
	req := m.Operation.(*mm7.SubmitReq)
	if req.SenderIdentification.VASPID != "iwf" || req.SenderIdentification.VASID != "cpm" {
		t.Errorf("sender identification %+v, want config's", req.SenderIdentification)
	}
	if m.Version != mm7.REL6MM714 || m.TransactionID == "" {
		t.Errorf("version %q transaction %q", m.Version, m.TransactionID)
	}
	if req.Recipients.To[0].Value != "+4915112345678" || req.Subject != "hello" {
		t.Errorf("request fields lost: %+v", req)
	}
	c := m.Content()
	if c == nil || !bytes.Equal(c.Body, []byte("grüße €")) || req.Content.Href != "cid:body1" {
		t.Errorf("content %+v href %+v", c, req.Content)
	}
	if subs[0].Message.TransactionID == subs[1].Message.TransactionID {
		t.Error("transaction ids repeat")
	}
}

func TestSubmitWrongCredentialsIsPermanent(t *testing.T) {
	p := newPair(t, func(c *mms.Config) { c.Password = "wrong" })
	_, err := p.vasp.Submit(context.Background(), submitReq("+491"), nil)
	var te *mms.TransportError
	if !errors.As(err, &te) || te.HTTPStatus != 401 || te.Temporary() {
		t.Fatalf("err = %v, want permanent TransportError with http 401", err)
	}
	if strings.Contains(err.Error(), "wrong") {
		t.Errorf("error text reveals the password: %q", err)
	}
	if n := len(p.relay.Submits()); n != 0 {
		t.Errorf("relay recorded %d submits", n)
	}
}

func TestSubmitRelayStatuses(t *testing.T) {
	cases := []struct {
		fault     mm7test.Fault
		want      mm7.StatusCode
		temporary bool
	}{
		{mm7test.Fault{Status: mm7.StatusAddressError}, 2002, false},
		{mm7test.Fault{Status: mm7.StatusServerError}, 3000, true},
		{mm7test.Fault{Status: mm7.StatusMessageRejected}, 3002, true},
		{mm7test.Fault{Status: mm7.StatusServiceDenied}, 4007, false},
		{mm7test.Fault{Status: mm7.StatusServiceUnavailable}, 4006, true},
		{mm7test.Fault{Status: mm7.StatusValidationError, AsFault: true}, 4004, false},
		{mm7test.Fault{Status: mm7.StatusNotPossible, AsFault: true}, 3001, true},
	}
	p := newPair(t, nil)
	for _, tc := range cases {
		p.relay.SetFault(tc.fault)
		id, err := p.vasp.Submit(context.Background(), submitReq("+491"), nil)
		var code mm7.StatusCode
		if !errors.As(err, &code) || code != tc.want || id != "" {
			t.Errorf("fault %+v: id %q err %v, want status %d", tc.fault, id, err, tc.want)
			continue
		}
		if code.Temporary() != tc.temporary {
			t.Errorf("status %d: Temporary %v", code, code.Temporary())
		}
	}
	p.relay.SetFault(mm7test.Fault{Status: mm7.StatusPartialSuccess})
	if id, err := p.vasp.Submit(context.Background(), submitReq("+491"), nil); err != nil || id == "" {
		t.Errorf("1100 partial success: id %q err %v, want id and nil", id, err)
	}
}

func TestSubmitDroppedConnectionIsTemporary(t *testing.T) {
	p := newPair(t, nil)
	p.relay.SetFault(mm7test.Fault{Drop: true})
	_, err := p.vasp.Submit(context.Background(), submitReq("+491"), nil)
	var te *mms.TransportError
	if !errors.As(err, &te) || !te.Temporary() || te.HTTPStatus != 0 {
		t.Fatalf("err = %v, want temporary TransportError without http status", err)
	}
	p.relay.SetFault(mm7test.Fault{})
	if _, err := p.vasp.Submit(context.Background(), submitReq("+491"), nil); err != nil {
		t.Fatalf("submit after drop: %v", err)
	}
}

func TestSubmitSlowRelayTimesOut(t *testing.T) {
	p := newPair(t, func(c *mms.Config) { c.RequestTimeout = 50 * time.Millisecond })
	p.relay.SetFault(mm7test.Fault{Delay: time.Minute})
	_, err := p.vasp.Submit(context.Background(), submitReq("+491"), nil)
	var te *mms.TransportError
	if !errors.As(err, &te) || !te.Temporary() || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want temporary TransportError wrapping deadline exceeded", err)
	}
}

func TestSubmitRelayDown(t *testing.T) {
	relay, err := mm7test.NewRelay(mm7test.Config{})
	if err != nil {
		t.Fatal(err)
	}
	url := relay.URL()
	relay.Close()
	v, err := mms.New(baseConfig(url), nil, (&recorder{}).handle)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	_, err = v.Submit(context.Background(), submitReq("+491"), nil)
	var te *mms.TransportError
	if !errors.As(err, &te) || !te.Temporary() {
		t.Fatalf("err = %v, want temporary TransportError", err)
	}
}

func TestSubmitTooLargeIsRefusedLocally(t *testing.T) {
	p := newPair(t, func(c *mms.Config) { c.MaxMessageBytes = 4096 })
	big := textPart("big", strings.Repeat("x", 8192))
	_, err := p.vasp.Submit(context.Background(), submitReq("+491"), []mm7.Part{big})
	if !errors.Is(err, mm7.ErrTooLarge) {
		t.Fatalf("err = %v, want ErrTooLarge", err)
	}
	if n := len(p.relay.Submits()); n != 0 {
		t.Errorf("relay recorded %d submits", n)
	}
}

func TestCancelAndReplace(t *testing.T) {
	p := newPair(t, nil)
	ctx := context.Background()
	id, err := p.vasp.Submit(ctx, submitReq("+491"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.vasp.Replace(ctx, &mm7.ReplaceReq{MessageID: id}, []mm7.Part{textPart("new", "replaced")}); err != nil {
		t.Errorf("replace: %v", err)
	}
	if err := p.vasp.Cancel(ctx, &mm7.CancelReq{MessageID: id}); err != nil {
		t.Errorf("cancel: %v", err)
	}
	err = p.vasp.Cancel(ctx, &mm7.CancelReq{MessageID: "nope"})
	if !errors.Is(err, mm7.StatusMessageIDNotFound) {
		t.Errorf("cancel unknown id: %v, want 2005", err)
	}
}

func TestSubmitReusesConnection(t *testing.T) {
	p := newPair(t, nil)
	for i := 0; i < 5; i++ {
		if _, err := p.vasp.Submit(context.Background(), submitReq("+491"), nil); err != nil {
			t.Fatal(err)
		}
	}
	if n := p.relay.Conns(); n != 1 {
		t.Errorf("5 sequential submits used %d connections, want 1", n)
	}
}

func TestSubmitUnreadableAnswerIsTemporary(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		_, _ = w.Write([]byte("<html>proxy says hi</html>"))
	}))
	defer srv.Close()
	v, err := mms.New(baseConfig(srv.URL), nil, (&recorder{}).handle)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	_, err = v.Submit(context.Background(), submitReq("+491"), nil)
	var te *mms.TransportError
	if !errors.As(err, &te) || !te.Temporary() || !errors.Is(err, mms.ErrUnexpectedAnswer) {
		t.Fatalf("err = %v, want temporary ErrUnexpectedAnswer", err)
	}
}

func TestSubmitOverTLS(t *testing.T) {
	creds := make(chan [2]string, 4)
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, pw, _ := r.BasicAuth()
		creds <- [2]string{u, pw}
		ct, body, err := mm7.Encode(mm7.Message{TransactionID: "t", Operation: &mm7.SubmitRsp{
			Status: mm7.Status{Code: mm7.StatusSuccess}, MessageID: "tls-1"}}, mm7.REL6MM714)
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		w.Header().Set("Content-Type", ct)
		_, _ = w.Write(body)
	}))
	defer srv.Close()
	// An unknown certificate is refused.
	strict, err := mms.New(baseConfig(srv.URL+"/mm7"), nil, (&recorder{}).handle)
	if err != nil {
		t.Fatal(err)
	}
	defer strict.Close()
	if _, err := strict.Submit(context.Background(), submitReq("+491"), nil); err == nil {
		t.Fatal("submit to an unverified certificate succeeded")
	}
	cfg := baseConfig(srv.URL + "/mm7")
	cfg.TLSSkipVerify = true
	v, err := mms.New(cfg, nil, (&recorder{}).handle)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	id, err := v.Submit(context.Background(), submitReq("+491"), nil)
	if err != nil || id != "tls-1" {
		t.Fatalf("id %q err %v", id, err)
	}
	if c := <-creds; c != [2]string{"iwf", "secret"} {
		t.Errorf("relay saw user %q", c[0])
	}
}
