package smpp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/iwf-gateway/iwf/adapters/smpp/pdu"
)

// DeliverFunc receives every deliver_sm (mobile-originated messages and
// delivery receipts). The SMSC gets its deliver_sm_resp only after it
// returns: nil answers ESME_ROK, a *StatusError answers that status, any
// other error answers ESME_RX_T_APPN (0x64) so that the SMSC retries. It
// is called from up to Config.DeliverConcurrency goroutines per connection
// at once; sm is the callee's to keep.
type DeliverFunc func(ctx context.Context, sm *ShortMessage) error

// Client is an ESME bound to one SMSC over Config.Binds connections (or
// transmitter/receiver pairs).
//
// Lifecycle: NewClient, then Run in a goroutine of the caller's; Ready or
// WaitReady tell when a transmitter is bound. Shutdown drains (stops
// reconnecting, waits for the outstanding responses, unbinds) and Close
// stops at once; both are idempotent, both make Run return and wait until
// every goroutine of the Client has ended. Ending Run's context is Close.
//
// Submit, Status and Ready are safe for concurrent use. Lock order:
// Client.mu before slot.mu before session.mu; none is held while blocking.
type Client struct {
	cfg     Config
	log     *slog.Logger
	deliver DeliverFunc

	slots  []*slot
	tokens chan *slot // one per free window place of a bound transmitter
	bound  atomic.Int64

	bufs sync.Pool

	mu       sync.Mutex
	running  bool
	closed   bool
	draining atomic.Bool
	quit     chan struct{}
	quitOnce sync.Once
	changed  chan struct{} // closed and replaced when a transmitter binds or drops
	wg       sync.WaitGroup
}

// NewClient validates cfg (defaults applied) and returns an unstarted
// Client. A nil deliver answers every deliver_sm with ESME_RX_T_APPN.
func NewClient(cfg Config, log *slog.Logger, deliver DeliverFunc) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.WithDefaults()
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if deliver == nil {
		deliver = func(context.Context, *ShortMessage) error { return errors.New("smpp: no deliver function") }
	}
	c := &Client{cfg: cfg, log: log, deliver: deliver, quit: make(chan struct{}), changed: make(chan struct{})}
	c.bufs.New = func() any { return make([]byte, 0, 512) }
	for i := 0; i < cfg.Binds; i++ {
		if cfg.Bind == BindTransceiver {
			c.slots = append(c.slots, newSlot(c, fmt.Sprintf("%s/%d", cfg.Name, i), pdu.BindTransceiver))
			continue
		}
		c.slots = append(c.slots,
			newSlot(c, fmt.Sprintf("%s/%d/tx", cfg.Name, i), pdu.BindTransmitter),
			newSlot(c, fmt.Sprintf("%s/%d/rx", cfg.Name, i), pdu.BindReceiver))
	}
	c.tokens = make(chan *slot, cfg.Binds*cfg.Window)
	return c, nil
}

func (c *Client) getBuf() []byte { return c.bufs.Get().([]byte)[:0] }

func (c *Client) putBuf(b []byte) {
	if cap(b) <= 4096 {
		c.bufs.Put(b[:0]) //nolint:staticcheck // slices are small; boxing is cheaper than reallocating
	}
}

// Run binds every connection and keeps it bound, reconnecting with
// back-off, until ctx ends, Shutdown or Close. It returns after every
// goroutine of the Client has ended: nil after Shutdown/Close, ctx.Err()
// when ctx ended first.
func (c *Client) Run(ctx context.Context) error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return ErrClosed
	}
	if c.running {
		c.mu.Unlock()
		return ErrAlreadyRunning
	}
	c.running = true
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	c.wg.Add(len(c.slots))
	c.mu.Unlock()
	for _, sl := range c.slots {
		go func() { defer c.wg.Done(); sl.run(runCtx) }()
	}
	var err error
	select {
	case <-ctx.Done():
		err = ctx.Err()
	case <-c.quit:
	}
	c.stop()
	cancel()
	c.wg.Wait()
	return err
}

// stop forbids new work and closes every connection at once.
func (c *Client) stop() {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	c.quitOnce.Do(func() { close(c.quit) })
	for _, sl := range c.slots {
		if s := sl.session(); s != nil {
			s.close(ErrClosed)
		}
	}
}

// Close stops at once: connections close without unbind and outstanding
// submits fail with a temporary error. It waits for every goroutine.
func (c *Client) Close() error {
	c.draining.Store(true)
	c.stop()
	c.wg.Wait()
	return nil
}

// Shutdown stops reconnecting, waits (up to ctx) until every outstanding
// submit has its response and every deliver_sm its answer, unbinds each
// connection, then closes and waits for every goroutine. It returns
// ctx.Err() when ctx ended before the drain finished.
func (c *Client) Shutdown(ctx context.Context) error {
	c.draining.Store(true)
	var wg sync.WaitGroup
	errs := make([]error, len(c.slots))
	for i, sl := range c.slots {
		if s := sl.session(); s != nil {
			wg.Add(1)
			go func() { defer wg.Done(); errs[i] = s.unbind(ctx) }()
		}
	}
	wg.Wait()
	c.stop()
	c.wg.Wait()
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return errors.Join(errs...)
}

// unbind waits for in-flight work, then sends unbind and waits for
// unbind_resp, and closes the connection.
func (s *session) unbind(ctx context.Context) error {
	defer s.close(ErrClosed)
	poll := time.NewTicker(2 * time.Millisecond)
	defer poll.Stop()
	for s.inFlight() > 0 {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-s.done:
			return nil
		case <-poll.C:
		}
	}
	_, err := s.request(ctx, func(dst []byte, seq uint32) ([]byte, error) {
		return (&pdu.PDU{Header: pdu.Header{CommandID: pdu.Unbind, Sequence: seq}}).Append(dst)
	})
	if err != nil && !errors.Is(err, ErrConnLost) {
		return fmt.Errorf("smpp: unbind %s: %w", s.slot.name, err)
	}
	s.c.log.Info("smpp: unbound", "bind", s.slot.name)
	return nil
}

// Ready reports whether at least one transmitter (or transceiver) is bound.
func (c *Client) Ready() bool { return c.bound.Load() > 0 }

// WaitReady waits until Ready or ctx ends.
func (c *Client) WaitReady(ctx context.Context) error {
	for {
		ch := c.changedCh()
		if c.Ready() {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		case <-c.quit:
			return ErrClosed
		}
	}
}

func (c *Client) changedCh() chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.changed
}

// notifyChanged wakes everyone waiting for a transmitter to bind or drop.
func (c *Client) notifyChanged() {
	c.mu.Lock()
	close(c.changed)
	c.changed = make(chan struct{})
	c.mu.Unlock()
}

// BindStatus is the state of one connection.
type BindStatus struct {
	Name        string    // "<config name>/<index>[/tx|/rx]"
	Mode        string    // "transceiver", "transmitter" or "receiver"
	State       string    // "connecting", "bound" or "down"
	Since       time.Time // when State last changed
	Submits     uint64    // submit_sm answered ESME_ROK
	Errors      uint64    // submit_sm failed (error status, timeout, lost)
	WindowInUse int       // submits awaiting their response
}

// Status returns one BindStatus per connection.
func (c *Client) Status() []BindStatus {
	out := make([]BindStatus, 0, len(c.slots))
	for _, sl := range c.slots {
		out = append(out, sl.status())
	}
	return out
}
