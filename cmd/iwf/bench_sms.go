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
	"sync"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/iwf-gateway/iwf/config"
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
	CPUProfile     string // passed to the child as IWF_CPUPROFILE
	HeapProfile    string // taken from the child when the load ends
	DrainTimeout   time.Duration
	Timeout        time.Duration // per request, Timer F
	ConsoleClients int           // websocket clients reading the console's live feed during the load
}

const (
	defaultBenchCount   = 200000
	defaultBacklogCount = 1000000
)

func newBenchSMSCmd() *cobra.Command {
	o := benchSMSOptions{}
	cmd := &cobra.Command{
		Use:   "sms",
		Short: "Drive SIP MESSAGE load through iwf into an SMSC simulator and report rates, latency, memory and losses",
		Long: "Runs iwf (this binary, `serve`) as a child process with the local journal, an SMSC simulator\n" +
			"and a SIP UDP load generator in this process, all on loopback. Every MESSAGE carries the text\n" +
			"\"bench <n>\"; the simulator records which numbers reached it, so lost and repeated messages are\n" +
			"counted exactly. iwf's CPU and peak RSS are its own (read from /proc and its rusage).",
		Example: "  iwf bench sms                        # 200,000 messages as fast as iwf takes them\n" +
			"  iwf bench sms --rate 5000            # latency at a fixed rate\n" +
			"  iwf bench sms --backlog              # 1,000,000 queued while the SMSC refuses binds\n" +
			"  iwf bench sms --drop-every 5000      # the SMSC drops each link every 5,000 submits\n" +
			"  iwf bench sms --throttle 0.05        # 5 % of submits answered ESME_RTHROTTLED",
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
	f.IntVar(&o.Outstanding, "outstanding", 64, "requests without a final response at once (more overflows iwf's default 208 KB UDP receive buffer)")
	f.IntVar(&o.Sockets, "sockets", 4, "UDP sockets the load is spread over")
	f.BoolVar(&o.NoSync, "nosync", false, "journal without fsync (breaks durability; for comparison only)")
	f.BoolVar(&o.Backlog, "backlog", false, "the SMSC refuses binds while the load runs: measure memory and CPU as the backlog grows")
	f.BoolVar(&o.Drain, "drain", true, "with --backlog: then let the SMSC bind and measure the drain")
	f.IntVar(&o.DropEvery, "drop-every", 0, "the SMSC drops each link at every n-th submit")
	f.Float64Var(&o.Throttle, "throttle", 0, "fraction of submits the SMSC answers ESME_RTHROTTLED (0..1)")
	f.DurationVar(&o.ThrottlePause, "throttle-pause", 0, "iwf's smpp throttle_pause (0: iwf's default)")
	f.IntVar(&o.Binds, "binds", 2, "SMPP binds of iwf to the SMSC")
	f.IntVar(&o.Window, "window", 256, "SMPP window per bind")
	f.StringVar(&o.DataDir, "data-dir", "", "where iwf keeps its journal (default a temporary directory, removed after)")
	f.StringVar(&o.CPUProfile, "cpuprofile", "", "write a CPU profile of iwf's whole run to this file")
	f.StringVar(&o.HeapProfile, "heapprofile", "", "write a heap profile of iwf, taken when the last MESSAGE is answered, to this file")
	f.DurationVar(&o.DrainTimeout, "drain-timeout", 60*time.Second, "give up waiting for the SMSC after this long without a new submit")
	f.DurationVar(&o.Timeout, "request-timeout", 32*time.Second, "give a MESSAGE up after this long without a final response")
	f.IntVar(&o.ConsoleClients, "console-clients", 0, "websocket clients watching the console's live feed during the load (its cost)")
	return cmd
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
	}
	return nil
}

// benchRun is the state of one benchmark run; runBenchSMS owns it.
type benchRun struct {
	o     benchSMSOptions
	log   io.Writer
	base  time.Time
	sim   *smsc.SMSC
	rec   *submitRecorder
	child *iwfChild
	lg    *loadGen
	res   benchSMSResult
}

// runBenchSMS runs one benchmark; progress goes to log.
func runBenchSMS(ctx context.Context, o benchSMSOptions, log io.Writer) (*benchSMSResult, error) {
	if err := o.validate(); err != nil {
		return nil, err
	}
	if ctx == nil {
		ctx = context.Background()
	}
	r := &benchRun{o: o, log: log, base: time.Now()}
	r.res.Options = o
	dir, cleanup, err := r.workDir()
	if err != nil {
		return nil, err
	}
	defer cleanup()
	if err := r.startSMSC(ctx); err != nil {
		return nil, err
	}
	defer r.sim.Close()
	if err := r.startChild(ctx, dir); err != nil {
		return nil, err
	}
	defer func() {
		if r.child != nil {
			_, _ = r.child.stop(5 * time.Second)
		}
	}()
	var watchers *consoleClients
	if o.ConsoleClients > 0 {
		if watchers, err = startConsoleClients(ctx, r.child.console, o.ConsoleClients); err != nil {
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
	ru, err := r.child.stop(60 * time.Second)
	r.child = nil
	r.res.setRusage(ru)
	return &r.res, err
}

func (r *benchRun) workDir() (string, func(), error) {
	if r.o.DataDir != "" {
		if err := os.MkdirAll(r.o.DataDir, 0o750); err != nil {
			return "", nil, fmt.Errorf("bench: %w", err)
		}
		return r.o.DataDir, func() {}, nil
	}
	dir, err := os.MkdirTemp("", "iwf-bench-")
	if err != nil {
		return "", nil, fmt.Errorf("bench: %w", err)
	}
	return dir, func() { os.RemoveAll(dir) }, nil
}

func (r *benchRun) startSMSC(ctx context.Context) error {
	r.rec = newSubmitRecorder(r.o.Count, r.base)
	r.sim = smsc.New(smsc.Config{SystemID: "bench", Password: "bench", OnSubmit: r.rec.onSubmit}, nil)
	r.sim.DropAfter(r.o.DropEvery)
	r.sim.Throttle(r.o.Throttle)
	r.sim.RefuseBinds(r.o.Backlog)
	return r.sim.Start(context.WithoutCancel(ctx))
}

// startChild writes iwf's configuration and starts it, waiting until it is
// ready (every bind up, unless the SMSC refuses them).
func (r *benchRun) startChild(ctx context.Context, dir string) error {
	sipPort, err1 := freePort("udp")
	consolePort, err2 := freePort("tcp")
	if err := errors.Join(err1, err2); err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	yaml := benchConfigYAML(r.o, dir, sipPort, consolePort, r.sim.Addr())
	if _, err := config.Parse(yaml, func(string) (string, bool) { return "", false }); err != nil {
		return fmt.Errorf("bench: the generated configuration is invalid: %w", err)
	}
	bin := r.o.Binary
	if bin == "" {
		if bin, err1 = os.Executable(); err1 != nil {
			return fmt.Errorf("bench: %w", err1)
		}
	}
	var env []string
	if r.o.CPUProfile != "" {
		p, _ := filepath.Abs(r.o.CPUProfile)
		env = append(env, "IWF_CPUPROFILE="+p)
	}
	args := []string{"serve"}
	if r.o.HeapProfile != "" {
		p, _ := filepath.Abs(r.o.HeapProfile)
		args = []string{"bench", "sms", "serve-profiled", "--heapprofile", p}
	}
	if r.child, err1 = startIWFChild(bin, dir, yaml, fmt.Sprintf("127.0.0.1:%d", consolePort), args, env); err1 != nil {
		return err1
	}
	r.res.sipAddr = &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: sipPort}
	rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if r.o.Backlog {
		return r.child.waitReady(rctx, "/healthz")
	}
	if err := r.child.waitReady(rctx, "/readyz"); err != nil {
		return err
	}
	return r.waitBinds(rctx)
}

func (r *benchRun) waitBinds(ctx context.Context) error {
	for {
		if _, tx := r.sim.Bound(); tx >= r.o.Binds {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("bench: iwf did not bind %d times: %w", r.o.Binds, ctx.Err())
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// benchConfigYAML is iwf's configuration for the run.
func benchConfigYAML(o benchSMSOptions, dir string, sipPort, consolePort int, smscAddr string) []byte {
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
journal:
  backend: local
  local:
    no_sync: %t
console:
  listen: "127.0.0.1:%d"
  token: %q
`, dir, sipPort, smscAddr, o.Binds, o.Window, extra, o.NoSync, consolePort, benchConsoleToken)
}

// load drives the messages, samples iwf while they flow, and waits for the
// SMSC to see every accepted one.
func (r *benchRun) load(ctx context.Context) error {
	pid := r.child.cmd.Process.Pid
	u0, s0, _ := procCPU(pid)
	w0, _ := procWriteBytes(pid)
	r.lg = newLoadGen(loadGenConfig{
		Target: r.res.sipAddr, Count: r.o.Count, Rate: r.o.Rate, Outstanding: r.o.Outstanding,
		Sockets: r.o.Sockets, T1: 500 * time.Millisecond, T2: 4 * time.Second, Timeout: r.o.Timeout,
		RunID: rand.Text()[:10],
	})
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); r.sample(stop, pid) }()
	loadStart := time.Now()
	err := r.lg.Run(ctx)
	r.res.Load = r.lg.stats()
	if err == nil && r.o.HeapProfile != "" {
		err = r.child.takeHeapProfile(r.o.HeapProfile)
	}
	if err == nil {
		err = r.awaitSMSC(ctx)
	}
	close(stop)
	wg.Wait()
	u1, s1, _ := procCPU(pid)
	r.res.LoadCPU = u1 - u0 + s1 - s0
	w1, _ := procWriteBytes(pid)
	r.res.Written = w1 - w0
	_, r.res.PeakRSS, r.res.Anon, _ = procMem(pid)
	r.res.Wall = time.Since(loadStart)
	r.res.Check = r.rec.check(r.lg, r.res.Load.Sent)
	r.res.collectSMSC(r.sim, r.rec, r.o.Binds)
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
			w.sample(r.sim, r.o.Binds, now)
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
