package gateway

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/iwf-gateway/iwf/adapters/sip"
	"github.com/iwf-gateway/iwf/adapters/smpp"
	"github.com/iwf-gateway/iwf/addressmap"
	"github.com/iwf-gateway/iwf/cpm"
	"github.com/iwf-gateway/iwf/journal/local"
	"github.com/iwf-gateway/iwf/translate"
)

// fakeSMSC is an SMSCLink that records submits and answers from a script.
type fakeSMSC struct {
	mu      sync.Mutex
	subs    []smpp.ShortMessage
	ids     []string
	script  []error // consumed one per Submit; nil entries succeed
	failAll error   // when set, every Submit fails with it
	n       int
	down    bool
}

func (f *fakeSMSC) Submit(ctx context.Context, sm *smpp.ShortMessage) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.down {
		return "", smpp.ErrNotBound
	}
	if f.failAll != nil {
		return "", f.failAll
	}
	if len(f.script) > 0 {
		err := f.script[0]
		f.script = f.script[1:]
		if err != nil {
			return "", err
		}
	}
	f.n++
	id := fmt.Sprintf("%08X", 0xA000+f.n)
	f.subs = append(f.subs, *sm)
	f.ids = append(f.ids, id)
	return id, nil
}

func (f *fakeSMSC) Ready() bool { f.mu.Lock(); defer f.mu.Unlock(); return !f.down }

func (f *fakeSMSC) WaitReady(ctx context.Context) error {
	for !f.Ready() {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
	return nil
}

func (f *fakeSMSC) submitted() ([]smpp.ShortMessage, []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]smpp.ShortMessage(nil), f.subs...), append([]string(nil), f.ids...)
}

func (f *fakeSMSC) setFailAll(err error) { f.mu.Lock(); f.failAll = err; f.mu.Unlock() }

func (f *fakeSMSC) setDown(down bool) { f.mu.Lock(); f.down = down; f.mu.Unlock() }

// fakeCPM is a CPMLink that records what iwf sends toward CPM users.
type fakeCPM struct {
	mu      sync.Mutex
	sent    []sip.Outgoing
	failAll error
}

func (f *fakeCPM) Send(ctx context.Context, m *sip.Outgoing) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failAll != nil {
		return f.failAll
	}
	f.sent = append(f.sent, *m)
	return nil
}

func (f *fakeCPM) outgoing() []sip.Outgoing {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]sip.Outgoing(nil), f.sent...)
}

// harness runs a gateway over a real local journal and fake links.
type harness struct {
	t    *testing.T
	dir  string
	cfg  Config
	smsc *fakeSMSC
	cpm  *fakeCPM
	j    *local.Journal
	g    *Gateway
	done chan error
	// extend, when set, adds routes to the gateway's collaborators (see
	// legacy_test.go); rules are added before the SMS rule.
	extend func(*Deps)
	rules  []addressmap.Rule
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	h := unstartedHarness(t)
	h.start()
	t.Cleanup(h.stop)
	return h
}

func unstartedHarness(t *testing.T) *harness {
	return &harness{t: t, dir: t.TempDir(), smsc: &fakeSMSC{}, cpm: &fakeCPM{},
		cfg: Config{Retry: RetryConfig{Initial: 10 * time.Millisecond, Max: 50 * time.Millisecond}, CPMWorkers: 4,
			ExpirySweep: 20 * time.Millisecond}}
}

func (h *harness) start() {
	h.t.Helper()
	j, err := local.Open(local.Config{Path: filepath.Join(h.dir, "journal.db"), NoSync: true}, nil)
	if err != nil {
		h.t.Fatal(err)
	}
	am, err := addressmap.New(addressmap.Config{CountryCode: "44",
		Rules: append(append([]addressmap.Rule(nil), h.rules...), addressmap.Rule{Match: "+4477009001", Network: NetworkSMS, Route: "smsc1"})})
	if err != nil {
		h.t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	if os.Getenv("IWF_TEST_LOG") != "" {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	deps := Deps{
		Journal: j, Addresses: am, CPM: h.cpm, Log: log,
		CPMOut: translate.SIPOutboundConfig{Domain: "iwf.example.net", CPIM: true},
		SMS:    []SMSRoute{{Name: "smsc1", Link: h.smsc, Workers: 4}},
	}
	if h.extend != nil {
		h.extend(&deps)
	}
	g, err := New(h.cfg, deps)
	if err != nil {
		h.t.Fatal(err)
	}
	h.j, h.g, h.done = j, g, make(chan error, 1)
	go func() { h.done <- g.Run(context.Background()) }()
	<-g.Started()
}

// stop closes the gateway and the journal (a clean stop).
func (h *harness) stop() {
	if h.g == nil {
		return
	}
	if err := h.g.Shutdown(context.Background()); err != nil {
		h.t.Errorf("Shutdown: %v", err)
	}
	if err := <-h.done; err != nil {
		h.t.Errorf("Run: %v", err)
	}
	if err := h.j.Close(); err != nil {
		h.t.Errorf("journal Close: %v", err)
	}
	h.g = nil
}

func (h *harness) restart() { h.stop(); h.start() }

// eventually polls cond for up to 10 s.
func (h *harness) eventually(what string, cond func() bool) {
	h.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			h.t.Fatalf("timed out waiting for %s; stats %+v", what, h.g.Stats())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func textMessage(id, to, text string, notify cpm.Disposition) cpm.Message {
	return cpm.Message{
		ID: id, From: "sip:+447700900999@ims.example.net;user=phone", To: cpm.Address(to),
		DateTime: time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC), Notify: notify,
		Parts: []cpm.Part{{ContentType: "text/plain;charset=utf-8", Body: []byte(text)}},
	}
}

// receipt builds a deliver_sm receipt for a submitted segment.
func receipt(sm smpp.ShortMessage, id, stat string) *smpp.ShortMessage {
	text := translate.FormatReceiptText(translate.Receipt{TextID: id, Sub: "001", Dlvrd: "001", Stat: stat, Err: "000",
		Submitted: time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC), Done: time.Date(2026, 11, 27, 10, 1, 0, 0, time.UTC)})
	return &smpp.ShortMessage{ESMClass: smpp.ESMClassDeliveryReceipt, Source: sm.Dest, Dest: sm.Source, Message: []byte(text)}
}

// reports returns the IMDNs sent toward CPM users.
func (h *harness) reports() []cpm.Report {
	var out []cpm.Report
	for _, o := range h.cpm.outgoing() {
		r := &sip.Request{RequestURI: o.RequestURI, From: o.From, To: o.To, ContentType: o.ContentType, Body: o.Body}
		if rep, ok, err := translate.ReportFromSIP(r); err == nil && ok {
			out = append(out, rep)
		}
	}
	return out
}

// texts returns the bodies of the messages sent toward CPM users.
func (h *harness) texts() []string {
	var out []string
	for _, o := range h.cpm.outgoing() {
		r := &sip.Request{RequestURI: o.RequestURI, From: o.From, To: o.To, ContentType: o.ContentType, Body: o.Body}
		if m, err := translate.MessageFromSIP(r); err == nil {
			t, _ := m.Text()
			out = append(out, t)
		}
	}
	return out
}

func statusCode(err error) int {
	var se *sip.StatusError
	if errors.As(err, &se) {
		return se.Code
	}
	return 0
}
