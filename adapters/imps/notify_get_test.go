package imps_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/iwf-gateway/iwf/adapters/imps"
	"github.com/iwf-gateway/iwf/adapters/imps/impstest"
	"github.com/iwf-gateway/iwf/adapters/imps/wv"
)

// notifyServer is a fake server that delivers user's messages by
// Notify/Get.
func notifyServer(t testing.TB, cfg impstest.Config) *impstest.Server {
	t.Helper()
	cfg.Accounts = map[string]impstest.Account{user: {Password: password, Notify: true}}
	return newServer(t, cfg)
}

// injectN queues n messages with texts prefix0..prefix(n-1) and returns
// their ids, in order.
func injectN(t testing.TB, srv *impstest.Server, prefix string, n int) []string {
	t.Helper()
	ids := make([]string, n)
	for i := range n {
		id, err := srv.Inject(ctxT(t), user, newMessage(fmt.Sprint(prefix, i)))
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = id
	}
	return ids
}

// sequentialHandler is a recorder that also notes Handler calls that
// overlap and acknowledgements that precede the Handler's return.
type sequentialHandler struct {
	recorder
	srv      *impstest.Server
	inside   atomic.Int32
	overlaps atomic.Int32
	early    atomic.Int32
}

func (h *sequentialHandler) handle(ctx context.Context, m *wv.NewMessage) error {
	if h.inside.Add(1) > 1 {
		h.overlaps.Add(1)
	}
	defer h.inside.Add(-1)
	if slices.Contains(h.srv.Delivered(), m.MessageInfo.MessageID) {
		h.early.Add(1)
	}
	return h.recorder.handle(ctx, m)
}

func TestNotifyGetHandledThenDelivered(t *testing.T) {
	checkLeaks(t)
	srv := notifyServer(t, impstest.Config{PollBatch: 15})
	ids := injectN(t, srv, "notified ", 6)
	h := &sequentialHandler{srv: srv}
	start(t, srv, clientConfig(srv), h.handle, true)
	eventually(t, "every MessageDelivered", func() bool { return len(srv.Delivered()) == len(ids) })
	eventually(t, "every notification answered", func() bool { return srv.Stats().AnsweredNotifications == len(ids) })

	got := h.messages()
	if len(got) != len(ids) {
		t.Fatalf("handler called %d times for %d messages", len(got), len(ids))
	}
	for i, m := range got {
		if m.MessageInfo.MessageID != ids[i] || m.ContentData != fmt.Sprint("notified ", i) ||
			m.MessageInfo.Sender.User == nil || m.MessageInfo.Sender.User.UserID != "wv:bob@imps.example.net" ||
			m.MessageInfo.ContentType != "text/plain" {
			t.Fatalf("message %d: %+v", i, m)
		}
	}
	if d := srv.Delivered(); !slices.Equal(d, ids) {
		t.Fatalf("delivered %v, want %v", d, ids)
	}
	if h.overlaps.Load() != 0 || h.early.Load() != 0 {
		t.Fatalf("%d overlapping handler calls, %d acknowledgements before the handler returned", h.overlaps.Load(), h.early.Load())
	}
	if st := srv.Stats(); st.GetMessages != len(ids) || srv.Pending(user) != 0 || st.DuplicateTransactions != 0 {
		t.Fatalf("stats %+v, pending %d", st, srv.Pending(user))
	}
}

func TestNotifyGetTemporaryFailureThenSuccess(t *testing.T) {
	for _, code := range []int{wv.CodeServiceUnavailable, wv.CodeInternalServerError} {
		t.Run(fmt.Sprint(code), func(t *testing.T) {
			checkLeaks(t)
			srv := notifyServer(t, impstest.Config{})
			srv.FailNext("GetMessage-Request", code, 2)
			cfg := clientConfig(srv)
			cfg.PollInterval = 10 * time.Millisecond
			var rec recorder
			start(t, srv, cfg, rec.handle, true)
			ids := injectN(t, srv, "try again ", 1)
			eventually(t, "MessageDelivered after the failures", func() bool { return len(srv.Delivered()) == 1 })
			eventually(t, "notification answered", func() bool { return srv.Stats().AnsweredNotifications == 1 })
			got := rec.messages()
			if len(got) != 1 || got[0].MessageInfo.MessageID != ids[0] || got[0].ContentData != "try again 0" {
				t.Fatalf("handler got %+v", got)
			}
			if st := srv.Stats(); st.GetMessages != 1 || srv.Pending(user) != 0 || srv.Delivered()[0] != ids[0] {
				t.Fatalf("stats %+v, pending %d", st, srv.Pending(user))
			}
		})
	}
}

func TestNotifyGetPermanentFailureDropped(t *testing.T) {
	checkLeaks(t)
	srv := notifyServer(t, impstest.Config{})
	srv.FailNext("GetMessage-Request", 426, 1)
	cfg := clientConfig(srv)
	cfg.PollInterval = 10 * time.Millisecond
	var rec recorder
	start(t, srv, cfg, rec.handle, true)
	injectN(t, srv, "gone ", 1)
	eventually(t, "notification answered", func() bool { return srv.Stats().AnsweredNotifications == 1 })
	polls := srv.Stats().Polls
	// Had it been offered again, the next fetch would succeed (the fault
	// is spent) and reach the handler.
	eventually(t, "three more polls", func() bool { return srv.Stats().Polls >= polls+3 })
	if st := srv.Stats(); len(rec.messages()) != 0 || st.GetMessages != 0 || len(srv.Delivered()) != 0 {
		t.Fatalf("handled %d, stats %+v, delivered %v", len(rec.messages()), st, srv.Delivered())
	}
	if srv.Pending(user) != 1 {
		t.Fatalf("the server no longer holds the message: pending %d", srv.Pending(user))
	}
}

func TestNotifyGetHandlerErrorNotAcknowledged(t *testing.T) {
	checkLeaks(t)
	srv := notifyServer(t, impstest.Config{})
	cfg := clientConfig(srv)
	cfg.PollInterval = 10 * time.Millisecond
	var rec recorder
	var deliveredAtRetry []string
	var answeredAtRetry int
	rec.fail = func(_ *wv.NewMessage, calls int) error {
		if calls == 1 {
			return errors.New("journal unavailable")
		}
		deliveredAtRetry, answeredAtRetry = srv.Delivered(), srv.Stats().AnsweredNotifications
		return nil
	}
	start(t, srv, cfg, rec.handle, true)
	ids := injectN(t, srv, "retry me ", 1)
	eventually(t, "MessageDelivered after the retry", func() bool { return len(srv.Delivered()) == 1 })
	eventually(t, "notification answered", func() bool { return srv.Stats().AnsweredNotifications == 1 })
	rec.mu.Lock()
	calls, delivered, answered := rec.n, deliveredAtRetry, answeredAtRetry
	rec.mu.Unlock()
	if calls != 2 || len(delivered) != 0 || answered != 0 || srv.Delivered()[0] != ids[0] {
		t.Fatalf("calls %d; at the retry: delivered %v, answered %d", calls, delivered, answered)
	}
	if st := srv.Stats(); st.GetMessages != 2 || srv.Pending(user) != 0 {
		t.Fatalf("stats %+v, pending %d", st, srv.Pending(user))
	}
}

func TestNotifyGetSessionExpiryLosesNothing(t *testing.T) {
	for _, tc := range []struct {
		name        string
		wantExpired bool
		expire      func(*impstest.Server) func(calls int)
	}{
		// The server expires every session while the sixth message is
		// being handled: its MessageDelivered and the fetches running
		// ahead get 600.
		{"while handling", true, func(srv *impstest.Server) func(int) {
			var once sync.Once
			return func(calls int) {
				if calls == 6 {
					once.Do(srv.ExpireSessions)
				}
			}
		}},
		// A GetMessage-Request is answered 600.
		{"answering GetMessage", false, func(srv *impstest.Server) func(int) {
			srv.FailNext("GetMessage-Request", wv.CodeSessionExpired, 1)
			return func(int) {}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			checkLeaks(t)
			srv := notifyServer(t, impstest.Config{PollBatch: 4})
			cfg := clientConfig(srv)
			cfg.PollInterval = 10 * time.Millisecond
			var rec recorder
			hook := tc.expire(srv)
			rec.fail = func(_ *wv.NewMessage, calls int) error { hook(calls); return nil }
			ids := injectN(t, srv, "in ", 20)
			start(t, srv, cfg, rec.handle, true)
			eventually(t, "every message delivered", func() bool { return srv.Pending(user) == 0 })

			content := map[string]string{}
			for _, m := range rec.messages() {
				content[m.MessageInfo.MessageID] = m.ContentData
			}
			delivered := map[string]bool{}
			for _, id := range srv.Delivered() {
				delivered[id] = true
			}
			for i, id := range ids {
				if !delivered[id] || content[id] != fmt.Sprint("in ", i) {
					t.Fatalf("message %d (%s): delivered %v, handled with %q", i, id, delivered[id], content[id])
				}
			}
			if st := srv.Stats(); st.Logins < 2 || tc.wantExpired && st.Expired < 1 || st.DuplicateTransactions != 0 {
				t.Fatalf("stats %+v", st)
			}
		})
	}
}

// oddFetchServer notifies one message until the notification is answered
// and answers every GetMessage-Request with answer.
type oddFetchServer struct {
	answer wv.Primitive

	mu       sync.Mutex
	gets     int
	answered bool
}

func (o *oddFetchServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	data, _ := io.ReadAll(r.Body)
	in, err := wv.Decode(data)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	t := in.Transactions[0]
	id := t.Descriptor.TransactionID
	resp := func(p wv.Primitive) wv.Transaction {
		return wv.Transaction{Descriptor: wv.TransactionDescriptor{TransactionMode: wv.ModeResponse, TransactionID: id}, Primitive: p}
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []wv.Transaction
	switch t.Primitive.(type) {
	case *wv.LoginRequest:
		out = append(out, resp(&wv.LoginResponse{Result: wv.Result{Code: wv.CodeOK}, SessionID: "S1", KeepAliveTime: 600}))
	case *wv.PollingRequest:
		out = append(out, resp(&wv.Status{Result: wv.Result{Code: wv.CodeOK}}))
		if !o.answered {
			note := newMessage("")
			note.MessageInfo.MessageID = "m-1"
			out = append(out, wv.Transaction{Descriptor: wv.TransactionDescriptor{TransactionMode: wv.ModeRequest, TransactionID: "n-1"},
				Primitive: &wv.MessageNotification{MessageInfo: note.MessageInfo}})
		}
	case *wv.GetMessageRequest:
		o.gets++
		out = append(out, resp(o.answer))
	case *wv.Status:
		o.answered = o.answered || id == "n-1"
		w.WriteHeader(http.StatusNoContent)
		return
	default:
		out = append(out, resp(&wv.Status{Result: wv.Result{Code: wv.CodeOK}}))
	}
	body, _ := wv.Encode(wv.Message{Session: wv.SessionDescriptor{SessionType: wv.SessionInband, SessionID: "S1"}, Transactions: out}, wv.Version12)
	_, _ = w.Write(body)
}

func (o *oddFetchServer) state() (gets int, answered bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.gets, o.answered
}

// A GetMessage answer without the message asked for is a permanent
// failure: logged, the notification answered, the handler not called.
func TestNotifyGetUnexpectedAnswerDropped(t *testing.T) {
	other := newMessage("someone else's")
	other.MessageInfo.MessageID = "m-2"
	for name, answer := range map[string]wv.Primitive{
		"bare status":   &wv.Status{Result: wv.Result{Code: wv.CodeOK}},
		"other message": &wv.GetMessageResponse{MessageInfo: other.MessageInfo, ContentData: other.ContentData},
		"4xx":           &wv.Status{Result: wv.Result{Code: 426, Description: "Invalid message ID."}},
	} {
		t.Run(name, func(t *testing.T) {
			checkLeaks(t)
			odd := &oddFetchServer{answer: answer}
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			hs := &http.Server{Handler: odd}
			served := make(chan struct{})
			go func() { defer close(served); _ = hs.Serve(ln) }()
			t.Cleanup(func() { hs.Close(); <-served })

			cfg := imps.Config{ServerURL: "http://" + ln.Addr().String() + "/imps", User: user, Password: password,
				PollInterval: 10 * time.Millisecond}
			var rec recorder
			c, err := imps.New(cfg, nil, rec.handle)
			if err != nil {
				t.Fatal(err)
			}
			runErr := make(chan error, 1)
			go func() { runErr <- c.Run(context.Background()) }()
			defer func() { c.Close(); <-runErr }()
			eventually(t, "notification answered", func() bool { _, answered := odd.state(); return answered })
			if gets, _ := odd.state(); gets != 1 || len(rec.messages()) != 0 {
				t.Fatalf("%d fetches, handler got %+v", gets, rec.messages())
			}
		})
	}
}
