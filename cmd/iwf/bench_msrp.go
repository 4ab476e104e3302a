package main

import (
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/iwf-gateway/iwf/adapters/mms/mm7"
	"github.com/iwf-gateway/iwf/adapters/mms/mm7test"
	"github.com/iwf-gateway/iwf/adapters/sip"
	"github.com/iwf-gateway/iwf/adapters/sip/mediasession"
	"github.com/iwf-gateway/iwf/adapters/sip/sdp"
	"github.com/iwf-gateway/iwf/sim/smsc"
)

// Targets of `iwf bench msrp`, printed next to what was measured.
const (
	msrpTargetMBps        = 200      // MB/s of MSRP payload on loopback
	msrpTargetIdleSession = 50 << 10 // bytes of iwf memory per idle chat session
)

// Defaults and bounds of `iwf bench msrp`. A file is 1,000,000 bytes by
// default: the journal bounds an entry at 1 MiB (journal.MaxDataSize), and
// the message around the file needs some of it.
const (
	defaultMSRPFile = 1_000_000
	maxIdleSessions = 100_000 // the SMS users are tel:+4477009 and five digits
	maxBenchClients = 1000
	// idleSettle is the pause before each memory sample of the idle
	// sessions, so that the allocations of what just finished (start-up,
	// the opening of the sessions) are over when the sample is taken.
	idleSettle = time.Second
)

// The parties of `iwf bench msrp`: the file transfers go from one CPM user
// to one MMS user (appendMMSBenchURI); idle chat n goes from CPM user n to
// SMS user n.
const (
	msrpFileSender   = "sip:+447700900999@bench.example.net;user=phone"
	idleChatFrom     = "sip:+447900%06d@bench.example.net;user=phone"
	idleChatTo       = "tel:+4477009%05d"
	idleChatSMSRoute = `    - {match: "+4477009", network: sms, route: bench}` + "\n"
)

// benchMSRPOptions are the flags of `iwf bench msrp`.
type benchMSRPOptions struct {
	Files          int      // file transfer sessions; 0 skips them
	Size           byteSize // of each file
	ChunkSize      int      // body bytes per MSRP SEND the CPM clients send
	Concurrency    int      // sessions being opened or transferring at once
	IdleSessions   int      // chat sessions held open idle; 0 skips them
	Clients        int      // CPM client endpoints the sessions are spread over
	NoSync         bool
	DataDir        string
	Binary         string // the iwf to run; default this executable
	CPUProfile     string // of iwf during the file transfers
	HeapProfile    string // of iwf with every idle session open
	DrainTimeout   time.Duration
	SessionTimeout time.Duration
}

func newBenchMSRPCmd() *cobra.Command {
	o := benchMSRPOptions{Size: defaultMSRPFile}
	cmd := &cobra.Command{
		Use:   "msrp",
		Short: "Send files from CPM through iwf over MSRP into an MM7 relay, hold idle chat sessions, and report rates, latency and memory",
		Long: "Runs iwf (this binary, `serve`) as a child process with the local journal, and in this process\n" +
			"an MM7 relay, an SMSC simulator and the CPM clients (SIP over TCP, MSRP), all on loopback.\n" +
			"First --files file transfers (INVITE, the file over MSRP with a success report asked, BYE) to\n" +
			"an MMS user: payload MB/s (1 MB = 1,000,000 bytes), sessions/s, latency per session, and iwf's\n" +
			"CPU per MB and peak RSS; the relay checks each file that arrives as MMS byte for byte, so lost,\n" +
			"repeated and damaged files are counted exactly. Then, in a fresh iwf, --idle-sessions chat\n" +
			"sessions from as many CPM users to SMS users, held open: iwf's memory before and after, per\n" +
			"session; then every session is closed with BYE and checked to have ended on both sides.",
		Example: "  iwf bench msrp                                   # 200 files of 1,000,000 bytes, 1,000 idle chats\n" +
			"  iwf bench msrp --idle-sessions 0 --chunk-size 65536\n" +
			"  iwf bench msrp --files 0 --idle-sessions 10000 --clients 100",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			// sipgo logs some transport events of the CPM clients (a
			// connection's reference count at close) to the default
			// logger, not theirs: only errors belong in the report.
			slog.SetDefault(slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), &slog.HandlerOptions{Level: slog.LevelError})))
			res, err := runBenchMSRP(ctx, o, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			return res.print(cmd.OutOrStdout())
		},
	}
	f := cmd.Flags()
	f.IntVar(&o.Files, "files", 200, "file transfer sessions to an MMS user (0 skips them)")
	f.Var(&o.Size, "size", "bytes of each file (default 1,000,000; K and M are binary: 1MB is 1,048,576, more than iwf journals)")
	f.IntVar(&o.ChunkSize, "chunk-size", 2048, "body bytes per MSRP SEND the CPM clients send (2048: RFC 4975 7.1.1, what iwf sends)")
	f.IntVar(&o.Concurrency, "concurrency", 8, "sessions being opened or transferring at once")
	f.IntVar(&o.IdleSessions, "idle-sessions", 1000, "chat sessions to SMS users held open idle (0 skips them)")
	f.IntVar(&o.Clients, "clients", 8, "CPM client endpoints, each with its own SIP and MSRP connection to iwf, the sessions are spread over")
	f.BoolVar(&o.NoSync, "nosync", false, "journal without fsync (breaks durability; for comparison only)")
	f.StringVar(&o.DataDir, "data-dir", "", "where iwf keeps its journal (default a temporary directory, removed after)")
	f.StringVar(&o.Binary, "binary", "", "the iwf binary to run (default this executable)")
	f.StringVar(&o.CPUProfile, "cpuprofile", "", "write a CPU profile of iwf during the file transfers to this file")
	f.StringVar(&o.HeapProfile, "heapprofile", "", "write a heap profile of iwf, taken with every idle session open, to this file")
	f.DurationVar(&o.DrainTimeout, "drain-timeout", 60*time.Second, "give up waiting for the relay after this long without a new file")
	f.DurationVar(&o.SessionTimeout, "session-timeout", 2*time.Minute, "give one session (or its BYE) up after this long")
	return cmd
}

func (o *benchMSRPOptions) validate() error {
	switch {
	case o.Files < 0 || o.Files > 1_000_000 || o.IdleSessions < 0 || o.IdleSessions > maxIdleSessions:
		return fmt.Errorf("bench: --files must be 0..1000000 and --idle-sessions 0..%d", maxIdleSessions)
	case o.Files == 0 && o.IdleSessions == 0:
		return errors.New("bench: nothing to do with --files 0 and --idle-sessions 0")
	case o.Size < 1 || o.Size > maxSendSessionFile:
		return fmt.Errorf("bench: --size must be 1..%d bytes", maxSendSessionFile)
	case o.ChunkSize < 1 || o.ChunkSize > 1<<20:
		return errors.New("bench: --chunk-size must be 1..1048576")
	case o.Concurrency < 1 || o.Concurrency > 1024:
		return errors.New("bench: --concurrency must be 1..1024")
	case o.Clients < 1 || o.Clients > maxBenchClients:
		return fmt.Errorf("bench: --clients must be 1..%d", maxBenchClients)
	case o.DrainTimeout <= 0 || o.SessionTimeout <= 0:
		return errors.New("bench: --drain-timeout and --session-timeout must be positive")
	}
	return nil
}

// msrpBench is the state of one run of `iwf bench msrp`; runBenchMSRP
// owns it. The relay and the SMSC serve both phases; each phase has its
// own iwf.
type msrpBench struct {
	o     benchMSRPOptions
	log   io.Writer
	dir   string
	runID string
	file  []byte // every file sent, byte for byte
	relay *mm7test.Relay
	smsc  *smsc.SMSC
	vasp  int // the port iwf takes MM7 deliveries on
	rec   *arrivalRecorder

	damaged atomic.Int64 // bench files that arrived with other bytes
	others  atomic.Int64 // submits that carried no bench file
}

// benchMSRPResult is everything one run of `iwf bench msrp` measured.
type benchMSRPResult struct {
	Options benchMSRPOptions
	Files   *fileTransferResult // nil with --files 0
	Idle    *idleSessionResult  // nil with --idle-sessions 0
}

// runBenchMSRP runs one `iwf bench msrp`; progress goes to log.
func runBenchMSRP(ctx context.Context, o benchMSRPOptions, log io.Writer) (*benchMSRPResult, error) {
	if err := o.validate(); err != nil {
		return nil, err
	}
	dir, cleanup, err := benchWorkDir(o.DataDir)
	if err != nil {
		return nil, err
	}
	defer cleanup()
	b := &msrpBench{o: o, log: log, dir: dir, runID: rand.Text()[:10], rec: newArrivalRecorder(o.Files)}
	b.file = benchJPEG(int(o.Size))
	defer b.closePeers()
	if err := b.startPeers(ctx); err != nil {
		return nil, err
	}
	res := &benchMSRPResult{Options: o}
	if o.Files > 0 {
		res.Files = &fileTransferResult{Sessions: o.Files, Size: int(o.Size), ChunkSize: o.ChunkSize,
			Concurrency: o.Concurrency, Clients: o.Clients}
		ru, err := b.runPhase(ctx, "files", o.CPUProfile, "", func(child *iwfChild, clients []*sip.Endpoint) error {
			return b.measureFiles(ctx, child, clients, res.Files)
		})
		if res.Files.setRusage(ru); err != nil {
			return nil, err
		}
	}
	if o.IdleSessions > 0 {
		// A fresh iwf, so that the memory the file transfers left
		// behind does not hide what the sessions take.
		res.Idle = &idleSessionResult{Sessions: o.IdleSessions, Clients: o.Clients}
		ru, err := b.runPhase(ctx, "idle", "", o.HeapProfile, func(child *iwfChild, clients []*sip.Endpoint) error {
			return b.holdIdle(ctx, child, clients, res.Idle)
		})
		if res.Idle.setRusage(ru); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// runPhase starts an iwf for one phase, in its own directory under the
// work directory, and the CPM clients; runs the phase; and stops both. ru
// is iwf's resource usage.
func (b *msrpBench) runPhase(ctx context.Context, phase, cpuProfile, heapProfile string,
	run func(child *iwfChild, clients []*sip.Endpoint) error) (*syscall.Rusage, error) {
	child, sipPort, err := b.startChild(ctx, phase, cpuProfile, heapProfile)
	if err != nil {
		return nil, err
	}
	clients, err := b.startClients(ctx, sipPort)
	if err == nil {
		err = run(child, clients)
		closeClients(clients)
	}
	ru, stopErr := child.stop(60 * time.Second)
	return ru, errors.Join(err, stopErr)
}

// startPeers starts the relay the files go to as MMS and the SMSC that
// serves the SMS users of the chats.
func (b *msrpBench) startPeers(ctx context.Context) error {
	relay, err := mm7test.NewRelay(mm7test.Config{Username: "bench", Password: "bench", DiscardBodies: true,
		OnSubmit: b.onSubmit})
	if err != nil {
		return err
	}
	b.relay = relay
	if b.vasp, err = freePort("tcp"); err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	b.smsc = smsc.New(smsc.Config{SystemID: "bench", Password: "bench"}, nil)
	return b.smsc.Start(context.WithoutCancel(ctx))
}

func (b *msrpBench) closePeers() {
	if b.smsc != nil {
		b.smsc.Close()
	}
	if b.relay != nil {
		b.relay.Close()
	}
}

// fileName is the name file n is offered under (a=file-selector); iwf
// makes it the Content-Location of the MMS part, which tells the relay
// which file arrived.
func (b *msrpBench) fileName(n int) string {
	return "bench-" + b.runID + "-" + strconv.Itoa(n) + ".jpg"
}

// onSubmit is the relay's OnSubmit hook: the part's Content-Location says
// which file it is, and its bytes must be the ones sent.
func (b *msrpBench) onSubmit(s mm7test.Submit) {
	if s.MessageID == "" {
		return
	}
	n, part, ok := benchFilePart(s.Message.Attachments, "bench-"+b.runID+"-")
	if !ok {
		b.others.Add(1)
		return
	}
	b.rec.note(string(appendBenchText(nil, n)))
	if !bytes.Equal(part.Body, b.file) {
		b.damaged.Add(1)
	}
}

// benchFilePart finds the leaf of parts whose Content-Location is
// prefix, a number and ".jpg", and returns the number.
func benchFilePart(parts []mm7.Part, prefix string) (int, *mm7.Part, bool) {
	for i := range parts {
		p := &parts[i]
		if len(p.Parts) > 0 {
			if n, leaf, ok := benchFilePart(p.Parts, prefix); ok {
				return n, leaf, true
			}
			continue
		}
		digits, ok := strings.CutPrefix(p.ContentLocation, prefix)
		if digits, ok = strings.CutSuffix(digits, ".jpg"); !ok {
			continue
		}
		if n, err := strconv.Atoi(digits); err == nil && n >= 0 {
			return n, p, true
		}
	}
	return 0, nil, false
}

// configYAML is iwf's configuration for one phase: sessions on, the MM7
// relay for the MMS user (the section `iwf bench mms` uses) and the SMSC
// for the SMS users.
func (b *msrpBench) configYAML(dir string, sipPort, consolePort int) []byte {
	mms := (&mmsBenchPeer{size: int(b.o.Size)}).sections(b.relay.URL(), b.vasp)
	return fmt.Appendf(nil, `data_dir: %q
log_level: warn
sip:
  listen: ["tcp:127.0.0.1:%d"]
  domain: iwf.example.net
  trusted_peers: ["127.0.0.0/8"]
  sessions: true
  msrp_listen: "127.0.0.1:0"
  msrp_max_sessions: %d
  msrp_idle_timeout: 1h
%sconsole:
  listen: "127.0.0.1:%d"
  token: %q
smpp:
  - name: bench
    address: %q
    system_id: bench
    password: bench
%s%s`, dir, sipPort, max(b.o.IdleSessions, b.o.Concurrency)+64, localJournalYAML(b.o.NoSync), consolePort, benchConsoleToken,
		b.smsc.Addr(), mms, idleChatSMSRoute)
}

// startChild starts an iwf for one phase in the directory of that name
// and waits until it is ready.
func (b *msrpBench) startChild(ctx context.Context, phase, cpuProfile, heapProfile string) (*iwfChild, int, error) {
	dir := filepath.Join(b.dir, phase)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, 0, fmt.Errorf("bench: %w", err)
	}
	sipPort, err1 := freePort("tcp")
	consolePort, err2 := freePort("tcp")
	if err := errors.Join(err1, err2); err != nil {
		return nil, 0, fmt.Errorf("bench: %w", err)
	}
	child, err := launchReady(ctx, childLaunch{Binary: b.o.Binary, Dir: dir, YAML: b.configYAML(dir, sipPort, consolePort),
		ConsolePort: consolePort, CPUProfile: cpuProfile, HeapProfile: heapProfile})
	if err != nil {
		return nil, 0, err
	}
	return child, sipPort, nil
}

// startClients starts the CPM client endpoints: each opens its sessions
// over its own SIP TCP connection to iwf and, as the active MSRP party,
// its own MSRP connection.
func (b *msrpBench) startClients(ctx context.Context, sipPort int) ([]*sip.Endpoint, error) {
	eps := make([]*sip.Endpoint, 0, b.o.Clients)
	for range b.o.Clients {
		ep, err := sip.New(sip.Config{Listen: []string{"tcp:127.0.0.1:0"}, Domain: "bench.example.net",
			OutboundProxy: fmt.Sprintf("sip:127.0.0.1:%d;transport=tcp", sipPort), TransactionTimeout: b.o.SessionTimeout,
			MSRPListen: "127.0.0.1:0", MSRPMaxSessions: b.o.IdleSessions + b.o.Concurrency + 1, MSRPChunkSize: b.o.ChunkSize,
			MSRPIdleTimeout: time.Hour}, slog.New(slog.DiscardHandler), func(context.Context, *sip.Request) error {
			return &sip.StatusError{Code: 405, Reason: "Method Not Allowed"}
		})
		if err == nil {
			if err = ep.EnableSessions(nil); err == nil {
				err = ep.Start(ctx)
			}
		}
		if err != nil {
			closeClients(eps)
			return nil, fmt.Errorf("bench: CPM client: %w", err)
		}
		eps = append(eps, ep)
	}
	return eps, nil
}

func closeClients(eps []*sip.Endpoint) {
	for _, ep := range eps {
		_ = ep.Close()
	}
}

// answerText is what iwf answered to a session that failed, as the report
// shows it: the SIP status of a refused INVITE, the MSRP status of a
// refused file without its message id (so that equal answers add up),
// else the error.
func answerText(err error) string {
	var se *sip.StatusError
	if errors.As(err, &se) {
		return fmt.Sprintf("SIP %d %s", se.Code, se.Reason)
	}
	var me *mediasession.SendError
	if !errors.As(err, &me) {
		return err.Error()
	}
	return "MSRP " + me.Status()
}

// answerTally counts failed sessions by what iwf answered.
type answerTally struct {
	mu      sync.Mutex
	answers map[string]int
}

func (t *answerTally) note(err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.answers == nil {
		t.answers = make(map[string]int)
	}
	t.answers[answerText(err)]++
}

func (t *answerTally) total() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := 0
	for _, k := range t.answers {
		n += k
	}
	return n
}

// String lists the answers, most frequent first: ` ("SIP 488 ..." x3)`.
func (t *answerTally) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.answers) == 0 {
		return ""
	}
	keys := slices.SortedFunc(maps.Keys(t.answers), func(a, b string) int {
		return cmp.Or(cmp.Compare(t.answers[b], t.answers[a]), strings.Compare(a, b)) // most frequent first
	})
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%q x%d", k, t.answers[k])
	}
	return " (" + strings.Join(parts, ", ") + ")"
}

// fileTransferResult is what the file transfer phase measured.
type fileTransferResult struct {
	Sessions, Size, ChunkSize, Concurrency, Clients int

	Delivered  int         // files answered MSRP 200 with the success report: journaled by iwf
	Refused    answerTally // what iwf answered to the other sessions
	ByeFailed  int         // delivered files whose BYE was not answered 2xx
	SessionsIn time.Duration
	P50, P99   time.Duration // INVITE sent until BYE answered, delivered sessions
	Max        time.Duration

	Check        submitCheck // delivered files against arrivals at the relay
	Damaged      int
	Others       int
	Arrivals     int
	ArrivalSpan  time.Duration
	LastAfterBye time.Duration // the relay had the last file this long after the last session ended (negative: before)
	AllArrived   bool
	PeakAnon     int64
	BenchCPU     time.Duration
	iwfUsage     // Wall: from the first INVITE until the relay had the last file
}

// fileTally is what the workers of the file phase record.
type fileTally struct {
	mu        sync.Mutex
	delivered []bool   // by file number
	latency   []uint32 // µs, delivered sessions
	byeFailed int
}

// measureFiles sends the files, waits for the relay to have every
// delivered one, and measures iwf over that time.
func (b *msrpBench) measureFiles(ctx context.Context, child *iwfChild, clients []*sip.Endpoint, res *fileTransferResult) error {
	pid := child.cmd.Process.Pid
	mark, self := markUsage(pid), selfCPU()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() { res.PeakAnon = peakAnon(pid, stop) })
	tally := &fileTally{delivered: make([]bool, b.o.Files)}
	b.sendFiles(ctx, clients, tally, &res.Refused)
	res.SessionsIn = time.Since(mark.at)
	res.Delivered, res.ByeFailed = len(tally.latency), tally.byeFailed
	res.P50, res.P99, res.Max = percentiles(tally.latency)
	var err error
	res.AllArrived, err = b.rec.await(ctx, int64(res.Delivered), b.o.DrainTimeout)
	if err == nil && !res.AllArrived {
		fmt.Fprintf(b.log, "bench: the relay saw no new file for %v; %d of %d delivered seen\n",
			b.o.DrainTimeout, b.rec.unique.Load(), res.Delivered)
	}
	close(stop)
	wg.Wait()
	res.measure(pid, mark)
	res.BenchCPU = selfCPU() - self
	res.Check = b.rec.check(func(n int) bool { return tally.delivered[n] })
	res.Damaged, res.Others = int(b.damaged.Load()), int(b.others.Load())
	res.Arrivals = int(b.rec.total.Load())
	res.ArrivalSpan = time.Duration(b.rec.last.Load() - b.rec.first.Load())
	res.LastAfterBye = time.Duration(b.rec.last.Load()) - mark.at.Add(res.SessionsIn).Sub(b.rec.base)
	return err
}

// sendFiles runs the file transfer sessions, Concurrency at a time;
// worker w uses client w mod Clients.
func (b *msrpBench) sendFiles(ctx context.Context, clients []*sip.Endpoint, tally *fileTally, refused *answerTally) {
	forEachNumbered(ctx, b.o.Files, b.o.Concurrency, func(w, n int) {
		began := time.Now()
		sendErr, byeErr := b.sendFile(ctx, clients[w%len(clients)], n)
		took := time.Since(began)
		if sendErr != nil {
			refused.note(sendErr)
			return
		}
		tally.mu.Lock()
		tally.delivered[n] = true
		tally.latency = append(tally.latency, uint32(took/time.Microsecond))
		if byeErr != nil {
			tally.byeFailed++
		}
		tally.mu.Unlock()
	})
}

// forEachNumbered calls fn(w, n) for the numbers n from 0 to count-1 on
// workers goroutines, w being the worker's index: each takes the next
// number until none is left or ctx is done. It returns once all have.
func forEachNumbered(ctx context.Context, count, workers int, fn func(w, n int)) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for n := int(next.Add(1) - 1); n < count && ctx.Err() == nil; n = int(next.Add(1) - 1) {
				fn(w, n)
			}
		})
	}
	wg.Wait()
}

// sendFile is one file transfer session (RFC 5547) as `iwf send file`
// makes it: INVITE with the file's selector, the file over MSRP with a
// success report asked, BYE. sendErr is nil once iwf has the file.
func (b *msrpBench) sendFile(ctx context.Context, ep *sip.Endpoint, n int) (sendErr, byeErr error) {
	ctx, cancel := context.WithTimeout(ctx, b.o.SessionTimeout)
	defer cancel()
	s, err := ep.OpenSession(ctx, &sip.OutgoingSession{
		RequestURI: string(appendMMSBenchURI(nil, n)), From: msrpFileSender, Kind: sip.KindFileTransfer,
		FileSelector: &sdp.FileSelector{Name: b.fileName(n), Type: "image/jpeg", Size: int64(len(b.file))},
	})
	if err != nil {
		return err, nil
	}
	sendErr = s.Send(ctx, &sip.SessionMessage{ContentType: "image/jpeg", Body: b.file, SuccessReport: true})
	return sendErr, s.Close(ctx)
}

// print writes the report of both phases.
func (r *benchMSRPResult) print(w io.Writer) error {
	var b strings.Builder
	if r.Files != nil {
		r.Files.print(&b)
	}
	if r.Idle != nil {
		r.Idle.print(&b)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// payloadMB is the MSRP payload of the delivered files in MB (10^6 bytes).
func (r *fileTransferResult) payloadMB() float64 { return float64(r.Delivered) * float64(r.Size) / 1e6 }

func (r *fileTransferResult) print(b *strings.Builder) {
	fmt.Fprintf(b, "files        %d sessions of %s bytes to an MMS user (chunks of %d, %d at once, %d client connections): %d delivered (MSRP 200 and success report), %d refused%s, %d BYEs not answered 2xx\n",
		r.Sessions, thousands(float64(r.Size)), r.ChunkSize, r.Concurrency, r.Clients, r.Delivered, r.Refused.total(), r.Refused.String(), r.ByeFailed)
	mbps := r.payloadMB() / max(r.SessionsIn.Seconds(), 1e-9)
	fmt.Fprintf(b, "msrp         %.1f MB/s of payload (target %d: %s)   %.1f sessions/s   per session p50 %.1f ms   p99 %.1f ms   max %.0f ms   (%.2f s, INVITE to BYE)\n",
		mbps, msrpTargetMBps, metOrNot(mbps >= msrpTargetMBps), perSecond(r.Delivered, r.SessionsIn),
		ms(r.P50), ms(r.P99), ms(r.Max), r.SessionsIn.Seconds())
	r.Check.print(b, "relay", "files", perSecond(r.Arrivals, r.ArrivalSpan))
	last := ""
	if r.Arrivals > 0 {
		last = fmt.Sprintf("; the last file arrived %+.2f s from the last BYE", r.LastAfterBye.Seconds())
	}
	fmt.Fprintf(b, "relay        %d files damaged (other size or bytes), %d submits without a bench file%s\n",
		r.Damaged, r.Others, last)
	perMB, writtenPerMB := "-", "-"
	if mb := r.payloadMB(); mb > 0 {
		perMB = fmt.Sprintf("%.1f", ms(time.Duration(float64(r.LoadCPU)/mb)))
		writtenPerMB = fmt.Sprintf("%.2f", float64(r.Written)/1e6/mb)
	}
	fmt.Fprintf(b, "iwf          CPU %s ms per MB (%.1f s over %.1f s, until the relay had the last file)   peak RSS %d MB (anon peak %d MB)   whole run user %.1f s, sys %.1f s\n",
		perMB, r.LoadCPU.Seconds(), r.Wall.Seconds(), r.peakRSS()>>20, r.PeakAnon>>20, r.User.Seconds(), r.Sys.Seconds())
	fmt.Fprintf(b, "journal      %.1f MB written to storage, %s MB per MB of payload\n", float64(r.Written)/1e6, writtenPerMB)
	fmt.Fprintf(b, "bench        this process (CPM clients and the relay) used %.1f s CPU over the same %.1f s\n",
		r.BenchCPU.Seconds(), r.Wall.Seconds())
}

func metOrNot(met bool) string {
	if met {
		return "met"
	}
	return "not met"
}
