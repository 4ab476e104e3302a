package mediasession

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/iwf-gateway/iwf/adapters/sip/msrp"
)

// Message is one whole MSRP message: what Session.Send sends, chunked,
// and what a Handler receives, reassembled.
type Message struct {
	// MessageID identifies the message in its chunks and reports. Send
	// makes a random one when it is empty; set it to correlate.
	MessageID string
	// ContentType is the media type of the body, e.g. "message/cpim".
	ContentType string
	// Body is the whole body. Send reads BodyReader instead when Body is
	// nil and BodyReader is set.
	Body []byte
	// BodyReader streams the body chunk by chunk, so that Send never
	// holds more than one chunk of it.
	BodyReader io.Reader
	// Size is the byte count BodyReader yields, stated in every chunk's
	// Byte-Range. Zero or Unknown means not known in advance: the body
	// is read to io.EOF and only the last chunk states the total.
	Size int64
	// SuccessReport asks the receiver for a REPORT once the whole
	// message arrived (RFC 4975 section 7.1.3); Send then waits for it.
	SuccessReport bool
	// FailureReport is "yes" (also when ""), "partial" (only failures
	// are answered) or "no" (no response at all); see RFC 4975 section
	// 7.1.1. Send waits for the transaction responses only with "yes".
	FailureReport string
	// Extra holds other header fields of the chunks, such as MIME
	// headers (Content-ID, Content-Disposition) before Content-Type.
	Extra []msrp.Header
	// FromPath is the From-Path of a received message; Send ignores it.
	FromPath []msrp.URI
}

// Handler receives each message of a session, reassembled, in the order
// the messages completed. It returns nil to have the last chunk answered
// 200 and, if asked for, a success REPORT sent; a StatusCode (or an error
// wrapping one) to have the last chunk answered with that code (413, 415,
// ...); any other error to answer 500. The answer is sent only after the
// Handler returns, so a Handler that journals the message first keeps
// "accepted means durable". ctx ends when the session ends. m.Body
// belongs to the Handler. A Handler must not wait for a Send on its own
// session to complete, and a panic is recovered and answered 500.
type Handler func(ctx context.Context, s *Session, m *Message) error

// SessionOptions configures one session.
type SessionOptions struct {
	// PeerPath is the peer's a=path when already known (iwf answers an
	// offer). A peer that connects must then present it as From-Path.
	PeerPath []msrp.URI
	// Handler receives the session's messages. Nil refuses every message
	// with 403.
	Handler Handler
}

// Session is one MSRP session: a local URI whose session-id is random,
// the peer's path, and the connection it is bound to once the peer has
// connected or Connect has dialled.
type Session struct {
	e       *Endpoint
	id      string
	local   msrp.URI
	handler Handler
	ctx     context.Context // the Handlers'; cancelled when the session ends
	cancel  context.CancelFunc
	done    chan struct{}
	bound   chan struct{} // closed when conn is set
	active  atomic.Int64  // Endpoint clock of the last frame sent or received

	mu         sync.Mutex
	err        error // why the session ended; set once with done
	bindSince  int64 // Endpoint clock of NewSession or the last SetPeerPath
	peer       []msrp.URI
	conn       *conn // written under Endpoint.mu and mu
	connecting bool
	window     sendWindow
	sending    int                // Sends in progress
	reports    map[string]*sender // Sends waiting for a REPORT, by Message-ID
	recv       receiveState
}

// NewSession creates a session with a fresh local URI. It is passive
// until Connect is called: a peer may connect to LocalURI and bind it
// with its first SEND within EndpointConfig.BindTimeout.
func (e *Endpoint) NewSession(opts SessionOptions) (*Session, error) {
	if opts.PeerPath != nil {
		if err := validPeerPath(opts.PeerPath); err != nil {
			return nil, err
		}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	switch {
	case e.draining:
		return nil, ErrClosed
	case !e.started:
		return nil, ErrNotStarted
	case len(e.sessions) >= e.cfg.MaxSessions:
		return nil, ErrTooManySessions
	}
	s := &Session{
		e: e, id: rand.Text(), handler: opts.Handler, bindSince: e.clock.Load(),
		done: make(chan struct{}), bound: make(chan struct{}), peer: slices.Clone(opts.PeerPath),
	}
	s.local = e.local
	s.local.SessionID = s.id
	s.ctx, s.cancel = context.WithCancel(e.baseCtx)
	s.active.Store(s.bindSince)
	s.window.init(e.cfg.SendWindow)
	e.sessions[s.id] = s
	return s, nil
}

func validPeerPath(path []msrp.URI) error {
	if len(path) == 0 || len(path) > msrp.MaxPathURIs {
		return fmt.Errorf("%w: peer path needs 1 to %d URIs, has %d", ErrInvalidMessage, msrp.MaxPathURIs, len(path))
	}
	for _, u := range path {
		if !u.Valid() || !strings.EqualFold(u.Transport, "tcp") {
			return fmt.Errorf("%w: peer URI %q is not an MSRP URI over TCP", ErrInvalidMessage, u.String())
		}
	}
	return nil
}

// LocalURI returns the session's URI, for a=path.
func (s *Session) LocalURI() msrp.URI { return s.local }

// ID returns the local session-id.
func (s *Session) ID() string { return s.id }

// PeerPath returns the peer's path: the one given, or the From-Path the
// peer bound the session with.
func (s *Session) PeerPath() []msrp.URI {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.peer)
}

// SetPeerPath records the peer's a=path before the peer connects, for a
// session created before the answer arrived (iwf offered and stays
// passive), and restarts the BindTimeout the peer has to connect. It
// fails once the session is bound.
func (s *Session) SetPeerPath(path []msrp.URI) error {
	if err := validPeerPath(path); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.err != nil:
		return ErrSessionClosed
	case s.conn != nil || s.connecting:
		return ErrAlreadyBound
	}
	s.peer = slices.Clone(path)
	s.bindSince = s.e.clock.Load()
	return nil
}

// Done returns a channel closed when the session ends.
func (s *Session) Done() <-chan struct{} { return s.done }

// Err returns nil while the session lasts, then why it ended:
// ErrSessionClosed after Close, ErrClosed, ErrNotBound, ErrIdle, or an
// error wrapping ErrConnectionLost.
func (s *Session) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// Close ends the session: Sends in progress fail, messages not yet
// handled are dropped unanswered and the Handler's context is cancelled.
// The connection stays open for its other sessions. It is idempotent and
// does not wait for a running Handler (Endpoint.Close does).
func (s *Session) Close() error {
	s.end(ErrSessionClosed)
	return nil
}

// end ends the session with err once.
func (s *Session) end(err error) {
	e := s.e
	e.mu.Lock()
	s.mu.Lock()
	if s.err != nil {
		s.mu.Unlock()
		e.mu.Unlock()
		return
	}
	s.err = err
	close(s.done)
	if e.sessions[s.id] == s {
		delete(e.sessions, s.id)
	}
	if s.conn != nil {
		e.releaseLocked(s.conn, true)
	}
	s.recv.drop()
	s.mu.Unlock()
	e.mu.Unlock()
	s.cancel()
	e.log.Debug("mediasession: session ended", "session", s.id, "cause", err)
}

// expired reports why the session should end now, or nil. It also drops
// partial messages whose chunks stopped. Called with Endpoint.mu held.
func (s *Session) expired(now, bind, idle int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.err != nil:
		return nil
	case s.conn == nil && !s.connecting:
		if now-s.bindSince > bind {
			return ErrNotBound
		}
		return nil
	case s.conn != nil && s.sending == 0 && !s.recv.delivering && now-s.active.Load() > idle:
		return ErrIdle
	}
	s.recv.dropStale(now - idle)
	return nil
}

// touch records activity for the idle timeout.
func (s *Session) touch() { s.active.Store(s.e.clock.Load()) }

// Connect makes iwf the active party (RFC 4975 section 5.4): it dials
// the first URI of the peer's path, or reuses a connection iwf dialled
// to the same authority, binds the session to it with an empty SEND and
// waits for that SEND's 200. ctx bounds the whole. If the peer refuses,
// the session ends with the error.
func (s *Session) Connect(ctx context.Context, peer []msrp.URI) error {
	if err := validPeerPath(peer); err != nil {
		return err
	}
	e := s.e
	if !e.begin(false) {
		return ErrClosed
	}
	defer e.done()
	s.mu.Lock()
	switch {
	case s.err != nil:
		s.mu.Unlock()
		return ErrSessionClosed
	case s.conn != nil || s.connecting:
		s.mu.Unlock()
		return ErrAlreadyBound
	}
	s.connecting = true
	s.mu.Unlock()

	// Close must not wait for a dial to a peer that does not answer.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer context.AfterFunc(e.baseCtx, cancel)()
	c, err := e.dial(ctx, peer[0])
	if err == nil {
		err = s.bindDialled(c, peer)
	}
	if err != nil {
		s.mu.Lock()
		s.connecting = false
		s.mu.Unlock()
		return err
	}
	if err := s.send(ctx, &Message{FailureReport: "yes"}); err != nil {
		s.end(err)
		return err
	}
	return nil
}

// bindDialled binds the session to c, taking over the reference that
// dial gave.
func (s *Session) bindDialled(c *conn, peer []msrp.URI) error {
	e := s.e
	e.mu.Lock()
	defer e.mu.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	e.releaseLocked(c, false)
	select {
	case <-c.closing:
		return c.closedErr()
	default:
	}
	if s.err != nil {
		return ErrSessionClosed
	}
	s.conn, s.connecting, s.peer = c, false, slices.Clone(peer)
	c.sessions++
	close(s.bound)
	return nil
}

// bindIncoming binds a passive session to the connection its first SEND
// came on. It returns 0 when the frame may proceed, else the code to
// answer: 506 when the session is bound to another connection, 403 when
// the From-Path is not the expected peer path.
func (s *Session) bindIncoming(c *conn, f *msrp.Frame) msrp.StatusCode {
	s.mu.Lock()
	same := s.conn == c
	s.mu.Unlock()
	if same {
		return 0
	}
	e := s.e
	e.mu.Lock()
	defer e.mu.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.err != nil:
		return msrp.StatusSessionDoesNotExist
	case s.conn == c:
		return 0
	case s.conn != nil || s.connecting:
		return msrp.StatusSessionInUse
	case s.peer != nil && !pathEqual(f.FromPath, s.peer):
		e.log.Warn("mediasession: From-Path is not the negotiated path", "session", s.id, "from", f.FromPath[0].String())
		return msrp.StatusActionNotAllowed
	}
	select {
	case <-c.closing:
		return msrp.StatusSessionDoesNotExist
	default:
	}
	s.conn = c
	c.sessions++
	if s.peer == nil {
		s.peer = slices.Clone(f.FromPath)
	}
	close(s.bound)
	e.log.Debug("mediasession: session bound", "session", s.id, "remote", c.remote)
	return 0
}

// pathEqual compares two paths URI by URI (RFC 4975 section 6.1).
func pathEqual(a, b []msrp.URI) bool {
	return slices.EqualFunc(a, b, msrp.URI.Equal)
}

// boundConn waits until the session is bound and returns its connection.
func (s *Session) boundConn(ctx context.Context) (*conn, error) {
	select {
	case <-s.bound:
	case <-s.done:
		return nil, s.endedErr()
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return nil, s.endedErr0()
	}
	return s.conn, nil
}

// endedErr is the error of a call on an ended session.
func (s *Session) endedErr() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.endedErr0()
}

func (s *Session) endedErr0() error {
	if s.err == ErrSessionClosed {
		return ErrSessionClosed
	}
	return fmt.Errorf("%w: %w", ErrSessionClosed, s.err)
}
