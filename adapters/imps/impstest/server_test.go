package impstest_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/iwf-gateway/iwf/adapters/imps/impstest"
	"github.com/iwf-gateway/iwf/adapters/imps/wv"
)

// post sends one request transaction and returns the decoded answer.
func post(t *testing.T, url, sid string, p wv.Primitive, id string) wv.Message {
	t.Helper()
	body, err := wv.Encode(wv.Message{Session: wv.SessionDescriptor{SessionType: wv.SessionInband, SessionID: sid},
		Transactions: []wv.Transaction{{Descriptor: wv.TransactionDescriptor{TransactionMode: wv.ModeRequest, TransactionID: id},
			Primitive: p}}}, wv.Version12)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post(url, impstest.ContentType, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("http %d: %s", resp.StatusCode, data)
	}
	m, err := wv.Decode(data)
	if err != nil {
		t.Fatalf("answer: %v\n%s", err, data)
	}
	return m
}

func newServer(t *testing.T, cfg impstest.Config) *impstest.Server {
	t.Helper()
	srv, err := impstest.NewServer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	return srv
}

func code(t *testing.T, m wv.Message, i int) int {
	t.Helper()
	switch p := m.Transactions[i].Primitive.(type) {
	case *wv.Status:
		return p.Result.Code
	case *wv.LoginResponse:
		return p.Result.Code
	case *wv.SendMessageResponse:
		return p.Result.Code
	}
	t.Fatalf("transaction %d: %T has no result", i, m.Transactions[i].Primitive)
	return 0
}

func TestDigestLoginSessionAndExpiry(t *testing.T) {
	srv := newServer(t, impstest.Config{Accounts: map[string]impstest.Account{"u": {Password: "pw", Digest: true}}})
	login := &wv.LoginRequest{UserID: "u", ClientID: wv.ClientID{URL: "test"}, Password: "pw", SessionCookie: "c1"}
	m := post(t, srv.URL(), "", login, "1")
	lr := m.Transactions[0].Primitive.(*wv.LoginResponse)
	if lr.Result.Code != 401 || lr.Nonce == "" || lr.DigestSchema != "MD5" || m.Transactions[0].Descriptor.TransactionID != "1" {
		t.Fatalf("challenge %+v", lr)
	}
	sum := md5.Sum([]byte(lr.Nonce + "pw"))
	login.Password, login.DigestSchema = "", "MD5"
	login.DigestBytes = base64.StdEncoding.EncodeToString(sum[:])
	m = post(t, srv.URL(), "", login, "2")
	lr = m.Transactions[0].Primitive.(*wv.LoginResponse)
	if lr.Result.Code != 200 || lr.SessionID == "" || lr.KeepAliveTime != 60 || m.Session.SessionID != lr.SessionID {
		t.Fatalf("login %+v", lr)
	}
	sid := lr.SessionID
	if c := code(t, post(t, srv.URL(), sid, &wv.PollingRequest{}, "3"), 0); c != 200 {
		t.Fatalf("poll %d", c)
	}
	if c := code(t, post(t, srv.URL(), sid, &wv.PollingRequest{}, "3"), 0); c != 400 || srv.Stats().DuplicateTransactions != 1 {
		t.Fatalf("duplicate transaction answered %d", c)
	}
	if c := code(t, post(t, srv.URL(), "nope", &wv.PollingRequest{}, "4"), 0); c != wv.CodeInvalidSession {
		t.Fatalf("unknown session answered %d", c)
	}
	srv.ExpireSessions()
	if c := code(t, post(t, srv.URL(), sid, &wv.PollingRequest{}, "5"), 0); c != wv.CodeSessionExpired {
		t.Fatalf("expired session answered %d", c)
	}
}

func TestInboxPollFlagAndAck(t *testing.T) {
	srv := newServer(t, impstest.Config{Accounts: map[string]impstest.Account{"u": {Password: "pw"}}})
	m := post(t, srv.URL(), "", &wv.LoginRequest{UserID: "u", Password: "pw", SessionCookie: "c"}, "1")
	sid := m.Transactions[0].Primitive.(*wv.LoginResponse).SessionID
	id, err := srv.Inject(context.Background(), "u", wv.NewMessage{ContentData: "hi",
		MessageInfo: wv.MessageInfo{Recipient: wv.Recipient{Users: []wv.User{{UserID: "a"}}}, Sender: wv.Sender{User: &wv.User{UserID: "b"}}}})
	if err != nil {
		t.Fatal(err)
	}
	m = post(t, srv.URL(), sid, &wv.KeepAliveRequest{}, "2")
	if p := m.Transactions[0].Descriptor.Poll; p == nil || !bool(*p) {
		t.Fatal("no Poll = T while a message waits")
	}
	m = post(t, srv.URL(), sid, &wv.PollingRequest{}, "3")
	if len(m.Transactions) != 2 || m.Transactions[1].Descriptor.TransactionMode != wv.ModeRequest {
		t.Fatalf("poll answer %+v", m.Transactions)
	}
	nm := m.Transactions[1].Primitive.(*wv.NewMessage)
	if nm.MessageInfo.MessageID != id || nm.ContentData != "hi" {
		t.Fatalf("new message %+v", nm)
	}
	if m.Transactions[0].Descriptor.Poll != nil {
		t.Fatal("Poll flag after everything was offered")
	}
	// Not acknowledged: offered again, in the same transaction.
	txID := m.Transactions[1].Descriptor.TransactionID
	m = post(t, srv.URL(), sid, &wv.PollingRequest{}, "4")
	if len(m.Transactions) != 2 || m.Transactions[1].Descriptor.TransactionID != txID {
		t.Fatalf("not offered again: %+v", m.Transactions)
	}
	// The acknowledgement is the response to the NewMessage (wv-068).
	if m := respondWith(t, srv.URL(), sid, txID, &wv.MessageDelivered{MessageID: id}); len(m.Transactions) != 0 || srv.Pending("u") != 0 {
		t.Fatalf("ack answered %+v, pending %d", m.Transactions, srv.Pending("u"))
	}
	if d := srv.Delivered(); len(d) != 1 || d[0] != id {
		t.Fatalf("delivered %v", d)
	}
}

// A pushed message leaves the inbox only on the MessageDelivered response
// to its NewMessage; every other acknowledgement is refused and leaves it
// offered.
func TestPushedMessageNeedsTheResponseToItsNewMessage(t *testing.T) {
	srv := newServer(t, impstest.Config{Accounts: map[string]impstest.Account{"u": {Password: "pw"}}})
	m := post(t, srv.URL(), "", &wv.LoginRequest{UserID: "u", Password: "pw", SessionCookie: "c"}, "1")
	sid := m.Transactions[0].Primitive.(*wv.LoginResponse).SessionID
	id, err := srv.Inject(context.Background(), "u", wv.NewMessage{ContentData: "hi",
		MessageInfo: wv.MessageInfo{Recipient: wv.Recipient{Users: []wv.User{{UserID: "a"}}}, Sender: wv.Sender{User: &wv.User{UserID: "b"}}}})
	if err != nil {
		t.Fatal(err)
	}
	m = post(t, srv.URL(), sid, &wv.PollingRequest{}, "2")
	txID := m.Transactions[1].Descriptor.TransactionID
	if _, err := srv.Inject(context.Background(), "u", wv.NewMessage{ContentData: "not offered",
		MessageInfo: wv.MessageInfo{Recipient: wv.Recipient{Users: []wv.User{{UserID: "a"}}}, Sender: wv.Sender{User: &wv.User{UserID: "b"}}}}); err != nil {
		t.Fatal(err)
	}

	for name, c := range map[string]struct {
		send func() wv.Message
		code int
	}{
		"request mode": {func() wv.Message { return post(t, srv.URL(), sid, &wv.MessageDelivered{MessageID: id}, "3") }, 400},
		"unknown transaction": {func() wv.Message {
			return respondWith(t, srv.URL(), sid, "no-such-transaction", &wv.MessageDelivered{MessageID: id})
		}, 420},
		"other message id": {func() wv.Message {
			return respondWith(t, srv.URL(), sid, txID, &wv.MessageDelivered{MessageID: id + "-other"})
		}, 426},
	} {
		answer := c.send()
		if len(answer.Transactions) != 1 || code(t, answer, 0) != c.code {
			t.Fatalf("%s: answered %+v, want a Status %d", name, answer.Transactions, c.code)
		}
		if d := answer.Transactions[0].Descriptor; d.TransactionMode != wv.ModeResponse {
			t.Fatalf("%s: answer in mode %s", name, d.TransactionMode)
		}
		if srv.Pending("u") != 2 || len(srv.Delivered()) != 0 {
			t.Fatalf("%s: acknowledged: pending %d, delivered %v", name, srv.Pending("u"), srv.Delivered())
		}
	}
	if st := srv.Stats(); st.InvalidTransactions != 1 {
		t.Fatalf("stats %+v", st)
	}
	// A Status is no acknowledgement of a NewMessage: the transaction is
	// known, so it gets no answer, and the message stays.
	if m := respondWith(t, srv.URL(), sid, txID, &wv.Status{Result: wv.Result{Code: wv.CodeOK}}); len(m.Transactions) != 0 || srv.Pending("u") != 2 {
		t.Fatalf("status answered %+v, pending %d", m.Transactions, srv.Pending("u"))
	}
	if m := post(t, srv.URL(), sid, &wv.MessageDelivered{MessageID: "nope"}, "4"); code(t, m, 0) != 426 {
		t.Fatalf("request for an unknown message answered %d", code(t, m, 0))
	}

	if m := respondWith(t, srv.URL(), sid, txID, &wv.MessageDelivered{MessageID: id}); len(m.Transactions) != 0 {
		t.Fatalf("ack answered %+v", m.Transactions)
	}
	if srv.Pending("u") != 1 || !slices.Equal(srv.Delivered(), []string{id}) {
		t.Fatalf("pending %d, delivered %v", srv.Pending("u"), srv.Delivered())
	}
	// The transaction has ended: a repeated acknowledgement names none.
	if m := respondWith(t, srv.URL(), sid, txID, &wv.MessageDelivered{MessageID: id}); len(m.Transactions) != 1 || code(t, m, 0) != 420 {
		t.Fatalf("repeated ack answered %+v", m.Transactions)
	}
}

func TestFaultsAndTransport(t *testing.T) {
	srv := newServer(t, impstest.Config{Accounts: map[string]impstest.Account{"u": {Password: "pw"}}})
	srv.FailNext("Login-Request", 503, 1)
	if c := code(t, post(t, srv.URL(), "", &wv.LoginRequest{UserID: "u", Password: "pw"}, "1"), 0); c != 503 {
		t.Fatalf("fault answered %d", c)
	}
	if c := code(t, post(t, srv.URL(), "", &wv.LoginRequest{UserID: "u", Password: "bad"}, "2"), 0); c != 409 {
		t.Fatalf("wrong password answered %d", c)
	}
	resp, err := http.Post(srv.URL(), "text/xml", bytes.NewReader([]byte("<x/>")))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnsupportedMediaType {
		t.Fatalf("wrong content type got http %d", resp.StatusCode)
	}
	resp, err = http.Post(srv.URL(), impstest.ContentType, bytes.NewReader([]byte("<WV-CSP-Message")))
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m, err := wv.Decode(data)
	if err != nil || code(t, m, 0) != 400 {
		t.Fatalf("malformed input answered %v %s", err, data)
	}
	srv.SetDelay(time.Hour) // Close must not wait for it
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL(), bytes.NewReader(nil))
	req.Header.Set("Content-Type", impstest.ContentType)
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		t.Fatal("delayed answer arrived")
	}
}

func TestNotifyGetInbox(t *testing.T) {
	srv := newServer(t, impstest.Config{Accounts: map[string]impstest.Account{"u": {Password: "pw", Notify: true}}})
	m := post(t, srv.URL(), "", &wv.LoginRequest{UserID: "u", Password: "pw", SessionCookie: "c"}, "1")
	sid := m.Transactions[0].Primitive.(*wv.LoginResponse).SessionID
	id, err := srv.Inject(context.Background(), "u", wv.NewMessage{ContentData: "hi there",
		MessageInfo: wv.MessageInfo{ContentType: "text/plain", ContentSize: 8,
			Recipient: wv.Recipient{Users: []wv.User{{UserID: "a"}}}, Sender: wv.Sender{User: &wv.User{UserID: "b"}}}})
	if err != nil {
		t.Fatal(err)
	}
	m = post(t, srv.URL(), sid, &wv.PollingRequest{}, "2")
	if len(m.Transactions) != 2 || m.Transactions[1].Descriptor.TransactionMode != wv.ModeRequest {
		t.Fatalf("poll answer %+v", m.Transactions)
	}
	note, ok := m.Transactions[1].Primitive.(*wv.MessageNotification)
	if !ok || note.MessageInfo.MessageID != id || note.MessageInfo.ContentSize != 8 || note.MessageInfo.Sender.User.UserID != "b" {
		t.Fatalf("notification %#v", m.Transactions[1].Primitive)
	}
	noteTx := m.Transactions[1].Descriptor.TransactionID

	m = post(t, srv.URL(), sid, &wv.GetMessageRequest{MessageID: id}, "3")
	got, ok := m.Transactions[0].Primitive.(*wv.GetMessageResponse)
	if !ok || got.ContentData != "hi there" || got.MessageInfo.MessageID != id || m.Transactions[0].Descriptor.TransactionID != "3" {
		t.Fatalf("get message answer %#v", m.Transactions[0].Primitive)
	}
	if c := code(t, post(t, srv.URL(), sid, &wv.GetMessageRequest{MessageID: "nope"}, "4"), 0); c != 426 {
		t.Fatalf("unknown message id answered %d", c)
	}
	srv.FailNext("GetMessage-Request", 503, 1)
	if c := code(t, post(t, srv.URL(), sid, &wv.GetMessageRequest{MessageID: id}, "5"), 0); c != 503 {
		t.Fatalf("fault answered %d", c)
	}
	if st := srv.Stats(); st.GetMessages != 1 {
		t.Fatalf("stats %+v", st)
	}

	// Answering the notification stops the offers, not the message.
	respond(t, srv.URL(), sid, noteTx)
	if m = post(t, srv.URL(), sid, &wv.PollingRequest{}, "6"); len(m.Transactions) != 1 {
		t.Fatalf("answered notification offered again: %+v", m.Transactions)
	}
	if srv.Pending("u") != 1 || srv.Stats().AnsweredNotifications != 1 {
		t.Fatalf("pending %d, stats %+v", srv.Pending("u"), srv.Stats())
	}
	if c := code(t, post(t, srv.URL(), sid, &wv.MessageDelivered{MessageID: id}, "7"), 0); c != 200 || srv.Pending("u") != 0 {
		t.Fatalf("ack answered %d, pending %d", c, srv.Pending("u"))
	}
	if d := srv.Delivered(); len(d) != 1 || d[0] != id {
		t.Fatalf("delivered %v", d)
	}
}

func TestNotifyAnsweredAfterDeliveredIsCounted(t *testing.T) {
	srv := newServer(t, impstest.Config{Accounts: map[string]impstest.Account{"u": {Password: "pw", Notify: true}}})
	m := post(t, srv.URL(), "", &wv.LoginRequest{UserID: "u", Password: "pw", SessionCookie: "c"}, "1")
	sid := m.Transactions[0].Primitive.(*wv.LoginResponse).SessionID
	id, err := srv.Inject(context.Background(), "u", wv.NewMessage{ContentData: "x",
		MessageInfo: wv.MessageInfo{Recipient: wv.Recipient{Users: []wv.User{{UserID: "a"}}}, Sender: wv.Sender{User: &wv.User{UserID: "b"}}}})
	if err != nil {
		t.Fatal(err)
	}
	m = post(t, srv.URL(), sid, &wv.PollingRequest{}, "2")
	noteTx := m.Transactions[1].Descriptor.TransactionID
	if c := code(t, post(t, srv.URL(), sid, &wv.MessageDelivered{MessageID: id}, "3"), 0); c != 200 {
		t.Fatalf("ack answered %d", c)
	}
	respond(t, srv.URL(), sid, noteTx)
	if st := srv.Stats(); st.AnsweredNotifications != 1 || srv.Pending("u") != 0 {
		t.Fatalf("stats %+v, pending %d", st, srv.Pending("u"))
	}
	// The notification's transaction has ended: a repeated answer names
	// none, is refused and not counted.
	m = respondWith(t, srv.URL(), sid, noteTx, &wv.Status{Result: wv.Result{Code: wv.CodeOK}})
	if len(m.Transactions) != 1 || code(t, m, 0) != 420 || m.Transactions[0].Descriptor.TransactionID != noteTx {
		t.Fatalf("repeated answer answered %+v", m.Transactions)
	}
	if st := srv.Stats(); st.AnsweredNotifications != 1 || st.InvalidTransactions != 1 {
		t.Fatalf("stats %+v", st)
	}
}

// A MessageDelivered response does not end a MessageNotification: its
// answer is a Status, and its message is confirmed by MessageDelivered as
// a request after GetMessage.
func TestNotificationIsNotAnsweredWithMessageDelivered(t *testing.T) {
	srv := newServer(t, impstest.Config{Accounts: map[string]impstest.Account{"u": {Password: "pw", Notify: true}}})
	m := post(t, srv.URL(), "", &wv.LoginRequest{UserID: "u", Password: "pw", SessionCookie: "c"}, "1")
	sid := m.Transactions[0].Primitive.(*wv.LoginResponse).SessionID
	id, err := srv.Inject(context.Background(), "u", wv.NewMessage{ContentData: "x",
		MessageInfo: wv.MessageInfo{Recipient: wv.Recipient{Users: []wv.User{{UserID: "a"}}}, Sender: wv.Sender{User: &wv.User{UserID: "b"}}}})
	if err != nil {
		t.Fatal(err)
	}
	m = post(t, srv.URL(), sid, &wv.PollingRequest{}, "2")
	noteTx := m.Transactions[1].Descriptor.TransactionID
	m = respondWith(t, srv.URL(), sid, noteTx, &wv.MessageDelivered{MessageID: id})
	if len(m.Transactions) != 1 || code(t, m, 0) != 400 || srv.Pending("u") != 1 || srv.Stats().AnsweredNotifications != 0 {
		t.Fatalf("answered %+v, pending %d, stats %+v", m.Transactions, srv.Pending("u"), srv.Stats())
	}
}

// respond answers the server request txID with a Status 200; the
// server has nothing to say back (HTTP 204).
func respond(t *testing.T, url, sid, txID string) {
	t.Helper()
	if m := respondWith(t, url, sid, txID, &wv.Status{Result: wv.Result{Code: wv.CodeOK}}); len(m.Transactions) != 0 {
		t.Fatalf("answer to a response: %+v", m.Transactions)
	}
}

// respondWith sends p as the response to the server request txID and
// returns the server's answer: no transactions for HTTP 204.
func respondWith(t *testing.T, url, sid, txID string, p wv.Primitive) wv.Message {
	t.Helper()
	body, err := wv.Encode(wv.Message{Session: wv.SessionDescriptor{SessionType: wv.SessionInband, SessionID: sid},
		Transactions: []wv.Transaction{{Descriptor: wv.TransactionDescriptor{TransactionMode: wv.ModeResponse, TransactionID: txID},
			Primitive: p}}}, wv.Version12)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post(url, impstest.ContentType, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	switch resp.StatusCode {
	case http.StatusNoContent:
		return wv.Message{}
	case http.StatusOK:
	default:
		t.Fatalf("http %d: %s", resp.StatusCode, data)
	}
	m, err := wv.Decode(data)
	if err != nil {
		t.Fatalf("answer: %v\n%s", err, data)
	}
	return m
}

// postAll sends one document of request transactions and returns the
// decoded answer.
func postAll(t *testing.T, url, sid string, txs ...wv.Transaction) wv.Message {
	t.Helper()
	body, err := wv.Encode(wv.Message{Session: wv.SessionDescriptor{SessionType: wv.SessionInband, SessionID: sid},
		Transactions: txs}, wv.Version12)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post(url, impstest.ContentType, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	m, err := wv.Decode(data)
	if err != nil {
		t.Fatalf("answer: %v\n%s", err, data)
	}
	return m
}

func sendTx(id, text string) wv.Transaction {
	return wv.Transaction{Descriptor: wv.TransactionDescriptor{TransactionMode: wv.ModeRequest, TransactionID: id},
		Primitive: &wv.SendMessageRequest{ContentData: text, MessageInfo: wv.MessageInfo{ContentSize: uint32(len(text)),
			Recipient: wv.Recipient{Users: []wv.User{{UserID: "wv:bob@imps.example.net"}}},
			Sender:    wv.Sender{User: &wv.User{UserID: "wv:alice@cpm.example.net"}}}}}
}

// A document of several SendMessage-Requests is answered transaction by
// transaction, in order and under each TransactionID; a fault, a
// duplicate id or an expired session touches only the transactions it
// applies to, and Sent and OnSendMessage see every one accepted.
func TestSeveralTransactionsInOneDocument(t *testing.T) {
	var mu sync.Mutex
	var hooked []string
	srv := newServer(t, impstest.Config{Accounts: map[string]impstest.Account{"u": {Password: "pw"}},
		OnSendMessage: func(user string, s impstest.Sent) {
			mu.Lock()
			hooked = append(hooked, user+":"+s.Request.ContentData)
			mu.Unlock()
		}})
	m := post(t, srv.URL(), "", &wv.LoginRequest{UserID: "u", Password: "pw", SessionCookie: "c"}, "0")
	sid := m.Transactions[0].Primitive.(*wv.LoginResponse).SessionID
	srv.FailNext("SendMessage-Request", 503, 1)
	m = postAll(t, srv.URL(), sid, sendTx("1", "a"), sendTx("2", "b"), sendTx("2", "c"), sendTx("3", "d"))
	var got []string
	for i, tx := range m.Transactions {
		got = append(got, fmt.Sprintf("%s %s %d", tx.Descriptor.TransactionMode, tx.Descriptor.TransactionID, code(t, m, i)))
	}
	want := []string{"Response 1 503", "Response 2 200", "Response 2 400", "Response 3 200"}
	if !slices.Equal(got, want) {
		t.Fatalf("answers %v, want %v", got, want)
	}
	sent := srv.Sent()
	if len(sent) != 2 || sent[0].Request.ContentData != "b" || sent[1].Request.ContentData != "d" ||
		m.Transactions[1].Primitive.(*wv.SendMessageResponse).MessageID != sent[0].MessageID ||
		m.Transactions[3].Primitive.(*wv.SendMessageResponse).MessageID != sent[1].MessageID {
		t.Fatalf("sent %+v, answer %+v", sent, m.Transactions)
	}
	mu.Lock()
	if !slices.Equal(hooked, []string{"u:b", "u:d"}) {
		t.Errorf("OnSendMessage saw %v", hooked)
	}
	mu.Unlock()

	srv.ExpireSessions()
	m = postAll(t, srv.URL(), sid, sendTx("4", "e"), sendTx("5", "f"))
	if len(m.Transactions) != 2 || code(t, m, 0) != wv.CodeSessionExpired || code(t, m, 1) != wv.CodeSessionExpired || len(srv.Sent()) != 2 {
		t.Fatalf("expired session answered %+v; sent %d", m.Transactions, len(srv.Sent()))
	}
}
