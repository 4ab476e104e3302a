package sip

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/iwf-gateway/iwf/adapters/sip/mediasession"
	"github.com/iwf-gateway/iwf/adapters/sip/msrp"
	"github.com/iwf-gateway/iwf/adapters/sip/sdp"
)

// OpenSession opens a session toward a CPM user: an INVITE over TCP
// through Config.OutboundProxy (or to the Request-URI host when none is
// set) with the feature tag of o.Kind and an SDP offer for MSRP, and
// once the peer answers 2xx, the ACK and the MSRP connection. iwf offers
// a=setup:actpass (RFC 6135): it connects to the answerer's a=path when
// the answer is passive, and waits for the answerer to connect when it
// is active. The offer asks for session timers (RFC 4028); the
// answer's Session-Expires decides who refreshes.
//
// It returns a *StatusError for a final status other than 2xx
// (Temporary for 408, 480, 486, 491, 500, 503, 504), a
// *TransactionError (temporary) when no final status came within
// Config.TransactionTimeout or ctx ended, after a CANCEL, an error
// wrapping ErrInvalidOutgoing for an OutgoingSession that cannot be sent,
// ErrTooManySessions, ErrSessionsDisabled, ErrNotStarted, an error
// wrapping ErrBadAnswer, or a *MediaError when the MSRP connection
// failed; in the last two cases iwf has sent BYE.
func (e *Endpoint) OpenSession(ctx context.Context, o *OutgoingSession) (*OutSession, error) {
	if err := e.sessionsReady(); err != nil {
		return nil, err
	}
	if err := checkOutgoingSession(o); err != nil {
		return nil, err
	}
	if !e.begin() {
		return nil, &TransactionError{Err: ErrClosed}
	}
	defer e.inflight.Done()
	s := newSession(e, o.Kind, false)
	if s.kind == 0 {
		s.kind = KindChat
	}
	if !e.sessions.reserve(s) {
		return nil, ErrTooManySessions
	}
	invited := false
	defer func() {
		if !invited {
			s.finish(ErrSessionEnded)
		}
	}()
	s.handler = o.Handler
	if err := s.openMedia(); err != nil {
		if errors.Is(err, mediasession.ErrTooManySessions) {
			return nil, ErrTooManySessions
		}
		return nil, &MediaError{Err: err}
	}
	l := e.dialogListener()
	req, err := e.buildInvite(s, o, l)
	if err != nil {
		return nil, err
	}
	res, tx, err := e.invite(ctx, l.client, req)
	if err != nil {
		return nil, err
	}
	invited = true
	if err := e.establish(ctx, l.client, s, req, res, tx); err != nil {
		return nil, err
	}
	e.sessionLoops.Go(s.run)
	return &OutSession{callID: s.d.callID, s: s}, nil
}

// sessionsReady reports why OpenSession cannot run now.
func (e *Endpoint) sessionsReady() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	switch {
	case !e.sessionsOn:
		return ErrSessionsDisabled
	case !e.started:
		return ErrNotStarted
	}
	return nil
}

// checkOutgoingSession refuses values that cannot be put in a header or
// an offer.
func checkOutgoingSession(o *OutgoingSession) error {
	if o == nil {
		return fmt.Errorf("%w: nil session", ErrInvalidOutgoing)
	}
	if o.Kind < 0 || o.Kind > KindFileTransfer {
		return fmt.Errorf("%w: unknown session kind %d", ErrInvalidOutgoing, o.Kind)
	}
	if (o.FileSelector != nil) != (o.Kind == KindFileTransfer) {
		return fmt.Errorf("%w: a file transfer needs a FileSelector, and only it", ErrInvalidOutgoing)
	}
	return checkOutgoing(&Outgoing{
		PAssertedIdentity: o.PAssertedIdentity, ConversationID: o.ConversationID, ContributionID: o.ContributionID,
	})
}

// buildInvite builds the INVITE of s with its SDP offer, apart from Via,
// for a dialog on listener l.
func (e *Endpoint) buildInvite(s *session, o *OutgoingSession, l *listener) (*sip.Request, error) {
	var ruri, from, to sip.Uri
	if err := parseSIPURI(o.RequestURI, &ruri, "request URI"); err != nil {
		return nil, err
	}
	if e.proxy == nil && (ruri.Scheme != "sip" || ruri.Host == "") {
		return nil, fmt.Errorf("%w: request URI %q needs an outbound proxy", ErrInvalidOutgoing, o.RequestURI)
	}
	if err := parseSIPURI(o.From, &from, "From"); err != nil {
		return nil, err
	}
	toStr := cmp.Or(o.To, o.RequestURI)
	if err := parseSIPURI(toStr, &to, "To"); err != nil {
		return nil, err
	}
	if err := e.offer(s, o); err != nil {
		return nil, err
	}
	req := e.newOutOfDialog(sip.INVITE, ruri, from, to)
	e.appendInviteHeaders(req, s, o, e.contactFor(l.network, l.addr, s.kind))
	ct := sip.ContentTypeHeader("application/sdp")
	req.AppendHeader(&ct)
	req.SetBody(s.localSDP)
	e.routeInvite(req, &ruri)
	return req, nil
}

// offer builds iwf's SDP offer for s into s.localSDP.
func (e *Endpoint) offer(s *session, o *OutgoingSession) error {
	types := orDefault(o.AcceptTypes, e.cfg.MSRPAcceptTypes)
	wrapped := orDefault(o.AcceptWrappedTypes, e.cfg.MSRPAcceptWrappedTypes)
	cfg := sdp.OfferConfig{Local: e.localMedia(s, types, wrapped), Setup: sdp.SetupActPass}
	if s.kind == KindLargeMessage || s.kind == KindFileTransfer {
		cfg.Direction = sdp.SendOnly // one message, or one file, from iwf
	}
	if o.FileSelector != nil {
		cfg.FileSelector, cfg.FileTransferID = o.FileSelector, cmp.Or(o.FileTransferID, randomToken(8))
	}
	offer, err := sdp.Offer(cfg)
	if err == nil {
		s.localSDP, err = offer.Marshal()
	}
	if err != nil {
		return fmt.Errorf("%w: SDP offer: %v", ErrInvalidOutgoing, err)
	}
	return nil
}

// orDefault is list, or def when list is empty.
func orDefault(list, def []string) []string {
	if len(list) > 0 {
		return list
	}
	return def
}

// appendInviteHeaders adds Route, Contact, the CPM headers and the
// session timer request.
func (e *Endpoint) appendInviteHeaders(req *sip.Request, s *session, o *OutgoingSession, contact sip.ContactHeader) {
	if e.proxy != nil {
		route := e.proxy.uri.Clone()
		if !route.UriParams.Has("lr") {
			route.UriParams = append(route.UriParams.Clone(), sip.HeaderKV{K: "lr", V: ""})
		}
		req.AppendHeader(&sip.RouteHeader{Address: *route})
	}
	req.AppendHeader(&contact)
	req.AppendHeader(sip.NewHeader("Accept-Contact", s.kind.acceptContact()))
	req.AppendHeader(sip.NewHeader("P-Asserted-Identity", "<"+cmp.Or(o.PAssertedIdentity, o.From)+">"))
	if o.ConversationID != "" {
		req.AppendHeader(sip.NewHeader("Conversation-ID", o.ConversationID))
	}
	if o.ContributionID != "" {
		req.AppendHeader(sip.NewHeader("Contribution-ID", o.ContributionID))
	}
	for _, h := range e.timerRequestHeaders(e.cfg.SessionExpires, "") {
		req.AppendHeader(h)
	}
	e.appendSessionHeaders(req)
}

// appendSessionHeaders adds Allow and User-Agent to iwf's requests in
// a dialog.
func (e *Endpoint) appendSessionHeaders(req *sip.Request) {
	req.AppendHeader(sip.NewHeader("Allow", sessionMethods))
	req.AppendHeader(sip.NewHeader("User-Agent", e.cfg.UserAgent))
}

// dialogListener is the listener of the dialogs iwf creates: its TCP
// listener, or its first listener when it has none.
func (e *Endpoint) dialogListener() *listener {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, l := range e.listeners {
		if l.network == "tcp" {
			return l
		}
	}
	return e.listeners[0]
}

// routeInvite sends the INVITE over TCP to the proxy, or to the
// Request-URI host.
func (e *Endpoint) routeInvite(req *sip.Request, ruri *sip.Uri) {
	if e.proxy != nil {
		req.SetDestination(e.proxy.hostPort)
	} else {
		port := ruri.Port
		if port == 0 {
			port = 5060
		}
		req.SetDestination(net.JoinHostPort(ruri.Host, strconv.Itoa(port)))
	}
	req.SetTransport("TCP")
}

// invite sends the INVITE and waits for its final response, within
// Config.TransactionTimeout. A 422 is retried once with the Min-SE it
// names (RFC 4028 section 7.4). When ctx or the timeout ends first the
// INVITE is cancelled in the background.
func (e *Endpoint) invite(ctx context.Context, c *sipgo.Client, req *sip.Request) (*sip.Response, sip.ClientTransaction, error) {
	ctx, cancel := context.WithTimeoutCause(ctx, e.cfg.TransactionTimeout, ErrTimeout)
	defer cancel()
	defer context.AfterFunc(e.baseCtx, cancel)()
	for attempt := 0; ; attempt++ {
		tx, err := c.TransactionRequest(ctx, req)
		if err != nil {
			return nil, nil, e.transactionError(ctx, err)
		}
		res, err := e.awaitFinal(ctx, c, req, tx)
		switch {
		case err != nil:
			return nil, nil, err
		case res.IsSuccess():
			return res, tx, nil
		case res.StatusCode == 422 && attempt == 0 && retryInterval(req, res):
			continue
		}
		return nil, nil, statusErrorFrom(res)
	}
}

// retryInterval readies req to be sent again after a 422: the larger
// interval, the next CSeq, a new branch.
func retryInterval(req *sip.Request, res *sip.Response) bool {
	h := res.GetHeader("Min-SE")
	if h == nil {
		return false
	}
	v, _, _ := strings.Cut(h.Value(), ";")
	minSE, err := parseDeltaSeconds(v)
	if err != nil || minSE <= 0 {
		return false
	}
	secs := strconv.Itoa(int(minSE / time.Second))
	req.RemoveHeader("Session-Expires")
	req.RemoveHeader("Min-SE")
	req.AppendHeader(sip.NewHeader("Session-Expires", secs))
	req.AppendHeader(sip.NewHeader("Min-SE", secs))
	req.CSeq().SeqNo++
	req.RemoveHeader("Via")
	return true
}

// awaitFinal waits for the final response to the INVITE; when ctx ends
// first it hands the transaction to abandonInvite.
func (e *Endpoint) awaitFinal(ctx context.Context, c *sipgo.Client, req *sip.Request, tx sip.ClientTransaction) (*sip.Response, error) {
	provisional := false
	for {
		select {
		case res := <-tx.Responses():
			if res.IsProvisional() {
				provisional = true
				continue
			}
			return res, nil
		case <-tx.Done():
			err := tx.Err()
			if err == nil {
				err = sip.ErrTransactionTerminated
			}
			return nil, e.transactionError(ctx, err)
		case <-ctx.Done():
			e.sessionLoops.Go(func() { e.abandonInvite(c, req, tx, provisional) })
			return nil, e.transactionError(ctx, ctx.Err())
		}
	}
}

// abandonInvite cancels an INVITE nobody waits for any more: CANCEL
// once a provisional response came (RFC 3261 section 9.1), and ACK then
// BYE should a 2xx cross the CANCEL.
func (e *Endpoint) abandonInvite(c *sipgo.Client, req *sip.Request, tx sip.ClientTransaction, provisional bool) {
	ctx, cancel := context.WithTimeout(e.baseCtx, 64*sip.T1)
	defer cancel()
	defer tx.Terminate()
	if provisional {
		e.sendCancel(ctx, c, req)
	}
	for {
		select {
		case res := <-tx.Responses():
			switch {
			case res.IsProvisional() && !provisional:
				provisional = true
				e.sendCancel(ctx, c, req)
			case res.IsSuccess():
				d := uacDialog(req, res, *req.Contact(), c)
				if err := e.ackSuccess(d, req, tx); err == nil {
					_ = e.bye(ctx, d)
				}
				return
			case !res.IsProvisional():
				return
			}
		case <-tx.Done():
			return
		case <-ctx.Done():
			return
		}
	}
}

// sendCancel sends the CANCEL of req (RFC 3261 section 9.1): its
// Request-URI, top Via, Call-ID, From, To, Route and CSeq number.
func (e *Endpoint) sendCancel(ctx context.Context, client *sipgo.Client, req *sip.Request) {
	c := sip.NewRequest(sip.CANCEL, *req.Recipient.Clone())
	c.AppendHeader(sip.HeaderClone(req.Via()))
	c.AppendHeader(sip.HeaderClone(req.From()))
	c.AppendHeader(sip.HeaderClone(req.To()))
	c.AppendHeader(sip.HeaderClone(req.CallID()))
	c.AppendHeader(&sip.CSeqHeader{SeqNo: req.CSeq().SeqNo, MethodName: sip.CANCEL})
	maxFwd := sip.MaxForwardsHeader(70)
	c.AppendHeader(&maxFwd)
	for _, r := range req.GetHeaders("Route") {
		c.AppendHeader(sip.HeaderClone(r))
	}
	c.SetBody(nil)
	c.SetTransport(req.Transport())
	c.SetDestination(req.Destination())
	res, err := client.Do(ctx, c, keepRequest)
	if err != nil {
		e.log.Debug("sip: CANCEL failed", "call_id", req.CallID().Value(), "error", err)
	} else if !res.IsSuccess() {
		e.log.Debug("sip: CANCEL refused", "call_id", req.CallID().Value(), "code", res.StatusCode)
	}
}

// establish completes an accepted INVITE: dialog, ACK, session timer,
// the answer's MSRP media and, when iwf is the active party, the MSRP
// connection. On failure the session is ended with BYE.
func (e *Endpoint) establish(ctx context.Context, c *sipgo.Client, s *session, req *sip.Request, res *sip.Response, tx sip.ClientTransaction) error {
	s.d = uacDialog(req, res, *req.Contact(), c)
	s.inviteTx = tx
	e.sessions.add(s) // s holds its slot: OpenSession alone could have ended it
	if err := e.ackSuccess(s.d, req, tx); err != nil {
		s.finish(fmt.Errorf("%w: ACK not sent: %w", ErrSessionEnded, err))
		return &TransactionError{Err: err}
	}
	s.policy = policyFromResponse(res)
	if err := s.takeAnswer(res); err != nil {
		s.end(err)
		return err
	}
	if s.connectTo != nil {
		err := s.media.Connect(ctx, s.connectTo)
		s.connectTo = nil
		if err != nil {
			s.end(fmt.Errorf("%w: %w", ErrMediaEnded, err))
			return &MediaError{Err: err}
		}
	}
	e.log.Info("sip: session established", "call_id", s.d.callID, "kind", s.kind.String(), "role", "uac")
	return nil
}

// takeAnswer reads the SDP answer of a 2xx: the accepted MSRP media, its
// path, and who connects.
func (s *session) takeAnswer(res *sip.Response) error {
	ct := res.ContentType()
	if ct == nil || !isSDP(ct.Value()) {
		return fmt.Errorf("%w: no SDP", ErrBadAnswer)
	}
	answer, err := sdp.Parse(res.Body())
	if err != nil {
		return fmt.Errorf("%w: %w", ErrBadAnswer, err)
	}
	var m sdp.MSRPMedia
	found := false
	for i := range answer.Media {
		if mm, err := sdp.MSRPMediaOf(&answer.Media[i]); err == nil && answer.Media[i].Port != 0 && mm.TLS == s.media.LocalURI().Secure {
			m, found = mm, true
			break
		}
	}
	if !found {
		return fmt.Errorf("%w: no accepted MSRP media", ErrBadAnswer)
	}
	path, err := msrp.ParsePath(strings.Join(m.Path, " "))
	if err != nil {
		return fmt.Errorf("%w: a=path: %w", ErrBadAnswer, err)
	}
	switch m.Setup {
	case "", sdp.SetupPassive:
		s.connectTo = path // RFC 4975: without a=setup the offerer connects
	case sdp.SetupActive:
		err = s.media.SetPeerPath(path)
	default:
		err = fmt.Errorf("a=setup:%s in an answer", m.Setup)
	}
	if err != nil {
		return fmt.Errorf("%w: %w", ErrBadAnswer, err)
	}
	s.remoteMedia = m
	return nil
}
