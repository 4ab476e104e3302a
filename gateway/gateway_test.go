package gateway

import (
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/iwf-gateway/iwf/adapters/smpp"
	"github.com/iwf-gateway/iwf/addressmap"
	"github.com/iwf-gateway/iwf/cpm"
	"github.com/iwf-gateway/iwf/journal"
	"github.com/iwf-gateway/iwf/journal/local"
	"github.com/iwf-gateway/iwf/translate"
)

const smsUser = "tel:+447700900123"

func TestCPMToSMSReceiptBecomesIMDN(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	m := textMessage("msg-1", smsUser, "Hello there", cpm.PositiveDelivery|cpm.NegativeDelivery)
	if err := h.g.AcceptFromCPM(ctx, m); err != nil {
		t.Fatalf("AcceptFromCPM: %v", err)
	}
	h.eventually("submit", func() bool { s, _ := h.smsc.submitted(); return len(s) == 1 })
	subs, ids := h.smsc.submitted()
	sm := subs[0]
	if sm.Dest.Addr != "447700900123" || sm.Dest.TON != 1 || sm.Dest.NPI != 1 {
		t.Errorf("dest = %+v, want 447700900123 TON 1 NPI 1", sm.Dest)
	}
	if sm.Source.Addr != "447700900999" || sm.RegisteredDelivery != 1 || sm.DataCoding != 0 || string(sm.Message) != "Hello there" {
		t.Errorf("submit = %+v", sm)
	}
	// The receipt id is decimal where the submit_sm_resp was hex.
	if err := h.g.HandleDeliver(ctx, "smsc1", receipt(sm, decimalOf(t, ids[0]), "DELIVRD")); err != nil {
		t.Fatalf("receipt: %v", err)
	}
	h.eventually("IMDN", func() bool { return len(h.reports()) == 1 })
	r := h.reports()[0]
	if r.MessageID != "msg-1" || r.Status != cpm.Delivered || r.To != m.From || r.Display {
		t.Errorf("IMDN = %+v", r)
	}
	if st := h.g.Stats(); st.Delivered != 1 || st.Receipts != 1 || st.AcceptedCPM != 1 {
		t.Errorf("stats = %+v", st)
	}
}

func decimalOf(t *testing.T, hexID string) string {
	t.Helper()
	var v uint64
	for _, c := range strings.ToLower(hexID) {
		d := strings.IndexRune("0123456789abcdef", c)
		if d < 0 {
			t.Fatalf("not hex: %q", hexID)
		}
		v = v*16 + uint64(d)
	}
	return strings.TrimLeft(strings.Repeat("0", 3)+uitoa(v), "")
}

func uitoa(v uint64) string {
	if v == 0 {
		return "0"
	}
	var b []byte
	for ; v > 0; v /= 10 {
		b = append([]byte{byte('0' + v%10)}, b...)
	}
	return string(b)
}

func TestConcatenatedGetsOneAggregatedReport(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	text := strings.Repeat("abcdefghij", 30) // 300 GSM characters: 2 parts of 153 septets
	if err := h.g.AcceptFromCPM(ctx, textMessage("msg-2", smsUser, text, cpm.PositiveDelivery)); err != nil {
		t.Fatal(err)
	}
	h.eventually("two submits", func() bool { s, _ := h.smsc.submitted(); return len(s) == 2 })
	subs, ids := h.smsc.submitted()
	for i, sm := range subs {
		if sm.ESMClass&smpp.ESMClassUDHI == 0 || sm.Message[5] != byte(i+1) || sm.Message[4] != 2 {
			t.Errorf("part %d: esm %#x udh % x", i, sm.ESMClass, sm.Message[:6])
		}
	}
	if err := h.g.HandleDeliver(ctx, "smsc1", receipt(subs[0], ids[0], "DELIVRD")); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond)
	if n := len(h.reports()); n != 0 {
		t.Fatalf("%d reports after one of two receipts, want 0", n)
	}
	if err := h.g.HandleDeliver(ctx, "smsc1", receipt(subs[1], ids[1], "DELIVRD")); err != nil {
		t.Fatal(err)
	}
	h.eventually("one IMDN", func() bool { return len(h.reports()) == 1 })
	if r := h.reports()[0]; r.Status != cpm.Delivered || r.MessageID != "msg-2" {
		t.Errorf("IMDN = %+v", r)
	}
}

func TestOnePartFailingFailsTheMessageOnce(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	text := strings.Repeat("x", 320) // 3 parts
	if err := h.g.AcceptFromCPM(ctx, textMessage("msg-3", smsUser, text, cpm.PositiveDelivery|cpm.NegativeDelivery)); err != nil {
		t.Fatal(err)
	}
	h.eventually("three submits", func() bool { s, _ := h.smsc.submitted(); return len(s) == 3 })
	subs, ids := h.smsc.submitted()
	for i, stat := range []string{"UNDELIV", "DELIVRD", "DELIVRD"} {
		if err := h.g.HandleDeliver(ctx, "smsc1", receipt(subs[i], ids[i], stat)); err != nil {
			t.Fatal(err)
		}
	}
	h.eventually("IMDN", func() bool { return len(h.reports()) >= 1 })
	time.Sleep(50 * time.Millisecond)
	reps := h.reports()
	if len(reps) != 1 || reps[0].Status != cpm.Failed {
		t.Fatalf("reports = %+v, want one failed", reps)
	}
	dead := 0
	_ = h.j.Scan(ctx, journal.Dead, 0, func(journal.Entry) error { dead++; return nil })
	if dead != 1 {
		t.Errorf("%d dead letters, want 1", dead)
	}
}

func TestRepeatsAreDropped(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	m := textMessage("msg-4", smsUser, "once", 0)
	for range 3 {
		if err := h.g.AcceptFromCPM(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	h.eventually("submit", func() bool { s, _ := h.smsc.submitted(); return len(s) == 1 })
	h.eventually("submitted outcome", func() bool { return h.g.Stats().Submitted == 1 })
	if err := h.g.AcceptFromCPM(ctx, m); err != nil { // after delivery too
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond)
	if s, _ := h.smsc.submitted(); len(s) != 1 {
		t.Errorf("%d submits, want 1", len(s))
	}
	if d := h.g.Stats().Duplicates; d != 3 {
		t.Errorf("duplicates = %d, want 3", d)
	}
}

func TestTemporaryErrorsRetryPermanentFail(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	throttled := &smpp.StatusError{Status: 0x58, Command: "submit_sm"}
	h.smsc.script = []error{throttled, smpp.ErrNotBound, nil}
	if err := h.g.AcceptFromCPM(ctx, textMessage("msg-5", smsUser, "retry me", 0)); err != nil {
		t.Fatal(err)
	}
	h.eventually("submit after retries", func() bool { s, _ := h.smsc.submitted(); return len(s) == 1 })
	if r := h.g.Stats().Retries; r != 2 {
		t.Errorf("retries = %d, want 2", r)
	}
	h.smsc.script = []error{&smpp.StatusError{Status: 0x0B, Command: "submit_sm"}} // ESME_RINVDSTADR
	if err := h.g.AcceptFromCPM(ctx, textMessage("msg-6", smsUser, "bad dest", cpm.NegativeDelivery)); err != nil {
		t.Fatal(err)
	}
	h.eventually("failure report", func() bool { return len(h.reports()) == 1 })
	if r := h.reports()[0]; r.Status != cpm.Failed || r.MessageID != "msg-6" {
		t.Errorf("report = %+v", r)
	}
}

func TestExpiryFailsWithReport(t *testing.T) {
	h := newHarness(t)
	h.smsc.setFailAll(smpp.ErrConnLost)
	m := textMessage("msg-7", smsUser, "too late", cpm.NegativeDelivery)
	m.Expiry = time.Now().Add(100 * time.Millisecond)
	if err := h.g.AcceptFromCPM(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	h.eventually("expiry report", func() bool { return len(h.reports()) == 1 })
	if r := h.reports()[0]; r.Status != cpm.Failed {
		t.Errorf("report = %+v", r)
	}
	if st := h.g.Stats(); st.Expired != 1 {
		t.Errorf("stats = %+v", st)
	}
}

func TestExpiryWhileTheSMSCIsDown(t *testing.T) {
	h := newHarness(t)
	h.smsc.setDown(true)
	m := textMessage("msg-8", smsUser, "never sent", cpm.NegativeDelivery)
	m.Expiry = time.Now().Add(100 * time.Millisecond)
	if err := h.g.AcceptFromCPM(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	keep := textMessage("msg-9", smsUser, "still valid", cpm.NegativeDelivery)
	if err := h.g.AcceptFromCPM(context.Background(), keep); err != nil {
		t.Fatal(err)
	}
	h.eventually("expiry report while the link is down", func() bool { return len(h.reports()) == 1 })
	if r := h.reports()[0]; r.Status != cpm.Failed || r.MessageID != "msg-8" {
		t.Errorf("report = %+v", r)
	}
	if d := queueDepth(h.g, "smsc1"); d != 1 {
		t.Errorf("queue depth %d, want the valid message still queued", d)
	}
	h.smsc.setDown(false)
	h.eventually("the valid message submitted", func() bool { s, _ := h.smsc.submitted(); return len(s) == 1 })
}

func TestInputRefusals(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	cases := []struct {
		name string
		m    cpm.Message
		code int
	}{
		{"no route", textMessage("a", "tel:+33612345678", "x", 0), 404},
		{"not a number", textMessage("b", "sip:bob@elsewhere.example", "x", 0), 404},
		{"not text", func() cpm.Message {
			m := textMessage("c", smsUser, "x", 0)
			m.Parts[0].ContentType = "image/png"
			return m
		}(), 415},
		{"sender without number", func() cpm.Message {
			m := textMessage("d", smsUser, "x", 0)
			m.From = "sip:alice@ims.example.net"
			return m
		}(), 403},
	}
	for _, c := range cases {
		if got := statusCode(h.g.AcceptFromCPM(ctx, c.m)); got != c.code {
			t.Errorf("%s: status %d, want %d", c.name, got, c.code)
		}
	}
	n := 0
	_ = h.j.Scan(ctx, journal.Open, 0, func(journal.Entry) error { n++; return nil })
	if n != 0 {
		t.Errorf("%d entries journaled for refused input, want 0", n)
	}
}

func TestPendingWorkSurvivesRestart(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	h.smsc.setDown(true) // the SMSC link is down: messages wait in the queue
	for _, id := range []string{"r1", "r2", "r3"} {
		if err := h.g.AcceptFromCPM(ctx, textMessage(id, smsUser, "after restart "+id, cpm.PositiveDelivery)); err != nil {
			t.Fatal(err)
		}
	}
	h.eventually("three queued", func() bool { return queueDepth(h.g, "smsc1") == 3 })
	if r := h.g.Stats().Retries; r != 0 {
		t.Errorf("%d retries while the link was down, want none: workers wait for the bind", r)
	}
	h.restart()
	h.smsc.setDown(false)
	h.eventually("three submits", func() bool { s, _ := h.smsc.submitted(); return len(s) == 3 })
	subs, ids := h.smsc.submitted()
	h.restart() // receipts come to a restarted gateway
	for i := range subs {
		if err := h.g.HandleDeliver(ctx, "smsc1", receipt(subs[i], ids[i], "DELIVRD")); err != nil {
			t.Fatal(err)
		}
	}
	h.eventually("three IMDNs", func() bool { return len(h.reports()) == 3 })
}

func TestMOSingleAndRepeat(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	sm := &smpp.ShortMessage{
		Source: smpp.Address{Addr: "447700900123", TON: 1, NPI: 1}, Dest: smpp.Address{Addr: "447700900999", TON: 1, NPI: 1},
		DataCoding: 0, Message: []byte("Hi from SMS"),
	}
	for range 2 {
		if err := h.g.HandleDeliver(ctx, "smsc1", sm); err != nil {
			t.Fatal(err)
		}
	}
	h.eventually("MESSAGE", func() bool { return len(h.cpm.outgoing()) == 1 })
	time.Sleep(50 * time.Millisecond)
	out := h.cpm.outgoing()
	if len(out) != 1 || out[0].RequestURI != "tel:+447700900999" || !strings.Contains(out[0].From, "+447700900123") {
		t.Fatalf("outgoing = %+v", out)
	}
	if got := h.texts(); len(got) != 1 || got[0] != "Hi from SMS" {
		t.Errorf("texts = %q", got)
	}
}

func TestMOConcatenatedOutOfOrderAcrossRestart(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	text := strings.Repeat("Ünïcødé 😀 ", 20)
	m := cpm.Message{Parts: []cpm.Part{{ContentType: "text/plain", Body: []byte(text)}}}
	parts, err := translate.SMSFromMessage(&m, translate.SMSRoute{
		Source: smpp.Address{Addr: "447700900123", TON: 1, NPI: 1}, Dest: smpp.Address{Addr: "447700900999", TON: 1, NPI: 1},
		Reference: 77,
	})
	if err != nil || len(parts) < 3 {
		t.Fatalf("SMSFromMessage: %d parts, %v", len(parts), err)
	}
	deliver := func(i int) {
		t.Helper()
		if err := h.g.HandleDeliver(ctx, "smsc1", &parts[i]); err != nil {
			t.Fatalf("part %d: %v", i, err)
		}
	}
	deliver(len(parts) - 1)
	deliver(0)
	deliver(0) // the SMSC sent it twice
	h.restart()
	for i := 1; i < len(parts)-1; i++ {
		deliver(i)
	}
	h.eventually("one MESSAGE", func() bool { return len(h.cpm.outgoing()) == 1 })
	if got := h.texts(); len(got) != 1 || got[0] != text {
		t.Errorf("texts = %q, want the whole text once", got)
	}
	open := 0
	_ = h.j.Scan(ctx, journal.Open, 0, func(journal.Entry) error { open++; return nil })
	if open != 0 {
		t.Errorf("%d entries still open", open)
	}
}

func TestJournalFailureGivesTemporaryErrors(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	if err := h.j.Close(); err != nil { // the store goes away under the gateway
		t.Fatal(err)
	}
	if got := statusCode(h.g.AcceptFromCPM(ctx, textMessage("j1", smsUser, "x", 0))); got != 503 {
		t.Errorf("accept with a dead journal: %d, want 503", got)
	}
	sm := &smpp.ShortMessage{Source: smpp.Address{Addr: "447700900123", TON: 1, NPI: 1},
		Dest: smpp.Address{Addr: "447700900999", TON: 1, NPI: 1}, Message: []byte("x")}
	var se *smpp.StatusError
	if err := h.g.HandleDeliver(ctx, "smsc1", sm); !errors.As(err, &se) || !se.Temporary() {
		t.Errorf("MO with a dead journal: %v, want a temporary status", err)
	}
}

func queueDepth(g *Gateway, route string) int {
	for _, q := range g.Stats().Queues {
		if q.Route == route {
			return q.Depth
		}
	}
	return -1
}

// TestRunAfterClose: a start that fails after Run was launched closes the
// gateway, possibly before Run has begun; Run then returns at once rather
// than wait for a Close that already came (iwf serve hung at such a start).
func TestRunAfterClose(t *testing.T) {
	j, err := local.Open(local.Config{Path: filepath.Join(t.TempDir(), "journal.db"), NoSync: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	am, err := addressmap.New(addressmap.Config{CountryCode: "44"})
	if err != nil {
		t.Fatal(err)
	}
	g, err := New(Config{}, Deps{Journal: j, Addresses: am, CPM: &fakeCPM{}, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Close(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- g.Run(context.Background()) }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run after Close: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run after Close did not return")
	}
	if err := g.Shutdown(context.Background()); err != nil {
		t.Errorf("Shutdown after it all: %v", err)
	}
}
