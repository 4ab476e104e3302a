package mmsc

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/iwf-gateway/iwf/adapters/mms/mm7"
	"github.com/iwf-gateway/iwf/adapters/mms/mm7test"
	"github.com/iwf-gateway/iwf/sim"
)

// DefaultReportDelay is the wait before a delivery report or an echo.
const DefaultReportDelay = 500 * time.Millisecond

// Config configures the sandbox relay. Zero values take the documented
// defaults.
type Config struct {
	// Username and Password are the HTTP Basic credentials required from
	// iwf; empty Username requires none. Never logged.
	Username string `yaml:"username"`
	Password string `yaml:"password"`
	// VASPURL is where delivery reports and DeliverReqs are posted, with
	// VASPUsername and VASPPassword as HTTP Basic credentials. Empty posts
	// none until SetVASP.
	VASPURL      string `yaml:"vasp_url"`
	VASPUsername string `yaml:"vasp_username"`
	VASPPassword string `yaml:"vasp_password"`
	// ReportDelay is the wait between a SubmitRsp and its delivery report
	// or echo; default 500ms.
	ReportDelay time.Duration `yaml:"report_delay"`
	// Echo answers every accepted SubmitReq with a DeliverReq from its
	// first recipient to its sender, carrying the same parts.
	Echo bool `yaml:"echo"`
}

// Validate checks c.
func (c *Config) Validate() error {
	if c.ReportDelay < 0 {
		return errors.New("mmsc: report_delay is negative")
	}
	return nil
}

func (c Config) withDefaults() Config {
	if c.ReportDelay == 0 {
		c.ReportDelay = DefaultReportDelay
	}
	return c
}

// MMSC is the running sandbox relay.
type MMSC struct {
	cfg   Config
	log   *slog.Logger
	relay *mm7test.Relay

	later *sim.Later // the echoes
	once  sync.Once
}

// New starts a relay on 127.0.0.1:0; a nil log discards.
func New(cfg Config, log *slog.Logger) (*MMSC, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	m := &MMSC{cfg: cfg.withDefaults(), log: log}
	m.later = sim.NewLater()
	relay, err := mm7test.NewRelay(mm7test.Config{
		Username: m.cfg.Username, Password: m.cfg.Password,
		VASPURL: m.cfg.VASPURL, VASPUsername: m.cfg.VASPUsername, VASPPassword: m.cfg.VASPPassword,
		ReportDelay: m.cfg.ReportDelay,
		OnSubmit:    m.onSubmit,
	})
	if err != nil {
		m.later.Close()
		return nil, err
	}
	m.relay = relay
	return m, nil
}

// URL is where iwf posts: "http://127.0.0.1:port/mm7".
func (m *MMSC) URL() string { return m.relay.URL() }

// SetVASP sets where reports and DeliverReqs go and the Basic credentials
// sent, for a VASP that starts after the relay.
func (m *MMSC) SetVASP(url, username, password string) { m.relay.SetVASP(url, username, password) }

// Submits returns the SubmitReqs received so far.
func (m *MMSC) Submits() []mm7test.Submit { return m.relay.Submits() }

// Reports returns the outcomes of the delivery and read reports posted so
// far.
func (m *MMSC) Reports() []mm7test.Report { return m.relay.Reports() }

// InjectDeliver posts a mobile-originated DeliverReq with parts to the
// VASP and returns the status of its answer (see mm7test.Relay).
func (m *MMSC) InjectDeliver(ctx context.Context, req mm7.DeliverReq, parts []mm7.Part) (mm7.StatusCode, error) {
	return m.relay.InjectDeliver(ctx, req, parts)
}

// SetFault scripts the answers to the following requests from iwf.
func (m *MMSC) SetFault(f mm7test.Fault) { m.relay.SetFault(f) }

// Close cancels the echoes in flight, stops the relay and waits for every
// goroutine. It is idempotent.
func (m *MMSC) Close() error {
	m.once.Do(func() {
		m.later.Close()
		m.relay.Close()
	})
	return nil
}

// onSubmit is the relay's hook: it schedules the echo of an accepted
// submit.
func (m *MMSC) onSubmit(s mm7test.Submit) {
	if !m.cfg.Echo || s.MessageID == "" {
		return
	}
	req, ok := echoOf(s)
	if !ok {
		m.log.Debug("mmsc: submit not echoed: no sender address or no recipient", "message_id", s.MessageID)
		return
	}
	m.later.After(m.cfg.ReportDelay, func(ctx context.Context) { m.echo(ctx, s.MessageID, req, s.Message.Attachments) })
}

// echo posts req with parts to the VASP.
func (m *MMSC) echo(ctx context.Context, id string, req mm7.DeliverReq, parts []mm7.Part) {
	st, err := m.relay.InjectDeliver(ctx, req, parts)
	if err != nil {
		m.log.Warn("mmsc: echo not accepted", "message_id", id, "status", int(st), "err", err)
		return
	}
	m.log.Info("mmsc: echo delivered", "message_id", id, "from", req.Sender.Value, "status", int(st))
}

// echoOf builds the DeliverReq answering s: from its first recipient to
// its sender, with the same content reference.
func echoOf(s mm7test.Submit) (mm7.DeliverReq, bool) {
	op, ok := s.Message.Operation.(*mm7.SubmitReq)
	if !ok || op.SenderIdentification.SenderAddress == nil || op.Recipients == nil {
		return mm7.DeliverReq{}, false
	}
	from, ok := firstRecipient(op.Recipients)
	if !ok {
		return mm7.DeliverReq{}, false
	}
	to := *op.SenderIdentification.SenderAddress
	to.DisplayOnly = false
	req := mm7.DeliverReq{
		Sender:     &from,
		Recipients: &mm7.Recipients{To: mm7.AddressList{to}},
		Priority:   op.Priority,
		Subject:    "echo: " + op.Subject,
	}
	if op.Content != nil {
		c := *op.Content
		req.Content = &c
	}
	return req, true
}

// firstRecipient is the first address of To, then Cc, then Bcc that is
// not displayOnly (a displayOnly address is not delivered to, so it does
// not answer either).
func firstRecipient(r *mm7.Recipients) (mm7.Address, bool) {
	for _, l := range []mm7.AddressList{r.To, r.Cc, r.Bcc} {
		for _, a := range l {
			if !a.DisplayOnly {
				return a, true
			}
		}
	}
	return mm7.Address{}, false
}
