package console

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/iwf-gateway/iwf/gateway"
)

// sampleEvent has every field set, and no body (events have none).
var sampleEvent = gateway.Event{
	Time: time.Date(2025, 3, 1, 12, 0, 0, 123456789, time.UTC), Type: gateway.EventSubmitted, Seq: 4711,
	Kind: "message", Network: "sms", Direction: gateway.ToLegacy, Route: "smsc1",
	ID: "Ab3-x9", From: "sip:+15550001@ims.example", To: "tel:+15550002",
	Parts: 1, Bytes: 321, Segments: 3, Reason: "throttled: <retry>", Latency: 1234567 * time.Nanosecond,
}

func TestLiveFeedEventFrame(t *testing.T) {
	h := start(t, Config{Token: testToken})
	c, _, err := h.dial(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	waitFor(t, "the client to register", func() bool { return h.srv.hub.nclients.Load() == 1 })
	h.src.emit(sampleEvent)
	var got []byte
	for {
		typ, b := readFrame(t, c)
		if typ != "tick" {
			got = b
			break
		}
	}
	golden := filepath.Join("testdata", "event_frame.json")
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Errorf("event frame\n got %s\nwant %s", got, want)
	}
	var keys map[string]any
	if err := json.Unmarshal(got, &keys); err != nil {
		t.Fatal(err)
	}
	for _, k := range strings.Split("time type seq kind network direction route id from to parts bytes segments reason latency_ms", " ") {
		if _, ok := keys[k]; !ok {
			t.Errorf("frame lacks %q", k)
		}
	}
	if len(keys) != 15 {
		t.Errorf("frame has %d keys, want the 15 of the contract: %s", len(keys), got)
	}
}

func TestLiveFeedTick(t *testing.T) {
	src := newFakeSource()
	src.setQueues(gateway.QueueStats{Route: "cpm", Depth: 2, Ready: true}, gateway.QueueStats{Route: "smsc1", Depth: 40})
	src.timers = 6
	h := startOver(t, Config{Token: testToken}, src)
	c, _, err := h.dial(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	tick := readTick(t, c)
	if !tick.Ready || tick.Clients != 1 || tick.ScheduledTimers != 6 || tick.Dropped != 0 {
		t.Errorf("tick = %+v", tick)
	}
	if len(tick.Routes) != 2 || tick.Routes[1].Route != "smsc1" || tick.Routes[1].Depth != 40 || tick.Routes[1].Ready {
		t.Errorf("routes = %+v", tick.Routes)
	}
}

// TestSlowClientLosesRowsNeverThePipeline: one client reads as fast as it
// can, another reads nothing until the burst is over. The source waits for
// the console here (block), so a console that waited for a client would
// never finish the burst; every row a client missed is counted in its tick.
func TestSlowClientLosesRowsNeverThePipeline(t *testing.T) {
	const n = 50000
	src := newFakeSource()
	src.block = true
	h := startOver(t, Config{Token: testToken}, src)

	fast, _, err := h.dial(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer fast.Close()
	slow := dialSmallBuffer(t, h)
	defer slow.Close()
	waitFor(t, "two clients", func() bool { return h.srv.hub.nclients.Load() == 2 })

	var wg sync.WaitGroup
	var fastGot, fastDropped int64
	wg.Add(1)
	go func() {
		defer wg.Done()
		fastGot, fastDropped = drain(fast, n)
	}()
	burst := make(chan struct{})
	go func() {
		defer close(burst)
		e := sampleEvent
		for i := range n {
			e.Seq = uint64(i + 1)
			src.emit(e)
		}
	}()
	select {
	case <-burst:
	case <-time.After(time.Minute):
		t.Fatal("the burst did not get through the console: something waited for a client")
	}
	wg.Wait()
	if fastGot+fastDropped != n {
		t.Errorf("fast client: %d rows + %d dropped, want %d", fastGot, fastDropped, n)
	}
	slowGot, slowDropped := drain(slow, n)
	if slowGot+slowDropped != n || slowDropped == 0 {
		t.Errorf("slow client: %d rows + %d dropped, want %d with some dropped", slowGot, slowDropped, n)
	}
	if got := value(metricWith(t, h.scrape(), "iwf_console_frames_dropped_total", nil)); got != float64(fastDropped+slowDropped) {
		t.Errorf("iwf_console_frames_dropped_total = %g, want %d", got, fastDropped+slowDropped)
	}
}

// drain reads event frames until those read plus those the latest tick
// says were dropped make n (or a read fails).
func drain(c *websocket.Conn, n int64) (got, dropped int64) {
	for got+dropped < n {
		_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
		_, b, err := c.ReadMessage()
		if err != nil {
			return got, dropped
		}
		if !strings.HasPrefix(string(b), `{"type":"tick"`) {
			got++
			continue
		}
		var tf TickFrame
		if json.Unmarshal(b, &tf) == nil {
			dropped = tf.Dropped
		}
	}
	return got, dropped
}

// dialSmallBuffer connects with a 64 KiB socket receive buffer, so that the
// kernel cannot hide a client that does not read.
func dialSmallBuffer(t *testing.T, h *harness) *websocket.Conn {
	t.Helper()
	d := websocket.Dialer{
		HandshakeTimeout: 5 * time.Second,
		NetDialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			conn, err := (&net.Dialer{}).DialContext(ctx, network, addr)
			if tc, ok := conn.(*net.TCPConn); ok {
				_ = tc.SetReadBuffer(64 << 10)
			}
			return conn, err
		},
	}
	c, _, err := d.Dial("ws"+strings.TrimPrefix(h.base, "http")+"/ws", http.Header{"Authorization": {"Bearer " + testToken}})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestClientsAreBounded(t *testing.T) {
	h := start(t, Config{Token: testToken})
	var conns []*websocket.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for range maxClients {
		c, _, err := h.dial(nil)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
	}
	waitFor(t, "all clients", func() bool { return h.srv.hub.nclients.Load() == maxClients })
	if _, resp, err := h.dial(nil); err == nil || resp == nil || resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("client %d: %v %v, want 503", maxClients+1, err, resp)
	}
	conns[0].Close()
	waitFor(t, "a client to leave", func() bool { return h.srv.hub.nclients.Load() == maxClients-1 })
	c, _, err := h.dial(nil)
	if err != nil {
		t.Fatalf("after one left: %v", err)
	}
	conns = append(conns, c)
}
