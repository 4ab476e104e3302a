package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"

	"github.com/iwf-gateway/iwf/adapters/imps"
	"github.com/iwf-gateway/iwf/adapters/imps/wv"
	"github.com/iwf-gateway/iwf/adapters/mms"
	"github.com/iwf-gateway/iwf/adapters/mms/mm7"
	"github.com/iwf-gateway/iwf/adapters/sip"
	"github.com/iwf-gateway/iwf/adapters/smpp"
	"github.com/iwf-gateway/iwf/addressmap"
	"github.com/iwf-gateway/iwf/config"
	"github.com/iwf-gateway/iwf/console"
	"github.com/iwf-gateway/iwf/gateway"
	"github.com/iwf-gateway/iwf/journal"
	"github.com/iwf-gateway/iwf/journal/kafka"
	"github.com/iwf-gateway/iwf/journal/local"
	"github.com/iwf-gateway/iwf/translate"
)

// instance is one running iwf: every component built from a Config, started
// in dependency order and stopped in reverse.
type instance struct {
	cfg     *config.Config
	log     *slog.Logger
	sandbox *sandbox

	journal  journal.Journal
	sip      *sip.Endpoint
	smscs    []*smpp.Client
	charging *gateway.ChargingFiles // nil when charging is off
	vasp     *mms.VASP              // nil without an mm7 section
	imps     *imps.Client           // nil without an imps section
	gw       *gateway.Gateway
	console  *console.Server

	// chargingKafka, with the Kafka journal, writes the charging topic;
	// charging then takes what the topic cannot.
	chargingKafka *gateway.ChargingKafka

	wg      sync.WaitGroup // Run loops of the gateway and the SMPP clients
	gwErr   chan error
	stopped bool
}

// startInstance builds and starts everything; on error it stops what it
// started.
func startInstance(ctx context.Context, cfg *config.Config, log *slog.Logger) (inst *instance, err error) {
	in := &instance{cfg: cfg, log: log, gwErr: make(chan error, 1)}
	defer func() {
		if err != nil {
			in.close()
		}
	}()
	if cfg.Sandbox {
		if in.sandbox, err = startSandbox(ctx, cfg, log); err != nil {
			return nil, err
		}
	}
	if err := os.MkdirAll(cfg.DataDir, 0o750); err != nil {
		return nil, fmt.Errorf("data_dir: %w", err)
	}
	if in.journal, err = openJournal(ctx, cfg, log.With("component", "journal")); err != nil {
		return nil, err
	}
	addrs, err := addressmap.New(cfg.AddressMap)
	if err != nil {
		return nil, err
	}
	if err := in.build(ctx, addrs); err != nil {
		return nil, err
	}
	in.run(ctx)
	if in.vasp != nil {
		if err := in.vasp.Start(ctx); err != nil {
			return nil, fmt.Errorf("mm7: %w", err)
		}
	}
	if err := in.sip.Start(ctx); err != nil {
		return nil, err
	}
	in.console = console.New(cfg.Console, in.gw, log.With("component", "console"))
	if err := in.console.Start(ctx); err != nil {
		return nil, err
	}
	return in, nil
}

// openJournal opens the configured journal backend.
func openJournal(ctx context.Context, cfg *config.Config, log *slog.Logger) (journal.Journal, error) {
	if cfg.Journal.Backend == "kafka" {
		j, err := kafka.Open(ctx, cfg.Journal.Kafka, log)
		if err != nil {
			return nil, err // not a nil *kafka.Journal in a non-nil interface
		}
		return j, nil
	}
	j, err := local.Open(cfg.Journal.Local, log)
	if err != nil {
		return nil, err
	}
	return j, nil
}

// build creates the adapters and the gateway between them.
func (in *instance) build(ctx context.Context, addrs *addressmap.Map) error {
	var gw *gateway.Gateway // the adapters' handlers call it once it exists
	ep, err := sip.New(in.cfg.SIP.Config, in.log.With("component", "sip"), func(ctx context.Context, r *sip.Request) error {
		return gw.HandleSIP(ctx, r)
	})
	if err != nil {
		return err
	}
	in.sip = ep
	var routes []gateway.SMSRoute
	for _, s := range in.cfg.SMPP {
		name := s.Name
		c, err := smpp.NewClient(s.Config, in.log.With("component", "smpp", "smsc", name), func(ctx context.Context, sm *smpp.ShortMessage) error {
			return gw.HandleDeliver(ctx, name, sm)
		})
		if err != nil {
			return err
		}
		in.smscs = append(in.smscs, c)
		routes = append(routes, gateway.SMSRoute{
			Name: name, Link: c, Workers: s.Workers, Addresses: s.Addresses,
			SMS: smsPolicy(s),
		})
	}
	if in.cfg.Charging.On() {
		if err := in.openCharging(ctx); err != nil {
			return err
		}
	}
	deps := gateway.Deps{
		Journal: in.journal, Addresses: addrs, CPM: ep, SMS: routes,
		CPMOut: translate.SIPOutboundConfig{Domain: in.cfg.SIP.Domain, CPIM: in.cfg.SIP.CPIMEnabled()},
		Log:    in.log.With("component", "gateway"),
	}
	switch {
	case in.chargingKafka != nil:
		deps.Charging = in.chargingKafka
	case in.charging != nil:
		deps.Charging = in.charging
	}
	if c := in.cfg.MM7; c != nil {
		name := c.Name
		v, err := mms.New(c.Config, in.log.With("component", "mm7"), func(ctx context.Context, m mm7.Message) error {
			return gw.HandleMM7(ctx, name, m)
		})
		if err != nil {
			return err
		}
		in.vasp = v
		deps.MMS = &gateway.MMSRoute{Name: name, Link: v, Workers: c.Workers, Policy: mmsPolicy(c)}
	}
	if c := in.cfg.IMPS; c != nil {
		cl, err := imps.New(c.Config, in.log.With("component", "imps"), func(ctx context.Context, m *wv.NewMessage) error {
			return gw.HandleIMPSMessage(ctx, m)
		}, imps.WithReportHandler(func(ctx context.Context, r *wv.DeliveryReportRequest) error {
			return gw.HandleIMPSReport(ctx, r)
		}))
		if err != nil {
			return err
		}
		in.imps = cl
		deps.IMPS = &gateway.IMPSRoute{Name: c.Name, Link: cl, Workers: c.Workers, SenderForm: c.SenderForm,
			Names: addressmap.IMPSConfig{Domain: c.Domain, RemoteDomains: c.RemoteDomains, CPMDomain: c.CPMDomain}}
	}
	if in.cfg.SIP.SessionsEnabled() {
		if err := ep.EnableSessions(func(ctx context.Context, s *sip.IncomingSession) (sip.MessageHandler, error) {
			return gw.HandleSession(ctx, s)
		}); err != nil {
			return err
		}
		deps.LargeMessages = true
	}
	gw, err = gateway.New(in.cfg.Gateway, deps)
	in.gw = gw
	return err
}

// openCharging opens the charging files and, with the Kafka journal, the
// charging topic <topic_prefix>.charging in front of them: the files then
// take only the records the topic cannot (see gateway.ChargingKafka).
func (in *instance) openCharging(ctx context.Context) error {
	log := in.log.With("component", "charging")
	files, err := gateway.OpenChargingFiles(in.cfg.Charging.ChargingConfig, log)
	if err != nil {
		return err
	}
	in.charging = files
	kj, ok := in.journal.(*kafka.Journal)
	if in.cfg.Journal.Backend != "kafka" || !ok {
		return nil
	}
	tw, err := kj.TopicWriter(ctx, "charging")
	if err != nil {
		return fmt.Errorf("charging: %w", err)
	}
	if in.chargingKafka, err = gateway.NewChargingKafka(in.cfg.Charging.Kafka, chargingTopic{tw}, files, log); err != nil {
		_ = tw.Close()
		return err
	}
	return nil
}

// chargingTopic is the Kafka journal's TopicWriter as the gateway's
// RecordWriter.
type chargingTopic struct{ *kafka.TopicWriter }

func (t chargingTopic) Write(ctx context.Context, recs []gateway.Record) error {
	trs := make([]kafka.TopicRecord, len(recs))
	for i, r := range recs {
		trs[i] = kafka.TopicRecord(r)
	}
	return t.TopicWriter.Write(ctx, trs)
}

// run starts the gateway's pipeline and the SMPP binds.
func (in *instance) run(ctx context.Context) {
	in.wg.Add(1 + len(in.smscs))
	if in.imps != nil {
		in.wg.Add(1)
		go func() {
			defer in.wg.Done()
			_ = in.imps.Run(context.WithoutCancel(ctx))
		}()
	}
	go func() {
		defer in.wg.Done()
		in.gwErr <- in.gw.Run(context.WithoutCancel(ctx))
	}()
	for _, c := range in.smscs {
		go func() {
			defer in.wg.Done()
			_ = c.Run(context.WithoutCancel(ctx))
		}()
	}
}

// shutdown drains in order: stop taking SIP traffic, let the gateway finish
// its attempts, unbind from the SMSCs, flush the journal.
func (in *instance) shutdown(ctx context.Context) error {
	if in.stopped {
		return nil
	}
	in.stopped = true
	var errs []error
	if in.sip != nil {
		errs = append(errs, in.sip.Shutdown(ctx))
	}
	if in.gw != nil {
		errs = append(errs, in.gw.Shutdown(ctx))
	}
	for _, c := range in.smscs {
		errs = append(errs, c.Shutdown(ctx))
	}
	if in.vasp != nil {
		errs = append(errs, in.vasp.Shutdown(ctx))
	}
	if in.imps != nil {
		errs = append(errs, in.imps.Shutdown(ctx))
	}
	in.wg.Wait()
	if in.console != nil {
		errs = append(errs, in.console.Shutdown(ctx))
	}
	if in.chargingKafka != nil {
		errs = append(errs, in.chargingKafka.Close(ctx))
	}
	if in.charging != nil {
		errs = append(errs, in.charging.Close())
	}
	if in.journal != nil {
		errs = append(errs, in.journal.Close())
	}
	if in.sandbox != nil {
		errs = append(errs, in.sandbox.close())
	}
	return errors.Join(errs...)
}

// close stops everything at once.
func (in *instance) close() {
	if in.stopped {
		return
	}
	in.stopped = true
	if in.sip != nil {
		_ = in.sip.Close()
	}
	if in.gw != nil {
		_ = in.gw.Close()
	}
	for _, c := range in.smscs {
		_ = c.Close()
	}
	if in.vasp != nil {
		_ = in.vasp.Close()
	}
	if in.imps != nil {
		_ = in.imps.Close()
	}
	in.wg.Wait()
	if in.console != nil {
		_ = in.console.Close()
	}
	if in.chargingKafka != nil {
		done, cancel := context.WithCancel(context.Background())
		cancel() // no waiting: what is buffered goes to the files
		_ = in.chargingKafka.Close(done)
	}
	if in.charging != nil {
		_ = in.charging.Close()
	}
	if in.journal != nil {
		_ = in.journal.Close()
	}
	if in.sandbox != nil {
		_ = in.sandbox.close()
	}
}
