package imps_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/iwf-gateway/iwf/adapters/imps"
	"github.com/iwf-gateway/iwf/adapters/imps/impstest"
	"github.com/iwf-gateway/iwf/adapters/imps/wv"
)

func TestLoginPassword(t *testing.T) {
	checkLeaks(t)
	srv := newServer(t, impstest.Config{})
	h := start(t, srv, clientConfig(srv), nil, true)
	if !h.client.Ready() {
		t.Fatal("not ready after WaitReady")
	}
	st := srv.Stats()
	if st.Logins != 1 || st.Challenges != 0 || st.FailedLogins != 0 || srv.Sessions() != 1 {
		t.Fatalf("stats %+v, sessions %d", st, srv.Sessions())
	}
}

func TestLoginDigest(t *testing.T) {
	for _, auth := range []string{imps.AuthPassword, imps.AuthDigest} {
		t.Run(auth, func(t *testing.T) {
			checkLeaks(t)
			srv := newServer(t, impstest.Config{Accounts: map[string]impstest.Account{user: {Password: password, Digest: true}}})
			cfg := clientConfig(srv)
			cfg.Auth = auth
			start(t, srv, cfg, nil, true)
			if st := srv.Stats(); st.Logins != 1 || st.Challenges != 1 || st.FailedLogins != 0 {
				t.Fatalf("stats %+v", st)
			}
		})
	}
}

func TestLoginWrongPasswordRetriedNotReady(t *testing.T) {
	checkLeaks(t)
	srv := newServer(t, impstest.Config{Accounts: map[string]impstest.Account{user: {Password: "other", Digest: true}}})
	h := start(t, srv, clientConfig(srv), nil, false)
	eventually(t, "two refused logins", func() bool { return srv.Stats().FailedLogins >= 2 })
	if h.client.Ready() || srv.Stats().Logins != 0 {
		t.Fatalf("ready with a wrong password: %+v", srv.Stats())
	}
}

func TestSendMessageReturnsServerID(t *testing.T) {
	checkLeaks(t)
	srv := newServer(t, impstest.Config{})
	h := start(t, srv, clientConfig(srv), nil, true)
	req := sendRequest("héllo ☃", false)
	id, err := h.client.SendMessage(ctxT(t), req)
	if err != nil {
		t.Fatal(err)
	}
	sent := srv.Sent()
	if len(sent) != 1 || sent[0].MessageID != id || id == "" {
		t.Fatalf("id %q, server recorded %+v", id, sent)
	}
	got := sent[0].Request
	if got.ContentData != req.ContentData || got.MessageInfo.Recipient.Users[0].UserID != "wv:bob@imps.example.net" || bool(got.DeliveryReport) {
		t.Fatalf("server got %+v", got)
	}
}

func TestConcurrentSendsDistinctIDs(t *testing.T) {
	checkLeaks(t)
	srv := newServer(t, impstest.Config{})
	h := start(t, srv, clientConfig(srv), nil, true)
	const n = 32
	ids := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ids[i], errs[i] = h.client.SendMessage(ctxT(t), sendRequest(fmt.Sprint("m", i), false))
		}()
	}
	wg.Wait()
	seen := map[string]bool{}
	for i := range n {
		if errs[i] != nil || seen[ids[i]] {
			t.Fatalf("send %d: id %q err %v", i, ids[i], errs[i])
		}
		seen[ids[i]] = true
	}
	if len(srv.Sent()) != n || srv.Stats().DuplicateTransactions != 0 {
		t.Fatalf("server recorded %d, want %d; stats %+v", len(srv.Sent()), n, srv.Stats())
	}
}

// recorder is a Handler that keeps what it accepted.
type recorder struct {
	mu   sync.Mutex
	got  []wv.NewMessage
	fail func(m *wv.NewMessage, calls int) error
	n    int
}

func (r *recorder) handle(_ context.Context, m *wv.NewMessage) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.n++
	if r.fail != nil {
		if err := r.fail(m, r.n); err != nil {
			return err
		}
	}
	r.got = append(r.got, *m)
	return nil
}

func (r *recorder) messages() []wv.NewMessage {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]wv.NewMessage(nil), r.got...)
}

func TestNewMessageHandledThenDelivered(t *testing.T) {
	checkLeaks(t)
	srv := newServer(t, impstest.Config{})
	cfg := clientConfig(srv)
	cfg.PollInterval = 20 * time.Millisecond
	var rec recorder
	var server *impstest.Server = srv
	rec.fail = func(m *wv.NewMessage, _ int) error {
		// The acknowledgement must not precede the handler's acceptance.
		if len(server.Delivered()) != 0 {
			return errors.New("acknowledged before the handler returned")
		}
		return nil
	}
	start(t, srv, cfg, rec.handle, true)
	id, err := srv.Inject(ctxT(t), user, newMessage("bonjour"))
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "MessageDelivered", func() bool { return len(srv.Delivered()) == 1 })
	got := rec.messages()
	if len(got) != 1 || got[0].MessageInfo.MessageID != id || got[0].ContentData != "bonjour" || srv.Delivered()[0] != id {
		t.Fatalf("handler got %+v, delivered %v", got, srv.Delivered())
	}
	if srv.Pending(user) != 0 {
		t.Fatalf("inbox still holds %d", srv.Pending(user))
	}
}

func TestHandlerErrorNotAcknowledgedAndRedelivered(t *testing.T) {
	checkLeaks(t)
	srv := newServer(t, impstest.Config{})
	cfg := clientConfig(srv)
	cfg.PollInterval = 20 * time.Millisecond
	var rec recorder
	var deliveredAtRetry []string
	rec.fail = func(_ *wv.NewMessage, calls int) error {
		if calls == 1 {
			return errors.New("journal unavailable")
		}
		deliveredAtRetry = srv.Delivered()
		return nil
	}
	start(t, srv, cfg, rec.handle, true)
	id, err := srv.Inject(ctxT(t), user, newMessage("retry me"))
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "MessageDelivered after retry", func() bool { return len(srv.Delivered()) == 1 })
	rec.mu.Lock()
	calls, retrySaw := rec.n, deliveredAtRetry
	rec.mu.Unlock()
	if calls != 2 || len(retrySaw) != 0 || srv.Delivered()[0] != id {
		t.Fatalf("calls %d, delivered at retry %v, delivered %v", calls, retrySaw, srv.Delivered())
	}
}

func TestPollFlagTriggersPoll(t *testing.T) {
	checkLeaks(t)
	srv := newServer(t, impstest.Config{KeepAliveTime: time.Second})
	var rec recorder
	start(t, srv, clientConfig(srv), rec.handle, true) // polls hourly
	eventually(t, "first poll", func() bool { return srv.Stats().Polls == 1 })
	if _, err := srv.Inject(ctxT(t), user, newMessage("flagged")); err != nil {
		t.Fatal(err)
	}
	// The keep-alive answer carries Poll = T, which makes the client poll.
	eventually(t, "delivery", func() bool { return len(srv.Delivered()) == 1 })
	if st := srv.Stats(); st.KeepAlives < 1 || st.Polls != 2 {
		t.Fatalf("stats %+v", st)
	}
}

func TestSessionExpiryMidTrafficLosesNothing(t *testing.T) {
	checkLeaks(t)
	srv := newServer(t, impstest.Config{PollBatch: 4})
	cfg := clientConfig(srv)
	cfg.PollInterval = 10 * time.Millisecond
	var rec recorder
	var once sync.Once
	rec.fail = func(_ *wv.NewMessage, calls int) error {
		if calls == 6 {
			once.Do(srv.ExpireSessions)
		}
		return nil
	}
	h := start(t, srv, cfg, rec.handle, true)
	const n = 20
	for i := range n {
		if _, err := srv.Inject(ctxT(t), user, newMessage(fmt.Sprint("in", i))); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	sendErrs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sendErrs <- sendWithRetry(ctxT(t), h.client, sendRequest(fmt.Sprint("out", i), false))
		}()
	}
	wg.Wait()
	close(sendErrs)
	for err := range sendErrs {
		if err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, "every inbound message delivered", func() bool { return srv.Pending(user) == 0 })
	delivered := map[string]bool{}
	for _, id := range srv.Delivered() {
		delivered[id] = true
	}
	out := map[string]bool{}
	for _, s := range srv.Sent() {
		out[s.Request.ContentData] = true
	}
	if len(delivered) != n || len(out) != n || srv.Stats().Expired < 1 || srv.Stats().Logins < 2 ||
		srv.Stats().DuplicateTransactions != 0 {
		t.Fatalf("delivered %d, sent %d distinct, stats %+v", len(delivered), len(out), srv.Stats())
	}
}

// sendWithRetry retries temporary errors, as the gateway does.
func sendWithRetry(ctx context.Context, c *imps.Client, req *wv.SendMessageRequest) error {
	for {
		_, err := c.SendMessage(ctx, req)
		if err == nil || !imps.IsTemporary(err) || ctx.Err() != nil {
			return err
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func TestResultCodesAreStatusErrors(t *testing.T) {
	checkLeaks(t)
	srv := newServer(t, impstest.Config{})
	h := start(t, srv, clientConfig(srv), nil, true)
	for _, tc := range []struct {
		code      int
		temporary bool
	}{{503, true}, {500, true}, {531, false}, {400, false}} {
		srv.FailNext("SendMessage-Request", tc.code, 1)
		_, err := h.client.SendMessage(ctxT(t), sendRequest("x", false))
		var se *wv.StatusError
		if !errors.As(err, &se) || se.Code != tc.code || se.Temporary() != tc.temporary || imps.IsTemporary(err) != tc.temporary {
			t.Fatalf("code %d: err %v", tc.code, err)
		}
	}
	if len(srv.Sent()) != 0 {
		t.Fatalf("failed sends recorded: %d", len(srv.Sent()))
	}
}

func TestSlowAnswerIsTemporary(t *testing.T) {
	checkLeaks(t)
	srv := newServer(t, impstest.Config{})
	cfg := clientConfig(srv)
	cfg.RequestTimeout = 50 * time.Millisecond
	h := start(t, srv, cfg, nil, true)
	srv.SetDelay(time.Hour)
	_, err := h.client.SendMessage(ctxT(t), sendRequest("slow", false))
	var te *imps.TransportError
	if !errors.As(err, &te) || !imps.IsTemporary(err) {
		t.Fatalf("err %v", err)
	}
	srv.SetDelay(0)
}

func TestDeliveryReportReachesHandler(t *testing.T) {
	checkLeaks(t)
	srv := newServer(t, impstest.Config{})
	cfg := clientConfig(srv)
	cfg.PollInterval = 10 * time.Millisecond
	reports := make(chan *wv.DeliveryReportRequest, 4)
	h := start(t, srv, cfg, nil, true, imps.WithReportHandler(func(_ context.Context, r *wv.DeliveryReportRequest) error {
		reports <- r
		return nil
	}))
	id, err := h.client.SendMessage(ctxT(t), sendRequest("report please", true))
	if err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-reports:
		if r.MessageInfo.MessageID != id || r.Result.Code != wv.CodeOK {
			t.Fatalf("report %+v for %q", r, id)
		}
	case <-ctxT(t).Done():
		t.Fatal("no delivery report")
	}
	eventually(t, "report acknowledged", func() bool { return srv.Pending(user) == 0 })
}

func TestDisconnectLogsInAgain(t *testing.T) {
	checkLeaks(t)
	srv := newServer(t, impstest.Config{})
	cfg := clientConfig(srv)
	cfg.PollInterval = 10 * time.Millisecond
	h := start(t, srv, cfg, nil, true)
	srv.Disconnect(user)
	eventually(t, "second login", func() bool { return srv.Stats().Logins == 2 && h.client.Ready() })
	if _, err := h.client.SendMessage(ctxT(t), sendRequest("after", false)); err != nil {
		t.Fatal(err)
	}
}

func TestShutdownLogsOutAndWaits(t *testing.T) {
	checkLeaks(t)
	srv := newServer(t, impstest.Config{})
	h := start(t, srv, clientConfig(srv), nil, true)
	if err := h.client.Shutdown(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	if err := <-h.runErr; err != nil {
		t.Fatalf("Run returned %v", err)
	}
	h.runErr <- nil // for the cleanup
	if st := srv.Stats(); st.Logouts != 1 || srv.Sessions() != 0 {
		t.Fatalf("stats %+v, sessions %d", st, srv.Sessions())
	}
	if _, err := h.client.SendMessage(ctxT(t), sendRequest("late", false)); !errors.Is(err, imps.ErrClosed) {
		t.Fatalf("send after shutdown: %v", err)
	}
	if err := h.client.Shutdown(ctxT(t)); err != nil || h.client.Ready() {
		t.Fatalf("second shutdown %v", err)
	}
}

func TestRunContextEndIsClose(t *testing.T) {
	checkLeaks(t)
	srv := newServer(t, impstest.Config{})
	c, err := imps.New(clientConfig(srv), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	if err := c.WaitReady(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Run returned %v", err)
	}
	if err := c.Run(context.Background()); !errors.Is(err, imps.ErrClosed) {
		t.Fatalf("second Run: %v", err)
	}
	c.Close()
}

func TestConfigValidate(t *testing.T) {
	good := imps.Config{ServerURL: "http://127.0.0.1:8083/imps", User: "u", Password: "p"}
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
	d := good.WithDefaults()
	if d.Version != "1.2" || d.PollInterval != 5*time.Second || d.ClientID != "iwf" || d.Auth != imps.AuthPassword ||
		d.MaxNotifications != imps.DefaultMaxNotifications || d.MaxPosts != imps.DefaultMaxPosts || d.MaxBatch != imps.DefaultMaxBatch {
		t.Fatalf("defaults %+v", d)
	}
	for name, mutate := range map[string]func(*imps.Config){
		"server_url":        func(c *imps.Config) { c.ServerURL = "ftp://x" },
		"user":              func(c *imps.Config) { c.User = "" },
		"password":          func(c *imps.Config) { c.Password = "" },
		"version":           func(c *imps.Config) { c.Version = "1.3" },
		"auth":              func(c *imps.Config) { c.Auth = "kerberos" },
		"keep_alive":        func(c *imps.Config) { c.KeepAliveTime = time.Millisecond },
		"max_notifications": func(c *imps.Config) { c.MaxNotifications = -1 },
		"max_posts":         func(c *imps.Config) { c.MaxPosts = -1 },
		"max_batch":         func(c *imps.Config) { c.MaxBatch = 17 },
		"max_batch over the answer limit": func(c *imps.Config) {
			c.MaxBatch, c.Limits.MaxTransactions = 8, 4
		},
	} {
		c := good
		mutate(&c)
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "imps: config:") {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestDigest(t *testing.T) {
	// base64(MD5("abcsecret")), computed with md5sum and base64.
	if got := imps.Digest("abc", "secret"); got != "M+fLaU+2+y+EivZ3TZ/xOA==" {
		t.Fatalf("digest %q", got)
	}
}
