package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/iwf-gateway/iwf/config"
)

// iwfChild is iwf running as a child process of the benchmark, so that its
// CPU and memory are measured apart from the load generator's.
type iwfChild struct {
	cmd     *exec.Cmd
	console string // host:port
	logPath string
	exited  chan struct{}
	waitErr error
}

// startIWFChild runs `<binary> <args> --config <dir>/iwf.yaml` (args is
// "serve" or the profiling variant) with its output in <dir>/iwf.log.
func startIWFChild(binary, dir string, yaml []byte, console string, args, env []string) (*iwfChild, error) {
	cfgPath := filepath.Join(dir, "iwf.yaml")
	if err := os.WriteFile(cfgPath, yaml, 0o600); err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	c := &iwfChild{console: console, logPath: filepath.Join(dir, "iwf.log"), exited: make(chan struct{})}
	logf, err := os.Create(c.logPath)
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	c.cmd = exec.Command(binary, append(args, "--config", cfgPath)...)
	c.cmd.Stdout, c.cmd.Stderr = logf, logf
	c.cmd.Env = append(os.Environ(), env...)
	if err := c.cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("bench: starting iwf: %w", err)
	}
	go func() {
		c.waitErr = c.cmd.Wait()
		logf.Close()
		close(c.exited)
	}()
	return c, nil
}

// waitReady polls the console path (/readyz or /healthz) until it answers
// 200, the child exits, or ctx ends.
func (c *iwfChild) waitReady(ctx context.Context, path string) error {
	client := &http.Client{Timeout: time.Second}
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+c.console+path, nil)
		if resp, err := client.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-c.exited:
			return fmt.Errorf("bench: iwf exited before it was ready (%v); its log:\n%s", c.waitErr, c.logTail())
		case <-ctx.Done():
			return fmt.Errorf("bench: iwf not ready: %w; its log:\n%s", ctx.Err(), c.logTail())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func (c *iwfChild) logTail() string {
	b, _ := os.ReadFile(c.logPath)
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// stop sends SIGTERM, waits up to grace for the drain, then kills, and
// returns the child's resource usage.
func (c *iwfChild) stop(grace time.Duration) (*syscall.Rusage, error) {
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.exited:
	case <-time.After(grace):
		_ = c.cmd.Process.Kill()
		<-c.exited
	}
	ru, _ := c.cmd.ProcessState.SysUsage().(*syscall.Rusage)
	var exitErr *exec.ExitError
	if c.waitErr != nil && !errors.As(c.waitErr, &exitErr) {
		return ru, c.waitErr
	}
	if !c.cmd.ProcessState.Success() {
		return ru, fmt.Errorf("bench: iwf %v; its log:\n%s", c.cmd.ProcessState, c.logTail())
	}
	return ru, nil
}

// procCPU is the user and system CPU a process has used so far, from
// /proc/<pid>/stat (clock ticks of 10 ms, the Linux USER_HZ).
func procCPU(pid int) (user, sys time.Duration, err error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, 0, err
	}
	// Fields after the parenthesised command name; utime and stime are
	// fields 14 and 15 of the whole line.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, 0, errors.New("bench: unreadable /proc stat")
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0, 0, errors.New("bench: short /proc stat")
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, 0, err
	}
	const tick = 10 * time.Millisecond
	return time.Duration(ut) * tick, time.Duration(st) * tick, nil
}

// procMem is a process's resident set size now, at its peak, and the
// anonymous part of it now (VmRSS, VmHWM and RssAnon of /proc/<pid>/status:
// the rest is file pages, the journal's memory map), in bytes.
func procMem(pid int) (rss, peak, anon int64, err error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, 0, err
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		switch k {
		case "VmRSS":
			rss = kb << 10
		case "VmHWM":
			peak = kb << 10
		case "RssAnon":
			anon = kb << 10
		}
	}
	return rss, peak, anon, nil
}

// freePort finds a free loopback port for network "udp" or "tcp", for a
// server the child binds later. It prefers ports below Linux's default
// ephemeral range (32768-60999), which the bench's own outgoing
// connections (to brokers, the SMSC, the child) cannot take in between;
// failing that, the kernel picks one (bind to port 0 and close).
func freePort(network string) (int, error) {
	for range 100 {
		if port, err := bindPort(network, 20000+mrand.IntN(12000)); err == nil {
			return port, nil
		}
	}
	return bindPort(network, 0)
}

// bindPort binds 127.0.0.1:port for network "udp", else "tcp", closes
// it again and returns the port it had: port, or the kernel's pick for 0.
func bindPort(network string, port int) (int, error) {
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	if network == "udp" {
		c, err := net.ListenPacket("udp", addr)
		if err != nil {
			return 0, err
		}
		defer c.Close()
		return c.LocalAddr().(*net.UDPAddr).Port, nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// procWriteBytes is what a process has caused to be written to storage
// (write_bytes of /proc/<pid>/io).
func procWriteBytes(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/io", pid))
	if err != nil {
		return 0, err
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "write_bytes:"); ok {
			return strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		}
	}
	return 0, errors.New("bench: no write_bytes in /proc io")
}

// benchWorkDir is the directory iwf keeps its configuration, log and
// journal in: dataDir, or a temporary directory that cleanup removes.
func benchWorkDir(dataDir string) (dir string, cleanup func(), err error) {
	if dataDir != "" {
		if err := os.MkdirAll(dataDir, 0o750); err != nil {
			return "", nil, fmt.Errorf("bench: %w", err)
		}
		return dataDir, func() {}, nil
	}
	if dir, err = os.MkdirTemp("", "iwf-bench-"); err != nil {
		return "", nil, fmt.Errorf("bench: %w", err)
	}
	return dir, func() { os.RemoveAll(dir) }, nil
}

// childLaunch says how a benchmark runs iwf.
type childLaunch struct {
	Binary      string // the iwf to run; default this executable
	Dir         string // where its configuration, log and journal go
	YAML        []byte // its configuration
	ConsolePort int
	CPUProfile  string // passed to the child as IWF_CPUPROFILE
	HeapProfile string // where the child writes a heap profile on SIGUSR1
}

// launchIWF checks the configuration and starts iwf with it; it does not
// wait until iwf is ready.
func launchIWF(l childLaunch) (*iwfChild, error) {
	if _, err := config.Parse(l.YAML, func(string) (string, bool) { return "", false }); err != nil {
		return nil, fmt.Errorf("bench: the generated configuration is invalid: %w", err)
	}
	bin := l.Binary
	if bin == "" {
		var err error
		if bin, err = os.Executable(); err != nil {
			return nil, fmt.Errorf("bench: %w", err)
		}
	}
	var env []string
	if l.CPUProfile != "" {
		p, _ := filepath.Abs(l.CPUProfile)
		env = append(env, "IWF_CPUPROFILE="+p)
	}
	args := []string{"serve"}
	if l.HeapProfile != "" {
		p, _ := filepath.Abs(l.HeapProfile)
		args = []string{"bench", "sms", "serve-profiled", "--heapprofile", p}
	}
	return startIWFChild(bin, l.Dir, l.YAML, fmt.Sprintf("127.0.0.1:%d", l.ConsolePort), args, env)
}

// launchReady launches iwf as l says and waits, at most 30 s, until its
// /readyz answers; an iwf that does not get ready is stopped.
func launchReady(ctx context.Context, l childLaunch) (*iwfChild, error) {
	child, err := launchIWF(l)
	if err != nil {
		return nil, err
	}
	rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := child.waitReady(rctx, "/readyz"); err != nil {
		_, _ = child.stop(5 * time.Second)
		return nil, err
	}
	return child, nil
}

// usageMark is iwf's CPU and storage writes when a load starts.
type usageMark struct {
	at      time.Time
	cpu     time.Duration
	written int64
}

func markUsage(pid int) usageMark {
	u, s, _ := procCPU(pid)
	w, _ := procWriteBytes(pid)
	return usageMark{at: time.Now(), cpu: u + s, written: w}
}

// measure sets what iwf used since m, and its memory now.
func (u *iwfUsage) measure(pid int, m usageMark) {
	user, sys, _ := procCPU(pid)
	u.LoadCPU = user + sys - m.cpu
	w, _ := procWriteBytes(pid)
	u.Written = w - m.written
	_, u.PeakRSS, u.Anon, _ = procMem(pid)
	u.Wall = time.Since(m.at)
}

// peerBenchOptions are the flags `iwf bench mms` and `iwf bench imps`
// share.
type peerBenchOptions struct {
	Count        int
	Rate         float64
	Outstanding  int
	Sockets      int // UDP sockets or TCP connections of the load
	Workers      int // iwf's transactions in flight toward the peer; 0: iwf's default
	NoSync       bool
	DataDir      string
	Binary       string // the iwf to run; default this executable
	CPUProfile   string
	HeapProfile  string
	DrainTimeout time.Duration
	Timeout      time.Duration // per request, Timer F
}

// newPeerBenchCmd is `iwf bench <use>` toward a fake peer: cmd's shared
// flags take the command's defaults; run does the work with the options
// the flags set, then the report is printed.
func newPeerBenchCmd(cmd *cobra.Command, o *peerBenchOptions, peer string, count int,
	run func(ctx context.Context, log io.Writer) (*peerBenchResult, error)) *cobra.Command {
	cmd.Args = cobra.NoArgs
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGINT, syscall.SIGTERM)
		defer stop()
		res, err := run(ctx, cmd.ErrOrStderr())
		if err != nil {
			return err
		}
		return res.print(cmd.OutOrStdout())
	}
	f := cmd.Flags()
	f.IntVar(&o.Count, "count", count, "messages to send")
	f.Float64Var(&o.Rate, "rate", 0, "messages per second; 0 sends as fast as --outstanding allows")
	f.IntVar(&o.Outstanding, "outstanding", 64, "requests without a final response at once")
	f.IntVar(&o.Sockets, "sockets", 4, "UDP sockets or TCP connections the load is spread over")
	f.IntVar(&o.Workers, "workers", 0, "iwf's transactions in flight toward the "+peer+" (0: iwf's default)")
	f.BoolVar(&o.NoSync, "nosync", false, "journal without fsync (breaks durability; for comparison only)")
	f.StringVar(&o.DataDir, "data-dir", "", "where iwf keeps its journal (default a temporary directory, removed after)")
	f.StringVar(&o.CPUProfile, "cpuprofile", "", "write a CPU profile of iwf's whole run to this file")
	f.StringVar(&o.HeapProfile, "heapprofile", "", "write a heap profile of iwf, taken when the last MESSAGE is answered, to this file")
	f.DurationVar(&o.DrainTimeout, "drain-timeout", 60*time.Second, "give up waiting for the "+peer+" after this long without a new arrival")
	f.DurationVar(&o.Timeout, "request-timeout", 32*time.Second, "give a MESSAGE up after this long without a final response")
	return cmd
}

// validateLoad checks the load flags every bench shares.
func validateLoad(count int, rate float64, outstanding, sockets int) error {
	switch {
	case count < 1 || count > 50_000_000:
		return errors.New("bench: --count must be 1..50000000")
	case rate < 0:
		return errors.New("bench: --rate must not be negative")
	case outstanding < 1 || sockets < 1 || sockets > 64:
		return errors.New("bench: --outstanding must be positive and --sockets 1..64")
	}
	return nil
}

func (o *peerBenchOptions) validate() error {
	if err := validateLoad(o.Count, o.Rate, o.Outstanding, o.Sockets); err != nil {
		return err
	}
	switch {
	case o.Workers < 0 || o.Workers > 1024:
		return errors.New("bench: --workers must be 0..1024")
	case o.Timeout <= 0 || o.DrainTimeout <= 0:
		return errors.New("bench: --request-timeout and --drain-timeout must be positive")
	}
	return nil
}

// benchPeer is the fake legacy peer, run in the bench process, that a
// benchmark drives iwf toward.
type benchPeer interface {
	// start starts the peer, which notes each bench message it receives
	// in rec; runID makes what the messages carry unique to the run.
	start(rec *arrivalRecorder, runID string) (peerSpec, error)
	// findings are the peer's own report lines once the load is over.
	findings() []string
	close()
}

// peerSpec is how iwf and the load generator are set up for a peer.
type peerSpec struct {
	Name, Where  string // as Peer and Where of peerBenchResult
	Unit         string
	Transport    string // of the SIP load: "udp" or "tcp"
	Message      loadMessage
	MaxBodyBytes int    // iwf's sip.max_body_bytes; 0: its default
	Sections     string // iwf's YAML for the peer and the address map
}

// workersYAML is the workers line of a peer's section, empty for iwf's
// default.
func workersYAML(n int) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprintf("  workers: %d\n", n)
}

// runPeerBench runs one benchmark toward peer; progress goes to log.
func runPeerBench(ctx context.Context, o peerBenchOptions, peer benchPeer, log io.Writer) (*peerBenchResult, error) {
	if err := o.validate(); err != nil {
		return nil, err
	}
	dir, cleanup, err := benchWorkDir(o.DataDir)
	if err != nil {
		return nil, err
	}
	defer cleanup()
	runID := rand.Text()[:10]
	rec := newArrivalRecorder(o.Count)
	spec, err := peer.start(rec, runID)
	if err != nil {
		return nil, err
	}
	defer peer.close()
	child, sipAddr, err := startPeerChild(ctx, o, spec, dir)
	if err != nil {
		return nil, err
	}
	defer func() {
		if child != nil {
			_, _ = child.stop(5 * time.Second)
		}
	}()
	res := &peerBenchResult{Peer: spec.Name, Where: spec.Where, Unit: spec.Unit}
	lg := newLoadGen(loadGenConfig{
		Target: sipAddr, Transport: spec.Transport, Count: o.Count, Rate: o.Rate, Outstanding: o.Outstanding,
		Sockets: o.Sockets, T1: 500 * time.Millisecond, T2: 4 * time.Second, Timeout: o.Timeout,
		RunID: runID, Message: spec.Message,
	})
	err = runPeerLoad(ctx, o, child, lg, rec, res)
	if err == nil && !res.AllArrived {
		fmt.Fprintf(log, "bench: %s saw no new message for %v; %d of %d accepted seen\n",
			spec.Where, o.DrainTimeout, res.Check.Unique-res.Check.Unexpected, res.Load.Accepted)
	}
	res.PeerFindings = peer.findings()
	ru, stopErr := child.stop(60 * time.Second)
	child = nil
	res.setRusage(ru)
	return res, errors.Join(err, stopErr)
}

// startPeerChild writes iwf's configuration for the peer, starts it and
// waits until it is ready.
func startPeerChild(ctx context.Context, o peerBenchOptions, spec peerSpec, dir string) (*iwfChild, *net.UDPAddr, error) {
	sipPort, err1 := freePort(spec.Transport)
	consolePort, err2 := freePort("tcp")
	if err := errors.Join(err1, err2); err != nil {
		return nil, nil, fmt.Errorf("bench: %w", err)
	}
	yaml := fmt.Appendf(nil, `data_dir: %q
log_level: warn
sip:
  listen: ["%s:127.0.0.1:%d"]
  domain: iwf.example.net
  trusted_peers: ["127.0.0.0/8"]
  max_body_bytes: %d
%sconsole:
  listen: "127.0.0.1:%d"
%s`, dir, spec.Transport, sipPort, spec.MaxBodyBytes, localJournalYAML(o.NoSync), consolePort, spec.Sections)
	child, err := launchReady(ctx, childLaunch{Binary: o.Binary, Dir: dir, YAML: yaml, ConsolePort: consolePort,
		CPUProfile: o.CPUProfile, HeapProfile: o.HeapProfile})
	if err != nil {
		return nil, nil, err
	}
	return child, &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: sipPort}, nil
}

// runPeerLoad drives the messages, waits for the peer to see every
// accepted one, and measures iwf over that time.
func runPeerLoad(ctx context.Context, o peerBenchOptions, child *iwfChild, lg *loadGen, rec *arrivalRecorder, res *peerBenchResult) error {
	pid := child.cmd.Process.Pid
	mark, self := markUsage(pid), selfCPU()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() { res.PeakAnon = peakAnon(pid, stop) })
	err := lg.Run(ctx)
	res.Load = lg.stats()
	if err == nil && o.HeapProfile != "" {
		err = child.takeHeapProfile(o.HeapProfile)
	}
	if err == nil {
		res.AllArrived, err = rec.await(ctx, int64(res.Load.Accepted), o.DrainTimeout)
	}
	close(stop)
	wg.Wait()
	res.measure(pid, mark)
	res.BenchCPU = selfCPU() - self
	res.Check = rec.check(func(n int) bool { return n < res.Load.Sent && lg.final[n].Load() == 202 })
	res.E2EP50, res.E2EP99, res.E2EMax = rec.endToEnd(lg)
	res.Arrivals = int(rec.total.Load())
	res.ArrivalSpan = time.Duration(rec.last.Load() - rec.first.Load())
	return err
}

// peakAnon samples a process's anonymous memory (heap and stacks, not
// file pages such as the journal's memory map) every 20 ms until stop is
// closed, and returns the largest.
func peakAnon(pid int, stop <-chan struct{}) int64 {
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	var peak int64
	for {
		if _, _, anon, err := procMem(pid); err == nil {
			peak = max(peak, anon)
		}
		select {
		case <-stop:
			return peak
		case <-tick.C:
		}
	}
}

// selfCPU is the CPU (user+sys) the bench process itself has used: the
// load generator and the fake peer, which share the machine with iwf.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
