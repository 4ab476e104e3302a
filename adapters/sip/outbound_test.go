package sip

import (
	"context"
	"errors"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// fakeCore is a sipgo UAS standing in for the SIP/IP core: UDP and TCP on
// the same 127.0.0.1 port, recording every MESSAGE and answering code.
type fakeCore struct {
	port int
	mu   sync.Mutex
	got  []*sip.Request
	code int
	hdrs []sip.Header
}

func startFakeCore(t *testing.T, code int, hdrs ...sip.Header) *fakeCore {
	t.Helper()
	fc := &fakeCore{code: code, hdrs: hdrs}
	ua, err := sipgo.NewUA(sipgo.WithUserAgent("core"))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := sipgo.NewServer(ua)
	if err != nil {
		t.Fatal(err)
	}
	srv.OnMessage(func(req *sip.Request, tx sip.ServerTransaction) {
		fc.mu.Lock()
		fc.got = append(fc.got, req)
		code := fc.code
		fc.mu.Unlock()
		res := sip.NewResponseFromRequest(req, code, "Test", nil)
		for _, h := range fc.hdrs {
			res.AppendHeader(h)
		}
		tx.Respond(res)
	})
	ln, pc := listenPair(t)
	fc.port = ln.Addr().(*net.TCPAddr).Port
	var wg sync.WaitGroup
	wg.Go(func() { srv.ServeTCP(ln) })
	wg.Go(func() { srv.ServeUDP(pc) })
	t.Cleanup(func() {
		ln.Close()
		pc.Close()
		ua.Close()
		wg.Wait()
	})
	return fc
}

// listenPair binds TCP and UDP on one free 127.0.0.1 port.
func listenPair(t *testing.T) (net.Listener, net.PacketConn) {
	t.Helper()
	for range 20 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		pc, err := net.ListenPacket("udp", ln.Addr().String())
		if err == nil {
			return ln, pc
		}
		ln.Close()
	}
	t.Fatal("no free port pair")
	return nil, nil
}

func (fc *fakeCore) requests() []*sip.Request {
	fc.mu.Lock()
	defer fc.mu.Unlock()
	return append([]*sip.Request(nil), fc.got...)
}

func (fc *fakeCore) proxy(params string) string {
	return "sip:127.0.0.1:" + strconv.Itoa(fc.port) + params
}

func outgoing(body string) *Outgoing {
	return &Outgoing{
		RequestURI:        "sip:+4915112345678@ims.example.net;user=phone",
		From:              "sip:+4917698765432@iwf.example.net;user=phone",
		PAssertedIdentity: "tel:+4917698765432",
		ContentType:       "message/cpim",
		Body:              []byte(body),
		ConversationID:    "conv-1",
		ContributionID:    "contrib-1",
	}
}

func sendCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), ioBound)
	t.Cleanup(cancel)
	return ctx
}

func TestSendUDPAndLargeOverTCP(t *testing.T) {
	fc := startFakeCore(t, 202)
	e := startEndpoint(t, Config{OutboundProxy: fc.proxy(""), Domain: "iwf.example.net"}, (&recorder{}).handle)
	small, large := "hello", strings.Repeat("x", 1400)
	for _, body := range []string{small, large} {
		if err := e.Send(sendCtx(t), outgoing(body)); err != nil {
			t.Fatalf("Send(%d bytes): %v", len(body), err)
		}
	}
	got := fc.requests()
	if len(got) != 2 {
		t.Fatalf("core got %d requests", len(got))
	}
	for i, wantTransport := range []string{"UDP", "TCP"} {
		req := got[i]
		if req.Transport() != wantTransport {
			t.Errorf("request %d over %s, want %s", i, req.Transport(), wantTransport)
		}
		if v := req.Via(); v == nil || v.Transport != wantTransport || v.Host != "127.0.0.1" {
			t.Errorf("request %d Via = %v", i, req.Via())
		}
		checkHeader(t, req, "Accept-Contact", cpmAcceptContact)
		checkHeader(t, req, "P-Asserted-Identity", "<tel:+4917698765432>")
		checkHeader(t, req, "Content-Type", "message/cpim")
		checkHeader(t, req, "Conversation-ID", "conv-1")
		checkHeader(t, req, "Contribution-ID", "contrib-1")
		checkHeader(t, req, "Route", "<"+fc.proxy(";lr")+">")
		checkHeader(t, req, "User-Agent", "iwf")
		if from := req.From(); from == nil || from.Address.String() != "sip:+4917698765432@iwf.example.net;user=phone" || !from.Params.Has("tag") {
			t.Errorf("From = %v", req.From())
		}
		if to := req.To(); to == nil || to.Address.String() != "sip:+4915112345678@ims.example.net;user=phone" {
			t.Errorf("To = %v", req.To())
		}
		if req.Recipient.String() != "sip:+4915112345678@ims.example.net;user=phone" {
			t.Errorf("Request-URI = %s", req.Recipient.String())
		}
		if c := req.CallID(); c == nil || !strings.HasSuffix(c.Value(), "@iwf.example.net") {
			t.Errorf("Call-ID = %v", req.CallID())
		}
	}
	if string(got[1].Body()) != large {
		t.Errorf("large body altered")
	}
}

func checkHeader(t *testing.T, req *sip.Request, name, want string) {
	t.Helper()
	h := req.GetHeader(name)
	if h == nil {
		t.Errorf("%s missing", name)
		return
	}
	if h.Value() != want {
		t.Errorf("%s = %q, want %q", name, h.Value(), want)
	}
}

func TestSendProxyTransportTCP(t *testing.T) {
	fc := startFakeCore(t, 200)
	e := startEndpoint(t, Config{OutboundProxy: fc.proxy(";transport=tcp")}, (&recorder{}).handle)
	if err := e.Send(sendCtx(t), outgoing("small")); err != nil {
		t.Fatal(err)
	}
	if got := fc.requests(); len(got) != 1 || got[0].Transport() != "TCP" {
		t.Fatalf("core got %v", got)
	}
}

func TestSendStatusError(t *testing.T) {
	fc := startFakeCore(t, 486, sip.NewHeader("Retry-After", "120 (busy)"))
	e := startEndpoint(t, Config{OutboundProxy: fc.proxy("")}, (&recorder{}).handle)
	err := e.Send(sendCtx(t), outgoing("x"))
	var se *StatusError
	if !errors.As(err, &se) {
		t.Fatalf("err = %v, want *StatusError", err)
	}
	if se.Code != 486 || se.Reason != "Test" || se.RetryAfter() != 120*time.Second || !se.Temporary() {
		t.Errorf("got %+v temporary=%v", se, se.Temporary())
	}
	if se.Error() != "sip: 486 Test" {
		t.Errorf("Error() = %q", se.Error())
	}
}

func TestSendTimeout(t *testing.T) {
	silent, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	e := startEndpoint(t, Config{OutboundProxy: "sip:" + silent.LocalAddr().String(), TransactionTimeout: 300 * time.Millisecond}, (&recorder{}).handle)
	err = e.Send(sendCtx(t), outgoing("x"))
	var te *TransactionError
	if !errors.As(err, &te) || !errors.Is(err, ErrTimeout) || !te.Temporary() {
		t.Fatalf("err = %v, want TransactionError wrapping ErrTimeout", err)
	}
	buf := make([]byte, 4096)
	silent.SetReadDeadline(time.Now().Add(ioBound))
	n, _, err := silent.ReadFrom(buf)
	if err != nil || !strings.HasPrefix(string(buf[:n]), "MESSAGE sip:") {
		t.Fatalf("silent peer read %q, %v", buf[:n], err)
	}
}

func TestSendInvalid(t *testing.T) {
	e := startEndpoint(t, Config{}, (&recorder{}).handle)
	bad := []*Outgoing{
		nil,
		{RequestURI: "not a uri", From: "sip:a@b"},
		{RequestURI: "tel:+49123", From: "sip:a@b"}, // no proxy: tel cannot be routed
		{RequestURI: "sip:a@127.0.0.1", From: "sip:a@b", ContentType: "text/plain\r\nX-Evil: 1", Body: []byte("x")},
		{RequestURI: "sip:a@127.0.0.1", From: "sip:a@b", Body: []byte("x")},
		{RequestURI: "sip:a@127.0.0.1", From: "sip:a@b", PAssertedIdentity: "<tel:1>"},
	}
	for i, m := range bad {
		if err := e.Send(sendCtx(t), m); !errors.Is(err, ErrInvalidOutgoing) {
			t.Errorf("case %d: err = %v, want ErrInvalidOutgoing", i, err)
		}
	}
}

func TestSendBeforeStartAndAfterClose(t *testing.T) {
	e, err := New(Config{Listen: []string{"udp:127.0.0.1:0"}}, nil, (&recorder{}).handle)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Send(context.Background(), outgoing("x")); !errors.Is(err, ErrNotStarted) {
		t.Errorf("before Start: %v", err)
	}
	if err := e.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := e.Start(context.Background()); !errors.Is(err, ErrAlreadyStarted) {
		t.Errorf("second Start: %v", err)
	}
	e.Close()
	o := outgoing("x")
	o.RequestURI = "sip:a@127.0.0.1"
	if err := e.Send(context.Background(), o); !errors.Is(err, ErrClosed) {
		t.Errorf("after Close: %v", err)
	}
}
