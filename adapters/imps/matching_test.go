package imps_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"sync"
	"testing"

	"github.com/iwf-gateway/iwf/adapters/imps"
	"github.com/iwf-gateway/iwf/adapters/imps/wv"
)

// deferringServer answers the first SendMessage-Request with an empty
// document and carries its response in the answer to the second one, so
// the client must match responses by TransactionID across exchanges.
type deferringServer struct {
	mu      sync.Mutex
	held    []wv.Transaction
	arrived chan struct{}
}

func (d *deferringServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	data, _ := io.ReadAll(r.Body)
	in, err := wv.Decode(data)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	t := in.Transactions[0]
	resp := func(p wv.Primitive) wv.Transaction {
		return wv.Transaction{Descriptor: wv.TransactionDescriptor{TransactionMode: wv.ModeResponse,
			TransactionID: t.Descriptor.TransactionID}, Primitive: p}
	}
	var out []wv.Transaction
	switch p := t.Primitive.(type) {
	case *wv.LoginRequest:
		out = []wv.Transaction{resp(&wv.LoginResponse{Result: wv.Result{Code: 200}, SessionID: "S1", KeepAliveTime: 600})}
	case *wv.SendMessageRequest:
		d.mu.Lock()
		mine := resp(&wv.SendMessageResponse{Result: wv.Result{Code: 200}, MessageID: "id-" + p.ContentData})
		if len(d.held) == 0 {
			d.held = append(d.held, mine)
			d.mu.Unlock()
			close(d.arrived)
			w.WriteHeader(http.StatusNoContent)
			return
		}
		out = append(d.held, mine)
		d.held = nil
		d.mu.Unlock()
	default:
		out = []wv.Transaction{resp(&wv.Status{Result: wv.Result{Code: 200}})}
	}
	body, _ := wv.Encode(wv.Message{Session: wv.SessionDescriptor{SessionType: wv.SessionInband, SessionID: "S1"},
		Transactions: out}, wv.Version12)
	_, _ = w.Write(body)
}

func TestResponseMatchedAcrossExchanges(t *testing.T) {
	checkLeaks(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ds := &deferringServer{arrived: make(chan struct{})}
	hs := &http.Server{Handler: ds}
	served := make(chan struct{})
	go func() { defer close(served); _ = hs.Serve(ln) }()
	defer func() { hs.Close(); <-served }()

	cfg := imps.Config{ServerURL: "http://" + ln.Addr().String() + "/imps", User: user, Password: password}
	c, err := imps.New(cfg, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	runErr := make(chan error, 1)
	go func() { runErr <- c.Run(context.Background()) }()
	defer func() { c.Close(); <-runErr }()
	if err := c.WaitReady(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	first := make(chan string, 1)
	go func() {
		id, err := c.SendMessage(ctxT(t), sendRequest("a", false))
		if err != nil {
			id = err.Error()
		}
		first <- id
	}()
	<-ds.arrived // the first is in flight, its answer held back
	id, err := c.SendMessage(ctxT(t), sendRequest("b", false))
	if err != nil || id != "id-b" {
		t.Fatalf("second: %q %v", id, err)
	}
	if got := <-first; got != "id-a" {
		t.Fatalf("first: %q", got)
	}
}
