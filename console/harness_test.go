package console

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/iwf-gateway/iwf/internal/leakcheck"
)

const testToken = "s3cret-console-token"

// syncBuffer is a log sink tests read while the server writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type harness struct {
	t    testing.TB
	src  *fakeSource
	srv  *Server
	base string
	logs *syncBuffer
}

// start serves a console over a fresh fake source on 127.0.0.1:0.
func start(t testing.TB, cfg Config) *harness {
	t.Helper()
	return startOver(t, cfg, newFakeSource())
}

func startOver(t testing.TB, cfg Config, src *fakeSource) *harness {
	t.Helper()
	leakcheck.Check(t) // runs after the Close below
	if cfg.Listen == "" {
		cfg.Listen = "127.0.0.1:0"
	}
	logs := new(syncBuffer)
	s := New(cfg, src, slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return &harness{t: t, src: src, srv: s, base: strings.TrimSuffix(s.URL(), "/"), logs: logs}
}

// do sends a request with the given headers (nil: the bearer token) and
// returns the status and body.
func (h *harness) do(method, path string, body string, header http.Header) (int, []byte) {
	h.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, h.base+path, rd)
	if err != nil {
		h.t.Fatal(err)
	}
	if header == nil {
		header = http.Header{"Authorization": {"Bearer " + testToken}}
	}
	req.Header = header
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		h.t.Fatal(err)
	}
	return resp.StatusCode, b
}

// getJSON GETs path with the token and decodes a 200 answer into v.
func (h *harness) getJSON(path string, v any) {
	h.t.Helper()
	code, body := h.do(http.MethodGet, path, "", nil)
	if code != http.StatusOK {
		h.t.Fatalf("GET %s = %d %s", path, code, body)
	}
	if err := json.Unmarshal(body, v); err != nil {
		h.t.Fatalf("GET %s: %v in %s", path, err, body)
	}
}

// errorOf decodes an {"error"} body, failing the test when it is not one.
func errorOf(t *testing.T, body []byte) string {
	t.Helper()
	var e errorBody
	if err := json.Unmarshal(body, &e); err != nil || e.Error == "" {
		t.Fatalf("not an error body: %q", body)
	}
	return e.Error
}

// dial opens the live feed with header (nil: the bearer token).
func (h *harness) dial(header http.Header) (*websocket.Conn, *http.Response, error) {
	h.t.Helper()
	if header == nil {
		header = http.Header{"Authorization": {"Bearer " + testToken}}
	}
	d := websocket.Dialer{HandshakeTimeout: 5 * time.Second}
	return d.Dial("ws"+strings.TrimPrefix(h.base, "http")+"/ws", header)
}

// readFrame reads one frame, bounded by a deadline, and says its type.
func readFrame(t *testing.T, c *websocket.Conn) (string, []byte) {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, b, err := c.ReadMessage()
	if err != nil {
		t.Fatalf("read frame: %v", err)
	}
	var f struct {
		Type string `json:"type"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatalf("frame %s: %v", b, err)
	}
	return f.Type, b
}

// readTick reads frames until a tick and decodes it.
func readTick(t *testing.T, c *websocket.Conn) TickFrame {
	t.Helper()
	for {
		typ, b := readFrame(t, c)
		if typ != "tick" {
			continue
		}
		var tf TickFrame
		if err := json.Unmarshal(b, &tf); err != nil {
			t.Fatal(err)
		}
		return tf
	}
}

// waitFor polls cond until it holds or the deadline passes: a bound on a
// wait, not a timed assertion.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
