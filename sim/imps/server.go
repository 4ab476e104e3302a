package imps

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/iwf-gateway/iwf/adapters/imps/impstest"
	"github.com/iwf-gateway/iwf/adapters/imps/wv"
	"github.com/iwf-gateway/iwf/sim"
)

// DefaultEchoDelay is the wait before an echo is queued.
const DefaultEchoDelay = 500 * time.Millisecond

// Config configures the sandbox server. Zero values take the documented
// defaults.
type Config struct {
	// Accounts maps each UserID that may log in (the gateway's) to its
	// password. Passwords are never logged.
	Accounts map[string]string `yaml:"accounts"`
	// Echo answers every SendMessage-Request with a NewMessage from each
	// recipient user back to the sender.
	Echo bool `yaml:"echo"`
	// EchoDelay is the wait between a SendMessage-Response and the echo
	// reaching the inbox; default 500ms.
	EchoDelay time.Duration `yaml:"echo_delay"`
}

// Validate checks c.
func (c *Config) Validate() error {
	switch {
	case c.EchoDelay < 0:
		return errors.New("imps: echo_delay is negative")
	case len(c.Accounts) == 0:
		return errors.New("imps: no account")
	}
	for user := range c.Accounts {
		if user == "" {
			return errors.New("imps: account with an empty user id")
		}
	}
	return nil
}

func (c Config) withDefaults() Config {
	if c.EchoDelay == 0 {
		c.EchoDelay = DefaultEchoDelay
	}
	return c
}

// Server is the running sandbox IMPS server.
type Server struct {
	cfg Config
	log *slog.Logger
	srv *impstest.Server

	later *sim.Later // the echoes
	once  sync.Once
}

// New starts a server on 127.0.0.1:0; a nil log discards.
func New(cfg Config, log *slog.Logger) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Server{cfg: cfg.withDefaults(), log: log}
	accounts := make(map[string]impstest.Account, len(cfg.Accounts))
	for user, pass := range cfg.Accounts {
		accounts[user] = impstest.Account{Password: pass}
	}
	s.later = sim.NewLater()
	srv, err := impstest.NewServer(impstest.Config{Accounts: accounts, OnSendMessage: s.onSendMessage})
	if err != nil {
		s.later.Close()
		return nil, err
	}
	s.srv = srv
	return s, nil
}

// URL is where the gateway POSTs its CSP documents.
func (s *Server) URL() string { return s.srv.URL() }

// Inject queues m in user's inbox; an empty MessageID is assigned and
// returned.
func (s *Server) Inject(ctx context.Context, user string, m wv.NewMessage) (string, error) {
	return s.srv.Inject(ctx, user, m)
}

// Sent returns the SendMessage-Requests accepted so far.
func (s *Server) Sent() []impstest.Sent { return s.srv.Sent() }

// Delivered returns the MessageIDs the gateway acknowledged, in order.
func (s *Server) Delivered() []string { return s.srv.Delivered() }

// Pending returns how many items wait unacknowledged in user's inbox.
func (s *Server) Pending(user string) int { return s.srv.Pending(user) }

// Stats returns what the server counted (logins, polls, expiries).
func (s *Server) Stats() impstest.Stats { return s.srv.Stats() }

// ExpireSessions ends every live session: its next request gets 600.
func (s *Server) ExpireSessions() { s.srv.ExpireSessions() }

// FailNext answers the next n requests of primitive (e.g.
// "SendMessage-Request") with result code.
func (s *Server) FailNext(primitive string, code, n int) { s.srv.FailNext(primitive, code, n) }

// SetDelay makes every answer wait d before it is written.
func (s *Server) SetDelay(d time.Duration) { s.srv.SetDelay(d) }

// Close cancels the echoes in flight, stops the server and waits for
// every goroutine. It is idempotent.
func (s *Server) Close() error {
	s.once.Do(func() {
		s.later.Close()
		s.srv.Close()
	})
	return nil
}

// onSendMessage is the fake server's hook: it schedules the echoes of an
// accepted SendMessage-Request.
func (s *Server) onSendMessage(user string, sent impstest.Sent) {
	if !s.cfg.Echo {
		return
	}
	echoes, err := echoesOf(user, &sent.Request)
	if err != nil {
		s.log.Debug("imps: message not echoed", "message_id", sent.MessageID, "err", err)
		return
	}
	if len(echoes) == 0 {
		return
	}
	s.later.After(s.cfg.EchoDelay, func(ctx context.Context) { s.echo(ctx, user, sent.MessageID, echoes) })
}

// echo queues the echoes in user's inbox.
func (s *Server) echo(ctx context.Context, user, id string, echoes []wv.NewMessage) {
	for _, m := range echoes {
		echoID, err := s.srv.Inject(ctx, user, m)
		if err != nil {
			s.log.Warn("imps: echo not queued", "message_id", id, "err", err)
			return
		}
		s.log.Info("imps: echo queued", "message_id", id, "echo_id", echoID, "from", m.MessageInfo.Sender.User.UserID)
	}
}
