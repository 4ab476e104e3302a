package console

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/iwf-gateway/iwf/gateway"
)

// Config is the console section of the YAML file.
type Config struct {
	// Listen is the host:port of the console. Default 127.0.0.1:8080;
	// port 0 picks a free port.
	Listen string `yaml:"listen"`
}

// Validate checks the listen address.
func (c *Config) Validate() error {
	if c.Listen == "" {
		return nil
	}
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		return fmt.Errorf("console: listen %q: %w", c.Listen, err)
	}
	return nil
}

// Source is what the console reads.
type Source interface {
	Stats() gateway.Stats
	Ready() bool
}

// Server serves the console. Start it with Start, stop it with Shutdown or
// Close.
type Server struct {
	cfg Config
	src Source
	log *slog.Logger
	srv *http.Server
	ln  net.Listener
	wg  sync.WaitGroup
}

// New builds a console over src.
func New(cfg Config, src Source, log *slog.Logger) *Server {
	if cfg.Listen == "" {
		cfg.Listen = "127.0.0.1:8080"
	}
	s := &Server{cfg: cfg, src: src, log: log}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
	mux.HandleFunc("GET /readyz", s.readyz)
	mux.HandleFunc("GET /metrics", s.metrics)
	s.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	return s
}

// Start listens and serves in a goroutine that Shutdown and Close join.
func (s *Server) Start(ctx context.Context) error {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", s.cfg.Listen)
	if err != nil {
		return fmt.Errorf("console: %w", err)
	}
	s.ln = ln
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("console stopped", "err", err)
		}
	}()
	return nil
}

// Addr is the address the console listens on.
func (s *Server) Addr() string {
	if s.ln == nil {
		return ""
	}
	return s.ln.Addr().String()
}

// Shutdown stops accepting and waits for requests in progress.
func (s *Server) Shutdown(ctx context.Context) error {
	err := s.srv.Shutdown(ctx)
	s.wg.Wait()
	return err
}

// Close stops at once and waits for the serving goroutine.
func (s *Server) Close() error {
	err := s.srv.Close()
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

func (s *Server) metrics(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	var b strings.Builder
	writeMetrics(&b, s.src.Stats(), s.src.Ready())
	_, _ = w.Write([]byte(b.String()))
}

// writeMetrics renders st in the Prometheus text exposition format.
func writeMetrics(b *strings.Builder, st gateway.Stats, ready bool) {
	counter := func(name, help string, v int64, labels string) {
		fmt.Fprintf(b, "# HELP %s %s\n# TYPE %s counter\n%s%s %d\n", name, help, name, name, labels, v)
	}
	fmt.Fprintf(b, "# HELP iwf_messages_accepted_total Messages journaled, by source network.\n# TYPE iwf_messages_accepted_total counter\n")
	fmt.Fprintf(b, "iwf_messages_accepted_total{network=\"cpm\"} %d\n", st.AcceptedCPM)
	fmt.Fprintf(b, "iwf_messages_accepted_total{network=\"sms\"} %d\n", st.AcceptedSMS)
	fmt.Fprintf(b, "# HELP iwf_messages_ended_total Messages that reached a terminal state, by outcome.\n# TYPE iwf_messages_ended_total counter\n")
	for _, o := range []struct {
		name string
		v    int64
	}{{"delivered", st.Delivered}, {"submitted", st.Submitted}, {"failed", st.Failed}, {"expired", st.Expired}} {
		fmt.Fprintf(b, "iwf_messages_ended_total{outcome=%q} %d\n", o.name, o.v)
	}
	counter("iwf_duplicates_total", "Repeats recognised and dropped.", st.Duplicates, "")
	counter("iwf_rejected_total", "Inputs refused with a protocol error.", st.Rejected, "")
	counter("iwf_sms_segments_submitted_total", "submit_sm accepted by SMSCs.", st.Segments, "")
	counter("iwf_retries_total", "Delivery attempts scheduled again.", st.Retries, "")
	counter("iwf_receipts_total", "Final SMSC receipts correlated with their message.", st.Receipts, "")
	counter("iwf_receipts_uncorrelated_total", "Receipts whose message was not found.", st.UncorrelatedReceipts, "")
	counter("iwf_mo_fragments_total", "Concatenated MO segments journaled.", st.Fragments, "")
	counter("iwf_reports_total", "IMDNs queued toward CPM users.", st.Reports, "")
	counter("iwf_reports_sent_total", "IMDNs the CPM side accepted.", st.ReportsSent, "")
	counter("iwf_reports_lost_total", "IMDNs that failed or expired.", st.ReportsLost, "")
	counter("iwf_journal_errors_total", "Accepts refused because the journal failed.", st.JournalErrors, "")
	counter("iwf_overloaded_total", "MESSAGEs refused with 503 because too many were being accepted.", st.Overloaded, "")
	fmt.Fprintf(b, "# HELP iwf_queue_depth Messages waiting for delivery, by route.\n# TYPE iwf_queue_depth gauge\n")
	for _, q := range st.Queues {
		fmt.Fprintf(b, "iwf_queue_depth{route=%q} %d\n", q.Route, q.Depth)
	}
	fmt.Fprintf(b, "# HELP iwf_route_up Whether a route can deliver now.\n# TYPE iwf_route_up gauge\n")
	for _, q := range st.Queues {
		fmt.Fprintf(b, "iwf_route_up{route=%q} %d\n", q.Route, boolInt(q.Ready))
	}
	fmt.Fprintf(b, "# HELP iwf_scheduled_timers Retries and expiries waiting for their time.\n# TYPE iwf_scheduled_timers gauge\niwf_scheduled_timers %d\n", st.ScheduledTimers)
	fmt.Fprintf(b, "# HELP iwf_mo_reassembly_pending MO messages being reassembled.\n# TYPE iwf_mo_reassembly_pending gauge\niwf_mo_reassembly_pending %d\n", st.PendingFragments)
	fmt.Fprintf(b, "# HELP iwf_ready Whether iwf is ready.\n# TYPE iwf_ready gauge\niwf_ready %d\n", boolInt(ready))
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
