package impstest

import (
	"context"
	"crypto/md5"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/iwf-gateway/iwf/adapters/imps/wv"
)

// ContentType is the media type the server requires and answers with.
const ContentType = "application/vnd.wv.csp.xml"

// Account is one user of the fake server.
type Account struct {
	Password string
	// Digest refuses a password login: every Login-Request without
	// DigestBytes gets a 401 challenge with a fresh nonce.
	Digest bool
	// Notify delivers the account's messages by Notify/Get (WV-CSP
	// delivery method "N"): a MessageNotification without the content,
	// fetched with GetMessage-Request. Without it, by Push ("P"): a
	// NewMessage carrying the content.
	Notify bool
}

// Config configures a Server. Zero values take the defaults on each field.
type Config struct {
	Accounts      map[string]Account // UserID -> account
	Version       wv.Version         // version of the answers; default 1.2
	KeepAliveTime time.Duration      // granted keep-alive and session idle expiry; default 60s (whole seconds)
	PollBatch     int                // most inbox items per poll answer; default 8, at most 15 (a document holds 16 transactions)

	// OnSendMessage, when set, is called with the account and the record
	// of each SendMessage-Request accepted, from the request's handler
	// after the server's lock is released and before the answer is
	// written. It must not block; it may call the Server's methods
	// (Inject, for instance). Close does not wait for handlers still
	// running, so it may be called while or just after Close runs.
	OnSendMessage func(user string, sent Sent)

	// OnExchange, when set, is called with every client document that
	// decodes and the answer the server writes for it (no transactions
	// for an HTTP 204), from the request's handler after the server's
	// lock is released. It sees the wire form (TransactionMode,
	// TransactionID) of both directions. It must not block, nor modify
	// the Messages (they share the server's state); Close does not wait
	// for handlers still running.
	OnExchange func(in, out wv.Message)
}

// Stats counts what the server saw.
type Stats struct {
	Logins, FailedLogins, Challenges, Logouts, KeepAlives, Polls, Expired int
	// GetMessages counts GetMessage-Requests answered with the message
	// (injected faults and unknown ids not included).
	GetMessages int
	// AnsweredNotifications counts MessageNotifications the client
	// answered with a Status, before or after MessageDelivered. One
	// answered before stays in the inbox (and can be fetched) until
	// MessageDelivered, but is not offered again.
	AnsweredNotifications int
	// DuplicateTransactions counts requests that reused a TransactionID
	// within their session (answered 400).
	DuplicateTransactions int
	// InvalidTransactions counts responses whose TransactionID names no
	// transaction the server offered and still holds open (answered 420).
	InvalidTransactions int
}

// Sent is one SendMessage-Request the server accepted.
type Sent struct {
	MessageID string
	Session   string
	Request   wv.SendMessageRequest
}

// Server is the fake IMPS server.
type Server struct {
	cfg Config
	ln  net.Listener
	srv *http.Server
	url string
	wg  sync.WaitGroup

	mu        sync.Mutex
	seq       int
	nonces    map[string]string   // user+"\x00"+cookie -> nonce
	sessions  map[string]*session // live sessions
	expired   map[string]bool     // ids that ended by expiry
	inboxes   map[string]*inbox   // per account
	sent      []Sent
	delivered []string
	// unanswered holds the TransactionIDs of MessageNotifications whose
	// message left the inbox on MessageDelivered before the client
	// answered them, so that the answer is still counted.
	unanswered map[string]bool
	stats      Stats
	faults     map[string][]int // primitive -> result codes to answer, in order
	delay      time.Duration
	closeOnce  sync.Once
	closing    chan struct{}
}

type session struct {
	id, user string
	lastSeen time.Time
	seen     map[string]bool // request TransactionIDs, bounded by maxSeen
}

// NewServer starts a Server on 127.0.0.1:0.
func NewServer(cfg Config) (*Server, error) {
	if cfg.Version == 0 {
		cfg.Version = wv.Version12
	}
	if cfg.KeepAliveTime < time.Second {
		cfg.KeepAliveTime = 60 * time.Second
	}
	if cfg.PollBatch <= 0 {
		cfg.PollBatch = 8
	}
	cfg.PollBatch = min(cfg.PollBatch, wv.DefaultMaxTransactions-1)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("impstest: listen: %w", err)
	}
	s := &Server{cfg: cfg, ln: ln, url: "http://" + ln.Addr().String() + "/imps",
		nonces: map[string]string{}, sessions: map[string]*session{}, expired: map[string]bool{},
		inboxes: map[string]*inbox{}, unanswered: map[string]bool{}, faults: map[string][]int{}, closing: make(chan struct{})}
	s.srv = &http.Server{Handler: http.HandlerFunc(s.serveHTTP), ReadHeaderTimeout: 10 * time.Second}
	s.wg.Add(1)
	go func() { defer s.wg.Done(); _ = s.srv.Serve(ln) }()
	return s, nil
}

// URL is the URL to POST CSP documents to.
func (s *Server) URL() string { return s.url }

// Close stops the server at once and waits for its goroutines.
func (s *Server) Close() {
	s.closeOnce.Do(func() { close(s.closing) })
	_ = s.srv.Close()
	s.wg.Wait()
}

// Stats returns the counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats
}

// Sent returns the SendMessage-Requests accepted so far.
func (s *Server) Sent() []Sent {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Sent(nil), s.sent...)
}

// Delivered returns the MessageIDs acknowledged with MessageDelivered, in order.
func (s *Server) Delivered() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.delivered...)
}

// Sessions returns the number of live sessions.
func (s *Server) Sessions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.sessions)
}

// ExpireSessions ends every live session: their next request gets 600.
func (s *Server) ExpireSessions() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for id := range s.sessions {
		s.expireLocked(id)
	}
}

// FailNext answers the next n requests of primitive (e.g.
// "SendMessage-Request") with result code, before any other processing.
func (s *Server) FailNext(primitive string, code, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.faults[primitive] = append(s.faults[primitive], code)
	}
}

// SetDelay makes every answer wait d (or until Close) before it is written.
func (s *Server) SetDelay(d time.Duration) {
	s.mu.Lock()
	s.delay = d
	s.mu.Unlock()
}

func (s *Server) nextID(prefix string) string {
	s.seq++
	return prefix + strconv.Itoa(s.seq)
}

func (s *Server) expireLocked(id string) {
	delete(s.sessions, id)
	s.expired[id] = true
	s.stats.Expired++
}

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "impstest: POST only", http.StatusMethodNotAllowed)
		return
	}
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct != ContentType {
		http.Error(w, "impstest: content type must be "+ContentType, http.StatusUnsupportedMediaType)
		return
	}
	data, err := readBody(r)
	if err != nil {
		return
	}
	in, err := wv.Decode(data)
	var out []wv.Transaction
	var sid, user string
	var sent []Sent
	if err != nil {
		out = []wv.Transaction{response(transactionOf(err), &wv.Status{Result: wv.ResultFor(err)})}
	} else {
		sid, user, out, sent = s.handle(in)
	}
	if s.cfg.OnSendMessage != nil {
		for _, m := range sent {
			s.cfg.OnSendMessage(user, m)
		}
	}
	answer := wv.Message{Session: wv.SessionDescriptor{SessionType: wv.SessionInband, SessionID: sid}, Transactions: out}
	if s.cfg.OnExchange != nil && err == nil {
		s.cfg.OnExchange(in, answer)
	}
	s.wait(r.Context())
	if len(out) == 0 {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	body, err := wv.Encode(answer, s.cfg.Version)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", ContentType)
	_, _ = w.Write(body)
}

// readBody reads a document of at most wv.DefaultMaxSize bytes and one
// more (which Decode refuses), in one allocation when the length is
// announced.
func readBody(r *http.Request) ([]byte, error) {
	if n := r.ContentLength; n > 0 && n <= wv.DefaultMaxSize {
		data := make([]byte, n)
		_, err := io.ReadFull(r.Body, data)
		return data, err
	}
	return io.ReadAll(io.LimitReader(r.Body, wv.DefaultMaxSize+1))
}

func (s *Server) wait(ctx context.Context) {
	s.mu.Lock()
	d := s.delay
	s.mu.Unlock()
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	case <-s.closing:
	}
}

func transactionOf(err error) string {
	var u *wv.UnknownPrimitiveError
	if errors.As(err, &u) {
		return u.Transaction.TransactionID
	}
	return ""
}

func response(id string, p wv.Primitive) wv.Transaction {
	return wv.Transaction{Descriptor: wv.TransactionDescriptor{TransactionMode: wv.ModeResponse, TransactionID: id}, Primitive: p}
}

func request(id string, p wv.Primitive) wv.Transaction {
	return wv.Transaction{Descriptor: wv.TransactionDescriptor{TransactionMode: wv.ModeRequest, TransactionID: id}, Primitive: p}
}

func digest(nonce, password string) string {
	sum := md5.Sum([]byte(nonce + password))
	return base64.StdEncoding.EncodeToString(sum[:])
}
