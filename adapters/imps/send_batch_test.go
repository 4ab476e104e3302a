package imps_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"sync"
	"testing"

	"github.com/iwf-gateway/iwf/adapters/imps"
	"github.com/iwf-gateway/iwf/adapters/imps/impstest"
	"github.com/iwf-gateway/iwf/adapters/imps/wv"
)

// sendGate sits between the client and the fake server and holds each
// document carrying SendMessage-Requests until the test lets it through,
// so that the test decides when the client's documents in flight end.
// Other documents (login, polls) pass.
type sendGate struct {
	upstream string
	client   *http.Client
	arrived  chan int      // the SendMessage-Requests of each document held
	release  chan struct{} // one token lets one held document through
	stop     chan struct{} // closed at cleanup: nothing is held any more

	mu   sync.Mutex
	open bool // documents pass without being held
}

func newSendGate(t *testing.T, upstream string) (*sendGate, string) {
	t.Helper()
	g := &sendGate{upstream: upstream, client: &http.Client{Transport: &http.Transport{}},
		arrived: make(chan int, 64), release: make(chan struct{}), stop: make(chan struct{})}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: g}
	served := make(chan struct{})
	go func() { defer close(served); _ = hs.Serve(ln) }()
	t.Cleanup(func() {
		close(g.stop)
		hs.Close()
		<-served
		g.client.CloseIdleConnections()
	})
	return g, "http://" + ln.Addr().String() + "/imps"
}

func (g *sendGate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	if n := sendsIn(body); n > 0 && !g.isOpen() {
		g.arrived <- n
		select {
		case <-g.release:
		case <-g.stop:
		case <-r.Context().Done():
		}
	}
	resp, err := g.client.Post(g.upstream, impstest.ContentType, bytes.NewReader(body))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(resp.Body)
	w.Header().Set("Content-Type", resp.Header.Get("Content-Type"))
	w.WriteHeader(resp.StatusCode)
	_, _ = w.Write(answer)
}

func sendsIn(body []byte) int {
	m, err := wv.Decode(body)
	if err != nil {
		return 0
	}
	n := 0
	for _, t := range m.Transactions {
		if _, ok := t.Primitive.(*wv.SendMessageRequest); ok {
			n++
		}
	}
	return n
}

func (g *sendGate) isOpen() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.open
}

// pass stops holding documents; those held stay until let through.
func (g *sendGate) pass() {
	g.mu.Lock()
	g.open = true
	g.mu.Unlock()
}

// next waits for the next document to be held and returns how many
// SendMessage-Requests it carries.
func (g *sendGate) next(t *testing.T) int {
	t.Helper()
	select {
	case n := <-g.arrived:
		return n
	case <-ctxT(t).Done():
		t.Fatal("no document arrived at the gate")
		return 0
	}
}

func (g *sendGate) letThrough() { g.release <- struct{}{} }

// batchHarness is a client behind a sendGate, with at most one document
// in flight.
type batchHarness struct {
	*harness
	gate *sendGate
}

func newBatchHarness(t *testing.T, maxBatch int, cfg impstest.Config) *batchHarness {
	t.Helper()
	srv := newServer(t, cfg)
	gate, url := newSendGate(t, srv.URL())
	c := clientConfig(srv)
	c.ServerURL, c.MaxPosts, c.MaxBatch = url, 1, maxBatch
	return &batchHarness{harness: start(t, srv, c, nil, true), gate: gate}
}

type sendResult struct {
	text, id string
	err      error
}

// send starts SendMessage(text) and returns where its result arrives.
func (h *batchHarness) send(ctx context.Context, text string) <-chan sendResult {
	out := make(chan sendResult, 1)
	go func() {
		id, err := h.client.SendMessage(ctx, sendRequest(text, false))
		out <- sendResult{text, id, err}
	}()
	return out
}

// holdFirstAndQueue sends "first" and holds its document at the gate,
// then starts n more sends and waits until all n wait for a document.
func (h *batchHarness) holdFirstAndQueue(t *testing.T, n int) (first <-chan sendResult, queued []<-chan sendResult) {
	t.Helper()
	first = h.send(ctxT(t), "first")
	if got := h.gate.next(t); got != 1 {
		t.Fatalf("first document carries %d requests", got)
	}
	for i := range n {
		queued = append(queued, h.send(ctxT(t), fmt.Sprint("queued", i)))
	}
	eventually(t, "the sends queued", func() bool { return imps.QueuedSends(h.client) == n })
	return first, queued
}

func collect(chs []<-chan sendResult) []sendResult {
	var out []sendResult
	for _, ch := range chs {
		out = append(out, <-ch)
	}
	return out
}

func sentTexts(srv *impstest.Server) []string {
	var texts []string
	for _, s := range srv.Sent() {
		texts = append(texts, s.Request.ContentData)
	}
	slices.Sort(texts)
	return texts
}

// Concurrent sends that find the one document in flight taken leave
// together when it is answered, in documents of at most MaxBatch
// transactions, each answered on its own.
func TestConcurrentSendsShareDocuments(t *testing.T) {
	checkLeaks(t)
	var mu sync.Mutex
	var hooked []string
	h := newBatchHarness(t, 4, impstest.Config{OnSendMessage: func(_ string, s impstest.Sent) {
		mu.Lock()
		hooked = append(hooked, s.Request.ContentData)
		mu.Unlock()
	}})
	first, queued := h.holdFirstAndQueue(t, 9)
	h.gate.letThrough()
	var sizes []int
	for range 3 {
		sizes = append(sizes, h.gate.next(t))
		h.gate.letThrough()
	}
	if !slices.Equal(sizes, []int{4, 4, 1}) {
		t.Fatalf("documents after the first carried %v requests, want [4 4 1]", sizes)
	}
	results := append(collect(queued), <-first)
	ids := map[string]bool{}
	for _, r := range results {
		if r.err != nil || r.id == "" || ids[r.id] {
			t.Fatalf("%s: id %q, err %v", r.text, r.id, r.err)
		}
		ids[r.id] = true
	}
	for _, s := range h.srv.Sent() {
		if !ids[s.MessageID] {
			t.Errorf("server id %s of %q reached no caller", s.MessageID, s.Request.ContentData)
		}
	}
	mu.Lock()
	slices.Sort(hooked)
	mu.Unlock()
	if texts := sentTexts(h.srv); len(texts) != 10 || !slices.Equal(texts, hooked) || h.srv.Stats().DuplicateTransactions != 0 {
		t.Fatalf("server recorded %v, hook saw %v; stats %+v", texts, hooked, h.srv.Stats())
	}
}

// A transaction the server refuses fails its own caller only; the others
// of its document succeed.
func TestRefusedTransactionInBatchFailsOnlyItsCaller(t *testing.T) {
	checkLeaks(t)
	h := newBatchHarness(t, 8, impstest.Config{})
	first, queued := h.holdFirstAndQueue(t, 3)
	h.gate.letThrough()
	if n := h.gate.next(t); n != 3 {
		t.Fatalf("batch of %d", n)
	}
	h.srv.FailNext("SendMessage-Request", wv.CodeUnknownUser, 1) // the batch's first transaction
	h.gate.letThrough()
	if r := <-first; r.err != nil {
		t.Fatalf("first: %v", r.err)
	}
	var failed []sendResult
	for _, r := range collect(queued) {
		if r.err != nil {
			failed = append(failed, r)
		}
	}
	var se *wv.StatusError
	if len(failed) != 1 || !errors.As(failed[0].err, &se) || se.Code != wv.CodeUnknownUser || imps.IsTemporary(failed[0].err) {
		t.Fatalf("failed sends %+v, want one with a permanent 531", failed)
	}
	if texts := sentTexts(h.srv); len(texts) != 3 || slices.Contains(texts, failed[0].text) {
		t.Fatalf("server recorded %v; %q was refused", texts, failed[0].text)
	}
}

// When the session expires under a batch, every transaction of it is
// answered 600: each caller gets a temporary error, the client logs in
// again, and the retries (as the gateway makes them) deliver everything
// once.
func TestSessionExpiryMidBatchIsTemporaryForAll(t *testing.T) {
	checkLeaks(t)
	h := newBatchHarness(t, 8, impstest.Config{})
	first, queued := h.holdFirstAndQueue(t, 4)
	h.gate.letThrough()
	if n := h.gate.next(t); n != 4 {
		t.Fatalf("batch of %d", n)
	}
	h.srv.ExpireSessions()
	h.gate.pass()
	h.gate.letThrough()
	if r := <-first; r.err != nil {
		t.Fatalf("first: %v", r.err)
	}
	results := collect(queued)
	for _, r := range results {
		var se *wv.StatusError
		if !errors.As(r.err, &se) || se.Code != wv.CodeSessionExpired || !imps.IsTemporary(r.err) {
			t.Fatalf("%s: err %v, want a temporary 600", r.text, r.err)
		}
	}
	for _, r := range results {
		if err := sendWithRetry(ctxT(t), h.client, sendRequest(r.text, false)); err != nil {
			t.Fatalf("retry of %s: %v", r.text, err)
		}
	}
	texts := sentTexts(h.srv)
	if want := []string{"first", "queued0", "queued1", "queued2", "queued3"}; !slices.Equal(texts, want) {
		t.Fatalf("server recorded %v, want %v", texts, want)
	}
	if st := h.srv.Stats(); st.Logins != 2 || st.Expired != 1 || st.DuplicateTransactions != 0 {
		t.Fatalf("stats %+v", st)
	}
}

// A send whose context ends while it waits for a document is withdrawn:
// it fails with a temporary error and is never sent.
func TestSendWithdrawnWhileQueuedIsNotSent(t *testing.T) {
	checkLeaks(t)
	h := newBatchHarness(t, 8, impstest.Config{})
	first := h.send(ctxT(t), "first")
	if n := h.gate.next(t); n != 1 {
		t.Fatalf("first document carries %d", n)
	}
	ctx, cancel := context.WithCancel(ctxT(t))
	gaveUp := h.send(ctx, "given up")
	eventually(t, "the send queued", func() bool { return imps.QueuedSends(h.client) == 1 })
	cancel()
	if r := <-gaveUp; !errors.Is(r.err, imps.ErrNoResponse) || !imps.IsTemporary(r.err) {
		t.Fatalf("withdrawn send: %v", r.err)
	}
	if n := imps.QueuedSends(h.client); n != 0 {
		t.Fatalf("%d still queued", n)
	}
	h.gate.letThrough()
	if r := <-first; r.err != nil {
		t.Fatal(r.err)
	}
	after := h.send(ctxT(t), "after")
	if n := h.gate.next(t); n != 1 {
		t.Fatalf("next document carries %d", n)
	}
	h.gate.letThrough()
	if r := <-after; r.err != nil {
		t.Fatal(r.err)
	}
	if texts := sentTexts(h.srv); !slices.Equal(texts, []string{"after", "first"}) {
		t.Fatalf("server recorded %v", texts)
	}
}

// MaxBatch 1 is for a server that takes one transaction per document.
func TestMaxBatchOneSendsOnePerDocument(t *testing.T) {
	checkLeaks(t)
	h := newBatchHarness(t, 1, impstest.Config{})
	first, queued := h.holdFirstAndQueue(t, 3)
	h.gate.letThrough()
	for range 3 {
		if n := h.gate.next(t); n != 1 {
			t.Fatalf("document of %d", n)
		}
		h.gate.letThrough()
	}
	for _, r := range append(collect(queued), <-first) {
		if r.err != nil {
			t.Fatalf("%s: %v", r.text, r.err)
		}
	}
}
