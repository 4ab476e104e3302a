package console

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/iwf-gateway/iwf/gateway"
)

type fakeSource struct {
	ready bool
	st    gateway.Stats
}

func (f *fakeSource) Stats() gateway.Stats { return f.st }
func (f *fakeSource) Ready() bool          { return f.ready }

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestHealthReadyMetrics(t *testing.T) {
	src := &fakeSource{st: gateway.Stats{AcceptedCPM: 7, Delivered: 5, Failed: 1,
		Queues: []gateway.QueueStats{{Route: "cpm", Depth: 2, Ready: true}, {Route: "smsc1", Depth: 40, Ready: false}}}}
	s := New(Config{Listen: "127.0.0.1:0"}, src, slog.New(slog.DiscardHandler))
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	base := "http://" + s.Addr()
	if code, body := get(t, base+"/healthz"); code != 200 || strings.TrimSpace(body) != "ok" {
		t.Errorf("/healthz = %d %q", code, body)
	}
	if code, _ := get(t, base+"/readyz"); code != http.StatusServiceUnavailable {
		t.Errorf("/readyz while not ready = %d, want 503", code)
	}
	src.ready = true
	if code, _ := get(t, base+"/readyz"); code != 200 {
		t.Errorf("/readyz when ready = %d", code)
	}
	code, body := get(t, base+"/metrics")
	if code != 200 {
		t.Fatalf("/metrics = %d", code)
	}
	for _, want := range []string{
		`iwf_messages_accepted_total{network="cpm"} 7`,
		`iwf_messages_ended_total{outcome="delivered"} 5`,
		`iwf_messages_ended_total{outcome="failed"} 1`,
		`iwf_queue_depth{route="smsc1"} 40`,
		`iwf_route_up{route="smsc1"} 0`,
		"iwf_ready 1",
		"# TYPE iwf_queue_depth gauge",
	} {
		if !strings.Contains(body, want+"\n") && !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if err := s.Shutdown(context.Background()); err != nil {
		t.Errorf("Shutdown: %v", err)
	}
}
