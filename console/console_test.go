package console

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/iwf-gateway/iwf/gateway"
)

func TestHealthAndReadinessNeedNoToken(t *testing.T) {
	h := start(t, Config{Token: testToken})
	h.src.setReady(false)
	if code, body := h.do(http.MethodGet, "/healthz", "", http.Header{}); code != 200 || strings.TrimSpace(string(body)) != "ok" {
		t.Errorf("/healthz = %d %q", code, body)
	}
	if code, _ := h.do(http.MethodGet, "/readyz", "", http.Header{}); code != http.StatusServiceUnavailable {
		t.Errorf("/readyz while not ready = %d, want 503", code)
	}
	h.src.setReady(true)
	if code, _ := h.do(http.MethodGet, "/readyz", "", http.Header{}); code != 200 {
		t.Errorf("/readyz when ready = %d", code)
	}
}

func TestPageAndAssetsAreEmbedded(t *testing.T) {
	h := start(t, Config{Token: testToken})
	code, body := h.do(http.MethodGet, "/", "", nil)
	if code != 200 || !strings.Contains(string(body), "<title>iwf console</title>") {
		t.Fatalf("GET / = %d %.80q", code, body)
	}
	for _, ref := range []string{"/assets/app.js", "/assets/style.css"} {
		if !strings.Contains(string(body), `"`+ref+`"`) {
			t.Errorf("page does not load %s", ref)
		}
		if code, b := h.do(http.MethodGet, ref, "", nil); code != 200 || len(b) == 0 {
			t.Errorf("GET %s = %d", ref, code)
		}
	}
	// Nothing from elsewhere: the console works offline.
	for _, name := range []string{"index.html", "app.js", "style.css"} {
		b, err := assets.ReadFile("assets/" + name)
		if err != nil {
			t.Fatal(err)
		}
		for _, bad := range []string{"http://", "https://", "//cdn", "innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("} {
			if strings.Contains(string(b), bad) && !(bad == "http://" && strings.Contains(string(b), "http://www.w3.org/2000/svg")) {
				t.Errorf("%s contains %q", name, bad)
			}
		}
	}
	if code, _ := h.do(http.MethodGet, "/assets/", "", nil); code != http.StatusNotFound {
		t.Errorf("GET /assets/ = %d, want 404 (no listings)", code)
	}
}

func TestShutdownClosesLiveClients(t *testing.T) {
	h := start(t, Config{Token: testToken})
	c, _, err := h.dial(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	waitFor(t, "the client to register", func() bool { return h.srv.hub.nclients.Load() == 1 })
	if err := h.srv.Shutdown(context.Background()); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	for {
		if _, _, err := c.ReadMessage(); err != nil {
			if !strings.Contains(err.Error(), "1001") {
				t.Errorf("client saw %v, want a going-away close", err)
			}
			break
		}
	}
	if n := h.src.subscribers(); n != 0 {
		t.Errorf("%d subscriptions left after Shutdown", n)
	}
	if err := h.srv.Close(); err != nil {
		t.Errorf("Close after Shutdown: %v", err)
	}
}

func TestConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		cfg  Config
		want string
	}{
		{Config{}, ""},
		{Config{Listen: "127.0.0.1:0", Token: "abc-DEF_123.~"}, ""},
		{Config{Listen: "nope"}, "listen"},
		{Config{Token: "has space"}, "token"},
		{Config{Token: "semi;colon"}, "token"},
		{Config{Token: "ünïcode"}, "token"},
		{Config{TLSCert: "c.pem"}, "tls_cert and tls_key"},
		{Config{TLSKey: "k.pem"}, "tls_cert and tls_key"},
		{Config{TLSCert: "c.pem", TLSKey: "k.pem"}, ""},
	} {
		err := tc.cfg.Validate()
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%+v: %v", tc.cfg, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%+v: got %v, want an error about %s", tc.cfg, err, tc.want)
		case err != nil && tc.cfg.Token != "" && strings.Contains(err.Error(), tc.cfg.Token):
			t.Errorf("the error shows the token: %v", err)
		}
	}
}

func TestStatsAsJSON(t *testing.T) {
	h := start(t, Config{Token: testToken})
	h.src.setQueues(gateway.QueueStats{Route: "smsc1", Depth: 4, Ready: true})
	h.src.emit(gateway.Event{Type: gateway.EventAccepted, Kind: "message", Network: "sms", Direction: gateway.ToLegacy})
	var st gateway.Stats
	h.getJSON("/api/stats", &st)
	if st.AcceptedCPM != 1 || len(st.Queues) != 1 || st.Queues[0].Depth != 4 {
		t.Errorf("stats = %+v", st)
	}
}
