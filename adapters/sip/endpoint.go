package sip

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/iwf-gateway/iwf/adapters/sip/mediasession"
)

// udpReadBuffer is the receive buffer asked for on UDP listeners.
const udpReadBuffer = 4 << 20

// udpTransactionLinger is how long a completed UDP server transaction is
// kept to absorb retransmissions of its request (sipgo's Timer J). RFC
// 3261 keeps it 64*T1 = 32 s; at 10,000 MESSAGEs/s that holds 320,000
// transactions of about 4 KB each. iwf recognises a late retransmission
// by itself (the gateway drops repeats by message id, derived from
// Call-ID and CSeq for text bodies) and answers it 202 again, so the
// transaction need only cover the first retransmissions. sipgo keeps its
// timers as package variables; this is set once, for the whole process.
const udpTransactionLinger = 2 * time.Second

var shortenTimerJ sync.Once

// Handler receives each inbound MESSAGE that passed the trust, syntax and
// size checks. It returns nil for 202 Accepted, a *StatusError for that
// status, any other error for 500 (temporary). The 202 is sent only after
// the Handler returns, so a Handler that journals the message first keeps
// "accepted means durable". ctx ends when the endpoint closes. A panic is
// recovered and answered 500.
type Handler func(ctx context.Context, r *Request) error

// ListenerStatus counts the traffic of one listener.
type ListenerStatus struct {
	Transport string // "udp" or "tcp"
	Address   string // bound host:port
	Requests  uint64 // requests handed up by sipgo (retransmissions absorbed by a transaction are not counted)
	Errors    uint64 // requests answered with a final status >= 300, or whose answer could not be sent
}

// Endpoint is iwf's SIP user agent on CM-7: a UAS for inbound MESSAGE and
// OPTIONS on every Config.Listen address and a UAC for outbound MESSAGE.
// With EnableSessions it also answers and opens INVITE sessions whose
// media is MSRP (see OpenSession and SessionHandler).
//
// Concurrency: all methods are safe for concurrent use. Each listener is
// served by its own sipgo UserAgent, whose goroutines sipgo starts per
// request and per TCP connection; the Endpoint joins the goroutines it
// starts (one serve loop per listener, one run loop per session) and
// every Handler, SessionHandler, MessageHandler, Send and OpenSession
// call in flight before Shutdown or Close returns.
type Endpoint struct {
	cfg     Config
	log     *slog.Logger
	handler Handler
	trusted []netip.Prefix
	proxy   *proxyRoute // nil: send to the Request-URI host
	specs   []listenSpec

	// baseCtx is the parent of every Handler context and Send; cancelled
	// by Close.
	baseCtx context.Context
	cancel  context.CancelFunc

	mu        sync.Mutex
	started   bool
	draining  bool           // no new Handler or Send may begin
	inflight  sync.WaitGroup // Handlers and Sends; Add only under mu while !draining
	listeners []*listener
	client    *sipgo.Client
	clientUA  *sipgo.UserAgent

	// Sessions (INVITE + MSRP), when EnableSessions was called: set
	// before Start, read-only once started.
	sessionsOn     bool
	sessionHandler SessionHandler
	media          *mediasession.Endpoint
	mediaPrint     string // a=fingerprint of the msrps certificate; "" over plain TCP
	sessions       *sessionTable
	sessionLoops   sync.WaitGroup // session run loops and abandoned INVITEs
	mediaBusy      busyCount      // session Sends and message deliveries under way

	serving   sync.WaitGroup // serve loops
	closeOnce sync.Once
	closed    chan struct{} // closed when Close has finished
}

// listener is one bound address with its own sipgo stack.
type listener struct {
	network  string
	addr     string
	ua       *sipgo.UserAgent
	srv      *sipgo.Server
	pc       net.PacketConn // udp
	ln       net.Listener   // tcp
	client   *sipgo.Client  // sends iwf's requests in the dialogs of this listener
	requests atomic.Uint64
	errors   atomic.Uint64
}

// New checks cfg, applies defaults and returns an Endpoint that is not
// yet listening. log may be nil (discard); h must not be nil.
func New(cfg Config, log *slog.Logger, h Handler) (*Endpoint, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	shortenTimerJ.Do(func() { sip.Timer_J = udpTransactionLinger })
	if h == nil {
		return nil, errors.New("sip: nil handler")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	cfg = cfg.withDefaults()
	e := &Endpoint{cfg: cfg, log: log, handler: h, closed: make(chan struct{})}
	e.specs, _ = parseListen(cfg.Listen)
	e.trusted, _ = parseTrusted(cfg.TrustedPeers)
	if cfg.OutboundProxy != "" {
		e.proxy, _ = parseProxy(cfg.OutboundProxy)
	}
	e.baseCtx, e.cancel = context.WithCancel(context.Background())
	return e, nil
}

// Start binds every listen address and starts serving; it returns once
// all are listening, so Addrs is valid after it. ctx bounds only the
// binding. On error nothing stays bound.
func (e *Endpoint) Start(ctx context.Context) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	switch {
	case e.draining:
		return ErrClosed
	case e.started:
		return ErrAlreadyStarted
	}
	ls, err := e.bindAll(ctx)
	if err != nil {
		return err
	}
	if err := e.startMedia(ctx); err != nil {
		closeSockets(ls)
		closeStacks(ls)
		return err
	}
	if err := e.newClient(ls); err != nil {
		closeSockets(ls)
		closeStacks(ls)
		if e.media != nil {
			e.media.Close()
		}
		return err
	}
	for _, l := range ls {
		e.serving.Go(func() { e.serve(l) })
	}
	e.listeners, e.started = ls, true
	return nil
}

func (e *Endpoint) bindAll(ctx context.Context) ([]*listener, error) {
	var lc net.ListenConfig
	ls := make([]*listener, 0, len(e.specs))
	for _, s := range e.specs {
		l := &listener{network: s.network}
		var err error
		if s.network == "udp" {
			l.pc, err = lc.ListenPacket(ctx, "udp", s.address)
			if uc, ok := l.pc.(*net.UDPConn); ok && err == nil {
				// Bursts of MESSAGEs overflow the default buffer (~208 KB)
				// long before the CPU is busy; the kernel caps this at
				// net.core.rmem_max.
				_ = uc.SetReadBuffer(udpReadBuffer)
			}
		} else {
			l.ln, err = lc.Listen(ctx, "tcp", s.address)
		}
		if err == nil {
			err = e.newStack(l)
		}
		if err != nil {
			ls = append(ls, l)
			closeSockets(ls)
			closeStacks(ls)
			return nil, fmt.Errorf("sip: listen %s:%s: %w", s.network, s.address, err)
		}
		ls = append(ls, l)
	}
	return ls, nil
}

// newStack gives l its own sipgo UserAgent and Server, so requests are
// counted per listener.
func (e *Endpoint) newStack(l *listener) error {
	if l.pc != nil {
		l.addr = l.pc.LocalAddr().String()
	} else {
		l.addr = l.ln.Addr().String()
	}
	ua, err := e.newUA()
	if err != nil {
		return err
	}
	srv, err := sipgo.NewServer(ua, sipgo.WithServerLogger(e.log))
	if err != nil {
		ua.Close()
		return err
	}
	srv.OnMessage(e.onMessage(l))
	srv.OnOptions(e.onOptions(l))
	srv.OnNoRoute(e.onOther(l))
	if e.sessionsOn {
		if l.client, err = e.dialogClient(ua, l); err != nil {
			ua.Close()
			return err
		}
		srv.OnInvite(e.onInvite(l))
		srv.OnAck(e.onAck(l))
		srv.OnBye(e.onBye(l))
		srv.OnRequest(sip.UPDATE, e.onUpdate(l))
	}
	l.ua, l.srv = ua, srv
	return nil
}

func (e *Endpoint) newUA() (*sipgo.UserAgent, error) {
	parser := sip.NewParser()
	parser.MaxMessageLength = e.cfg.MaxBodyBytes + headerRoom
	return sipgo.NewUA(
		sipgo.WithUserAgent(e.cfg.UserAgent),
		sipgo.WithUserAgentHostname(e.cfg.Domain),
		sipgo.WithUserAgentParser(parser),
		sipgo.WithUserAgentTransactionLayerOptions(sip.WithTransactionLayerLogger(e.log)),
		sipgo.WithUserAgentTransportLayerOptions(sip.WithTransportLayerLogger(e.log)),
	)
}

// newClient makes the UAC stack. Its sockets bind the IP of the first
// listener when that is a specific address, so Via carries a routable
// host; otherwise Via carries Config.Domain.
func (e *Endpoint) newClient(ls []*listener) error {
	ua, err := e.newUA()
	if err != nil {
		return err
	}
	opts := []sipgo.ClientOption{sipgo.WithClientLogger(e.log)}
	host := ""
	if len(ls) > 0 {
		host, _, _ = net.SplitHostPort(ls[0].addr)
	}
	if ip, err := netip.ParseAddr(host); err == nil && !ip.IsUnspecified() {
		opts = append(opts, sipgo.WithClientConnectionAddr(net.JoinHostPort(host, "0")))
	} else {
		opts = append(opts, sipgo.WithClientHostname(e.cfg.Domain))
	}
	c, err := sipgo.NewClient(ua, opts...)
	if err != nil {
		ua.Close()
		return err
	}
	e.client, e.clientUA = c, ua
	return nil
}

func (e *Endpoint) serve(l *listener) {
	var err error
	if l.pc != nil {
		err = l.srv.ServeUDP(l.pc)
	} else {
		err = l.srv.ServeTCP(l.ln)
	}
	if err != nil && !errors.Is(err, net.ErrClosed) {
		e.log.Error("sip: listener stopped", "transport", l.network, "addr", l.addr, "error", err)
	}
}

// Addrs returns the bound addresses as "udp:127.0.0.1:40123", in
// Config.Listen order; nil before Start.
func (e *Endpoint) Addrs() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]string, 0, len(e.listeners))
	for _, l := range e.listeners {
		out = append(out, l.network+":"+l.addr)
	}
	return out
}

// Status returns per-listener counters.
func (e *Endpoint) Status() []ListenerStatus {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]ListenerStatus, 0, len(e.listeners))
	for _, l := range e.listeners {
		out = append(out, ListenerStatus{
			Transport: l.network, Address: l.addr,
			Requests: l.requests.Load(), Errors: l.errors.Load(),
		})
	}
	return out
}

// begin registers a Handler or Send in flight; false once draining.
func (e *Endpoint) begin() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.draining {
		return false
	}
	e.inflight.Add(1)
	return true
}

// Shutdown stops accepting: TCP listeners close, and requests that still
// arrive on UDP sockets or open TCP connections are answered 503 so the
// core retries elsewhere. It then waits for every Handler and Send in
// flight to finish; with sessions on, it lets the MSRP side finish the
// Sends and messages under way, ends every session with BYE, and closes
// everything. If ctx ends first it closes immediately (cancelling the
// Handlers' context) and returns ctx.Err(). It is idempotent and waits
// like Close.
func (e *Endpoint) Shutdown(ctx context.Context) error {
	e.mu.Lock()
	e.draining = true
	for _, l := range e.listeners {
		if l.ln != nil {
			l.ln.Close()
		}
	}
	e.mu.Unlock()

	idle := make(chan struct{})
	go func() { e.inflight.Wait(); close(idle) }()
	select {
	case <-idle:
	case <-ctx.Done():
		e.Close()
		<-idle
		return ctx.Err()
	}
	if err := e.drainSessions(ctx); err != nil {
		e.Close()
		return err
	}
	return e.Close()
}

// Close stops at once: it cancels the Handlers' context and every Send,
// closes the sockets, the MSRP endpoint and sipgo stacks, ends every
// session without BYE, and waits for the serve loops, session run loops,
// Handlers and Sends to return. It is idempotent; later calls wait for
// the first to finish.
func (e *Endpoint) Close() error {
	e.closeOnce.Do(func() {
		e.mu.Lock()
		e.draining = true
		ls := e.listeners
		e.mu.Unlock()

		e.cancel()
		closeSockets(ls)
		e.inflight.Wait()
		e.closeSessions()
		closeStacks(ls)
		if e.clientUA != nil {
			e.clientUA.Close()
		}
		e.serving.Wait()
		close(e.closed)
	})
	<-e.closed
	return nil
}

func closeSockets(ls []*listener) {
	for _, l := range ls {
		if l.pc != nil {
			l.pc.Close()
		}
		if l.ln != nil {
			l.ln.Close()
		}
	}
}

// closeStacks terminates the transactions and connections of each
// listener's sipgo stack.
func closeStacks(ls []*listener) {
	for _, l := range ls {
		if l.ua != nil {
			l.ua.Close()
		}
	}
}
