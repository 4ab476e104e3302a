package sip

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/iwf-gateway/iwf/adapters/sip/mediasession"
	"github.com/iwf-gateway/iwf/adapters/sip/msrp"
	"github.com/iwf-gateway/iwf/adapters/sip/sdp"
)

// session is the state shared by IncomingSession and OutSession: the
// dialog, the MSRP session carrying the media, the negotiated SDP, the
// session timer, and why the session ended.
//
// One goroutine per session (run) owns its timers: refresh or expiry
// (RFC 4028), the BYE after a large message, and the end of the MSRP
// session. Other goroutines reach it through events. Lock order:
// Endpoint.mu or sessionTable.mu, then session.mu, then dialog.mu.
type session struct {
	e       *Endpoint
	kind    SessionKind
	uas     bool // iwf answered the INVITE
	media   *mediasession.Session
	wake    chan struct{} // capacity 1: events wait in pending
	done    chan struct{}
	handler MessageHandler // set before iwf's 200 OK or OpenSession's INVITE

	// Set while the session is established, read-only afterwards.
	d           *dialog
	localSDP    []byte                // iwf's offer or answer, sent again in refreshes
	remoteMedia sdp.MSRPMedia         // the peer's, to tell a refresh from a change
	connectTo   []msrp.URI            // the peer's path when iwf must connect (a=setup:active)
	policy      refreshPolicy         // the session timer agreed at setup
	inviteTx    sip.ClientTransaction // OpenSession's INVITE, to ACK retransmitted 2xx

	mu       sync.Mutex
	pending  sessionEvent             // for the run loop, merged until it takes them
	acks     map[uint32]chan struct{} // ACKs awaited, by CSeq
	ending   bool                     // a BYE is being sent or the session is over
	err      error                    // why it ended; set once with done
	reinvite bool                     // a re-INVITE of either side is under way
}

// sessionEvent tells the run loop what happened elsewhere since it last
// looked; events merge, the latest refresh winning.
type sessionEvent struct {
	refreshed *refreshPolicy // the peer refreshed, agreeing on this
	handled   bool           // a message was handled
}

func newSession(e *Endpoint, kind SessionKind, uas bool) *session {
	return &session{
		e: e, kind: kind, uas: uas,
		wake: make(chan struct{}, 1), done: make(chan struct{}),
		acks: make(map[uint32]chan struct{}),
	}
}

// openMedia creates the MSRP session; iwf listens on its URI.
func (s *session) openMedia() error {
	ms, err := s.e.media.NewSession(mediasession.SessionOptions{Handler: s.deliver})
	if err != nil {
		return err
	}
	s.media = ms
	return nil
}

// deliver is the MSRP Handler: it hands a message to the session's
// MessageHandler and maps the result to the MSRP answer.
func (s *session) deliver(ctx context.Context, _ *mediasession.Session, m *mediasession.Message) error {
	s.e.mediaBusy.add()
	defer s.e.mediaBusy.done()
	s.mu.Lock()
	h := s.handler
	s.mu.Unlock()
	if h == nil {
		return msrp.StatusActionNotAllowed
	}
	err := h(ctx, &SessionMessage{MessageID: m.MessageID, ContentType: m.ContentType, Body: m.Body, SuccessReport: m.SuccessReport})
	if err != nil {
		return msrpStatus(err)
	}
	s.notify(sessionEvent{handled: true})
	return nil
}

// msrpStatus maps a MessageHandler's error to what the MSRP endpoint
// answers: the codes SIP and MSRP share pass, anything else is 500.
func msrpStatus(err error) error {
	var se *StatusError
	if errors.As(err, &se) {
		switch se.Code {
		case 400, 403, 413, 415:
			return msrp.StatusCode(se.Code)
		}
	}
	return fmt.Errorf("sip: message handler: %w", err)
}

// notify hands ev to the run loop without blocking, merged with the
// events it has not taken yet.
func (s *session) notify(ev sessionEvent) {
	s.mu.Lock()
	if ev.refreshed != nil {
		s.pending.refreshed = ev.refreshed
	}
	s.pending.handled = s.pending.handled || ev.handled
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// takeEvents returns the events merged since the last call.
func (s *session) takeEvents() sessionEvent {
	s.mu.Lock()
	defer s.mu.Unlock()
	ev := s.pending
	s.pending = sessionEvent{}
	return ev
}

func (s *session) callID() string {
	if s.d == nil {
		return ""
	}
	return s.d.callID
}

// send sends m on the MSRP session.
func (s *session) send(ctx context.Context, m *SessionMessage) error {
	select {
	case <-s.done:
		return ErrSessionEnded
	default:
	}
	if m == nil {
		return &MediaError{Err: fmt.Errorf("%w: nil message", mediasession.ErrInvalidMessage)}
	}
	if limit := s.remoteMedia.MaxSize; limit > 0 && int64(len(m.Body)) > limit {
		return fmt.Errorf("%w: %d bytes, max-size %d", ErrMessageTooLarge, len(m.Body), limit)
	}
	if m.MessageID == "" {
		m.MessageID = rand.Text()
	}
	if !s.e.beginMedia() {
		return &MediaError{Err: ErrClosed}
	}
	defer s.e.mediaBusy.done()
	err := s.media.Send(ctx, mediasession.Message{
		MessageID: m.MessageID, ContentType: m.ContentType, Body: m.Body, SuccessReport: m.SuccessReport,
	})
	switch {
	case err == nil:
		return nil
	case errors.Is(err, mediasession.ErrSessionClosed):
		select {
		case <-s.done:
			return ErrSessionEnded
		default:
		}
	case ctx.Err() != nil && errors.Is(err, ctx.Err()):
		return err
	}
	return &MediaError{Err: err}
}

// expectAck registers a wait for the ACK of the INVITE whose CSeq is
// seq; call it before the 2xx goes out.
func (s *session) expectAck(seq uint32) <-chan struct{} {
	ch := make(chan struct{})
	s.mu.Lock()
	s.acks[seq] = ch
	s.mu.Unlock()
	return ch
}

// acked is an ACK the peer sent in the dialog.
func (s *session) acked(seq uint32) {
	s.mu.Lock()
	ch := s.acks[seq]
	delete(s.acks, seq)
	s.mu.Unlock()
	if ch != nil {
		close(ch)
	}
}

// awaitAck sends res on tx, again at T1, 2*T1, ... up to T2 apart,
// until the ACK arrives (RFC 3261 section 13.3.1.4), for at most 64*T1.
func (s *session) awaitAck(ctx context.Context, tx sip.ServerTransaction, res *sip.Response, ack <-chan struct{}) error {
	if err := tx.Respond(res); err != nil {
		return err
	}
	interval := sip.T1
	resend := time.NewTimer(interval)
	defer resend.Stop()
	limit := time.NewTimer(64 * sip.T1)
	defer limit.Stop()
	for {
		select {
		case <-ack:
			return nil
		case <-tx.Acks():
			return nil // an ACK that reused the INVITE's branch
		case <-resend.C:
			if err := tx.Respond(res); err != nil {
				return err
			}
			interval = min(2*interval, sip.T2)
			resend.Reset(interval)
		case <-limit.C:
			return ErrNoAck
		case <-s.done:
			return s.cause()
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// beginReinvite marks a re-INVITE under way; false when one is already
// (iwf answers the second 491 Request Pending, RFC 3261 section 14.2).
func (s *session) beginReinvite() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.reinvite {
		return false
	}
	s.reinvite = true
	return true
}

func (s *session) endReinvite() {
	s.mu.Lock()
	s.reinvite = false
	s.mu.Unlock()
}

// cause returns why the session ended, nil while it lasts.
func (s *session) cause() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// hangUp ends the session with BYE: it sends BYE, waits for the answer
// (bounded by ctx and Config.TransactionTimeout) and finishes the
// session with cause. When another call is already ending the session
// it waits for that instead.
func (s *session) hangUp(ctx context.Context, cause error) error {
	s.mu.Lock()
	if s.ending {
		s.mu.Unlock()
		select {
		case <-s.done:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	s.ending = true
	s.mu.Unlock()
	err := s.e.bye(ctx, s.d)
	s.finish(cause)
	return err
}

// finish ends the session once: it records cause, forgets the dialog,
// closes the MSRP session and wakes everything waiting on it.
func (s *session) finish(cause error) {
	s.mu.Lock()
	if s.err != nil {
		s.mu.Unlock()
		return
	}
	s.err, s.ending = cause, true
	close(s.done)
	s.mu.Unlock()
	s.e.sessions.remove(s)
	if s.media != nil {
		s.media.Close()
	}
	if s.inviteTx != nil {
		s.inviteTx.Terminate()
	}
	if s.d != nil {
		s.e.log.Info("sip: session ended", "call_id", s.callID(), "kind", s.kind.String(), "cause", cause)
	}
}
