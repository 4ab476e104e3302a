package sip

import (
	"context"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/iwf-gateway/iwf/adapters/sip/mediasession"
	"github.com/iwf-gateway/iwf/adapters/sip/sdp"
)

// fakeUAS is a CPM client answering iwf's INVITEs, built on sipgo and
// mediasession rather than on Endpoint, so that a test can script its
// answers (status, Session-Expires) and see every request iwf sends in
// the dialog.
type fakeUAS struct {
	t        testing.TB
	port     int
	requests chan *sip.Request // every INVITE, re-INVITE, ACK, BYE and UPDATE
	media    *mediasession.Endpoint
	messages chan *mediasession.Message

	mu     sync.Mutex
	codes  []int  // answers to the next INVITEs; 200 once used up
	expiry string // Session-Expires of the 2xx; "" for none
	answer []byte // the SDP answer of the dialog, sent again on re-INVITE
	msrp   *mediasession.Session
}

func startFakeUAS(t testing.TB, expiry string, codes ...int) *fakeUAS {
	t.Helper()
	f := &fakeUAS{t: t, requests: make(chan *sip.Request, 64), messages: make(chan *mediasession.Message, 16),
		codes: codes, expiry: expiry}
	media, err := mediasession.NewEndpoint(mediasession.EndpointConfig{Listen: "127.0.0.1:0"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := media.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	f.media = media
	ua, err := sipgo.NewUA(sipgo.WithUserAgent("fake-uas"))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := sipgo.NewServer(ua)
	if err != nil {
		t.Fatal(err)
	}
	srv.OnInvite(f.onInvite)
	srv.OnAck(func(req *sip.Request, tx sip.ServerTransaction) { f.requests <- req })
	srv.OnBye(f.okay)
	srv.OnRequest(sip.UPDATE, f.okay)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f.port = ln.Addr().(*net.TCPAddr).Port
	var wg sync.WaitGroup
	wg.Go(func() { srv.ServeTCP(ln) })
	t.Cleanup(func() {
		ln.Close()
		ua.Close()
		media.Close()
		wg.Wait()
	})
	return f
}

func (f *fakeUAS) proxy() string { return "sip:127.0.0.1:" + strconv.Itoa(f.port) + ";transport=tcp" }

func (f *fakeUAS) contact() *sip.ContactHeader {
	return &sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: "fake", Host: "127.0.0.1", Port: f.port,
		UriParams: sip.HeaderParams{{K: "transport", V: "tcp"}}}}
}

func (f *fakeUAS) onInvite(req *sip.Request, tx sip.ServerTransaction) {
	f.requests <- req
	f.mu.Lock()
	code := 200
	if len(f.codes) > 0 {
		code, f.codes = f.codes[0], f.codes[1:]
	}
	f.mu.Unlock()
	if code == 180 { // ring until cancelled
		tx.OnCancel(func(c *sip.Request) { f.requests <- c })
		tx.Respond(sip.NewResponseFromRequest(req, 180, "Ringing", nil))
		<-tx.Done()
		return
	}
	if code != 200 {
		res := sip.NewResponseFromRequest(req, code, "Scripted", nil)
		if code == 422 {
			res.AppendHeader(sip.NewHeader("Min-SE", "3"))
		}
		tx.Respond(res)
		return
	}
	body := f.answerFor(req)
	if body == nil {
		tx.Respond(sip.NewResponseFromRequest(req, 488, "Not Acceptable Here", nil))
		return
	}
	res := sip.NewSDPResponseFromRequest(req, body)
	res.AppendHeader(f.contact())
	f.mu.Lock()
	if f.expiry != "" {
		res.AppendHeader(sip.NewHeader("Session-Expires", f.expiry))
		res.AppendHeader(sip.NewHeader("Require", "timer"))
	}
	f.mu.Unlock()
	tx.Respond(res)
}

// answerFor answers the first INVITE with a new MSRP session (passive:
// iwf connects) and a re-INVITE with the same answer.
func (f *fakeUAS) answerFor(req *sip.Request) []byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.answer != nil {
		return f.answer
	}
	offer, err := sdp.Parse(req.Body())
	if err != nil {
		return nil
	}
	s, err := f.media.NewSession(mediasession.SessionOptions{Handler: func(ctx context.Context, _ *mediasession.Session, m *mediasession.Message) error {
		f.messages <- m
		return nil
	}})
	if err != nil {
		return nil
	}
	u := s.LocalURI()
	ans, err := sdp.Answer(offer, sdp.AnswerConfig{Local: sdp.Local{SessionID: 7, Address: "127.0.0.1", Port: u.Port,
		Path: u.String(), AcceptTypes: []string{"*"}}})
	if err != nil {
		return nil
	}
	if f.answer, err = ans.Marshal(); err != nil {
		return nil
	}
	f.msrp = s
	return f.answer
}

func (f *fakeUAS) okay(req *sip.Request, tx sip.ServerTransaction) {
	f.requests <- req
	res := sip.NewResponseFromRequest(req, 200, "OK", nil)
	f.mu.Lock()
	if f.expiry != "" && req.Method == sip.UPDATE {
		res.AppendHeader(sip.NewHeader("Session-Expires", f.expiry))
	}
	f.mu.Unlock()
	tx.Respond(res)
}

// next returns the next request iwf sent of method.
func (f *fakeUAS) next(method sip.RequestMethod) *sip.Request {
	f.t.Helper()
	timeout := time.After(ioBound)
	for {
		select {
		case req := <-f.requests:
			if req.Method == method {
				return req
			}
		case <-timeout:
			f.t.Fatalf("iwf sent no %s", method)
			return nil
		}
	}
}

func header(req *sip.Request, name string) string {
	if h := req.GetHeader(name); h != nil {
		return h.Value()
	}
	return ""
}
