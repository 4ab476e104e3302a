package mms

import (
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/iwf-gateway/iwf/adapters/mms/mm7"
)

// Handler receives every well-formed DeliverReq, DeliveryReportReq and
// ReadReplyReq the relay posts (m.Operation is *mm7.DeliverReq,
// *mm7.DeliveryReportReq or *mm7.ReadReplyReq). The relay gets its answer
// only after Handler returns: nil answers the matching *Rsp with 1000; an
// mm7.StatusCode error answers that status; any other error answers 3000
// (server error) so that the relay sends again later. ctx ends when the
// relay goes away or Close is called. m is the callee's to keep.
type Handler func(ctx context.Context, m mm7.Message) error

// VASP is iwf's end of one MM7 link: a client toward the relay and an
// HTTP server for the relay's requests.
//
// Lifecycle: New, then Start to listen (Submit works without Start).
// Shutdown drains, Close stops at once; see the package documentation.
// Lock order: only VASP.mu, never held while blocking.
type VASP struct {
	cfg     Config
	log     *slog.Logger
	handler Handler
	client  *http.Client
	limits  mm7.Limits

	baseCtx context.Context // cancelled by Close: handlers and exchanges
	cancel  context.CancelFunc

	mu       sync.Mutex
	started  bool
	draining bool
	srv      *http.Server
	ln       net.Listener
	inflight sync.WaitGroup // handlers and outbound exchanges
	serving  sync.WaitGroup // the Serve goroutine

	closeOnce sync.Once
	closed    chan struct{}
}

// New checks cfg, applies defaults and returns a VASP that is not yet
// listening. log may be nil (discard); h must not be nil.
func New(cfg Config, log *slog.Logger, h Handler) (*VASP, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if h == nil {
		return nil, errors.New("mms: nil handler")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	cfg = cfg.WithDefaults()
	v := &VASP{cfg: cfg, log: log, handler: h, limits: cfg.limits(), closed: make(chan struct{})}
	v.baseCtx, v.cancel = context.WithCancel(context.Background())
	v.client = &http.Client{Transport: &http.Transport{
		Proxy:                 nil,
		DialContext:           (&net.Dialer{Timeout: cfg.RequestTimeout, KeepAlive: 30 * time.Second}).DialContext,
		TLSClientConfig:       &tls.Config{InsecureSkipVerify: cfg.TLSSkipVerify, MinVersion: tls.VersionTLS12}, //nolint:gosec // operator's choice, documented lab use
		TLSHandshakeTimeout:   cfg.RequestTimeout,
		MaxIdleConns:          cfg.MaxConns,
		MaxIdleConnsPerHost:   cfg.MaxConns,
		IdleConnTimeout:       90 * time.Second,
		ResponseHeaderTimeout: cfg.RequestTimeout,
		ForceAttemptHTTP2:     true,
	}}
	return v, nil
}

// Start listens on Config.Listen and serves the relay's requests; it
// returns once listening, so Addr is valid after it. ctx bounds only the
// listen.
func (v *VASP) Start(ctx context.Context) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	switch {
	case v.draining:
		return ErrClosed
	case v.started:
		return ErrAlreadyStarted
	}
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", v.cfg.Listen)
	if err != nil {
		return err
	}
	v.srv = &http.Server{
		Handler:           http.HandlerFunc(v.serveHTTP),
		ReadHeaderTimeout: v.cfg.RequestTimeout,
		ReadTimeout:       v.cfg.RequestTimeout,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		BaseContext:       func(net.Listener) context.Context { return v.baseCtx },
		ErrorLog:          slog.NewLogLogger(v.log.Handler(), slog.LevelDebug),
	}
	v.ln, v.started = ln, true
	v.serving.Go(func() {
		if err := v.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			v.log.Error("mms: serve stopped", "addr", ln.Addr().String(), "err", err)
		}
	})
	v.log.Info("mms: listening", "addr", ln.Addr().String())
	return nil
}

// Addr is the address the relay posts to ("127.0.0.1:8081"), or "" before
// Start.
func (v *VASP) Addr() string {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.ln == nil {
		return ""
	}
	return v.ln.Addr().String()
}

// begin registers a handler call or outbound exchange; false once
// draining.
func (v *VASP) begin() bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.draining {
		return false
	}
	v.inflight.Add(1)
	return true
}

// Shutdown stops accepting new connections and new Submits, waits for
// every handler call and outbound exchange in flight, then closes. If ctx
// ends first it closes at once (cancelling them) and returns ctx.Err().
func (v *VASP) Shutdown(ctx context.Context) error {
	v.mu.Lock()
	v.draining = true
	srv := v.srv
	v.mu.Unlock()

	idle := make(chan struct{})
	go func() {
		if srv != nil {
			_ = srv.Shutdown(ctx) // closes the listener; ends idle connections
		}
		v.inflight.Wait()
		close(idle)
	}()
	select {
	case <-idle:
		return v.Close()
	case <-ctx.Done():
		v.Close()
		<-idle
		return ctx.Err()
	}
}

// Close stops at once: it cancels handler calls and outbound exchanges,
// closes the listener and every connection, and waits for all of them to
// return. It is idempotent; later calls wait for the first to finish.
func (v *VASP) Close() error {
	v.closeOnce.Do(func() {
		v.mu.Lock()
		v.draining = true
		srv := v.srv
		v.mu.Unlock()

		v.cancel()
		if srv != nil {
			_ = srv.Close()
		}
		v.inflight.Wait()
		v.serving.Wait()
		v.client.CloseIdleConnections()
		close(v.closed)
	})
	<-v.closed
	return nil
}
