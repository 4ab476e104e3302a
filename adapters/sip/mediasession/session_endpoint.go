package mediasession

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/iwf-gateway/iwf/adapters/sip/msrp"
)

// Endpoint is iwf's MSRP endpoint (RFC 4975): one TCP or TLS listener,
// the connections it accepted or dialled, and the sessions they carry.
// A session is created before the SDP answer or offer is sent
// (NewSession gives the URI for a=path) and bound to a connection when
// the peer connects and sends its first SEND (iwf passive) or when
// Session.Connect dials the peer (iwf active). Connect reuses a
// connection iwf dialled to the same authority (RFC 4975 section 5.4).
//
// Concurrency: all methods of Endpoint and Session are safe for
// concurrent use. The Endpoint owns every goroutine it starts: the
// accept loop, one reader per connection, a writer per connection while
// it has data to write, a delivery goroutine per session while messages
// wait for its Handler, and one timer loop. Shutdown and Close join them
// all.
//
// Lock order: Endpoint.mu, then Session.mu, then a conn's wmu or tmu.
// Callbacks from a conn into sessions run with no conn lock held.
type Endpoint struct {
	cfg     EndpointConfig
	log     *slog.Logger
	baseCtx context.Context // parent of Handler contexts; cancelled by Close
	cancel  context.CancelFunc

	// clock is the time in Unix nanoseconds, advanced by the timer loop;
	// frames stamp activity with it instead of reading the clock.
	clock atomic.Int64

	mu        sync.Mutex
	started   bool
	draining  bool // Shutdown or Close began: no new sessions or Sends
	closed    bool // Close began: no new deliveries or goroutines
	ln        net.Listener
	local     msrp.URI // host, port and scheme of local URIs
	sessions  map[string]*Session
	conns     map[*conn]struct{}
	dialled   map[string]*conn     // reusable connections by authority
	dialing   map[string]*dialCall // dials in progress by authority
	busy      int                  // Sends and deliveries in progress
	idle      chan struct{}        // closed when busy drops to 0, if set
	stopTimer chan struct{}

	goroutines sync.WaitGroup
	closeOnce  sync.Once
	closeDone  chan struct{}
}

// EndpointStatus counts what an Endpoint holds now.
type EndpointStatus struct {
	Addr        string // listening address
	Sessions    int
	Bound       int // sessions bound to a connection
	Connections int
}

// NewEndpoint checks cfg, applies its defaults and returns an Endpoint
// that is not yet listening. log may be nil (discard).
func NewEndpoint(cfg EndpointConfig, log *slog.Logger) (*Endpoint, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	e := &Endpoint{
		cfg: cfg.withDefaults(), log: log,
		sessions: make(map[string]*Session), conns: make(map[*conn]struct{}),
		dialled: make(map[string]*conn), dialing: make(map[string]*dialCall),
		stopTimer: make(chan struct{}), closeDone: make(chan struct{}),
	}
	e.baseCtx, e.cancel = context.WithCancel(context.Background())
	e.clock.Store(time.Now().UnixNano())
	return e, nil
}

// Start binds the listen address and starts accepting. ctx bounds only
// the binding.
func (e *Endpoint) Start(ctx context.Context) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	switch {
	case e.draining:
		return ErrClosed
	case e.started:
		return ErrAlreadyStarted
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", e.cfg.Listen)
	if err != nil {
		return fmt.Errorf("mediasession: listen %s: %w", e.cfg.Listen, err)
	}
	local, err := localURI(ln.Addr(), e.cfg)
	if err != nil {
		ln.Close()
		return err
	}
	if e.cfg.TLS != nil {
		ln = tls.NewListener(ln, e.cfg.TLS)
	}
	e.ln, e.local, e.started = ln, local, true
	e.goroutines.Go(e.acceptLoop)
	e.goroutines.Go(e.timerLoop)
	return nil
}

// localURI is the session-less URI of the listener.
func localURI(addr net.Addr, cfg EndpointConfig) (msrp.URI, error) {
	ap, err := netip.ParseAddrPort(addr.String())
	if err != nil {
		return msrp.URI{}, fmt.Errorf("mediasession: listener address %s: %w", addr, err)
	}
	host := cfg.Host
	if host == "" {
		ip := ap.Addr().Unmap()
		if ip.IsUnspecified() {
			return msrp.URI{}, fmt.Errorf("mediasession: listening on %s needs a host for local URIs", addr)
		}
		host = ip.String()
		if ip.Is6() {
			host = "[" + host + "]"
		}
	}
	return msrp.URI{Secure: cfg.TLS != nil, Host: host, Port: int(ap.Port()), Transport: "tcp"}, nil
}

// Addr returns the listening address, "" before Start.
func (e *Endpoint) Addr() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.ln == nil {
		return ""
	}
	return e.ln.Addr().String()
}

// Status returns counts for the console.
func (e *Endpoint) Status() EndpointStatus {
	e.mu.Lock()
	defer e.mu.Unlock()
	st := EndpointStatus{Sessions: len(e.sessions), Connections: len(e.conns)}
	if e.ln != nil {
		st.Addr = e.ln.Addr().String()
	}
	for _, s := range e.sessions {
		if s.conn != nil {
			st.Bound++
		}
	}
	return st
}

func (e *Endpoint) acceptLoop() {
	for {
		nc, err := e.ln.Accept()
		if err != nil {
			if !errors.Is(err, net.ErrClosed) {
				e.log.Error("mediasession: accept failed; listener stopped", "error", err)
			}
			return
		}
		e.mu.Lock()
		if e.draining || len(e.conns) >= e.cfg.MaxConnections {
			e.mu.Unlock()
			e.log.Warn("mediasession: connection refused", "remote", nc.RemoteAddr().String(), "connections", e.cfg.MaxConnections)
			nc.Close()
			continue
		}
		c := newConn(e, nc, "", e.cfg.TLS != nil)
		c.idleSince = e.clock.Load()
		e.conns[c] = struct{}{}
		e.goroutines.Go(c.readLoop)
		e.mu.Unlock()
		e.log.Debug("mediasession: connection accepted", "remote", c.remote)
	}
}

// timerLoop advances the clock and expires sessions, connections and
// partial messages.
func (e *Endpoint) timerLoop() {
	tick := min(e.cfg.BindTimeout, e.cfg.IdleTimeout) / 4
	tick = max(min(tick, time.Second), time.Millisecond)
	t := time.NewTicker(tick)
	defer t.Stop()
	for {
		select {
		case <-e.stopTimer:
			return
		case now := <-t.C:
			e.clock.Store(now.UnixNano())
			e.expire(now.UnixNano())
		}
	}
}

// expire closes sessions never bound within BindTimeout or idle for
// IdleTimeout, connections without sessions for BindTimeout, and drops
// partial messages whose chunks stopped.
func (e *Endpoint) expire(now int64) {
	bind, idle := int64(e.cfg.BindTimeout), int64(e.cfg.IdleTimeout)
	type ending struct {
		s   *Session
		err error
	}
	var end []ending
	var idleConns []*conn
	e.mu.Lock()
	for _, s := range e.sessions {
		if err := s.expired(now, bind, idle); err != nil {
			end = append(end, ending{s, err})
		}
	}
	for c := range e.conns {
		if c.sessions == 0 && c.refs == 0 && now-c.idleSince > bind {
			idleConns = append(idleConns, c)
		}
	}
	e.mu.Unlock()
	for _, x := range end {
		x.s.end(x.err)
	}
	for _, c := range idleConns {
		c.close(errors.New("mediasession: no session on connection"))
	}
}

// begin registers a Send (delivery false) or a message delivery; it
// fails once Close began, or for a Send once Shutdown began.
func (e *Endpoint) begin(delivery bool) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed || e.draining && !delivery {
		return false
	}
	e.busy++
	return true
}

func (e *Endpoint) done() {
	e.mu.Lock()
	e.busy--
	if e.busy == 0 && e.idle != nil {
		close(e.idle)
		e.idle = nil
	}
	e.mu.Unlock()
}

// waitIdle returns a channel closed once no Send or delivery runs.
func (e *Endpoint) waitIdle() <-chan struct{} {
	e.mu.Lock()
	defer e.mu.Unlock()
	ch := make(chan struct{})
	if e.busy == 0 {
		close(ch)
		return ch
	}
	if e.idle == nil {
		e.idle = make(chan struct{})
	}
	return e.idle
}

// Shutdown stops the listener and refuses new sessions and Sends, then
// waits for the Sends in progress and for the messages already received
// to be handled, answered and written out, and closes. If ctx ends first it closes at
// once (cancelling the Handlers' context) and returns ctx.Err(). It is
// idempotent and waits like Close.
func (e *Endpoint) Shutdown(ctx context.Context) error {
	e.mu.Lock()
	e.draining = true
	if e.ln != nil {
		e.ln.Close()
	}
	e.mu.Unlock()
	select {
	case <-e.waitIdle():
	case <-ctx.Done():
		e.Close()
		return ctx.Err()
	}
	e.mu.Lock()
	conns := make([]*conn, 0, len(e.conns))
	for c := range e.conns {
		conns = append(conns, c)
	}
	e.mu.Unlock()
	for _, c := range conns {
		c.waitFlushed(ctx) // the last answers and reports go out
	}
	e.Close()
	return ctx.Err()
}

// Close stops at once: it closes the listener and every connection, ends
// every session with ErrClosed, cancels the Handlers' context, and waits
// for every Send, Handler and goroutine of the Endpoint to return. It is
// idempotent; later calls wait for the first to finish.
func (e *Endpoint) Close() error {
	e.closeOnce.Do(func() {
		e.mu.Lock()
		e.draining, e.closed = true, true
		if e.ln != nil {
			e.ln.Close()
		}
		sessions := make([]*Session, 0, len(e.sessions))
		for _, s := range e.sessions {
			sessions = append(sessions, s)
		}
		conns := make([]*conn, 0, len(e.conns))
		for c := range e.conns {
			conns = append(conns, c)
		}
		started := e.started
		e.mu.Unlock()

		e.cancel()
		for _, s := range sessions {
			s.end(ErrClosed)
		}
		for _, c := range conns {
			c.close(ErrClosed)
		}
		<-e.waitIdle()
		if started {
			close(e.stopTimer)
		}
		e.goroutines.Wait()
		close(e.closeDone)
	})
	<-e.closeDone
	return nil
}

// connClosed forgets a closed connection and ends its sessions.
func (e *Endpoint) connClosed(c *conn) {
	e.mu.Lock()
	delete(e.conns, c)
	if c.key != "" && e.dialled[c.key] == c {
		delete(e.dialled, c.key)
	}
	var bound []*Session
	for _, s := range e.sessions {
		if s.conn == c {
			bound = append(bound, s)
		}
	}
	e.mu.Unlock()
	for _, s := range bound {
		s.end(c.closedErr())
	}
}

// lookup returns the session whose local session-id is id, or nil.
func (e *Endpoint) lookup(id string) *Session {
	e.mu.Lock()
	s := e.sessions[id]
	e.mu.Unlock()
	return s
}

// release drops one session or Connect reference to c; with none left
// the connection is closed after BindTimeout by the timer loop.
// Called with e.mu held.
func (e *Endpoint) releaseLocked(c *conn, session bool) {
	if session {
		c.sessions--
	} else {
		c.refs--
	}
	if c.sessions == 0 && c.refs == 0 {
		c.idleSince = e.clock.Load()
	}
}

// authorityKey identifies the transport address of u for connection
// reuse: scheme, host (case-insensitive) and port.
func authorityKey(u msrp.URI) string {
	scheme := "msrp://"
	if u.Secure {
		scheme = "msrps://"
	}
	return scheme + strings.ToLower(u.Host) + ":" + strconv.Itoa(u.PortOrDefault())
}
