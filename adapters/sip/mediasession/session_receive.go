package mediasession

import (
	"crypto/rand"
	"errors"
	"fmt"
	"slices"

	"github.com/iwf-gateway/iwf/adapters/sip/msrp"
)

const (
	// messageOverhead is what one message costs in the receive buffer
	// beyond its bytes, so that empty messages are bounded too.
	messageOverhead = 512
	// maxRefused is how many refused Message-IDs a session remembers to
	// answer their late chunks 413 without reassembling them.
	maxRefused = 32
)

// receiveState is a session's inbound side. Guarded by Session.mu.
type receiveState struct {
	inbound    map[string]*inbound // messages being reassembled, by Message-ID
	refused    []string            // Message-IDs answered 413, oldest first
	buffered   int64               // bytes charged by inbound and queue
	queue      []*delivery         // complete messages waiting for the Handler
	delivering bool                // a delivery goroutine runs
}

// inbound is one message being reassembled.
type inbound struct {
	r           *msrp.Reassembler
	contentType string
	charged     int64 // bytes counted in receiveState.buffered
	last        int64 // Endpoint clock of its last chunk
}

// delivery is a complete message waiting for the Handler, with what is
// needed to answer its last chunk afterwards.
type delivery struct {
	c       *conn
	last    *msrp.Frame // the last chunk, without its body
	msg     *Message
	charged int64
}

// handleRequest dispatches a request read from c: SEND and REPORT to the
// session named by the first URI of To-Path, others 501.
func (e *Endpoint) handleRequest(c *conn, f *msrp.Frame) {
	if f.Method != msrp.MethodSEND && f.Method != msrp.MethodREPORT {
		c.respond(f, msrp.StatusMethodNotUnderstood)
		return
	}
	s := e.lookup(f.ToPath[0].SessionID)
	if s == nil {
		e.log.Debug("mediasession: request for no session", "to", f.ToPath[0].String(), "remote", c.remote)
		c.respond(f, msrp.StatusSessionDoesNotExist)
		return
	}
	if f.Method == msrp.MethodREPORT {
		s.handleReport(f)
		return
	}
	if code := s.bindIncoming(c, f); code != 0 {
		c.respond(f, code)
		return
	}
	s.handleSend(c, f)
}

// respond answers req with code, as its Failure-Report allows (RFC 4975
// section 7.2): "no" wants no response, "partial" only failures. REPORT
// requests are never answered.
func (c *conn) respond(req *msrp.Frame, code msrp.StatusCode) {
	if req.Method == msrp.MethodREPORT || req.FailureReport == "no" || req.FailureReport == "partial" && code.Success() {
		return
	}
	resp := msrp.Frame{
		TransactionID: req.TransactionID, Code: code, Comment: commentFor(code),
		ToPath: req.FromPath[:1], FromPath: req.ToPath[:1],
	}
	if err := c.send(&resp); err != nil {
		c.e.log.Debug("mediasession: response not sent", "tid", req.TransactionID, "code", int(code), "error", err)
	}
}

// handleReport hands a REPORT to the Send of its message.
func (s *Session) handleReport(f *msrp.Frame) {
	s.touch()
	if f.Status == nil || f.MessageID == "" {
		s.e.log.Debug("mediasession: REPORT without Status or Message-ID ignored", "session", s.id)
		return
	}
	s.mu.Lock()
	sd := s.reports[f.MessageID]
	s.mu.Unlock()
	if sd == nil {
		s.e.log.Debug("mediasession: REPORT for no message being sent", "session", s.id, "message", f.MessageID, "status", f.Status.String())
		return
	}
	sd.reported(f)
}

// handleSend takes one SEND chunk of the session: it answers at once,
// except the last chunk of a complete message, which waits for the
// Handler.
func (s *Session) handleSend(c *conn, f *msrp.Frame) {
	s.touch()
	if f.MessageID == "" {
		c.respond(f, msrp.StatusUnintelligible)
		return
	}
	limits, budget := s.e.cfg.Limits, s.e.cfg.ReceiveBuffer
	s.mu.Lock()
	if s.err != nil {
		s.mu.Unlock()
		c.respond(f, msrp.StatusSessionDoesNotExist)
		return
	}
	code, msg := s.recv.add(f, limits, budget, s.e.clock.Load())
	start := false
	if msg != nil {
		f.Body = nil
		s.recv.queue = append(s.recv.queue, &delivery{c: c, last: f, msg: msg.Message, charged: msg.charged})
		start = !s.recv.delivering
		s.recv.delivering = true
	}
	s.mu.Unlock()
	if code != 0 {
		if code == msrp.StatusStopSending {
			s.e.log.Info("mediasession: message refused", "session", s.id, "message", f.MessageID, "code", int(code))
		}
		c.respond(f, code)
	}
	if start {
		s.startDelivery()
	}
}

// completed is a message the reassembly finished, with its charge.
type completed struct {
	*Message
	charged int64
}

// add takes chunk f and returns the code to answer now (0 when the answer
// waits for the Handler) and the message it completed, if any.
func (r *receiveState) add(f *msrp.Frame, limits msrp.Config, budget, now int64) (msrp.StatusCode, *completed) {
	id := f.MessageID
	in := r.inbound[id]
	if in == nil && f.ContentType == "" && len(f.Body) == 0 && f.Flag != msrp.FlagMore && f.Flag != msrp.FlagAbort {
		return msrp.StatusOK, nil // an empty SEND: binds or keeps the session alive
	}
	if slices.Contains(r.refused, id) {
		return msrp.StatusStopSending, nil
	}
	if in == nil {
		in = &inbound{r: msrp.NewReassembler(id, limits)}
	}
	need := in.need(f)
	if r.buffered-in.charged+need > budget {
		r.refuse(id)
		return msrp.StatusStopSending, nil
	}
	done, err := in.r.Add(f)
	switch {
	case errors.Is(err, msrp.ErrAborted):
		r.forget(id)
		return msrp.StatusOK, nil
	case errors.Is(err, msrp.ErrMessageTooLarge):
		r.refuse(id)
		return msrp.StatusStopSending, nil
	case err != nil:
		return msrp.StatusUnintelligible, nil
	}
	if r.inbound == nil {
		r.inbound = make(map[string]*inbound)
	}
	r.inbound[id] = in
	r.buffered += need - in.charged
	in.charged, in.last = need, now
	if f.ContentType != "" {
		in.contentType = f.ContentType
	}
	if !done {
		return msrp.StatusOK, nil
	}
	delete(r.inbound, id)
	return 0, in.complete(f)
}

// complete is the message that chunk f completed.
func (in *inbound) complete(f *msrp.Frame) *completed {
	m := &Message{
		MessageID: f.MessageID, ContentType: in.contentType, Body: in.r.Message(), Extra: f.Extra,
		FromPath: f.FromPath, SuccessReport: f.SuccessReport == "yes", FailureReport: f.FailureReport,
	}
	return &completed{Message: m, charged: in.charged}
}

// need is what the message will hold once f is added: its total when
// known, else the highest byte received.
func (in *inbound) need(f *msrp.Frame) int64 {
	n := in.charged
	total := in.r.Total()
	if f.ByteRange != nil {
		if total == msrp.Unknown {
			total = f.ByteRange.Total
		}
		n = max(n, f.ByteRange.Start-1+int64(len(f.Body)))
	} else {
		n = max(n, int64(len(f.Body)))
	}
	if total != msrp.Unknown {
		n = max(n, total)
	}
	return max(n, in.charged, messageOverhead)
}

// refuse drops message id and remembers to refuse its later chunks.
func (r *receiveState) refuse(id string) {
	r.forget(id)
	if len(r.refused) == maxRefused {
		r.refused = append(r.refused[:0], r.refused[1:]...)
	}
	r.refused = append(r.refused, id)
}

// forget drops message id being reassembled and its charge.
func (r *receiveState) forget(id string) {
	if in := r.inbound[id]; in != nil {
		r.buffered -= in.charged
		delete(r.inbound, id)
	}
}

// dropStale drops messages whose last chunk came before cutoff.
func (r *receiveState) dropStale(cutoff int64) {
	for id, in := range r.inbound {
		if in.last < cutoff {
			r.forget(id)
		}
	}
}

// drop forgets everything when the session ends.
func (r *receiveState) drop() {
	clear(r.queue)
	r.inbound, r.queue, r.buffered = nil, nil, 0
}

// startDelivery starts the session's delivery goroutine, unless the
// Endpoint is closing, in which case the queued messages are dropped
// unanswered.
func (s *Session) startDelivery() {
	if s.e.begin(true) {
		s.e.goroutines.Go(s.deliverLoop)
		return
	}
	s.mu.Lock()
	s.recv.delivering = false
	s.recv.drop()
	s.mu.Unlock()
}

// deliverLoop hands queued messages to the Handler one at a time, then
// answers each message's last chunk and sends its success REPORT.
func (s *Session) deliverLoop() {
	defer s.e.done()
	for {
		s.mu.Lock()
		if s.err != nil || len(s.recv.queue) == 0 {
			s.recv.delivering = false
			s.mu.Unlock()
			return
		}
		d := s.recv.queue[0]
		s.recv.queue[0] = nil
		s.recv.queue = s.recv.queue[1:]
		s.mu.Unlock()

		code := statusFor(s.callHandler(d.msg))
		d.c.respond(d.last, code)
		if code.Success() && d.msg.SuccessReport {
			s.sendSuccessReport(d)
		}
		s.mu.Lock()
		if s.err == nil {
			s.recv.buffered -= d.charged
		}
		s.mu.Unlock()
		s.touch()
	}
}

// callHandler runs the Handler, turning a panic into an error.
func (s *Session) callHandler(m *Message) (err error) {
	if s.handler == nil {
		return msrp.StatusActionNotAllowed
	}
	defer func() {
		if p := recover(); p != nil {
			s.e.log.Error("mediasession: handler panicked", "session", s.id, "message", m.MessageID, "panic", fmt.Sprint(p))
			err = fmt.Errorf("mediasession: handler panicked: %v", p)
		}
	}()
	return s.handler(s.ctx, s, m)
}

// sendSuccessReport sends the REPORT of RFC 4975 section 7.1.3 for a
// message handled: back along the message's From-Path, covering all of
// it.
func (s *Session) sendSuccessReport(d *delivery) {
	total := int64(len(d.msg.Body))
	rep := msrp.Frame{
		TransactionID: rand.Text(), Method: msrp.MethodREPORT,
		ToPath: d.last.FromPath, FromPath: []msrp.URI{s.local}, MessageID: d.msg.MessageID,
		ByteRange: &msrp.ByteRange{Start: 1, End: total, Total: total},
		Status:    &msrp.Status{Code: msrp.StatusOK, Comment: "OK"},
	}
	if err := d.c.send(&rep); err != nil {
		s.e.log.Debug("mediasession: success report not sent", "session", s.id, "message", d.msg.MessageID, "error", err)
	}
}
