package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/iwf-gateway/iwf/adapters/sip"
	"github.com/iwf-gateway/iwf/adapters/smpp"
	"github.com/iwf-gateway/iwf/config"
	"github.com/iwf-gateway/iwf/cpm"
	simimps "github.com/iwf-gateway/iwf/sim/imps"
	"github.com/iwf-gateway/iwf/sim/mmsc"
	"github.com/iwf-gateway/iwf/sim/smsc"
	"github.com/iwf-gateway/iwf/translate"
)

// sandboxUAListen is where the sandbox's CPM user agent listens; iwf's
// outbound proxy points at it.
const sandboxUAListen = "127.0.0.1:5071"

// sandbox is the in-process peers of the sandbox default: an SMSC
// simulator that sends receipts and answers every single-part SMS with an
// echo MO, an MMS relay and an IMPS server that echo too, and a CPM user
// agent that logs the MESSAGEs iwf delivers.
type sandbox struct {
	smsc   *smsc.SMSC
	mmsc   *mmsc.MMSC
	imps   *simimps.Server
	ua     *sip.Endpoint
	echoes chan smpp.ShortMessage
	ref    uint16 // concatenation reference of echo replies
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

func startSandbox(ctx context.Context, cfg *config.Config, log *slog.Logger) (_ *sandbox, err error) {
	sb := &sandbox{echoes: make(chan smpp.ShortMessage, 1024)}
	defer func() {
		if err != nil {
			_ = sb.close()
		}
	}()
	sc := cfg.SMPP[0]
	sb.smsc = smsc.New(smsc.Config{
		SystemID: sc.SystemID, Password: sc.Password, ReceiptDelay: 500 * time.Millisecond,
		OnSubmit: func(sm smpp.ShortMessage, id string) {
			select {
			case sb.echoes <- sm:
			default: // the sandbox echo is best effort
			}
		},
	}, log.With("component", "sim-smsc"))
	if err := sb.smsc.Start(ctx); err != nil {
		return nil, err
	}
	cfg.SMPP[0].Address = sb.smsc.Addr()
	if mc := cfg.MM7; mc != nil {
		sb.mmsc, err = mmsc.New(mmsc.Config{
			Username: mc.Username, Password: mc.Password, Echo: true,
			VASPURL: "http://" + mc.Listen + "/mm7", VASPUsername: mc.InboundUsername, VASPPassword: mc.InboundPassword,
		}, log.With("component", "sim-mmsc"))
		if err != nil {
			return nil, err
		}
		mc.RelayURL = sb.mmsc.URL()
	}
	if ic := cfg.IMPS; ic != nil {
		sb.imps, err = simimps.New(simimps.Config{Accounts: map[string]string{ic.User: ic.Password}, Echo: true},
			log.With("component", "sim-imps"))
		if err != nil {
			return nil, err
		}
		ic.ServerURL = sb.imps.URL()
	}
	sb.ua, err = sip.New(sip.Config{
		Listen: []string{"udp:" + sandboxUAListen, "tcp:" + sandboxUAListen}, Domain: "cpm.example.net",
		MSRPListen: "127.0.0.1:0",
	}, log.With("component", "sim-cpm-ua"), func(_ context.Context, r *sip.Request) error {
		logDelivered(log, r)
		return nil
	})
	if err != nil {
		return nil, err
	}
	// Large messages reach the CPM user in MSRP sessions; the user agent
	// takes them and logs what came.
	if err := sb.ua.EnableSessions(func(_ context.Context, s *sip.IncomingSession) (sip.MessageHandler, error) {
		return func(_ context.Context, m *sip.SessionMessage) error {
			log.Info("CPM user received a large message over MSRP", "from", s.From, "to", s.RequestURI,
				"content_type", m.ContentType, "bytes", len(m.Body))
			return nil
		}, nil
	}); err != nil {
		return nil, err
	}
	if err := sb.ua.Start(ctx); err != nil {
		return nil, fmt.Errorf("sandbox CPM user agent: %w", err)
	}
	if cfg.SIP.OutboundProxy == "" {
		cfg.SIP.OutboundProxy = "sip:" + sandboxUAListen
	}
	echoCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	sb.cancel = cancel
	sb.wg.Add(1)
	go func() { defer sb.wg.Done(); sb.echo(echoCtx, log) }()
	return sb, nil
}

// echo answers each single-part SMS with an MO from its recipient, so a
// newcomer sees both directions flow.
func (sb *sandbox) echo(ctx context.Context, log *slog.Logger) {
	for {
		select {
		case <-ctx.Done():
			return
		case sm := <-sb.echoes:
			if sm.ESMClass&smpp.ESMClassUDHI != 0 || len(sm.TLVs) > 1 {
				continue
			}
			seg, err := translate.DecodeSMS(&sm)
			if err != nil || seg.Binary || seg.Total > 1 {
				continue
			}
			sb.ref++
			m := cpm.Message{Parts: []cpm.Part{{ContentType: "text/plain;charset=utf-8", Body: []byte("echo: " + seg.Text)}}}
			reply, err := translate.SMSFromMessage(&m, translate.SMSRoute{Source: sm.Dest, Dest: sm.Source, Reference: sb.ref})
			if err != nil {
				continue
			}
			for _, part := range reply {
				if err := sb.smsc.InjectMO(ctx, part); err != nil && !errors.Is(err, context.Canceled) {
					log.Warn("sandbox echo MO not delivered", "err", err)
				}
			}
		}
	}
}

func logDelivered(log *slog.Logger, r *sip.Request) {
	what, text := "message", ""
	if rep, ok, err := translate.ReportFromSIP(r); err == nil && ok {
		what, text = "IMDN "+string(rep.Status), "for "+rep.MessageID
	} else if m, err := translate.MessageFromSIP(r); err == nil {
		var ok bool
		if text, ok = m.Text(); !ok {
			text = fmt.Sprintf("[%d parts, %d bytes] %s", len(m.Parts), m.Size(), m.Subject)
		}
	}
	if len(text) > 80 {
		text = text[:80] + "…"
	}
	log.Info("CPM user received "+what, "from", r.From, "to", r.RequestURI, "text", strings.TrimSpace(text))
}

// greet tells a newcomer what to try.
func (sb *sandbox) greet(log *slog.Logger, in *instance) {
	log.Info("sandbox ready: try  go run ./cmd/iwf send sms --to tel:+447700900123 --text hello",
		"smsc", sb.smsc.Addr(), "cpm_user_agent", sandboxUAListen)
	if sb.mmsc != nil {
		log.Info("sandbox MMS: try  go run ./cmd/iwf send mms --to tel:+447700900123 --subject Hi --text hello --file picture.jpg",
			"mms_relay", sb.mmsc.URL())
	}
	if sb.imps != nil {
		log.Info("sandbox IMPS: try  go run ./cmd/iwf send im --to wv:alice@"+config.SandboxIMPSDomain+" --text hello",
			"imps_server", sb.imps.URL())
	}
}

func (sb *sandbox) close() error {
	if sb.cancel != nil {
		sb.cancel()
	}
	sb.wg.Wait()
	var errs []error
	if sb.ua != nil {
		errs = append(errs, sb.ua.Close())
	}
	if sb.smsc != nil {
		errs = append(errs, sb.smsc.Close())
	}
	if sb.mmsc != nil {
		errs = append(errs, sb.mmsc.Close())
	}
	if sb.imps != nil {
		errs = append(errs, sb.imps.Close())
	}
	return errors.Join(errs...)
}
