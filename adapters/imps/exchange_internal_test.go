package imps

import (
	"errors"
	"testing"

	"github.com/iwf-gateway/iwf/adapters/imps/wv"
)

// The Status a server sends back under the TransactionID of a response is
// its verdict on that response: taken out of the answer (it must not reach
// a request of the client's that uses the same id) and returned as an
// error when it refuses.
func TestTakeVerdict(t *testing.T) {
	tx := func(mode, id string, p wv.Primitive) wv.Transaction {
		return wv.Transaction{Descriptor: wv.TransactionDescriptor{TransactionMode: mode, TransactionID: id}, Primitive: p}
	}
	refusal := tx(wv.ModeResponse, "t-7", &wv.Status{Result: wv.Result{Code: 420, Description: "Invalid transaction ID."}})
	refusal.Descriptor.Poll = wv.NewBool(true)
	other := tx(wv.ModeResponse, "12", &wv.Status{Result: wv.Result{Code: wv.CodeOK}})
	request := tx(wv.ModeRequest, "t-7", &wv.NewMessage{})
	m := wv.Message{Transactions: []wv.Transaction{other, refusal, request}}
	s := newSession("S", 0)

	err := takeVerdict(s, &m, "t-7")
	var se *wv.StatusError
	if !errors.As(err, &se) || se.Code != 420 {
		t.Fatalf("err = %v, want the 420", err)
	}
	if len(m.Transactions) != 2 || m.Transactions[0].Descriptor.TransactionID != "12" ||
		m.Transactions[1].Descriptor.TransactionMode != wv.ModeRequest {
		t.Fatalf("left %+v", m.Transactions)
	}
	select {
	case <-s.pollNow:
	default:
		t.Fatal("the verdict's Poll = T was lost")
	}

	accepted := wv.Message{Transactions: []wv.Transaction{tx(wv.ModeResponse, "t-8", &wv.Status{Result: wv.Result{Code: wv.CodeOK}})}}
	if err := takeVerdict(s, &accepted, "t-8"); err != nil || len(accepted.Transactions) != 0 {
		t.Fatalf("a 200 verdict: %v, left %+v", err, accepted.Transactions)
	}
	if err := takeVerdict(s, &wv.Message{}, "t-9"); err != nil {
		t.Fatalf("no verdict: %v", err)
	}
}
