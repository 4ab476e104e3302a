package console

import (
	"log/slog"
	"testing"
	"time"

	"github.com/iwf-gateway/iwf/gateway"
)

var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

func TestSeriesWindow(t *testing.T) {
	s := newSeries(10*time.Second, 360)
	s.add(t0, qAccepted, 3)
	s.add(t0.Add(9*time.Second), qAccepted, 1)
	s.add(t0.Add(10*time.Second), qDelivered, 2)
	s.add(t0.Add(15*time.Second), qFailed, 1)
	s.add(time.Time{}, qFailed, 99)
	w := s.window(t0.Add(12 * time.Second))
	if len(w) != 360 {
		t.Fatalf("%d buckets, want 360", len(w))
	}
	last, prev := w[359], w[358]
	if !last.Time.Equal(t0.Add(10*time.Second)) || last.Delivered != 2 || last.Failed != 1 || last.Accepted != 0 {
		t.Errorf("last bucket %+v", last)
	}
	if !prev.Time.Equal(t0) || prev.Accepted != 4 {
		t.Errorf("previous bucket %+v", prev)
	}
	if !w[0].Time.Equal(t0.Add(10*time.Second - 359*10*time.Second)) {
		t.Errorf("first bucket at %v", w[0].Time)
	}

	// An hour later t0's slot is reused; what is older than the window is
	// ignored.
	later := t0.Add(time.Hour)
	s.add(later, qAccepted, 5)
	s.add(t0, qAccepted, 100)
	w = s.window(later)
	if w[359].Accepted != 5 || !w[359].Time.Equal(later) {
		t.Errorf("reused slot %+v", w[359])
	}
	if w[0].Delivered != 2 || w[0].Failed != 1 {
		t.Errorf("oldest bucket in the window %+v", w[0])
	}
	for _, b := range w[1:359] {
		if b.Accepted+b.Delivered+b.Failed != 0 {
			t.Errorf("bucket %v = %+v, want empty", b.Time, b)
		}
	}
}

func TestSeriesRates(t *testing.T) {
	s := newSeries(time.Second, rateSlots)
	for i := range 10 {
		s.add(t0.Add(time.Duration(i)*time.Second), qAccepted, 50)
		s.add(t0.Add(time.Duration(i)*time.Second), qFailed, int64(i%2))
	}
	s.add(t0.Add(10*time.Second), qAccepted, 1000) // the current second: not counted yet
	r := s.rates(t0.Add(10*time.Second + 500*time.Millisecond))
	if r[qAccepted] != 50 || r[qFailed] != 0.5 || r[qDelivered] != 0 {
		t.Errorf("rates = %v, want 50, 0, 0.5", r)
	}
}

func TestThroughputFollowsTheCounters(t *testing.T) {
	src := newFakeSource()
	h := newHub(src, slog.New(slog.DiscardHandler), func() time.Time { return t0.Add(25 * time.Second) })
	stats := func(accepted, delivered, sent, failed, expired int64) gateway.Stats {
		return gateway.Stats{Outcomes: []gateway.OutcomeCount{
			{Network: "sms", Direction: gateway.ToLegacy, Event: gateway.EventAccepted, Count: accepted},
			{Network: "sms", Direction: gateway.ToLegacy, Event: gateway.EventSubmitted, Count: 1000},
			{Network: "sms", Direction: gateway.ToLegacy, Event: gateway.EventDelivered, Count: delivered},
			{Network: "mms", Direction: gateway.ToLegacy, Event: gateway.EventSent, Count: sent},
			{Network: "sms", Direction: gateway.ToLegacy, Event: gateway.EventFailed, Count: failed},
			{Network: "sms", Direction: gateway.ToCPM, Event: gateway.EventExpired, Count: expired},
		}}
	}
	h.sample(t0, stats(500, 400, 50, 10, 5))                     // what came before the console: not plotted
	h.sample(t0.Add(3*time.Second), stats(520, 410, 55, 10, 6))  // +20, +15, +1
	h.sample(t0.Add(12*time.Second), stats(530, 430, 55, 12, 6)) // +10, +20, +2
	h.sample(t0.Add(21*time.Second), stats(0, 0, 0, 0, 0))       // counters reset: nothing negative
	h.sample(t0.Add(22*time.Second), stats(7, 0, 0, 0, 0))       // +7 from the reset
	w := h.throughput().Buckets
	b0, b1, b2 := w[len(w)-3], w[len(w)-2], w[len(w)-1]
	if b0.Accepted != 20 || b0.Delivered != 15 || b0.Failed != 1 {
		t.Errorf("bucket at t0 = %+v", b0)
	}
	if b1.Accepted != 10 || b1.Delivered != 20 || b1.Failed != 2 {
		t.Errorf("bucket at t0+10s = %+v", b1)
	}
	if b2.Accepted != 7 || b2.Delivered != 0 || b2.Failed != 0 {
		t.Errorf("bucket at t0+20s = %+v", b2)
	}
}
