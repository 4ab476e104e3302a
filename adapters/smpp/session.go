package smpp

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/iwf-gateway/iwf/adapters/smpp/pdu"
)

// session is one bound connection. Concurrency: the slot goroutine runs
// serve (the reader) and owns the writer, keep-alive and deliver
// goroutines, joining them before serve returns. Any goroutine may call
// request, send and close. mu guards pending and closed; it is never held
// while blocking on the network or a channel.
type session struct {
	c    *Client
	slot *slot
	conn net.Conn
	r    *bufio.Reader
	bind pdu.CommandID

	seq    atomic.Uint32
	out    chan []byte // encoded PDUs for the writer; nil asks it to flush and close
	done   chan struct{}
	doneMu sync.Once

	mu      sync.Mutex
	pending map[uint32]chan response
	closed  bool
	cause   error

	delivering atomic.Int64
}

type response struct {
	p   *pdu.PDU
	err error
}

func newSession(c *Client, sl *slot, conn net.Conn, r *bufio.Reader, bind pdu.CommandID, seq uint32) *session {
	s := &session{
		c: c, slot: sl, conn: conn, r: r, bind: bind,
		out:     make(chan []byte, c.cfg.Window+c.cfg.DeliverConcurrency+8),
		done:    make(chan struct{}),
		pending: make(map[uint32]chan response, c.cfg.Window),
	}
	s.seq.Store(seq)
	return s
}

// nextSeq returns the next sequence number in 1..0x7FFFFFFF.
func (s *session) nextSeq() uint32 {
	for {
		n := s.seq.Add(1) & 0x7FFFFFFF
		if n != 0 {
			return n
		}
	}
}

// close ends the session once: the connection closes and every pending
// request fails with ErrConnLost wrapping cause.
func (s *session) close(cause error) {
	s.doneMu.Do(func() {
		s.mu.Lock()
		s.closed, s.cause = true, cause
		pending := s.pending
		s.pending = nil
		s.mu.Unlock()
		close(s.done)
		s.conn.Close()
		s.slot.detach(s, cause)
		for _, ch := range pending {
			ch <- response{err: fmt.Errorf("%w: %v", ErrConnLost, cause)}
		}
	})
}

// serve runs the session until the connection ends; it returns after every
// goroutine it started has ended.
func (s *session) serve(ctx context.Context) error {
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); s.writeLoop() }()
	go func() { defer wg.Done(); s.keepAlive(ctx) }()
	deliverSem := make(chan struct{}, s.c.cfg.DeliverConcurrency)
	err := s.readLoop(ctx, &wg, deliverSem)
	s.close(err)
	wg.Wait()
	return err
}

func (s *session) writeLoop() {
	w := bufio.NewWriterSize(s.conn, 64*1024)
	for {
		var b []byte
		select {
		case b = <-s.out:
		case <-s.done:
			return
		}
		for {
			if b == nil { // flush and close after an unbind_resp
				w.Flush()
				s.close(errors.New("smpp: session closed after final response"))
				return
			}
			if _, err := w.Write(b); err != nil {
				s.close(err)
				return
			}
			s.c.putBuf(b)
			select {
			case b = <-s.out:
				continue
			default:
			}
			break
		}
		if err := w.Flush(); err != nil {
			s.close(err)
			return
		}
	}
}

// send queues an encoded PDU for the writer.
func (s *session) send(b []byte) error {
	select {
	case s.out <- b:
		return nil
	case <-s.done:
		return ErrConnLost
	}
}

// request sends a PDU built by build(seq) and waits for its response, the
// response timeout, ctx or the end of the session.
func (s *session) request(ctx context.Context, build func(dst []byte, seq uint32) ([]byte, error)) (*pdu.PDU, error) {
	seq := s.nextSeq()
	b, err := build(s.c.getBuf(), seq)
	if err != nil {
		return nil, err
	}
	ch := make(chan response, 1)
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil, fmt.Errorf("%w: %v", ErrConnLost, s.cause)
	}
	s.pending[seq] = ch
	s.mu.Unlock()
	if err := s.send(b); err != nil {
		s.forget(seq)
		return nil, err
	}
	t := time.NewTimer(s.c.cfg.ResponseTimeout)
	defer t.Stop()
	select {
	case r := <-ch:
		return r.p, r.err
	case <-t.C:
		s.forget(seq)
		return nil, ErrResponseTimeout
	case <-ctx.Done():
		s.forget(seq)
		return nil, ctx.Err()
	}
}

func (s *session) forget(seq uint32) {
	s.mu.Lock()
	delete(s.pending, seq)
	s.mu.Unlock()
}

// inFlight counts requests awaiting a response and deliver_sm not yet
// answered.
func (s *session) inFlight() int {
	s.mu.Lock()
	n := len(s.pending)
	s.mu.Unlock()
	return n + int(s.delivering.Load())
}

func (s *session) keepAlive(ctx context.Context) {
	t := time.NewTicker(s.c.cfg.EnquireLink)
	defer t.Stop()
	for {
		select {
		case <-s.done:
			return
		case <-ctx.Done():
			s.close(ErrClosed)
			return
		case <-t.C:
			p, err := s.request(ctx, func(dst []byte, seq uint32) ([]byte, error) {
				return (&pdu.PDU{Header: pdu.Header{CommandID: pdu.EnquireLink, Sequence: seq}}).Append(dst)
			})
			if err == nil && p.CommandID != pdu.EnquireLinkResp {
				err = fmt.Errorf("smpp: enquire_link answered with %s", p.CommandID)
			}
			if err != nil {
				s.close(fmt.Errorf("smpp: enquire_link: %w", err))
				return
			}
		}
	}
}

// readLoop reads PDUs until the connection fails. Malformed PDUs get a
// generic_nack and the loop goes on; only a command_length that cannot be
// skipped (below 16, or above MaxLength) ends it.
func (s *session) readLoop(ctx context.Context, wg *sync.WaitGroup, sem chan struct{}) error {
	var hb [pdu.HeaderLength]byte
	for {
		if _, err := io.ReadFull(s.r, hb[:]); err != nil {
			return err
		}
		h, err := pdu.DecodeHeader(hb[:])
		if err != nil {
			s.nack(h.Sequence, pdu.StatusInvCmdLen)
			s.flushAndWait()
			return fmt.Errorf("smpp: from SMSC: %w", err)
		}
		body := make([]byte, h.Length-pdu.HeaderLength)
		if _, err := io.ReadFull(s.r, body); err != nil {
			return err
		}
		p, err := pdu.DecodeBody(h, body)
		if err != nil {
			s.malformed(h, err)
			continue
		}
		s.dispatch(ctx, p, wg, sem)
	}
}

// flushAndWait gives the writer a moment to send a final nack; it does not
// block past the end of the session.
func (s *session) flushAndWait() {
	select {
	case s.out <- nil:
		<-s.done
	case <-s.done:
	}
}

func (s *session) malformed(h pdu.Header, err error) {
	s.c.log.Warn("smpp: malformed PDU from SMSC", "bind", s.slot.name, "command", h.CommandID.String(), "err", err)
	status := pdu.StatusInvCmdLen
	if errors.Is(err, pdu.ErrUnknownCommand) {
		status = pdu.StatusInvCmdID
	}
	if h.CommandID.IsResponse() && h.CommandID.Known() {
		s.answer(h.Sequence, response{err: fmt.Errorf("%w: %s: %v", ErrMalformedResponse, h.CommandID, err)})
		return
	}
	s.nack(h.Sequence, status)
}

func (s *session) nack(seq, status uint32) {
	b := s.c.getBuf()
	b = binary.BigEndian.AppendUint32(b, pdu.HeaderLength)
	b = binary.BigEndian.AppendUint32(b, uint32(pdu.GenericNack))
	b = binary.BigEndian.AppendUint32(b, status)
	b = binary.BigEndian.AppendUint32(b, seq)
	_ = s.send(b)
}

func (s *session) respond(id pdu.CommandID, seq, status uint32, fields []pdu.Field) {
	b, err := (&pdu.PDU{Header: pdu.Header{CommandID: id, Status: status, Sequence: seq}, Fields: fields}).Append(s.c.getBuf())
	if err == nil {
		_ = s.send(b)
	}
}

func (s *session) answer(seq uint32, r response) {
	s.mu.Lock()
	ch, ok := s.pending[seq]
	delete(s.pending, seq)
	s.mu.Unlock()
	if ok {
		ch <- r
	} else {
		s.c.log.Debug("smpp: response without request", "bind", s.slot.name, "seq", seq)
	}
}

func (s *session) dispatch(ctx context.Context, p *pdu.PDU, wg *sync.WaitGroup, sem chan struct{}) {
	if p.CommandID.IsResponse() {
		s.answer(p.Sequence, response{p: p})
		return
	}
	switch p.CommandID {
	case pdu.EnquireLink:
		s.respond(pdu.EnquireLinkResp, p.Sequence, pdu.StatusOK, nil)
	case pdu.Unbind:
		s.respond(pdu.UnbindResp, p.Sequence, pdu.StatusOK, nil)
		_ = s.send(nil)
	case pdu.DeliverSM:
		if s.bind == pdu.BindTransmitter {
			s.respond(pdu.DeliverSMResp, p.Sequence, pdu.StatusInvBndSts, []pdu.Field{{}})
			return
		}
		select {
		case sem <- struct{}{}:
		case <-s.done:
			return
		}
		s.delivering.Add(1)
		wg.Add(1)
		go func() {
			defer func() { <-sem; s.delivering.Add(-1); wg.Done() }()
			s.deliver(ctx, p)
		}()
	case pdu.AlertNotification:
		// no response is defined (SMPP 3.4 section 4.12)
	default:
		s.nack(p.Sequence, pdu.StatusInvCmdID)
	}
}

// deliver hands one deliver_sm to the DeliverFunc and answers only after it
// returns.
func (s *session) deliver(ctx context.Context, p *pdu.PDU) {
	status := pdu.StatusOK
	sm, err := ShortMessageFromPDU(p)
	if err == nil {
		err = s.c.deliver(ctx, &sm)
	}
	if err != nil {
		var se *StatusError
		if errors.As(err, &se) {
			status = se.Status
		} else {
			status = pdu.StatusRxTAppn
		}
		s.c.log.Info("smpp: deliver_sm refused", "bind", s.slot.name, "status", pdu.StatusName(status), "err", err)
	}
	s.respond(pdu.DeliverSMResp, p.Sequence, status, []pdu.Field{{}})
}
