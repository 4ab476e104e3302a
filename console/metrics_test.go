package console

import (
	"flag"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/iwf-gateway/iwf/gateway"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// scrape GETs /metrics with the token and parses it as Prometheus does.
func (h *harness) scrape() map[string]*dto.MetricFamily {
	h.t.Helper()
	code, body := h.do(http.MethodGet, "/metrics", "", nil)
	if code != http.StatusOK {
		h.t.Fatalf("/metrics = %d %s", code, body)
	}
	return parseMetrics(h.t, string(body))
}

func parseMetrics(t testing.TB, text string) map[string]*dto.MetricFamily {
	t.Helper()
	p := expfmt.NewTextParser(model.LegacyValidation)
	mfs, err := p.TextToMetricFamilies(strings.NewReader(text))
	if err != nil {
		t.Fatalf("parse /metrics: %v\n%s", err, text)
	}
	return mfs
}

// metricWith finds the metric of family name whose labels include want.
func metricWith(t *testing.T, mfs map[string]*dto.MetricFamily, name string, want map[string]string) *dto.Metric {
	t.Helper()
	mf, ok := mfs[name]
	if !ok {
		t.Fatalf("no family %s", name)
	}
next:
	for _, m := range mf.GetMetric() {
		have := map[string]string{}
		for _, l := range m.GetLabel() {
			have[l.GetName()] = l.GetValue()
		}
		for k, v := range want {
			if have[k] != v {
				continue next
			}
		}
		return m
	}
	t.Fatalf("no %s%v", name, want)
	return nil
}

func value(m *dto.Metric) float64 {
	switch {
	case m.Counter != nil:
		return m.GetCounter().GetValue()
	case m.Gauge != nil:
		return m.GetGauge().GetValue()
	}
	return m.GetUntyped().GetValue()
}

// bucket is the cumulative count of h at upper bound le.
func bucket(t *testing.T, h *dto.Histogram, le float64) uint64 {
	t.Helper()
	for _, b := range h.GetBucket() {
		if b.GetUpperBound() == le {
			return b.GetCumulativeCount()
		}
	}
	t.Fatalf("no bucket le=%g", le)
	return 0
}

func TestMetricsMatchTraffic(t *testing.T) {
	h := start(t, Config{Token: testToken})
	h.src.setQueues(gateway.QueueStats{Route: "cpm", Depth: 1, Ready: true}, gateway.QueueStats{Route: "smsc1", Depth: 40, Links: 2, LinksUp: 1})
	h.src.mu.Lock()
	h.src.timers = 12
	h.src.mu.Unlock()
	send := func(n int, e gateway.Event) {
		for range n {
			e.Kind = "message"
			h.src.emit(e)
		}
	}
	// 10 messages CPM -> SMS: accepted in 2 ms; 7 delivered after 3 s, 3 failed.
	toSMS := gateway.Event{Network: "sms", Direction: gateway.ToLegacy, Route: "smsc1"}
	send(10, with(toSMS, gateway.EventAccepted, 2*time.Millisecond))
	send(10, with(toSMS, gateway.EventSubmitted, 0))
	send(7, with(toSMS, gateway.EventDelivered, 3*time.Second))
	send(3, with(toSMS, gateway.EventFailed, 0))
	// 4 messages SMS -> CPM: accepted in 40 ms, delivered after 120 ms.
	toCPM := gateway.Event{Network: "sms", Direction: gateway.ToCPM, Route: "cpm"}
	send(4, with(toCPM, gateway.EventAccepted, 40*time.Millisecond))
	send(4, with(toCPM, gateway.EventDelivered, 120*time.Millisecond))
	var clients []interface{ Close() error }
	for range 2 {
		c, _, err := h.dial(nil)
		if err != nil {
			t.Fatal(err)
		}
		clients = append(clients, c)
	}
	defer func() {
		for _, c := range clients {
			c.Close()
		}
	}()
	waitFor(t, "two clients", func() bool { return h.srv.hub.nclients.Load() == 2 })

	mfs := h.scrape()
	for _, c := range []struct {
		labels map[string]string
		want   float64
	}{
		{map[string]string{"network": "sms", "direction": "to_legacy", "event": "accepted"}, 10},
		{map[string]string{"network": "sms", "direction": "to_legacy", "event": "submitted"}, 10},
		{map[string]string{"network": "sms", "direction": "to_legacy", "event": "delivered"}, 7},
		{map[string]string{"network": "sms", "direction": "to_legacy", "event": "failed"}, 3},
		{map[string]string{"network": "sms", "direction": "to_cpm", "event": "accepted"}, 4},
		{map[string]string{"network": "sms", "direction": "to_cpm", "event": "delivered"}, 4},
	} {
		if got := value(metricWith(t, mfs, "iwf_events_total", c.labels)); got != c.want {
			t.Errorf("iwf_events_total%v = %g, want %g", c.labels, got, c.want)
		}
	}
	if mfs["iwf_events_total"].GetType() != dto.MetricType_COUNTER {
		t.Errorf("iwf_events_total is %v", mfs["iwf_events_total"].GetType())
	}

	acc := metricWith(t, mfs, "iwf_accept_latency_seconds", map[string]string{"network": "sms", "direction": "to_legacy"}).GetHistogram()
	if acc.GetSampleCount() != 10 || bucket(t, acc, 0.001) != 0 || bucket(t, acc, 0.0025) != 10 || !near(acc.GetSampleSum(), 0.02) {
		t.Errorf("accept latency to_legacy = %v", acc)
	}
	del := metricWith(t, mfs, "iwf_delivery_latency_seconds", map[string]string{"network": "sms", "direction": "to_legacy"}).GetHistogram()
	if del.GetSampleCount() != 7 || bucket(t, del, 2.5) != 0 || bucket(t, del, 5) != 7 || !near(del.GetSampleSum(), 21) {
		t.Errorf("delivery latency to_legacy = %v", del)
	}
	del = metricWith(t, mfs, "iwf_delivery_latency_seconds", map[string]string{"network": "sms", "direction": "to_cpm"}).GetHistogram()
	if del.GetSampleCount() != 4 || bucket(t, del, 0.1) != 0 || bucket(t, del, 0.25) != 4 {
		t.Errorf("delivery latency to_cpm = %v", del)
	}
	if n := len(del.GetBucket()); n != len(gateway.LatencyBuckets)+1 { // and +Inf
		t.Errorf("%d buckets, want %d", n, len(gateway.LatencyBuckets)+1)
	}

	for _, g := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"iwf_queue_depth", map[string]string{"route": "smsc1"}, 40},
		{"iwf_queue_depth", map[string]string{"route": "cpm"}, 1},
		{"iwf_route_up", map[string]string{"route": "smsc1"}, 0},
		{"iwf_route_up", map[string]string{"route": "cpm"}, 1},
		{"iwf_route_links", map[string]string{"route": "smsc1", "state": "up"}, 1},
		{"iwf_route_links", map[string]string{"route": "smsc1", "state": "all"}, 2},
		{"iwf_scheduled_timers", nil, 12},
		{"iwf_console_clients", nil, 2},
		{"iwf_events_dropped_total", nil, 0},
		{"iwf_ready", nil, 1},
		{"iwf_messages_accepted_total", map[string]string{"network": "cpm"}, 10},
		{"iwf_messages_ended_total", map[string]string{"outcome": "delivered"}, 11},
		{"iwf_messages_ended_total", map[string]string{"outcome": "failed"}, 3},
	} {
		if got := value(metricWith(t, mfs, g.name, g.labels)); got != g.want {
			t.Errorf("%s%v = %g, want %g", g.name, g.labels, got, g.want)
		}
	}
}

func with(e gateway.Event, t gateway.EventType, latency time.Duration) gateway.Event {
	e.Type, e.Latency = t, latency
	return e
}

func near(a, b float64) bool { return a-b < 1e-9 && b-a < 1e-9 }

// goldenStats exercises every family, and label values that need escaping.
var goldenStats = gateway.Stats{
	AcceptedCPM: 7, AcceptedSMS: 3, AcceptedMMS: 2, AcceptedIMPS: 1, Delivered: 5, Submitted: 2, Failed: 1, Expired: 1,
	Duplicates: 1, Rejected: 2, Segments: 9, MMSSubmits: 2, IMPSSent: 1, Retries: 4, Receipts: 5, Reports: 6,
	ReportsSent: 5, ReportsLost: 1, EventsDropped: 17, ScheduledTimers: 3, PendingFragments: 2, AwaitingReceipts: 4, ChatSessions: 6, ChatDelivered: 9,
	Shared: gateway.SharedStats{Shared: true, Owned: []int{0, 3, 7}, LettersSent: 40, ReportsForwarded: 12, LettersHandled: 38, LettersBad: 1, HandedOver: 5},
	Queues: []gateway.QueueStats{{Route: "cpm", Depth: 2, Ready: true}, {Route: `smsc "east"\1`, Depth: 40}},
	Outcomes: []gateway.OutcomeCount{
		{Network: "sms", Direction: gateway.ToLegacy, Event: gateway.EventAccepted, Count: 7},
		{Network: "sms", Direction: gateway.ToLegacy, Event: gateway.EventDelivered, Count: 5},
	},
	Latencies: []gateway.LatencyStats{{Network: "sms", Direction: gateway.ToLegacy,
		Accept:   gateway.Histogram{Counts: []int64{1, 5, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7}, Count: 7, Sum: 0.0125},
		Delivery: gateway.Histogram{Counts: []int64{0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 3, 4, 4, 4, 4, 4, 4, 4}, Count: 5, Sum: 4000.5}}},
}

func TestMetricsGolden(t *testing.T) {
	var b strings.Builder
	writeMetrics(&b, goldenStats, true, consoleCounts{clients: 3, dropped: 9})
	golden := filepath.Join("testdata", "metrics.golden")
	if *update {
		if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if b.String() != string(want) {
		t.Errorf("/metrics differs from %s (go test -run Golden -update to accept):\n%s", golden, b.String())
	}
	mfs := parseMetrics(t, b.String())
	if got := value(metricWith(t, mfs, "iwf_queue_depth", map[string]string{"route": `smsc "east"\1`})); got != 40 {
		t.Errorf("escaped route depth = %g", got)
	}
	del := metricWith(t, mfs, "iwf_delivery_latency_seconds", nil).GetHistogram()
	if del.GetSampleCount() != 5 || bucket(t, del, 3600) != 4 {
		t.Errorf("delivery histogram = %v (one observation above the last bound)", del)
	}
	for name, mf := range mfs {
		if mf.GetHelp() == "" {
			t.Errorf("%s has no HELP", name)
		}
	}
}

func TestMetricsNeedTheToken(t *testing.T) {
	h := start(t, Config{Token: testToken})
	if code, _ := h.do(http.MethodGet, "/metrics", "", http.Header{}); code != http.StatusUnauthorized {
		t.Errorf("/metrics without the token = %d", code)
	}
}
