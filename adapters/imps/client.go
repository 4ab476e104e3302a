package imps

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"

	"github.com/iwf-gateway/iwf/adapters/imps/wv"
)

// Handler receives every NewMessage: pushed by the server, or built from
// the GetMessage-Response that fetched a MessageNotification's message. nil
// means the message is held (in the journal) and MessageDelivered is sent
// for it; an error leaves it unacknowledged and the server offers it again.
// Calls are sequential, in the server's order within one answer.
type Handler func(ctx context.Context, m *wv.NewMessage) error

// ReportHandler receives every DeliveryReport-Request; nil means it is
// held and the server gets Status 200, an error leaves it unanswered.
type ReportHandler func(ctx context.Context, r *wv.DeliveryReportRequest) error

// Option configures a Client in New.
type Option func(*Client)

// WithReportHandler sets the ReportHandler. Without one, delivery reports
// are answered 200 and only logged.
func WithReportHandler(h ReportHandler) Option { return func(c *Client) { c.reports = h } }

// Client is the IWF's session with one IMPS server.
//
// Lifecycle: New, then Run in a goroutine of the caller's; Ready or
// WaitReady tell when a session is up. Shutdown drains (stops polling,
// waits for handlers and SendMessage calls in flight, logs out) and Close
// stops at once; both are idempotent and both wait until Run has returned
// its work and every goroutine of the Client has ended. Ending Run's
// context is Close.
//
// SendMessage, Ready and WaitReady are safe for concurrent use.
type Client struct {
	cfg       Config
	version   wv.Version
	maxSize   int
	log       *slog.Logger
	handler   Handler
	reports   ReportHandler
	http      *http.Client
	transport *http.Transport

	txSeq   atomic.Uint64
	pending pendingTable
	sends   sendQueue

	// drain ends polling and new sends (Shutdown, Close); kill aborts
	// requests and handlers in flight (Close). Both are lifetime signals
	// of the Client, not request contexts.
	drain, kill         context.Context
	stopDrain, stopKill context.CancelFunc

	mu       sync.Mutex
	running  bool
	closed   bool
	sess     *session
	changed  chan struct{} // closed and replaced when sess changes
	inflight sync.WaitGroup
	loopDone chan struct{}
	endOnce  sync.Once
	ended    chan struct{}
}

// New validates cfg (defaults applied) and returns an unstarted Client. A
// nil h refuses every NewMessage (none is acknowledged).
func New(cfg Config, log *slog.Logger, h Handler, opts ...Option) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.WithDefaults()
	v, _ := cfg.version()
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if h == nil {
		h = func(context.Context, *wv.NewMessage) error { return errors.New("imps: no handler") }
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	// Every exchange in flight at once: the batches of SendMessage, the
	// fetches of Notify/Get, and the session's own (poll, keep-alive and
	// the answers to the server's requests, one at a time), plus one.
	tr.MaxConnsPerHost = cfg.MaxPosts + cfg.MaxNotifications + 2
	tr.MaxIdleConnsPerHost = tr.MaxConnsPerHost
	c := &Client{cfg: cfg, version: v, maxSize: cfg.Limits.MaxSize, log: log, handler: h,
		sends:     sendQueue{maxPosts: cfg.MaxPosts, maxBatch: cfg.MaxBatch},
		transport: tr, http: &http.Client{Transport: tr},
		changed: make(chan struct{}), loopDone: make(chan struct{}), ended: make(chan struct{})}
	if c.maxSize == 0 {
		c.maxSize = wv.DefaultMaxSize
	}
	c.reports = func(_ context.Context, r *wv.DeliveryReportRequest) error {
		c.log.Info("imps: delivery report without handler", "message_id", r.MessageInfo.MessageID, "code", r.Result.Code)
		return nil
	}
	for _, o := range opts {
		o(c)
	}
	c.drain, c.stopDrain = context.WithCancel(context.Background())
	c.kill, c.stopKill = context.WithCancel(context.Background())
	return c, nil
}

// Run logs in and keeps a session up (re-login with back-off) until ctx
// ends, Shutdown or Close. It returns nil after Shutdown/Close, ctx.Err()
// when ctx ended first; in both cases after the Client has stopped.
func (c *Client) Run(ctx context.Context) error {
	c.mu.Lock()
	switch {
	case c.closed:
		c.mu.Unlock()
		return ErrClosed
	case c.running:
		c.mu.Unlock()
		return ErrAlreadyRunning
	}
	c.running = true
	c.mu.Unlock()
	loopCtx, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(c.drain, cancel)
	c.loop(loopCtx)
	stop()
	cancel()
	close(c.loopDone)
	if err := ctx.Err(); err != nil && c.drain.Err() == nil {
		c.Close()
		return err
	}
	<-c.ended
	return nil
}

// Ready reports whether a session is up.
func (c *Client) Ready() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sess != nil && c.sess.alive() && !c.closed
}

// WaitReady waits until Ready, ctx ends or the Client closes.
func (c *Client) WaitReady(ctx context.Context) error {
	_, err := c.waitSession(ctx)
	return err
}

func (c *Client) waitSession(ctx context.Context) (*session, error) {
	for {
		c.mu.Lock()
		s, ch, closed := c.sess, c.changed, c.closed
		c.mu.Unlock()
		if closed {
			return nil, ErrClosed
		}
		if s != nil && s.alive() {
			return s, nil
		}
		select {
		case <-ch: // a session came up or the lost one was dropped
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-c.drain.Done():
			return nil, ErrClosed
		}
	}
}

func (c *Client) setSession(s *session) {
	c.mu.Lock()
	c.sess = s
	close(c.changed)
	c.changed = make(chan struct{})
	c.mu.Unlock()
}

// Shutdown stops polling, waits (up to ctx) for the handler and the
// SendMessage calls in flight, sends Logout-Request, and waits for every
// goroutine. When ctx ends first the rest is aborted as by Close and
// ctx.Err() is returned.
func (c *Client) Shutdown(ctx context.Context) error {
	c.mu.Lock()
	first := !c.closed
	c.closed = true
	running := c.running
	c.mu.Unlock()
	if !first {
		<-c.ended
		return nil
	}
	c.stopDrain()
	if running {
		c.waitOrKill(ctx, c.loopDone)
	}
	idle := make(chan struct{})
	go func() { c.inflight.Wait(); close(idle) }()
	c.waitOrKill(ctx, idle)
	var err error
	if s := c.session(); s != nil && s.alive() && ctx.Err() == nil {
		err = c.logout(ctx, s)
	}
	c.finish()
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}

func (c *Client) waitOrKill(ctx context.Context, done <-chan struct{}) {
	select {
	case <-done:
	case <-ctx.Done():
		c.stopKill()
		<-done
	}
}

// Close stops at once: requests in flight fail with a temporary error, no
// logout is sent. It waits for every goroutine.
func (c *Client) Close() error {
	c.mu.Lock()
	first := !c.closed
	c.closed = true
	running := c.running
	c.mu.Unlock()
	c.stopKill()
	c.stopDrain()
	if !first {
		<-c.ended
		return nil
	}
	if running {
		<-c.loopDone
	}
	c.inflight.Wait()
	c.finish()
	return nil
}

func (c *Client) finish() {
	c.endOnce.Do(func() {
		if s := c.session(); s != nil {
			s.end(ErrClosed)
		}
		c.setSession(nil)
		c.stopKill()
		c.transport.CloseIdleConnections()
		close(c.ended)
	})
}

func (c *Client) session() *session {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sess
}

// begin registers a SendMessage in flight; false once draining.
func (c *Client) begin() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return false
	}
	c.inflight.Add(1)
	return true
}
