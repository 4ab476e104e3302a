package smpp

import (
	"bufio"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/iwf-gateway/iwf/adapters/smpp/pdu"
)

// slot is one configured connection, reconnected as often as needed. For
// a transmitting slot, exactly Config.Window tokens naming it exist: in
// Client.tokens, held by a Submit, or parked while the slot is not bound.
type slot struct {
	c    *Client
	name string
	bind pdu.CommandID

	mu     sync.Mutex
	cur    *session
	state  string
	since  time.Time
	parked int

	rate     limiter
	throttle throttleGauge
	submits  atomic.Uint64
	errors   atomic.Uint64
	inWindow atomic.Int64
}

func newSlot(c *Client, name string, bind pdu.CommandID) *slot {
	sl := &slot{c: c, name: name, bind: bind, state: "down", since: time.Now()}
	if bind != pdu.BindReceiver {
		sl.parked = c.cfg.Window
	}
	if c.cfg.MaxRate > 0 {
		sl.rate.interval = time.Duration(float64(time.Second) / c.cfg.MaxRate)
	}
	return sl
}

func (sl *slot) transmits() bool { return sl.bind != pdu.BindReceiver }

func (sl *slot) session() *session {
	sl.mu.Lock()
	defer sl.mu.Unlock()
	return sl.cur
}

func (sl *slot) setState(state string, s *session) {
	sl.mu.Lock()
	sl.state, sl.since, sl.cur = state, time.Now(), s
	var release int
	if state == "bound" && sl.transmits() {
		release, sl.parked = sl.parked, 0
	}
	sl.mu.Unlock()
	for range release {
		sl.c.tokens <- sl // never blocks: capacity is every token of every slot
	}
}

// take turns a token into the bound session, or parks it and returns nil.
func (sl *slot) take() *session {
	sl.mu.Lock()
	defer sl.mu.Unlock()
	if sl.state != "bound" || sl.cur == nil {
		sl.parked++
		return nil
	}
	return sl.cur
}

// give returns a token taken with take.
func (sl *slot) give() {
	sl.mu.Lock()
	if sl.state != "bound" {
		sl.parked++
		sl.mu.Unlock()
		return
	}
	sl.mu.Unlock()
	sl.c.tokens <- sl
}

func (sl *slot) status() BindStatus {
	sl.mu.Lock()
	defer sl.mu.Unlock()
	mode := map[pdu.CommandID]string{pdu.BindTransceiver: "transceiver", pdu.BindTransmitter: "transmitter", pdu.BindReceiver: "receiver"}[sl.bind]
	return BindStatus{Name: sl.name, Mode: mode, State: sl.state, Since: sl.since,
		Submits: sl.submits.Load(), Errors: sl.errors.Load(), WindowInUse: int(sl.inWindow.Load())}
}

// run keeps the slot bound until ctx ends or the client drains.
func (sl *slot) run(ctx context.Context) {
	cfg := sl.c.cfg
	backoff := cfg.ReconnectMin
	for ctx.Err() == nil && !sl.c.draining.Load() {
		sl.setState("connecting", nil)
		s, err := sl.connect(ctx)
		if err != nil {
			sl.setState("down", nil)
			sl.c.log.Warn("smpp: bind failed", "bind", sl.name, "address", cfg.Address, "system_id", cfg.SystemID, "err", err, "retry_in", backoff)
			if !sleepCtx(ctx, jitter(backoff)) {
				break
			}
			backoff = min(backoff*2, cfg.ReconnectMax)
			continue
		}
		backoff = cfg.ReconnectMin
		sl.bound(s)
		s.serve(ctx)
	}
	sl.setState("down", nil)
}

func (sl *slot) bound(s *session) {
	sl.setState("bound", s)
	if sl.transmits() {
		sl.c.bound.Add(1)
		sl.c.notifyChanged()
	}
	sl.c.log.Info("smpp: bound", "bind", sl.name, "mode", sl.bind.String(), "address", sl.c.cfg.Address, "system_id", sl.c.cfg.SystemID)
	if sl.c.draining.Load() { // Shutdown began while we were binding
		s.close(ErrClosed)
	}
}

// detach marks the slot down when s is its current session; the first
// call for s does it, later ones do nothing.
func (sl *slot) detach(s *session, cause error) {
	sl.mu.Lock()
	was := sl.cur == s
	if was {
		sl.cur, sl.state, sl.since = nil, "down", time.Now()
	}
	sl.mu.Unlock()
	if !was {
		return
	}
	if sl.transmits() {
		sl.c.bound.Add(-1)
		sl.c.notifyChanged()
	}
	sl.c.log.Warn("smpp: bind down", "bind", sl.name, "err", cause)
}

// connect dials and binds; the whole handshake is bounded by
// ResponseTimeout.
func (sl *slot) connect(ctx context.Context) (*session, error) {
	cfg := sl.c.cfg
	ctx, cancel := context.WithTimeout(ctx, cfg.ResponseTimeout)
	defer cancel()
	var conn net.Conn
	var err error
	d := &net.Dialer{}
	if cfg.TLS {
		td := &tls.Dialer{NetDialer: d, Config: &tls.Config{InsecureSkipVerify: cfg.TLSSkipVerify}} //nolint:gosec // operator's choice
		conn, err = td.DialContext(ctx, "tcp", cfg.Address)
	} else {
		conn, err = d.DialContext(ctx, "tcp", cfg.Address)
	}
	if err != nil {
		return nil, err
	}
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	r := bufio.NewReaderSize(conn, 64*1024)
	err = sl.handshake(conn, r)
	if !stop() || err != nil {
		conn.Close()
		if err == nil {
			err = ctx.Err()
		}
		return nil, err
	}
	conn.SetDeadline(time.Time{})
	return newSession(sl.c, sl, conn, r, sl.bind, 1), nil
}

func (sl *slot) handshake(conn net.Conn, r *bufio.Reader) error {
	cfg := sl.c.cfg
	req := pdu.PDU{Header: pdu.Header{CommandID: sl.bind, Sequence: 1}, Fields: []pdu.Field{
		{Bytes: []byte(cfg.SystemID)}, {Bytes: []byte(cfg.Password)}, {Bytes: []byte(cfg.SystemType)},
		{Int: 0x34}, {}, {}, {},
	}}
	b, err := req.Append(nil)
	if err != nil {
		return err
	}
	if _, err := conn.Write(b); err != nil {
		return err
	}
	var hb [pdu.HeaderLength]byte
	if _, err := io.ReadFull(r, hb[:]); err != nil {
		return err
	}
	h, err := pdu.DecodeHeader(hb[:])
	if err != nil {
		return err
	}
	body := make([]byte, h.Length-pdu.HeaderLength)
	if _, err := io.ReadFull(r, body); err != nil {
		return err
	}
	if h.CommandID != sl.bind|0x80000000 && h.CommandID != pdu.GenericNack {
		return fmt.Errorf("smpp: %s answered with %s", sl.bind, h.CommandID)
	}
	if h.Status != pdu.StatusOK || h.CommandID == pdu.GenericNack {
		return &StatusError{Status: h.Status, Command: sl.bind.String()}
	}
	return nil
}

func jitter(d time.Duration) time.Duration {
	if d <= 1 {
		return d
	}
	return d/2 + rand.N(d/2)
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
