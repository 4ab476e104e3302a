package imps_test

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"slices"
	"sync"
	"testing"

	"github.com/iwf-gateway/iwf/adapters/imps/impstest"
	"github.com/iwf-gateway/iwf/adapters/imps/wv"
)

// fetchGate sits between the client and the fake server and holds every
// GetMessage-Request until limit of them are held or all total have
// arrived, then lets the held ones through together. A client that keeps
// limit fetches in flight passes; one that fetched one at a time would
// stall. The gate counts a fetch from its arrival until its answer is
// about to be written, which is within the client's own count, so maxSeen
// never overstates the client's concurrency.
type fetchGate struct {
	upstream     string
	limit, total int
	client       *http.Client

	mu       sync.Mutex
	cond     *sync.Cond
	inflight int
	arrived  int
	released int // arrivals up to this number may go through
	maxSeen  int
}

func newFetchGate(t *testing.T, upstream string, limit, total int) (*fetchGate, string) {
	t.Helper()
	g := &fetchGate{upstream: upstream, limit: limit, total: total,
		client: &http.Client{Transport: &http.Transport{}}}
	g.cond = sync.NewCond(&g.mu)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: g}
	served := make(chan struct{})
	go func() { defer close(served); _ = hs.Serve(ln) }()
	t.Cleanup(func() {
		g.releaseAll()
		hs.Close()
		<-served
		g.client.CloseIdleConnections()
	})
	return g, "http://" + ln.Addr().String() + "/imps"
}

func (g *fetchGate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	fetch := false
	if m, err := wv.Decode(body); err == nil && len(m.Transactions) == 1 {
		_, fetch = m.Transactions[0].Primitive.(*wv.GetMessageRequest)
	}
	if fetch {
		stop := context.AfterFunc(r.Context(), g.releaseAll) // never hold a request its client gave up
		g.hold()
		stop()
	}
	resp, err := g.client.Post(g.upstream, impstest.ContentType, bytes.NewReader(body))
	var answer []byte
	if err == nil {
		answer, err = io.ReadAll(resp.Body)
		resp.Body.Close()
	}
	if fetch {
		g.mu.Lock()
		g.inflight--
		g.mu.Unlock()
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	w.Header().Set("Content-Type", resp.Header.Get("Content-Type"))
	w.WriteHeader(resp.StatusCode)
	_, _ = w.Write(answer)
}

func (g *fetchGate) hold() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.inflight++
	g.arrived++
	me := g.arrived
	g.maxSeen = max(g.maxSeen, g.inflight)
	if g.inflight >= g.limit || g.arrived >= g.total {
		g.released = g.arrived
		g.cond.Broadcast()
	}
	for g.released < me {
		g.cond.Wait()
	}
}

func (g *fetchGate) releaseAll() {
	g.mu.Lock()
	g.released = 1 << 30
	g.cond.Broadcast()
	g.mu.Unlock()
}

func (g *fetchGate) max() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.maxSeen
}

func TestNotifyGetBoundsFetchesInFlight(t *testing.T) {
	checkLeaks(t)
	const limit, n = 3, 8
	srv := notifyServer(t, impstest.Config{PollBatch: 15})
	ids := injectN(t, srv, "batch ", n) // all in the first poll's answer
	gate, url := newFetchGate(t, srv.URL(), limit, n)
	cfg := clientConfig(srv)
	cfg.ServerURL = url
	cfg.MaxNotifications = limit
	h := &sequentialHandler{srv: srv}
	start(t, srv, cfg, h.handle, true)
	eventually(t, "every MessageDelivered", func() bool { return len(srv.Delivered()) == n })

	if got := gate.max(); got != limit {
		t.Fatalf("at most %d fetches in flight, want %d", got, limit)
	}
	var order []string
	for _, m := range h.messages() {
		order = append(order, m.MessageInfo.MessageID)
	}
	if !slices.Equal(order, ids) || h.overlaps.Load() != 0 || h.early.Load() != 0 {
		t.Fatalf("handled %v, want %v; %d overlaps, %d early acknowledgements", order, ids, h.overlaps.Load(), h.early.Load())
	}
}
