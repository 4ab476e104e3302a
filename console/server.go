package console

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/iwf-gateway/iwf/gateway"
	"github.com/iwf-gateway/iwf/journal"
)

// Status is what the console reads to show and export the gateway's state.
// The gateway satisfies it.
type Status interface {
	Stats() gateway.Stats
	Ready() bool
	// Subscribe must never block the emitter: a full channel loses events.
	Subscribe(buf int) (<-chan gateway.Event, func())
}

// Admin is what the operator does through the console. The gateway
// satisfies it.
type Admin interface {
	Entries(ctx context.Context, state journal.State, after uint64, limit int) ([]gateway.EntryView, error)
	DeadLetters(ctx context.Context, after uint64, limit int) ([]gateway.EntryView, error)
	Retry(ctx context.Context, seq uint64) error
	Discard(ctx context.Context, seq uint64) error
	Search(ctx context.Context, q string, limit int) ([]gateway.EntryView, error)
	Replay(ctx context.Context, seqs []uint64, route string) ([]uint64, error)
}

// Source is what the console reads and acts on: *gateway.Gateway.
type Source interface {
	Status
	Admin
}

//go:embed assets
var assets embed.FS

// Server serves the console. Start it with Start, stop it with Shutdown or
// Close.
type Server struct {
	cfg       Config
	src       Source
	log       *slog.Logger
	token     string // never logged unless generated
	generated bool
	session   string // the iwf_console cookie value, derived from token
	srv       *http.Server
	hub       *hub
	ln        net.Listener
	wg        sync.WaitGroup // the serving goroutine
}

// New builds a console over src. With no token configured it makes one
// (crypto/rand) now; Start logs the URL that carries it.
func New(cfg Config, src Source, log *slog.Logger) *Server {
	if cfg.Listen == "" {
		cfg.Listen = DefaultListen
	}
	s := &Server{cfg: cfg, src: src, log: log, token: cfg.Token}
	if s.token == "" {
		s.token, s.generated = newToken(), true
	}
	s.session = sessionValue(s.token)
	s.hub = newHub(src, log, time.Now)
	s.srv = &http.Server{
		Handler:           s.routes(),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	return s
}

func newToken() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return hex.EncodeToString(b)
}

// routes are /healthz and /readyz in the open, everything else behind the
// token.
func (s *Server) routes() http.Handler {
	api := http.NewServeMux()
	static, _ := fs.Sub(assets, "assets")
	api.HandleFunc("GET /{$}", s.index)
	api.Handle("GET /assets/", http.StripPrefix("/assets/", noCache(http.FileServerFS(static))))
	api.HandleFunc("GET /metrics", s.metrics)
	api.HandleFunc("GET /ws", s.websocket)
	api.HandleFunc("GET /api/stats", s.stats)
	api.HandleFunc("GET /api/throughput", s.throughput)
	api.HandleFunc("GET /api/entries", s.entries)
	api.HandleFunc("GET /api/dead", s.deadLetters)
	api.HandleFunc("POST /api/dead/{seq}/retry", s.retry)
	api.HandleFunc("POST /api/dead/{seq}/discard", s.discard)
	api.HandleFunc("GET /api/search", s.search)
	api.HandleFunc("POST /api/replay", s.replay)

	root := http.NewServeMux()
	root.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
	root.HandleFunc("GET /readyz", s.readyz)
	root.Handle("/", s.authenticated(api))
	return securityHeaders(root)
}

// Start listens (over TLS when configured), starts the hub and serves in a
// goroutine that Shutdown and Close join. With a generated token it logs
// the console URL once.
func (s *Server) Start(ctx context.Context) error {
	if s.cfg.tls() {
		cert, err := tls.LoadX509KeyPair(s.cfg.TLSCert, s.cfg.TLSKey)
		if err != nil {
			return fmt.Errorf("console: tls: %w", err)
		}
		s.srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", s.cfg.Listen)
	if err != nil {
		return fmt.Errorf("console: %w", err)
	}
	s.ln = ln
	if s.cfg.tls() {
		ln = tls.NewListener(ln, s.srv.TLSConfig)
	}
	s.hub.start()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("console stopped", "err", err)
		}
	}()
	if s.generated {
		s.log.Info("console token generated (set console.token to choose one)", "url", s.URL()+"?token="+s.token)
	}
	return nil
}

// Addr is the address the console listens on.
func (s *Server) Addr() string {
	if s.ln == nil {
		return ""
	}
	return s.ln.Addr().String()
}

// URL is the console page's URL, without credentials.
func (s *Server) URL() string {
	scheme := "http"
	if s.cfg.tls() {
		scheme = "https"
	}
	return scheme + "://" + s.Addr() + "/"
}

// Shutdown stops accepting, waits for requests in progress (until ctx
// ends), then closes the websocket clients and waits for every goroutine.
func (s *Server) Shutdown(ctx context.Context) error {
	err := s.srv.Shutdown(ctx)
	s.hub.shutdown(ctx)
	s.wg.Wait()
	return err
}

// Close stops at once: listener, requests in progress and websocket
// clients; it waits for every goroutine.
func (s *Server) Close() error {
	err := s.srv.Close()
	s.hub.close()
	s.wg.Wait()
	return err
}

func (s *Server) readyz(w http.ResponseWriter, _ *http.Request) {
	if !s.src.Ready() {
		http.Error(w, "not ready", http.StatusServiceUnavailable)
		return
	}
	fmt.Fprintln(w, "ready")
}

func (s *Server) index(w http.ResponseWriter, _ *http.Request) {
	page, err := assets.ReadFile("assets/index.html")
	if err != nil {
		writeError(w, http.StatusInternalServerError, err)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(page)
}

// securityHeaders keep the page to its own origin: no frames, no inline
// script, no third-party anything, no referrer carrying a ?token=.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		next.ServeHTTP(w, r)
	})
}

// noCache serves the assets revalidated on every load (they change with the
// binary) and without directory listings.
func noCache(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "" || strings.HasSuffix(r.URL.Path, "/") {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Cache-Control", "no-cache")
		next.ServeHTTP(w, r)
	})
}
