package imps_test

import (
	"os"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/iwf-gateway/iwf/adapters/imps/impstest"
	"github.com/iwf-gateway/iwf/adapters/imps/wv"
)

// wireLog keeps, from the fake server's OnExchange, the server requests it
// sent and the MessageDelivered transactions it received.
type wireLog struct {
	mu        sync.Mutex
	offered   map[string]wv.Transaction // server TransactionID -> NewMessage or MessageNotification
	delivered []wv.Transaction
}

func (w *wireLog) exchange(in, out wv.Message) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, t := range out.Transactions {
		switch t.Primitive.(type) {
		case *wv.NewMessage, *wv.MessageNotification:
			w.offered[t.Descriptor.TransactionID] = t
		}
	}
	for _, t := range in.Transactions {
		if _, ok := t.Primitive.(*wv.MessageDelivered); ok {
			w.delivered = append(w.delivered, t)
		}
	}
}

func (w *wireLog) snapshot() (map[string]wv.Transaction, []wv.Transaction) {
	w.mu.Lock()
	defer w.mu.Unlock()
	offered := make(map[string]wv.Transaction, len(w.offered))
	for k, v := range w.offered {
		offered[k] = v
	}
	return offered, append([]wv.Transaction(nil), w.delivered...)
}

// TestMessageDeliveredWireForm checks, at the fake server, how the client
// sends MessageDelivered: for a pushed NewMessage as the response to it
// (TransactionMode Response, the NewMessage's TransactionID, as in the
// WV-023 example wv-068), for a Notify/Get delivery as a request of its
// own after GetMessage.
func TestMessageDeliveredWireForm(t *testing.T) {
	for _, notify := range []bool{false, true} {
		name := map[bool]string{false: "push", true: "notify-get"}[notify]
		t.Run(name, func(t *testing.T) {
			checkLeaks(t)
			wire := &wireLog{offered: map[string]wv.Transaction{}}
			srv := newServer(t, impstest.Config{OnExchange: wire.exchange,
				Accounts: map[string]impstest.Account{user: {Password: password, Notify: notify}}})
			cfg := clientConfig(srv)
			cfg.PollInterval = 20 * time.Millisecond
			var rec recorder
			start(t, srv, cfg, rec.handle, true)
			id, err := srv.Inject(ctxT(t), user, newMessage("wire"))
			if err != nil {
				t.Fatal(err)
			}
			// OnExchange runs after the server handled the document: wait
			// for both the inbox and the log.
			eventually(t, "MessageDelivered", func() bool {
				_, delivered := wire.snapshot()
				return len(delivered) > 0 && srv.Pending(user) == 0
			})

			offered, delivered := wire.snapshot()
			if len(delivered) != 1 {
				t.Fatalf("%d MessageDelivered sent: %+v", len(delivered), delivered)
			}
			d := delivered[0]
			if got := d.Primitive.(*wv.MessageDelivered).MessageID; got != id {
				t.Fatalf("MessageDelivered for %q, want %q", got, id)
			}
			var offer wv.Transaction
			for _, o := range offered {
				offer = o
			}
			if len(offered) != 1 || offer.Descriptor.TransactionMode != wv.ModeRequest {
				t.Fatalf("offered %+v", offered)
			}
			if !notify {
				if _, ok := offer.Primitive.(*wv.NewMessage); !ok {
					t.Fatalf("pushed %T", offer.Primitive)
				}
				if d.Descriptor.TransactionMode != wv.ModeResponse || d.Descriptor.TransactionID != offer.Descriptor.TransactionID {
					t.Fatalf("MessageDelivered sent as %s %q, want Response %q (the NewMessage's)",
						d.Descriptor.TransactionMode, d.Descriptor.TransactionID, offer.Descriptor.TransactionID)
				}
				if st := srv.Stats(); st.InvalidTransactions != 0 {
					t.Fatalf("stats %+v", st)
				}
				return
			}
			if d.Descriptor.TransactionMode != wv.ModeRequest || d.Descriptor.TransactionID == "" ||
				d.Descriptor.TransactionID == offer.Descriptor.TransactionID {
				t.Fatalf("MessageDelivered after GetMessage sent as %s %q, want a Request of its own",
					d.Descriptor.TransactionMode, d.Descriptor.TransactionID)
			}
			eventually(t, "notification answered", func() bool { return srv.Stats().AnsweredNotifications == 1 })
		})
	}
}

// TestMessageDeliveredSampleIsAResponse anchors the push form in the WV-023
// example: wv-068 sends MessageDelivered in TransactionMode Response.
func TestMessageDeliveredSampleIsAResponse(t *testing.T) {
	const sample = "../../../shared/specs/imps/samples/wv-068_MessageDelivered.xml"
	b, err := os.ReadFile(sample)
	if err != nil {
		t.Skipf("shared IMPS samples not available at %s: %v", sample, err)
	}
	// The examples declare a DOCTYPE, which the decoder refuses by design.
	b = regexp.MustCompile(`<!DOCTYPE[^>]*>`).ReplaceAll(b, nil)
	m, err := wv.Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Transactions) != 1 {
		t.Fatalf("%d transactions", len(m.Transactions))
	}
	if _, ok := m.Transactions[0].Primitive.(*wv.MessageDelivered); !ok || m.Transactions[0].Descriptor.TransactionMode != wv.ModeResponse {
		t.Fatalf("wv-068 is %s %T", m.Transactions[0].Descriptor.TransactionMode, m.Transactions[0].Primitive)
	}
}
