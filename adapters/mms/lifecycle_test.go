package mms_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/iwf-gateway/iwf/adapters/mms"
	"github.com/iwf-gateway/iwf/adapters/mms/mm7"
	"github.com/iwf-gateway/iwf/adapters/mms/mm7test"
)

// blockingHandler signals entered and waits for release.
type blockingHandler struct {
	entered chan struct{}
	release chan struct{}
}

func (b *blockingHandler) handle(ctx context.Context, _ mm7.Message) error {
	b.entered <- struct{}{}
	select {
	case <-b.release:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func startBlocking(t testing.TB) (*mms.VASP, *mm7test.Relay, *blockingHandler) {
	t.Helper()
	relay, err := mm7test.NewRelay(mm7test.Config{Username: "iwf", Password: "secret"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(relay.Close)
	b := &blockingHandler{entered: make(chan struct{}, 1), release: make(chan struct{})}
	cfg := baseConfig(relay.URL())
	v, err := mms.New(cfg, nil, b.handle)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { v.Close() })
	if err := v.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	relay.SetVASP("http://"+v.Addr()+"/mm7", cfg.InboundUsername, cfg.InboundPassword)
	return v, relay, b
}

type deliverResult struct {
	st  mm7.StatusCode
	err error
}

func TestShutdownWaitsForHandler(t *testing.T) {
	v, relay, b := startBlocking(t)
	res := make(chan deliverResult, 1)
	go func() {
		st, err := relay.InjectDeliver(context.Background(), deliverReq(), nil)
		res <- deliverResult{st, err}
	}()
	<-b.entered
	done := make(chan error, 1)
	go func() { done <- v.Shutdown(context.Background()) }()
	select {
	case err := <-done:
		t.Fatalf("Shutdown returned %v while a handler was running", err)
	case r := <-res:
		t.Fatalf("relay answered %+v before the handler returned", r)
	default:
	}
	close(b.release)
	if err := <-done; err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if r := <-res; r.err != nil || r.st != mm7.StatusSuccess {
		t.Fatalf("in-flight deliver answered %+v, want 1000", r)
	}
	if _, err := v.Submit(context.Background(), submitReq("+491"), nil); !errors.Is(err, mms.ErrClosed) {
		t.Errorf("submit after shutdown: %v, want ErrClosed", err)
	}
	if err := v.Close(); err != nil {
		t.Errorf("second close: %v", err)
	}
	if err := v.Shutdown(context.Background()); err != nil {
		t.Errorf("second shutdown: %v", err)
	}
}

func TestShutdownDeadlineCancelsHandler(t *testing.T) {
	v, relay, b := startBlocking(t)
	res := make(chan deliverResult, 1)
	go func() {
		st, err := relay.InjectDeliver(context.Background(), deliverReq(), nil)
		res <- deliverResult{st, err}
	}()
	<-b.entered
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := v.Shutdown(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Shutdown with ended ctx: %v", err)
	}
	// The handler saw its context end; the relay got no positive answer.
	if r := <-res; r.st == mm7.StatusSuccess {
		t.Fatalf("cancelled deliver answered %+v", r)
	}
}

func TestCloseCancelsSubmit(t *testing.T) {
	p := newPair(t, nil)
	p.relay.SetFault(mm7test.Fault{Delay: 1 << 40})
	errc := make(chan error, 1)
	go func() {
		_, err := p.vasp.Submit(context.Background(), submitReq("+491"), nil)
		errc <- err
	}()
	// Close either cancels the submit in flight or refuses it; both end it.
	p.vasp.Close()
	err := <-errc
	var te *mms.TransportError
	if !errors.Is(err, mms.ErrClosed) && !(errors.As(err, &te) && te.Temporary()) {
		t.Fatalf("submit during close: %v", err)
	}
}

func TestConfigValidate(t *testing.T) {
	good := baseConfig("http://127.0.0.1:1/mm7")
	if err := good.Validate(); err != nil {
		t.Fatalf("good config: %v", err)
	}
	d := good.WithDefaults()
	if d.Version != "REL-6-MM7-1-4" || d.MaxMessageBytes != 614400 || d.MaxConns != 16 {
		t.Errorf("defaults %+v", d)
	}
	cases := map[string]func(*mms.Config){
		"relay_url":        func(c *mms.Config) { c.RelayURL = "" },
		"not an http":      func(c *mms.Config) { c.RelayURL = "ftp://x/y" },
		"listen":           func(c *mms.Config) { c.Listen = "nohostport" },
		"inbound_username": func(c *mms.Config) { c.InboundPassword = "" },
		"version":          func(c *mms.Config) { c.Version = "REL-4-MM7-1-0" },
		"max_message":      func(c *mms.Config) { c.MaxMessageBytes = 10 },
		"request_timeout":  func(c *mms.Config) { c.RequestTimeout = -1 },
	}
	for want, tweak := range cases {
		c := good
		tweak(&c)
		err := c.Validate()
		if err == nil || !strings.Contains(err.Error(), want) || !strings.HasPrefix(err.Error(), "mms: config: ") {
			t.Errorf("%s: Validate = %v", want, err)
		}
		if _, err := mms.New(c, nil, (&recorder{}).handle); err == nil {
			t.Errorf("%s: New accepted a bad config", want)
		}
	}
	bad := good
	bad.Password, bad.InboundPassword = "topsecret1", ""
	if err := bad.Validate(); err == nil || strings.Contains(err.Error(), "topsecret1") {
		t.Errorf("Validate error %v reveals credentials or passes", err)
	}
}
