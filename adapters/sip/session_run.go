package sip

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// errRefreshPending is a refresh not sent because a re-INVITE of the
// peer is under way; it is tried again shortly.
var errRefreshPending = errors.New("sip: re-INVITE under way")

// sessionTimers are the run loop's timers. A nil timer is not armed.
type sessionTimers struct {
	policy   refreshPolicy
	deadline time.Time   // when the session lapses unless refreshed
	refresh  *time.Timer // iwf refreshes (iwf is the refresher)
	expire   *time.Timer // the peer's refresh is overdue
	grace    *time.Timer // the BYE after a large message
}

// arm restarts the session timer for p, counted from now.
func (t *sessionTimers) arm(p refreshPolicy) {
	stopTimer(&t.refresh)
	stopTimer(&t.expire)
	t.policy = p
	if p.interval <= 0 {
		return
	}
	t.deadline = time.Now().Add(p.interval)
	if p.refresher {
		t.refresh = time.NewTimer(p.refreshAfter())
	} else {
		t.expire = time.NewTimer(p.expireAfter())
	}
}

func (t *sessionTimers) stop() {
	stopTimer(&t.refresh)
	stopTimer(&t.expire)
	stopTimer(&t.grace)
}

func stopTimer(t **time.Timer) {
	if *t != nil {
		(*t).Stop()
		*t = nil
	}
}

func timerC(t *time.Timer) <-chan time.Time {
	if t == nil {
		return nil
	}
	return t.C
}

// run owns the session's timers from establishment to its end: it
// connects the MSRP session when iwf is the active party, refreshes or
// watches refreshes (RFC 4028), sends BYE after the one message of an
// incoming large message session, and sends BYE when the MSRP session
// ends (idle timeout, lost connection). It returns when the session
// ends or the Endpoint closes.
func (s *session) run() {
	if s.connectTo != nil {
		ctx, cancel := context.WithTimeout(s.e.baseCtx, s.e.cfg.TransactionTimeout)
		err := s.media.Connect(ctx, s.connectTo)
		cancel()
		if err != nil {
			s.end(fmt.Errorf("%w: %w", ErrMediaEnded, err))
			return
		}
	}
	var t sessionTimers
	defer t.stop()
	t.arm(s.policy)
	for {
		select {
		case <-s.done:
			return
		case <-s.e.baseCtx.Done():
			return
		case <-s.media.Done():
			s.end(fmt.Errorf("%w: %w", ErrMediaEnded, s.media.Err()))
			return
		case <-s.wake:
			s.onEvent(&t, s.takeEvents())
		case <-timerC(t.refresh):
			t.refresh = nil
			if !s.refreshOrEnd(&t) {
				return
			}
		case <-timerC(t.expire):
			s.end(ErrSessionExpired)
			return
		case <-timerC(t.grace):
			s.end(ErrSessionEnded)
			return
		}
	}
}

func (s *session) onEvent(t *sessionTimers, ev sessionEvent) {
	if ev.refreshed != nil {
		t.arm(*ev.refreshed)
	}
	if ev.handled && s.uas && s.kind == KindLargeMessage && t.grace == nil {
		t.grace = time.NewTimer(s.e.cfg.LargeMessageGrace)
	}
}

// end hangs up from the run loop, bounded by the transaction timeout.
func (s *session) end(cause error) {
	ctx, cancel := context.WithTimeout(s.e.baseCtx, s.e.cfg.TransactionTimeout)
	defer cancel()
	if err := s.hangUp(ctx, cause); err != nil {
		s.e.log.Debug("sip: BYE failed", "call_id", s.callID(), "error", err)
	}
}

// refreshOrEnd sends a refresh and rearms; after a failure it tries
// again while the interval allows. It reports false when the session
// ended.
func (s *session) refreshOrEnd(t *sessionTimers) bool {
	p, err := s.refresh(t.policy.interval)
	if err == nil {
		t.arm(p)
		return true
	}
	s.e.log.Warn("sip: session refresh failed", "call_id", s.callID(), "error", err)
	retry := max(min(t.policy.interval/4, 4*time.Second), 100*time.Millisecond)
	if refreshFatal(err) || time.Until(t.deadline) <= retry {
		s.end(fmt.Errorf("%w: refresh failed: %w", ErrSessionExpired, err))
		return false
	}
	t.refresh = time.NewTimer(retry)
	return true
}

// refreshFatal reports whether a failed refresh ends the dialog: 408
// and 481 do (RFC 3261 section 12.2.1.2), as does no answer at all.
func refreshFatal(err error) bool {
	var se *StatusError
	var te *TransactionError
	switch {
	case errors.As(err, &se):
		return se.Code == 408 || se.Code == 481
	case errors.As(err, &te):
		return true
	}
	return errors.Is(err, ErrSessionEnded)
}

// refresh sends a session refresh: a re-INVITE with iwf's SDP as it
// stands and iwf as the refresher, then the ACK. It returns the session
// timer the 2xx agrees on.
func (s *session) refresh(interval time.Duration) (refreshPolicy, error) {
	if !s.beginReinvite() {
		return refreshPolicy{}, errRefreshPending
	}
	defer s.endReinvite()
	ctx, cancel := context.WithTimeout(s.e.baseCtx, s.e.cfg.TransactionTimeout)
	defer cancel()
	req := s.d.request(sip.INVITE)
	for _, h := range s.e.timerRequestHeaders(interval, "uac") {
		req.AppendHeader(h)
	}
	s.e.appendSessionHeaders(req)
	ct := sip.ContentTypeHeader("application/sdp")
	req.AppendHeader(&ct)
	req.SetBody(s.localSDP)
	res, tx, err := s.e.transact(ctx, s.d.client, req)
	if err != nil {
		return refreshPolicy{}, err
	}
	if !res.IsSuccess() {
		tx.Terminate()
		return refreshPolicy{}, statusErrorFrom(res)
	}
	if err := s.e.ackSuccess(s.d, req, tx); err != nil {
		return refreshPolicy{}, &TransactionError{Err: err}
	}
	s.d.setTargetFromResponse(res)
	return policyFromResponse(res), nil
}

// transact sends req through c in a client transaction and waits for
// its final response. A failure without one is a *TransactionError.
func (e *Endpoint) transact(ctx context.Context, c *sipgo.Client, req *sip.Request) (*sip.Response, sip.ClientTransaction, error) {
	tx, err := c.TransactionRequest(ctx, req)
	if err != nil {
		return nil, nil, e.transactionError(ctx, err)
	}
	for {
		select {
		case res := <-tx.Responses():
			if res.IsProvisional() {
				continue
			}
			return res, tx, nil
		case <-tx.Done():
			err := tx.Err()
			if err == nil {
				err = sip.ErrTransactionTerminated
			}
			return nil, nil, e.transactionError(ctx, err)
		case <-ctx.Done():
			tx.Terminate()
			return nil, nil, e.transactionError(ctx, ctx.Err())
		}
	}
}

// ackSuccess sends the ACK for a 2xx to the INVITE inv of dialog d, and
// sends it again whenever the 2xx is retransmitted while tx lasts
// (RFC 3261 section 13.2.2.4); tx ends by itself (Timer M).
func (e *Endpoint) ackSuccess(d *dialog, inv *sip.Request, tx sip.ClientTransaction) error {
	ack := d.ack(inv.CSeq().SeqNo)
	if err := d.client.WriteRequest(ack); err != nil {
		return err
	}
	again := ack.Clone()
	tx.OnRetransmission(func(r *sip.Response) {
		if r.IsSuccess() {
			if err := d.client.WriteRequest(again.Clone(), keepRequest); err != nil {
				e.log.Debug("sip: ACK not sent again", "call_id", d.callID, "error", err)
			}
		}
	})
	return nil
}

// keepRequest is a sipgo request option that sends a request as built.
func keepRequest(*sipgo.Client, *sip.Request) error { return nil }

// bye sends BYE in dialog d and waits for the answer, bounded by ctx and
// Config.TransactionTimeout. 481 and 408 count as done: the peer has
// no such dialog any more.
func (e *Endpoint) bye(ctx context.Context, d *dialog) error {
	if d == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, e.cfg.TransactionTimeout)
	defer cancel()
	defer context.AfterFunc(e.baseCtx, cancel)()
	req := d.request(sip.BYE)
	req.AppendHeader(sip.NewHeader("User-Agent", e.cfg.UserAgent))
	res, tx, err := e.transact(ctx, d.client, req)
	if err != nil {
		return err
	}
	tx.Terminate()
	if res.IsSuccess() || res.StatusCode == 481 || res.StatusCode == 408 {
		return nil
	}
	return statusErrorFrom(res)
}
