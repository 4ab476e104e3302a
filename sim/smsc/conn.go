package smsc

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/iwf-gateway/iwf/adapters/smpp"
	"github.com/iwf-gateway/iwf/adapters/smpp/pdu"
)

// conn is one ESME connection: serve reads, writeLoop writes, delayLoop
// holds delayed responses; serve joins the other two.
type conn struct {
	s       *SMSC
	nc      net.Conn
	out     chan []byte
	delayed chan delayed
	done    chan struct{}
	once    sync.Once
	bound   atomic.Uint32 // bind command id once bound
	seq     atomic.Uint32
	submits int64 // reader only

	mu      sync.Mutex
	pending map[uint32]chan uint32
}

type delayed struct {
	due time.Time
	b   []byte
}

func newConn(s *SMSC, nc net.Conn) *conn {
	return &conn{s: s, nc: nc, out: make(chan []byte, 4096), delayed: make(chan delayed, 4096),
		done: make(chan struct{}), pending: map[uint32]chan uint32{}}
}

func (c *conn) close() {
	c.once.Do(func() {
		close(c.done)
		c.nc.Close()
	})
}

func (c *conn) send(b []byte) error {
	select {
	case c.out <- b:
		return nil
	case <-c.done:
		return io.ErrClosedPipe
	}
}

func (c *conn) serve() {
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); c.writeLoop() }()
	go func() { defer wg.Done(); c.delayLoop() }()
	c.readLoop()
	c.close()
	wg.Wait()
}

func (c *conn) writeLoop() {
	w := bufio.NewWriterSize(c.nc, 64*1024)
	for {
		select {
		case b := <-c.out:
			w.Write(b)
		case <-c.done:
			return
		}
		for drained := false; !drained; {
			select {
			case b := <-c.out:
				w.Write(b)
			default:
				drained = true
			}
		}
		if w.Flush() != nil {
			c.close()
			return
		}
	}
}

func (c *conn) delayLoop() {
	for {
		select {
		case d := <-c.delayed:
			if wait := time.Until(d.due); wait > 0 {
				t := time.NewTimer(wait)
				select {
				case <-t.C:
				case <-c.done:
					t.Stop()
					return
				}
			}
			if c.send(d.b) != nil {
				return
			}
		case <-c.done:
			return
		}
	}
}

func (c *conn) readLoop() {
	r := bufio.NewReaderSize(c.nc, 64*1024)
	var hb [pdu.HeaderLength]byte
	for {
		if _, err := io.ReadFull(r, hb[:]); err != nil {
			return
		}
		h, err := pdu.DecodeHeader(hb[:])
		if err != nil {
			c.respond(pdu.GenericNack, h.Sequence, pdu.StatusInvCmdLen, nil)
			return
		}
		body := make([]byte, h.Length-pdu.HeaderLength)
		if _, err := io.ReadFull(r, body); err != nil {
			return
		}
		if id := h.CommandID; id&0x7FFFFF00 == 0 {
			c.s.received[byte(id)|byte(id>>24)&0x80].Add(1)
		}
		p, err := pdu.DecodeBody(h, body)
		if err != nil {
			c.s.log.Debug("smsc: malformed PDU", "err", err)
			c.respond(pdu.GenericNack, h.Sequence, pdu.StatusInvCmdLen, nil)
			continue
		}
		if !c.handle(p) {
			return
		}
	}
}

func (c *conn) respond(id pdu.CommandID, seq, status uint32, fields []pdu.Field) {
	b, err := (&pdu.PDU{Header: pdu.Header{CommandID: id, Status: status, Sequence: seq}, Fields: fields}).Append(nil)
	if err == nil {
		c.send(b)
	}
}

// handle answers one PDU; false ends the connection.
func (c *conn) handle(p *pdu.PDU) bool {
	switch p.CommandID {
	case pdu.BindTransceiver, pdu.BindTransmitter, pdu.BindReceiver:
		c.bind(p)
	case pdu.SubmitSM:
		return c.submit(p)
	case pdu.EnquireLink:
		c.respond(pdu.EnquireLinkResp, p.Sequence, pdu.StatusOK, nil)
	case pdu.Unbind:
		c.respond(pdu.UnbindResp, p.Sequence, pdu.StatusOK, nil)
		c.bound.Store(0)
	case pdu.DeliverSMResp, pdu.GenericNack:
		if p.CommandID == pdu.GenericNack {
			c.s.lastNack.Store(int64(p.Status))
		}
		c.mu.Lock()
		ch := c.pending[p.Sequence]
		delete(c.pending, p.Sequence)
		c.mu.Unlock()
		if ch != nil {
			ch <- p.Status
		}
	case pdu.EnquireLinkResp, pdu.UnbindResp:
	default:
		if !p.CommandID.IsResponse() {
			c.respond(pdu.GenericNack, p.Sequence, pdu.StatusInvCmdID, nil)
		}
	}
	return true
}

func (c *conn) bind(p *pdu.PDU) {
	resp := p.CommandID | 0x80000000
	sysID, _ := p.Field("system_id")
	pass, _ := p.Field("password")
	status := pdu.StatusOK
	switch {
	case c.bound.Load() != 0:
		status = pdu.StatusAlyBnd
	case c.s.refuse.Load():
		status = pdu.StatusBindFail
	case c.s.cfg.SystemID != "" && string(sysID.Bytes) != c.s.cfg.SystemID:
		status = pdu.StatusInvSysID
	case c.s.cfg.SystemID != "" && string(pass.Bytes) != c.s.cfg.Password:
		status = pdu.StatusInvPaswd
	}
	if status == pdu.StatusOK {
		c.bound.Store(uint32(p.CommandID))
		c.s.wake()
	}
	c.respond(resp, p.Sequence, status, []pdu.Field{{Bytes: []byte("iwfsim")}})
}

func (c *conn) submit(p *pdu.PDU) bool {
	if b := pdu.CommandID(c.bound.Load()); b != pdu.BindTransceiver && b != pdu.BindTransmitter {
		c.respond(pdu.SubmitSMResp, p.Sequence, pdu.StatusInvBndSts, nil)
		return true
	}
	c.submits++
	if n := c.s.dropAfter.Load(); n > 0 && c.submits%n == 0 {
		return false
	}
	if f := c.s.throttle.Load(); f > 0 {
		n := c.s.throttled.Load() + c.s.submits.Load()
		if (n+1)*f/1e6 > n*f/1e6 {
			c.s.throttled.Add(1)
			c.respond(pdu.SubmitSMResp, p.Sequence, pdu.StatusThrottled, nil)
			return true
		}
	}
	id := c.s.nextID()
	c.s.submits.Add(1)
	b, _ := (&pdu.PDU{Header: pdu.Header{CommandID: pdu.SubmitSMResp, Sequence: p.Sequence},
		Fields: []pdu.Field{{Bytes: []byte(id)}}}).Append(nil)
	// Recorded before the answer goes out, so whoever watches the SMSC
	// (Submitted, OnSubmit) has the message by the time the ESME has
	// its id; the receipt is queued after it.
	sm, receipt := c.record(p, id)
	if d := c.s.delay.Load(); d > 0 {
		select {
		case c.delayed <- delayed{due: time.Now().Add(time.Duration(d)), b: b}:
		case <-c.done:
		}
	} else {
		c.send(b)
	}
	if receipt {
		c.s.queueReceipt(sm, id)
	}
	return true
}

// record keeps a submitted message and tells OnSubmit, and reports
// whether it asks for a receipt.
func (c *conn) record(p *pdu.PDU, id string) (smpp.ShortMessage, bool) {
	regDel, _ := p.Field("registered_delivery")
	if !c.s.cfg.KeepSubmitted && c.s.cfg.OnSubmit == nil && regDel.Int&0x03 == 0 {
		return smpp.ShortMessage{}, false
	}
	sm, err := smpp.ShortMessageFromPDU(p)
	if err != nil {
		return smpp.ShortMessage{}, false
	}
	if c.s.cfg.KeepSubmitted {
		c.s.keep(sm)
	}
	if c.s.cfg.OnSubmit != nil {
		c.s.cfg.OnSubmit(sm, id)
	}
	return sm, regDel.Int&0x03 != 0
}

// deliver sends a deliver_sm and waits for its response status.
func (c *conn) deliver(ctx context.Context, sm *smpp.ShortMessage) error {
	seq := c.seq.Add(1)&0x7FFFFFFF | 0x40000000
	b, err := smpp.AppendShortMessage(nil, pdu.DeliverSM, seq, sm)
	if err != nil {
		return err
	}
	ch := make(chan uint32, 1)
	c.mu.Lock()
	c.pending[seq] = ch
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		delete(c.pending, seq)
		c.mu.Unlock()
	}()
	if err := c.send(b); err != nil {
		return fmt.Errorf("smsc: deliver_sm: %w", err)
	}
	select {
	case st := <-ch:
		if st != pdu.StatusOK {
			return &smpp.StatusError{Status: st, Command: "deliver_sm"}
		}
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-c.done:
		return fmt.Errorf("smsc: deliver_sm: connection closed")
	}
}
