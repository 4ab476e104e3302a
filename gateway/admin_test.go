package gateway

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/iwf-gateway/iwf/adapters/sip"
	"github.com/iwf-gateway/iwf/adapters/smpp"
	"github.com/iwf-gateway/iwf/cpm"
	"github.com/iwf-gateway/iwf/journal"
)

type chargingLog struct {
	mu  sync.Mutex
	evs []Event
}

func (c *chargingLog) Charge(e Event) { c.mu.Lock(); c.evs = append(c.evs, e); c.mu.Unlock() }

func (c *chargingLog) types() []EventType {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []EventType
	for _, e := range c.evs {
		out = append(out, e.Type)
	}
	return out
}

func TestEventsMetricsAndCharging(t *testing.T) {
	h := unstartedHarness(t)
	charging := &chargingLog{}
	h.extend = func(d *Deps) { d.Charging = charging }
	h.start()
	t.Cleanup(h.stop)
	evs, cancel := h.g.Subscribe(16)
	defer cancel()
	if err := h.g.AcceptFromCPM(context.Background(), textMessage("ev-1", "tel:+447700900123", "hi", 0)); err != nil {
		t.Fatal(err)
	}
	var got []Event
	for len(got) < 2 {
		select {
		case e := <-evs:
			got = append(got, e)
		case <-time.After(10 * time.Second):
			t.Fatalf("events so far %+v", got)
		}
	}
	if got[0].Type != EventAccepted || got[1].Type != EventSent || got[0].Network != NetworkSMS || got[0].Direction != ToLegacy ||
		got[0].ID != "ev-1" || got[0].Bytes != 2 {
		t.Errorf("events %+v", got)
	}
	h.eventually("charging records", func() bool { return len(charging.types()) == 2 })
	if ty := charging.types(); ty[0] != EventAccepted || ty[1] != EventSent {
		t.Errorf("charged %v", ty)
	}
	s := h.g.Stats()
	var accepted int64
	for _, o := range s.Outcomes {
		if o.Network == NetworkSMS && o.Direction == ToLegacy && o.Event == EventAccepted {
			accepted = o.Count
		}
	}
	if accepted != 1 || len(s.Latencies) != 1 || s.Latencies[0].Accept.Count != 1 {
		t.Errorf("metrics %+v %+v", s.Outcomes, s.Latencies)
	}
}

func TestSlowSubscriberNeverBlocks(t *testing.T) {
	h := newHarness(t)
	_, cancel := h.g.Subscribe(1) // never read
	defer cancel()
	for i := range 20 {
		if err := h.g.AcceptFromCPM(context.Background(), textMessage("slow-"+string(rune('a'+i)), "tel:+447700900123", "x", 0)); err != nil {
			t.Fatal(err)
		}
	}
	h.eventually("all sent", func() bool { return h.g.Stats().Submitted == 20 })
	if h.g.Stats().EventsDropped == 0 {
		t.Errorf("no event dropped for a subscriber that never reads")
	}
}

func TestDeadLetterRetryDiscardSearch(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	h.smsc.setFailAll(&smpp.StatusError{Status: 0x0B, Command: "submit_sm"}) // permanent
	for _, id := range []string{"dl-1", "dl-2"} {
		if err := h.g.AcceptFromCPM(ctx, textMessage(id, "tel:+447700900123", "dead "+id, cpm.NegativeDelivery)); err != nil {
			t.Fatal(err)
		}
	}
	h.eventually("two dead letters", func() bool { return h.g.Stats().Failed == 2 })
	dead, err := h.g.DeadLetters(ctx, 0, 10)
	if err != nil || len(dead) != 2 {
		t.Fatalf("dead letters %+v %v", dead, err)
	}
	h.smsc.setFailAll(nil)
	if err := h.g.Retry(ctx, dead[0].Seq); err != nil {
		t.Fatal(err)
	}
	if err := h.g.Discard(ctx, dead[1].Seq); err != nil {
		t.Fatal(err)
	}
	h.eventually("the retried message submitted", func() bool { return h.g.Stats().AwaitingReceipts == 1 })
	if left, _ := h.g.DeadLetters(ctx, 0, 10); len(left) != 0 {
		t.Errorf("dead letters left %+v", left)
	}
	if err := h.g.Retry(ctx, dead[1].Seq); !errors.Is(err, ErrNotDeadLetter) {
		t.Errorf("retry of a discarded entry: %v", err)
	}
	hist, err := h.g.Search(ctx, "dl-1", 10)
	if err != nil || len(hist) < 2 { // the message and its negative IMDN
		t.Fatalf("history of dl-1: %+v %v", hist, err)
	}
	if hist[0].ID != "dl-1" || hist[0].State != "open" || hist[0].Attempts != 0 {
		t.Errorf("history %+v", hist)
	}
	byAddr, _ := h.g.Search(ctx, "tel:+4477009001*", 10)
	if len(byAddr) != 4 { // two messages and their IMDNs
		t.Errorf("search by address: %+v", byAddr)
	}
}

func TestReplayGetsFreshIDLinkedToOriginal(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	if err := h.g.AcceptFromCPM(ctx, textMessage("orig-1", "tel:+447700900123", "replay me", cpm.PositiveDelivery)); err != nil {
		t.Fatal(err)
	}
	h.eventually("awaiting the receipt", func() bool { return h.g.Stats().AwaitingReceipts == 1 })
	found, _ := h.g.Search(ctx, "orig-1", 10)
	seqs, err := h.g.Replay(ctx, []uint64{found[0].Seq}, "")
	if err != nil || len(seqs) != 1 {
		t.Fatalf("replay: %v %v", seqs, err)
	}
	h.eventually("two submits", func() bool { subs, _ := h.smsc.submitted(); return len(subs) == 2 })
	subs, ids := h.smsc.submitted()
	if string(subs[1].Message) != "replay me" {
		t.Errorf("replayed text %q", subs[1].Message)
	}
	if err := h.g.HandleDeliver(ctx, "smsc1", receipt(subs[1], ids[1], "DELIVRD")); err != nil {
		t.Fatal(err)
	}
	h.eventually("the IMDN", func() bool { return len(h.reports()) == 1 })
	if r := h.reports()[0]; r.MessageID != "orig-1" {
		t.Errorf("the replay's IMDN names %q, want the original id", r.MessageID)
	}
	hist, _ := h.g.Search(ctx, "orig-1", 10)
	var replay *EntryView
	for i := range hist {
		if hist[i].ReplayOf == "orig-1" {
			replay = &hist[i]
		}
	}
	if replay == nil || replay.ID == "orig-1" {
		t.Errorf("replay not linked: %+v", hist)
	}
	if _, err := h.g.Replay(ctx, []uint64{found[0].Seq}, "nowhere"); !errors.Is(err, ErrNoSuchRoute) {
		t.Errorf("replay to an unknown route: %v", err)
	}
}

// TestAcceptTooLargeForJournal: a message within the SIP and MSRP limits
// whose journal entry would exceed journal.MaxDataSize is refused 413 (a
// permanent answer), and nothing is journaled.
func TestAcceptTooLargeForJournal(t *testing.T) {
	h := newHarness(t)
	m := textMessage("big-1", "tel:+447700900123", strings.Repeat("x", journal.MaxDataSize), 0)
	err := h.g.AcceptFromCPM(context.Background(), m)
	var se *sip.StatusError
	if !errors.As(err, &se) || se.Code != 413 {
		t.Fatalf("AcceptFromCPM of a %d-byte text: %v; want 413", journal.MaxDataSize, err)
	}
	n := 0
	if err := h.j.Scan(context.Background(), journal.Open, 0, func(journal.Entry) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("%d open entries after a refused message", n)
	}
}
