package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/iwf-gateway/iwf/sim/smsc"
)

// benchSMSOptions are the flags of `iwf bench sms`.
type benchSMSOptions struct {
	Count          int
	Rate           float64
	Outstanding    int
	Sockets        int
	NoSync         bool
	Backlog        bool
	Drain          bool
	DropEvery      int
	Throttle       float64
	ThrottlePause  time.Duration
	Binds, Window  int
	DataDir        string
	Binary         string // the iwf to run; default this executable
	CPUProfile     string // passed to the (first) child as IWF_CPUPROFILE
	HeapProfile    string // taken from the (first) child when the load ends
	DrainTimeout   time.Duration
	Timeout        time.Duration // per request, Timer F
	ConsoleClients int           // websocket clients reading the (first) console's live feed during the load

	Journal    string   // "local" (default) or "kafka"
	Instances  int      // iwf processes sharing the Kafka journal; 0 means 1
	Brokers    []string // an existing Kafka cluster; none: three brokers in this process
	Partitions int      // of the journal topic a Kafka run creates; 0 means 12
	Recipients int      // distinct SMS users the MESSAGEs go to; 0 means 1
}

const (
	defaultBenchCount   = 200000
	defaultBacklogCount = 1000000
	maxBenchInstances   = 16
	maxBenchRecipients  = 100000
)

func newBenchSMSCmd() *cobra.Command {
	o := benchSMSOptions{}
	cmd := &cobra.Command{
		Use:   "sms",
		Short: "Drive SIP MESSAGE load through iwf into an SMSC simulator and report rates, latency, memory and losses",
		Long: "Runs iwf (this binary, `serve`) as a child process with the local journal, an SMSC simulator\n" +
			"and a SIP UDP load generator in this process, all on loopback. Every MESSAGE carries the text\n" +
			"\"bench <n>\"; the simulator records which numbers reached it, so lost and repeated messages are\n" +
			"counted exactly. iwf's CPU and peak RSS are its own (read from /proc and its rusage).\n\n" +
			"With --journal kafka, iwf journals to Kafka: three brokers started in this process for the run\n" +
			"(in memory), or the cluster of --brokers, with topics and a consumer group named for the run.\n" +
			"--instances runs several iwf processes on that journal, all bound to the one SMSC; MESSAGEs go\n" +
			"to them round robin, each with its share of --sockets and --outstanding. The gateway partitions\n" +
			"work by recipient, so --recipients spreads the MESSAGEs over that many SMS users.",
		Example: "  iwf bench sms                        # 200,000 messages as fast as iwf takes them\n" +
			"  iwf bench sms --rate 5000            # latency at a fixed rate\n" +
			"  iwf bench sms --backlog              # 1,000,000 queued while the SMSC refuses binds\n" +
			"  iwf bench sms --drop-every 5000      # the SMSC drops each link every 5,000 submits\n" +
			"  iwf bench sms --throttle 0.05        # 5 % of submits answered ESME_RTHROTTLED\n" +
			"  iwf bench sms --journal kafka --instances 3 --recipients 1000 --count 50000",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !cmd.Flags().Changed("count") && o.Backlog {
				o.Count = defaultBacklogCount
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			res, err := runBenchSMS(ctx, o, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			return res.print(cmd.OutOrStdout())
		},
	}
	cmd.AddCommand(newBenchServeProfiledCmd())
	f := cmd.Flags()
	f.IntVar(&o.Count, "count", defaultBenchCount, "messages to send (default 1,000,000 with --backlog)")
	f.Float64Var(&o.Rate, "rate", 0, "messages per second; 0 sends as fast as --outstanding allows")
	f.IntVar(&o.Outstanding, "outstanding", 64, "requests without a final response at once, shared out among the instances (more overflows iwf's default 208 KB UDP receive buffer)")
	f.IntVar(&o.Sockets, "sockets", 4, "UDP sockets the load is spread over (rounded up to a multiple of --instances)")
	f.BoolVar(&o.NoSync, "nosync", false, "local journal without fsync (breaks durability; for comparison only)")
	f.BoolVar(&o.Backlog, "backlog", false, "the SMSC refuses binds while the load runs: measure memory and CPU as the backlog grows")
	f.BoolVar(&o.Drain, "drain", true, "with --backlog: then let the SMSC bind and measure the drain")
	f.IntVar(&o.DropEvery, "drop-every", 0, "the SMSC drops each link at every n-th submit")
	f.Float64Var(&o.Throttle, "throttle", 0, "fraction of submits the SMSC answers ESME_RTHROTTLED (0..1)")
	f.DurationVar(&o.ThrottlePause, "throttle-pause", 0, "iwf's smpp throttle_pause (0: iwf's default)")
	f.IntVar(&o.Binds, "binds", 2, "SMPP binds of each iwf instance to the SMSC")
	f.IntVar(&o.Window, "window", 256, "SMPP window per bind")
	f.StringVar(&o.DataDir, "data-dir", "", "where iwf keeps its journal (default a temporary directory, removed after); instance i uses <dir>/iwf-<i>")
	f.StringVar(&o.CPUProfile, "cpuprofile", "", "write a CPU profile of (the first) iwf's whole run to this file")
	f.StringVar(&o.HeapProfile, "heapprofile", "", "write a heap profile of (the first) iwf, taken when the last MESSAGE is answered, to this file")
	f.DurationVar(&o.DrainTimeout, "drain-timeout", 60*time.Second, "give up waiting for the SMSC after this long without a new submit")
	f.DurationVar(&o.Timeout, "request-timeout", 32*time.Second, "give a MESSAGE up after this long without a final response")
	f.IntVar(&o.ConsoleClients, "console-clients", 0, "websocket clients watching (the first) console's live feed during the load (its cost)")
	f.StringVar(&o.Journal, "journal", "local", "iwf's journal: local (bbolt) or kafka")
	f.IntVar(&o.Instances, "instances", 1, "iwf processes sharing the journal (more than 1 needs --journal kafka)")
	f.StringSliceVar(&o.Brokers, "brokers", nil, "with --journal kafka: the cluster's bootstrap brokers, host:port,... (default three brokers in this process)")
	f.IntVar(&o.Partitions, "partitions", 12, "with --journal kafka: partitions of the journal topic the run creates")
	f.IntVar(&o.Recipients, "recipients", 1, "distinct SMS users the MESSAGEs go to, round robin")
	return cmd
}

// withDefaults sets the zero values of the fields added for the Kafka
// journal to their defaults.
func (o benchSMSOptions) withDefaults() benchSMSOptions {
	if o.Journal == "" {
		o.Journal = "local"
	}
	o.Instances = max(o.Instances, 1)
	o.Recipients = max(o.Recipients, 1)
	if o.Partitions == 0 {
		o.Partitions = 12
	}
	return o
}

func (o *benchSMSOptions) validate() error {
	if err := validateLoad(o.Count, o.Rate, o.Outstanding, o.Sockets); err != nil {
		return err
	}
	switch {
	case o.Throttle < 0 || o.Throttle > 1:
		return errors.New("bench: --throttle must be 0..1")
	case o.DropEvery < 0 || o.Binds < 1 || o.Window < 1:
		return errors.New("bench: --drop-every must not be negative, --binds and --window positive")
	case o.ConsoleClients < 0 || o.ConsoleClients > 64:
		return errors.New("bench: --console-clients must be 0..64")
	case o.Recipients < 1 || o.Recipients > maxBenchRecipients:
		return fmt.Errorf("bench: --recipients must be 1..%d", maxBenchRecipients)
	}
	return o.validateJournal()
}

func (o *benchSMSOptions) validateJournal() error {
	kafka := o.Journal == "kafka"
	switch {
	case o.Journal != "local" && !kafka:
		return fmt.Errorf("bench: --journal %q: local or kafka", o.Journal)
	case o.Instances < 1 || o.Instances > maxBenchInstances:
		return fmt.Errorf("bench: --instances must be 1..%d", maxBenchInstances)
	case o.Instances > 1 && !kafka:
		return errors.New("bench: --instances above 1 needs --journal kafka: only a Kafka journal is shared")
	case o.Instances > 1 && o.Backlog:
		return errors.New("bench: --backlog measures one instance")
	case !kafka && len(o.Brokers) > 0:
		return errors.New("bench: --brokers needs --journal kafka")
	case kafka && o.NoSync:
		return errors.New("bench: --nosync is for the local journal")
	case kafka && (o.Partitions < 1 || o.Partitions > 1024):
		return errors.New("bench: --partitions must be 1..1024")
	case kafka && o.Partitions < o.Instances:
		return errors.New("bench: --partitions must be at least --instances, or some instance owns nothing")
	}
	return nil
}

// benchSMSReport is what one run of `iwf bench sms` measured, with, on the
// Kafka journal, the cluster and each instance.
type benchSMSReport struct {
	benchSMSResult
	Kafka *kafkaReport // nil on the local journal
}

// print writes the report table.
func (r *benchSMSReport) print(w io.Writer) error {
	if err := r.benchSMSResult.print(w); err != nil || r.Kafka == nil {
		return err
	}
	var b strings.Builder
	r.Kafka.print(&b, r.Load.Accepted, r.iwfUsage)
	_, err := io.WriteString(w, b.String())
	return err
}

// benchRun is the state of one benchmark run; runBenchSMS owns it.
type benchRun struct {
	o        benchSMSOptions
	log      io.Writer
	base     time.Time
	sim      *smsc.SMSC
	rec      *submitRecorder
	kafka    *benchKafka    // with --journal kafka
	children []*iwfChild    // the instances; nil once stopped
	sipAddrs []*net.UDPAddr // their SIP addresses
	owned    [][]int        // with kafka, the journal partitions of each instance when the load began
	lg       *loadGen
	res      benchSMSReport
}

// runBenchSMS runs one benchmark; progress goes to log.
func runBenchSMS(ctx context.Context, o benchSMSOptions, log io.Writer) (*benchSMSReport, error) {
	o = o.withDefaults()
	if err := o.validate(); err != nil {
		return nil, err
	}
	if ctx == nil {
		ctx = context.Background()
	}
	r := &benchRun{o: o, log: log, base: time.Now()}
	r.res.Options = o
	dir, cleanup, err := benchWorkDir(o.DataDir)
	if err != nil {
		return nil, err
	}
	defer cleanup()
	if o.Journal == "kafka" {
		if r.kafka, err = startBenchKafka(ctx, o.Brokers, o.Partitions); err != nil {
			return nil, err
		}
		defer r.kafka.close() // after the instances stop: they leave the group on the way out
	}
	if err := r.startSMSC(ctx); err != nil {
		return nil, err
	}
	defer r.sim.Close()
	defer func() { _ = r.stopChildren(5 * time.Second) }()
	if err := r.startChildren(ctx, dir); err != nil {
		return nil, err
	}
	var watchers *consoleClients
	if o.ConsoleClients > 0 {
		if watchers, err = startConsoleClients(ctx, r.children[0].console, o.ConsoleClients); err != nil {
			return nil, err
		}
	}
	if err := r.load(ctx); err != nil {
		if watchers != nil {
			watchers.stop()
		}
		return nil, err
	}
	if watchers != nil {
		frames, n := watchers.stop()
		fmt.Fprintf(log, "console: %d clients read %d frames (%d KB) of the live feed\n", o.ConsoleClients, frames, n>>10)
	}
	err = r.stopChildren(60 * time.Second)
	return &r.res, err
}

func (r *benchRun) startSMSC(ctx context.Context) error {
	r.rec = newSubmitRecorder(r.o.Count, r.base)
	r.sim = smsc.New(smsc.Config{SystemID: "bench", Password: "bench", OnSubmit: r.rec.onSubmit}, nil)
	r.sim.DropAfter(r.o.DropEvery)
	r.sim.Throttle(r.o.Throttle)
	r.sim.RefuseBinds(r.o.Backlog)
	return r.sim.Start(context.WithoutCancel(ctx))
}

// startChildren starts the instances and waits until they are ready
// (every bind up, unless the SMSC refuses them) and, on Kafka, until the
// group has spread the journal's partitions over them. The first instance
// starts alone: it creates the topics.
func (r *benchRun) startChildren(ctx context.Context, dir string) error {
	rctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	path := "/readyz"
	if r.o.Backlog {
		path = "/healthz"
	}
	for i := range r.o.Instances {
		idir := dir
		if r.o.Instances > 1 {
			idir = filepath.Join(dir, fmt.Sprintf("iwf-%d", i+1))
			if err := os.MkdirAll(idir, 0o750); err != nil {
				return fmt.Errorf("bench: %w", err)
			}
		}
		if err := r.startChild(i, idir); err != nil {
			return err
		}
		if i == 0 {
			if err := r.children[0].waitReady(rctx, path); err != nil {
				return err
			}
		}
	}
	if err := r.waitAllReady(rctx, path); err != nil {
		return err
	}
	if r.kafka != nil {
		owned, err := r.kafka.awaitSpread(rctx, r.o.Instances)
		if err != nil {
			return err
		}
		r.owned = owned
		// A member has its partitions once the group is stable; it
		// serves them once rebuilt, which readiness waits for.
		if err := r.waitAllReady(rctx, path); err != nil {
			return err
		}
	}
	if r.o.Backlog {
		return nil
	}
	return r.waitBinds(rctx)
}

func (r *benchRun) waitAllReady(ctx context.Context, path string) error {
	for i, c := range r.children {
		if err := c.waitReady(ctx, path); err != nil {
			return fmt.Errorf("instance %d: %w", i+1, err)
		}
	}
	return nil
}

// startChild writes the configuration of instance i and starts it.
func (r *benchRun) startChild(i int, dir string) error {
	sipPort, err1 := freePort("udp")
	consolePort, err2 := freePort("tcp")
	if err := errors.Join(err1, err2); err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	journal := localJournalYAML(r.o.NoSync)
	if r.kafka != nil {
		journal = r.kafka.journalYAML(i)
	}
	l := childLaunch{Binary: r.o.Binary, Dir: dir, ConsolePort: consolePort,
		YAML: benchConfigYAML(r.o, dir, sipPort, consolePort, r.sim.Addr(), journal)}
	if i == 0 {
		l.CPUProfile, l.HeapProfile = r.o.CPUProfile, r.o.HeapProfile
	}
	child, err := launchIWF(l)
	if err != nil {
		return err
	}
	r.children = append(r.children, child)
	r.sipAddrs = append(r.sipAddrs, &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: sipPort})
	return nil
}

// stopChildren stops every instance at once, each with grace to drain,
// and adds up their resource usage. It does nothing the second time.
func (r *benchRun) stopChildren(grace time.Duration) error {
	if r.children == nil {
		return nil
	}
	rus := make([]*syscall.Rusage, len(r.children))
	errs := make([]error, len(r.children))
	var wg sync.WaitGroup
	for i, c := range r.children {
		wg.Go(func() { rus[i], errs[i] = c.stop(grace) })
	}
	wg.Wait()
	r.children = nil
	for i, ru := range rus {
		var u iwfUsage
		u.setRusage(ru)
		r.res.User += u.User
		r.res.Sys += u.Sys
		r.res.MaxRSS = max(r.res.MaxRSS, u.MaxRSS)
		if errs[i] != nil && len(rus) > 1 {
			errs[i] = fmt.Errorf("instance %d: %w", i+1, errs[i])
		}
	}
	return errors.Join(errs...)
}

func (r *benchRun) waitBinds(ctx context.Context) error {
	want := r.o.Binds * r.o.Instances
	for {
		if _, tx := r.sim.Bound(); tx >= want {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("bench: iwf did not bind %d times: %w", want, ctx.Err())
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// localJournalYAML is the journal section of a run on the local journal.
func localJournalYAML(noSync bool) string {
	return fmt.Sprintf("journal:\n  backend: local\n  local:\n    no_sync: %t\n", noSync)
}

// benchConfigYAML is iwf's configuration for the run, with journal its
// journal section.
func benchConfigYAML(o benchSMSOptions, dir string, sipPort, consolePort int, smscAddr, journal string) []byte {
	extra := ""
	if o.ThrottlePause > 0 {
		extra = fmt.Sprintf("    throttle_pause: %s\n", o.ThrottlePause)
	}
	return fmt.Appendf(nil, `data_dir: %q
log_level: warn
sip:
  listen: ["udp:127.0.0.1:%d"]
  domain: iwf.example.net
  trusted_peers: ["127.0.0.0/8"]
  cpim: false
  msrp_listen: "127.0.0.1:0"
smpp:
  - name: bench
    address: %q
    system_id: bench
    password: bench
    binds: %d
    window: %d
    reconnect_min: 100ms
    reconnect_max: 1s
%saddressmap:
  country_code: "44"
  rules:
    - {match: "+", network: sms, route: bench}
%sconsole:
  listen: "127.0.0.1:%d"
  token: %q
`, dir, sipPort, smscAddr, o.Binds, o.Window, extra, journal, consolePort, benchConsoleToken)
}

// load drives the messages, samples iwf while they flow, and waits for the
// SMSC to see every accepted one.
func (r *benchRun) load(ctx context.Context) error {
	pids := make([]int, len(r.children))
	marks := make([]usageMark, len(r.children))
	for i, c := range r.children {
		pids[i] = c.cmd.Process.Pid
		marks[i] = markUsage(pids[i])
	}
	self := selfCPU()
	r.lg = newLoadGen(loadGenConfig{
		Targets: r.sipAddrs, Count: r.o.Count, Rate: r.o.Rate, Outstanding: r.o.Outstanding,
		Sockets: r.o.Sockets, T1: 500 * time.Millisecond, T2: 4 * time.Second, Timeout: r.o.Timeout,
		RunID: rand.Text()[:10], Message: smsLoadMessageTo(r.o.Recipients),
	})
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() { r.sample(stop, pids[0]) })
	loadStart := time.Now()
	err := r.lg.Run(ctx)
	r.res.Load = r.lg.stats()
	if err == nil && r.o.HeapProfile != "" {
		err = r.children[0].takeHeapProfile(r.o.HeapProfile)
	}
	if err == nil {
		err = r.awaitSMSC(ctx)
	}
	close(stop)
	wg.Wait()
	usage := make([]iwfUsage, len(pids))
	for i, pid := range pids {
		usage[i].measure(pid, marks[i])
		r.res.LoadCPU += usage[i].LoadCPU
		r.res.Written += usage[i].Written
		r.res.PeakRSS = max(r.res.PeakRSS, usage[i].PeakRSS)
		r.res.Anon = max(r.res.Anon, usage[i].Anon)
	}
	r.res.Wall = time.Since(loadStart)
	r.res.Check = r.rec.check(func(n int) bool { return n < r.res.Load.Sent && r.lg.final[n].Load() == 202 })
	r.res.collectSMSC(r.sim, r.rec, r.o.Binds*r.o.Instances)
	if r.kafka != nil {
		r.res.Kafka = r.kafkaReport(ctx, usage, selfCPU()-self)
	}
	return err
}

// awaitSMSC lets the SMSC bind (with --backlog) and waits until it has
// seen every accepted message, or until no new submit came for
// DrainTimeout.
func (r *benchRun) awaitSMSC(ctx context.Context) error {
	if r.o.Backlog {
		if !r.o.Drain {
			return nil
		}
		r.res.DrainFrom = time.Since(r.base)
		r.res.DrainSeenBefore = r.rec.unique.Load()
		r.sim.RefuseBinds(false)
	}
	want := int64(r.res.Load.Accepted)
	lastSeen, lastChange := r.rec.unique.Load(), time.Now()
	for r.rec.unique.Load() < want {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
		if u := r.rec.unique.Load(); u != lastSeen {
			lastSeen, lastChange = u, time.Now()
		} else if time.Since(lastChange) > r.o.DrainTimeout {
			fmt.Fprintf(r.log, "bench: the SMSC saw no new message for %v; %d of %d accepted seen\n", r.o.DrainTimeout, u, want)
			return nil
		}
	}
	return nil
}

// sample watches binds every 10 ms and, with --backlog, records iwf's RSS
// and CPU at each tenth of the messages accepted.
func (r *benchRun) sample(stop <-chan struct{}, pid int) {
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	var w bindWatch
	next := 1
	u0, s0, _ := procCPU(pid)
	prev := backlogSample{CPU: u0 + s0}
	for {
		select {
		case <-stop:
			r.res.LongestUnbound = w.longest
			return
		case now := <-tick.C:
			w.sample(r.sim, r.o.Binds*r.o.Instances, now)
		}
		if !r.o.Backlog || next > 10 || r.lg.accepted.Load() < int64(next*r.o.Count/10) {
			continue
		}
		s := takeBacklogSample(pid, r.lg.accepted.Load(), prev)
		r.res.Backlog = append(r.res.Backlog, s)
		fmt.Fprintf(r.log, "backlog %s\n", s)
		prev, next = s, next+1
	}
}
