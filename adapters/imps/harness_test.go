package imps_test

import (
	"context"
	"testing"
	"time"

	"github.com/iwf-gateway/iwf/adapters/imps"
	"github.com/iwf-gateway/iwf/adapters/imps/impstest"
	"github.com/iwf-gateway/iwf/adapters/imps/wv"
	"github.com/iwf-gateway/iwf/internal/leakcheck"
)

const (
	user     = "iwf-gateway"
	password = "secret"
)

// eventually polls cond for up to 10s; it bounds waits, it does not time
// behaviour.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	for range 2000 {
		if cond() {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

// checkLeaks fails when goroutines started during the test outlive it.
func checkLeaks(t *testing.T) { leakcheck.Check(t) }

type harness struct {
	srv    *impstest.Server
	client *imps.Client
	runErr chan error
}

func newServer(t testing.TB, cfg impstest.Config) *impstest.Server {
	t.Helper()
	if cfg.Accounts == nil {
		cfg.Accounts = map[string]impstest.Account{user: {Password: password}}
	}
	srv, err := impstest.NewServer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	return srv
}

func clientConfig(srv *impstest.Server) imps.Config {
	return imps.Config{ServerURL: srv.URL(), User: user, Password: password,
		PollInterval: time.Hour, ReloginMin: 5 * time.Millisecond, ReloginMax: 20 * time.Millisecond,
		Domain: "cpm.example.net", RemoteDomains: []string{"imps.example.net"}}
}

// start runs a Client against srv; with ready it waits for the session.
func start(t testing.TB, srv *impstest.Server, cfg imps.Config, h imps.Handler, ready bool, opts ...imps.Option) *harness {
	t.Helper()
	c, err := imps.New(cfg, nil, h, opts...)
	if err != nil {
		t.Fatal(err)
	}
	hs := &harness{srv: srv, client: c, runErr: make(chan error, 1)}
	go func() { hs.runErr <- c.Run(context.Background()) }()
	t.Cleanup(func() {
		c.Close()
		<-hs.runErr
	})
	if ready {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := c.WaitReady(ctx); err != nil {
			t.Fatalf("not ready: %v", err)
		}
	}
	return hs
}

func newMessage(text string) wv.NewMessage {
	return wv.NewMessage{MessageInfo: wv.MessageInfo{ContentType: "text/plain", ContentSize: uint32(len(text)),
		Recipient: wv.Recipient{Users: []wv.User{{UserID: "wv:alice@cpm.example.net"}}},
		Sender:    wv.Sender{User: &wv.User{UserID: "wv:bob@imps.example.net"}}}, ContentData: text}
}

func sendRequest(text string, report bool) *wv.SendMessageRequest {
	return &wv.SendMessageRequest{DeliveryReport: wv.Bool(report), ContentData: text,
		MessageInfo: wv.MessageInfo{ContentType: "text/plain", ContentSize: uint32(len(text)),
			Recipient: wv.Recipient{Users: []wv.User{{UserID: "wv:bob@imps.example.net"}}},
			Sender:    wv.Sender{User: &wv.User{UserID: "wv:alice@cpm.example.net"}}}}
}

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}
