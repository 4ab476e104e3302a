package console

import (
	"log/slog"
	"testing"
	"time"

	"github.com/iwf-gateway/iwf/gateway"
)

func TestTickCarriesLinksWithRates(t *testing.T) {
	h := newHub(nil, slog.New(slog.DiscardHandler), time.Now)
	t0 := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	bind := gateway.LinkStatus{Route: "smsc1", Name: "smsc1/0", Kind: "smpp", State: "bound", Count: 100}
	first := h.linkViews(t0, []gateway.LinkStatus{bind})
	if len(first) != 1 || first[0].PerS != 0 || first[0].State != "bound" {
		t.Fatalf("first tick %+v", first)
	}
	bind.Count = 350
	second := h.linkViews(t0.Add(2*time.Second), []gateway.LinkStatus{bind, {Route: "cpm", Name: "udp 127.0.0.1:5070", Kind: "sip", State: "listening", Count: 7}})
	if len(second) != 2 || second[0].PerS != 125 || second[1].PerS != 0 {
		t.Errorf("second tick %+v", second)
	}
}
