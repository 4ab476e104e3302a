package smsc

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/iwf-gateway/iwf/adapters/smpp"
	"github.com/iwf-gateway/iwf/adapters/smpp/pdu"
)

// Config configures the simulator. Zero values take the documented
// defaults.
type Config struct {
	Listen        string        `yaml:"listen"`         // default "127.0.0.1:0"
	SystemID      string        `yaml:"system_id"`      // accepted system_id; empty accepts any
	Password      string        `yaml:"password"`       // accepted password when SystemID is set
	ReceiptDelay  time.Duration `yaml:"receipt_delay"`  // after the submit_sm_resp; default 0
	ReceiptStat   string        `yaml:"receipt_stat"`   // stat: of receipts; default DELIVRD
	KeepSubmitted bool          `yaml:"keep_submitted"` // keep every submitted message for Submitted
	MaxKept       int           `yaml:"max_kept"`       // bound on kept messages; default 100000

	// OnSubmit, when set, is called from the connection's reader for each
	// accepted submit_sm with the id it was given; it must not block.
	OnSubmit func(sm smpp.ShortMessage, id string) `yaml:"-"`
}

// Validate checks c.
func (c *Config) Validate() error {
	switch {
	case c.ReceiptDelay < 0:
		return errors.New("smsc: receipt_delay is negative")
	case c.MaxKept < 0:
		return errors.New("smsc: max_kept is negative")
	case c.ReceiptStat != "" && messageState(c.ReceiptStat) == 0:
		return fmt.Errorf("smsc: receipt_stat %q is not an SMPP message state", c.ReceiptStat)
	}
	return nil
}

func (c Config) withDefaults() Config {
	if c.Listen == "" {
		c.Listen = "127.0.0.1:0"
	}
	if c.ReceiptStat == "" {
		c.ReceiptStat = "DELIVRD"
	}
	if c.MaxKept == 0 {
		c.MaxKept = 100000
	}
	return c
}

// SMSC is the simulator. Create it with New, then Start.
type SMSC struct {
	cfg Config
	log *slog.Logger

	ln    net.Listener
	wg    sync.WaitGroup
	quit  chan struct{}
	once  sync.Once
	idSeq atomic.Uint64

	mu        sync.Mutex
	conns     map[*conn]struct{}
	submitted []smpp.ShortMessage

	submits, throttled, receipts atomic.Uint64
	received                     [256]atomic.Uint64 // by command_id low byte
	lastNack                     atomic.Int64       // status of the last generic_nack received, -1 none

	throttle    atomic.Uint64 // fraction * 1e6
	delay       atomic.Int64
	dropAfter   atomic.Int64
	refuse      atomic.Bool
	holdReceipt atomic.Bool
	receiptQ    chan receipt
	receiptWake chan struct{}
}

// New returns an unstarted simulator; a nil log discards.
func New(cfg Config, log *slog.Logger) *SMSC {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &SMSC{
		cfg: cfg.withDefaults(), log: log, quit: make(chan struct{}),
		conns: map[*conn]struct{}{}, receiptQ: make(chan receipt, 1<<16), receiptWake: make(chan struct{}, 1),
	}
	s.idSeq.Store(uint64(rand.Uint32()) << 8)
	s.lastNack.Store(-1)
	return s
}

// Start listens and serves until Close (or ctx ends).
func (s *SMSC) Start(ctx context.Context) error {
	if err := s.cfg.Validate(); err != nil {
		return err
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", s.cfg.Listen)
	if err != nil {
		return fmt.Errorf("smsc: listen: %w", err)
	}
	s.ln = ln
	s.wg.Add(3)
	go func() { defer s.wg.Done(); s.accept() }()
	go func() { defer s.wg.Done(); s.sendReceipts() }()
	go func() {
		defer s.wg.Done()
		select {
		case <-ctx.Done():
			s.shut()
		case <-s.quit:
		}
	}()
	return nil
}

// Addr is the listening address (127.0.0.1:port).
func (s *SMSC) Addr() string { return s.ln.Addr().String() }

// Close closes the listener and every connection and waits for every
// goroutine. It is idempotent.
func (s *SMSC) Close() error {
	s.shut()
	s.wg.Wait()
	return nil
}

func (s *SMSC) shut() {
	s.once.Do(func() {
		close(s.quit)
		if s.ln != nil {
			s.ln.Close()
		}
		s.mu.Lock()
		for c := range s.conns {
			c.close()
		}
		s.mu.Unlock()
	})
}

func (s *SMSC) accept() {
	for {
		nc, err := s.ln.Accept()
		if err != nil {
			return
		}
		c := newConn(s, nc)
		s.mu.Lock()
		select {
		case <-s.quit:
			s.mu.Unlock()
			nc.Close()
			return
		default:
		}
		s.conns[c] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		go func() {
			defer s.wg.Done()
			c.serve()
			s.mu.Lock()
			delete(s.conns, c)
			s.mu.Unlock()
		}()
	}
}

// Faults, switchable at run time.

// Throttle answers the given fraction (0..1) of submits ESME_RTHROTTLED,
// spread evenly.
func (s *SMSC) Throttle(fraction float64) {
	s.throttle.Store(uint64(min(max(fraction, 0), 1) * 1e6))
}

// SetDelay delays every submit_sm_resp by d (responses stay in order).
func (s *SMSC) SetDelay(d time.Duration) { s.delay.Store(int64(d)) }

// DropAfter closes a connection, without answering, at its n-th submit
// (and every n-th after reconnecting); 0 turns it off.
func (s *SMSC) DropAfter(n int) { s.dropAfter.Store(int64(n)) }

// RefuseBinds answers every bind with ESME_RBINDFAIL while on.
func (s *SMSC) RefuseBinds(on bool) { s.refuse.Store(on) }

// StopReceipts holds delivery receipts until ResumeReceipts.
func (s *SMSC) StopReceipts() { s.holdReceipt.Store(true) }

// ResumeReceipts sends the held receipts and the ones that follow.
func (s *SMSC) ResumeReceipts() {
	s.holdReceipt.Store(false)
	s.wake()
}

func (s *SMSC) wake() {
	select {
	case s.receiptWake <- struct{}{}:
	default:
	}
}

// Counters and records.

// SubmitCount is the number of submit_sm answered ESME_ROK.
func (s *SMSC) SubmitCount() int { return int(s.submits.Load()) }

// ThrottledCount is the number of submit_sm answered ESME_RTHROTTLED.
func (s *SMSC) ThrottledCount() int { return int(s.throttled.Load()) }

// ReceiptCount is the number of receipts sent.
func (s *SMSC) ReceiptCount() int { return int(s.receipts.Load()) }

// Received is the number of PDUs received with the command id.
func (s *SMSC) Received(id pdu.CommandID) int {
	if id&0x7FFFFF00 != 0 {
		return 0
	}
	return int(s.received[byte(id)|byte(id>>24)&0x80].Load())
}

// LastGenericNack is the status of the last generic_nack an ESME sent, or
// -1 when none came.
func (s *SMSC) LastGenericNack() int64 { return s.lastNack.Load() }

// Submitted returns a copy of the kept messages (Config.KeepSubmitted).
func (s *SMSC) Submitted() []smpp.ShortMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]smpp.ShortMessage(nil), s.submitted...)
}

// Bound is the number of connections bound for receiving (receiver or
// transceiver) and for transmitting.
func (s *SMSC) Bound() (rx, tx int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		switch c.bound.Load() {
		case uint32(pdu.BindTransceiver):
			rx, tx = rx+1, tx+1
		case uint32(pdu.BindReceiver):
			rx++
		case uint32(pdu.BindTransmitter):
			tx++
		}
	}
	return rx, tx
}

func (s *SMSC) receiverConn() *conn {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		if b := pdu.CommandID(c.bound.Load()); b == pdu.BindTransceiver || b == pdu.BindReceiver {
			return c
		}
	}
	return nil
}

// ErrNoReceiver means no ESME is bound as receiver or transceiver.
var ErrNoReceiver = errors.New("smsc: no bound receiver")

// InjectMO sends sm as a deliver_sm to a bound receiver and waits for its
// deliver_sm_resp: a non-zero status comes back as *smpp.StatusError.
func (s *SMSC) InjectMO(ctx context.Context, sm smpp.ShortMessage) error {
	c := s.receiverConn()
	if c == nil {
		return ErrNoReceiver
	}
	return c.deliver(ctx, &sm)
}

// SendRaw writes raw octets to a bound connection (for malformed-PDU
// tests).
func (s *SMSC) SendRaw(raw []byte) error {
	c := s.receiverConn()
	if c == nil {
		return ErrNoReceiver
	}
	return c.send(append([]byte(nil), raw...))
}

func (s *SMSC) nextID() string { return fmt.Sprintf("%010x", s.idSeq.Add(1)) }

func (s *SMSC) keep(sm smpp.ShortMessage) {
	s.mu.Lock()
	if len(s.submitted) < s.cfg.MaxKept {
		s.submitted = append(s.submitted, sm)
	}
	s.mu.Unlock()
}
