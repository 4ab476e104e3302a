package mms_test

import (
	"context"
	"sync"
	"testing"

	"github.com/iwf-gateway/iwf/adapters/mms"
	"github.com/iwf-gateway/iwf/adapters/mms/mm7"
	"github.com/iwf-gateway/iwf/adapters/mms/mm7test"
)

// recorder is a Handler that records what it is given and answers with
// the error answer returns.
type recorder struct {
	mu      sync.Mutex
	got     []mm7.Message
	answer  error
	discard bool // count only (benchmarks)
	n       int
}

func (r *recorder) handle(_ context.Context, m mm7.Message) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.n++
	if !r.discard {
		r.got = append(r.got, m)
	}
	return r.answer
}

func (r *recorder) messages() []mm7.Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]mm7.Message(nil), r.got...)
}

// pair is a started VASP linked both ways to a fake relay with
// credentials on both sides.
type pair struct {
	vasp  *mms.VASP
	relay *mm7test.Relay
	rec   *recorder
	cfg   mms.Config
}

func baseConfig(relayURL string) mms.Config {
	return mms.Config{
		RelayURL: relayURL, Listen: "127.0.0.1:0",
		VASPID: "iwf", VASID: "cpm", Username: "iwf", Password: "secret",
		InboundUsername: "relay", InboundPassword: "relay-secret",
	}
}

func newPair(t testing.TB, tweak func(*mms.Config)) *pair {
	t.Helper()
	relay, err := mm7test.NewRelay(mm7test.Config{Username: "iwf", Password: "secret"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(relay.Close)
	cfg := baseConfig(relay.URL())
	if tweak != nil {
		tweak(&cfg)
	}
	rec := &recorder{}
	v, err := mms.New(cfg, nil, rec.handle)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { v.Close() })
	if err := v.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	relay.SetVASP("http://"+v.Addr()+"/mm7", cfg.InboundUsername, cfg.InboundPassword)
	return &pair{vasp: v, relay: relay, rec: rec, cfg: cfg}
}

func submitReq(to string) *mm7.SubmitReq {
	return &mm7.SubmitReq{
		Recipients: &mm7.Recipients{To: mm7.AddressList{{Kind: mm7.KindNumber, Value: to}}},
		Subject:    "hello",
	}
}

func textPart(id, body string) mm7.Part {
	return mm7.Part{ContentType: `text/plain; charset="utf-8"`, ContentID: id, Body: []byte(body)}
}
