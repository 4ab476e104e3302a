package gateway

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/iwf-gateway/iwf/adapters/imps/wv"
	"github.com/iwf-gateway/iwf/adapters/mms/mm7"
	"github.com/iwf-gateway/iwf/adapters/sip"
	"github.com/iwf-gateway/iwf/adapters/smpp"
	"github.com/iwf-gateway/iwf/addressmap"
	"github.com/iwf-gateway/iwf/journal"
	"github.com/iwf-gateway/iwf/translate"
)

// cpmRoute is the route name of deliveries toward CPM users.
const cpmRoute = "cpm"

// Networks a route may belong to (addressmap rule networks).
const (
	NetworkSMS  = "sms"
	NetworkCPM  = "cpm"
	NetworkMMS  = "mms"
	NetworkIMPS = "imps"
	// NetworkAuto sends a recipient's text-only messages that fit the SMS
	// limits as SMS (on the rule's route) and everything else, media or a
	// subject, as MMS.
	NetworkAuto = "auto"
)

// SMSCLink is what the gateway needs of an SMPP client (smpp.Client).
type SMSCLink interface {
	Submit(ctx context.Context, sm *smpp.ShortMessage) (messageID string, err error)
	Ready() bool
	// WaitReady blocks until a transmitter is bound or ctx ends.
	WaitReady(ctx context.Context) error
}

// CPMLink is what the gateway needs of the CM-7 endpoint (sip.Endpoint).
type CPMLink interface {
	Send(ctx context.Context, m *sip.Outgoing) error
}

// MMSLink is what the gateway needs of an MM7 link (mms.VASP).
type MMSLink interface {
	Submit(ctx context.Context, req *mm7.SubmitReq, attachments []mm7.Part) (messageID string, err error)
}

// MMSRoute is the MMS relay the gateway delivers to and receives from.
type MMSRoute struct {
	Name    string
	Link    MMSLink
	Workers int // concurrent submits; default 16
	// Policy fills what every SubmitReq on this route carries (VASP ids,
	// service code, message class, priority, size bound); addresses,
	// validity and time are set per message.
	Policy translate.MMSRoute
}

// IMPSLink is what the gateway needs of an IMPS session (imps.Client).
type IMPSLink interface {
	SendMessage(ctx context.Context, req *wv.SendMessageRequest) (messageID string, err error)
	Ready() bool
	// WaitReady blocks until a session is up or ctx ends.
	WaitReady(ctx context.Context) error
}

// IMPSRoute is the IMPS server the gateway delivers to and receives from.
type IMPSRoute struct {
	Name    string
	Link    IMPSLink
	Workers int // concurrent SendMessage transactions; default 64
	// Names says which CPM recipients are IMPS users and how each side
	// names the other's users.
	Names addressmap.IMPSConfig
	// SenderForm is "sender" (default: the CPM sender's wv id in
	// MessageInfo/Sender) or "display" (the server puts the gateway
	// account as sender; the text starts with the CPM sender).
	SenderForm string
}

// SMSRoute is one SMSC the gateway delivers to and receives from.
type SMSRoute struct {
	Name    string
	Link    SMSCLink
	Workers int // concurrent deliveries; at least binds x window to fill the window
	// SMS is the segmentation and coding policy; its addresses are filled
	// per message.
	SMS translate.SMSRoute
	// Addresses says how numbers are written in SMPP on this route.
	Addresses addressmap.SMPPPolicy
}

// Deps are the gateway's collaborators, all owned by the caller.
type Deps struct {
	Journal   journal.Journal
	Addresses *addressmap.Map
	CPM       CPMLink
	CPMOut    translate.SIPOutboundConfig
	SMS       []SMSRoute
	MMS       *MMSRoute    // nil: no MM7 link
	IMPS      *IMPSRoute   // nil: no IMPS server
	Charging  ChargingSink // nil: no charging records
	// LargeMessages sends messages toward CPM users that exceed
	// Config.PagerMaxBytes in a large-message session (INVITE + MSRP);
	// CPM must then be able to open sessions (sip.Endpoint with sessions
	// enabled). Off: such messages fail with a report.
	LargeMessages bool
	Log           *slog.Logger
	Now           func() time.Time // default time.Now
}

// Gateway is the hub. Create it with New, start it with Run, stop it with
// Shutdown or Close.
type Gateway struct {
	cfg  Config
	deps Deps
	log  *slog.Logger
	now  func() time.Time

	sms      map[string]*smsRoute
	mms      *mmsRoute
	imps     *impsRoute
	cpmQ     *workQueue
	sched    *scheduler
	locks    entryLocks
	mo       *moAssembler
	recv     *receiptWaits
	stats    counters
	dedupe   inflight
	events   events
	metrics  metrics
	lastSeq  atomic.Uint64 // highest journal sequence written or restored
	sessions bool          // large-message mode toward CPM users
	chats    chatTable     // live chat sessions with legacy users
	cluster  *cluster      // set when the journal is a journal.Shared (shared.go)

	concatRef atomic.Uint32 // last SMS concatenation reference handed out
	accepting chan struct{} // one token per MESSAGE being accepted (MaxAccepting)

	closing     atomic.Bool
	mu          sync.Mutex
	stop, abort context.CancelFunc // set by Run
	wg          sync.WaitGroup
	started     chan struct{}
	done        chan struct{}
}

type smsRoute struct {
	SMSRoute
	q *workQueue
}

type mmsRoute struct {
	MMSRoute
	q *workQueue
}

type impsRoute struct {
	IMPSRoute
	q *workQueue
}

// New checks the configuration and builds a gateway; nothing runs until Run.
func New(cfg Config, deps Deps) (*Gateway, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.WithDefaults()
	if deps.Journal == nil || deps.Addresses == nil || deps.CPM == nil {
		return nil, errors.New("gateway: journal, address map and CPM link are required")
	}
	if deps.Log == nil {
		deps.Log = slog.New(slog.DiscardHandler)
	}
	if deps.Now == nil {
		deps.Now = time.Now
	}
	g := &Gateway{
		cfg: cfg, deps: deps, log: deps.Log, now: deps.Now,
		sms:     make(map[string]*smsRoute),
		cpmQ:    newWorkQueue(cfg.HotQueue, cfg.HotQueueBytes),
		sched:   newScheduler(),
		recv:    newReceiptWaits(),
		started: make(chan struct{}),
		done:    make(chan struct{}),
	}
	g.mo = newMOAssembler(cfg.Reassembly)
	g.cluster = newCluster(deps.Journal)
	// Concatenation references start at a random point, so a restart does
	// not hand out again the references of messages a handset may still
	// be reassembling.
	var seed [2]byte
	_, _ = rand.Read(seed[:])
	g.concatRef.Store(uint32(seed[0])<<8 | uint32(seed[1]))
	_, canOpen := deps.CPM.(cpmSessions)
	g.sessions = deps.LargeMessages && canOpen
	g.accepting = make(chan struct{}, cfg.MaxAccepting)
	g.dedupe.init()
	for _, r := range deps.SMS {
		if r.Name == "" || r.Name == cpmRoute || r.Link == nil {
			return nil, fmt.Errorf("gateway: SMS route %q needs a name other than %q and a link", r.Name, cpmRoute)
		}
		if _, dup := g.sms[r.Name]; dup {
			return nil, fmt.Errorf("gateway: SMS route %q defined twice", r.Name)
		}
		if r.Workers <= 0 {
			r.Workers = 64
		}
		g.sms[r.Name] = &smsRoute{SMSRoute: r, q: newWorkQueue(cfg.HotQueue, cfg.HotQueueBytes)}
	}
	if err := g.addLegacyRoutes(deps); err != nil {
		return nil, err
	}
	return g, nil
}

// Run restores pending work from the journal, starts the pipeline and
// blocks until Shutdown or Close is called or ctx ends (which aborts
// attempts in flight, as Close does); then it waits for every goroutine it
// started.
func (g *Gateway) Run(ctx context.Context) error {
	attemptCtx, abort := context.WithCancel(ctx)
	popCtx, stop := context.WithCancel(attemptCtx)
	g.mu.Lock()
	if g.closing.Load() {
		// Shutdown or Close came first (a start that failed after Run
		// was launched): they found nothing to stop, so nothing starts.
		g.mu.Unlock()
		stop()
		abort()
		close(g.started)
		close(g.done)
		return nil
	}
	g.abort, g.stop = abort, stop
	g.mu.Unlock()
	defer abort()
	if err := g.restore(attemptCtx); err != nil {
		close(g.started)
		close(g.done)
		return err
	}
	g.start(func() { g.sched.run(popCtx, g.now, g.fire) })
	g.startShared(popCtx, attemptCtx)
	for _, r := range g.sms {
		for i := 0; i < r.Workers; i++ {
			g.start(func() {
				g.queueWorker(popCtx, attemptCtx, r.q, r.Link.WaitReady, func(ctx context.Context, w work) { g.deliverSMS(ctx, r, w) })
			})
		}
	}
	for i := 0; i < g.cfg.CPMWorkers; i++ {
		g.start(func() { g.queueWorker(popCtx, attemptCtx, g.cpmQ, nil, g.deliverCPM) })
	}
	if r := g.mms; r != nil {
		for i := 0; i < r.Workers; i++ {
			g.start(func() {
				g.queueWorker(popCtx, attemptCtx, r.q, nil, func(ctx context.Context, w work) { g.deliverMMS(ctx, r, w) })
			})
		}
	}
	if r := g.imps; r != nil {
		for i := 0; i < r.Workers; i++ {
			g.start(func() {
				g.queueWorker(popCtx, attemptCtx, r.q, r.Link.WaitReady, func(ctx context.Context, w work) { g.deliverIMPS(ctx, r, w) })
			})
		}
	}
	g.sched.add(timer{at: g.now().Add(g.reassemblyTick()), action: actionReassembly})
	g.sched.add(timer{at: g.now().Add(g.cfg.ExpirySweep), action: actionSweep})
	close(g.started)
	<-popCtx.Done()
	g.closing.Store(true)
	g.wg.Wait()
	close(g.done)
	return nil
}

// queueWorker takes work from q until popCtx ends and delivers it; each
// attempt runs under attemptCtx, which outlives popCtx during a graceful
// shutdown. ready, when not nil, blocks until the route's link is up, so a
// backlog waits in the queue (and the journal) while it is down instead of
// being tried, journaled again and scheduled message by message.
func (g *Gateway) queueWorker(popCtx, attemptCtx context.Context, q *workQueue, ready func(context.Context) error, deliver func(context.Context, work)) {
	for {
		if ready != nil {
			if err := ready(popCtx); err != nil {
				if popCtx.Err() != nil {
					return
				}
				select { // the link is closing: look again shortly
				case <-popCtx.Done():
					return
				case <-time.After(100 * time.Millisecond):
				}
				continue
			}
		}
		w, ok := q.pop(popCtx)
		if !ok {
			return
		}
		deliver(attemptCtx, w)
	}
}

// start runs f on a goroutine that Run joins.
func (g *Gateway) start(f func()) {
	g.wg.Add(1)
	go func() {
		defer g.wg.Done()
		f()
	}()
}

// Ready reports whether the pipeline runs and every network has a route up.
func (g *Gateway) Ready() bool {
	select {
	case <-g.started:
	default:
		return false
	}
	if g.closing.Load() {
		return false
	}
	if g.imps != nil && !g.imps.Link.Ready() {
		return false
	}
	if len(g.sms) == 0 {
		return true
	}
	for _, r := range g.sms {
		if r.Link.Ready() {
			return true
		}
	}
	return false
}

// Shutdown stops accepting new traffic (sources get temporary errors) and
// taking queued work, lets attempts in flight finish until ctx ends (then
// aborts them), and waits for Run's goroutines. Pending work stays in the
// journal for the next start. It is idempotent.
func (g *Gateway) Shutdown(ctx context.Context) error {
	g.closing.Store(true)
	g.mu.Lock()
	stop, abort := g.stop, g.abort
	g.mu.Unlock()
	if stop == nil {
		return nil // not running: a Run that comes later returns at once
	}
	stop()
	select {
	case <-g.done:
		return nil
	case <-ctx.Done():
		abort()
		<-g.done
		return ctx.Err()
	}
}

// Close aborts attempts in flight and waits for Run's goroutines; a Run
// that comes after it returns at once. It is idempotent.
func (g *Gateway) Close() error {
	g.closing.Store(true)
	g.mu.Lock()
	abort := g.abort
	g.mu.Unlock()
	if abort == nil {
		return nil
	}
	abort()
	<-g.done
	return nil
}

// newID returns a fresh imdn.Message-ID.
func newID() string { return rand.Text() }

// entryLocks serialises read-modify-write of one journal entry.
type entryLocks [256]sync.Mutex

func (l *entryLocks) lock(seq uint64) func() {
	m := &l[seq%uint64(len(l))]
	m.Lock()
	return m.Unlock
}

// Started is closed once Run has restored pending work and started the
// pipeline (or failed to).
func (g *Gateway) Started() <-chan struct{} { return g.started }
