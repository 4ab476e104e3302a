package sip

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/emiago/sipgo/sip"
	"github.com/iwf-gateway/iwf/adapters/sip/mediasession"
	"github.com/iwf-gateway/iwf/adapters/sip/msrp"
	"github.com/iwf-gateway/iwf/adapters/sip/sdp"
)

// sessionMethods is the Allow header of iwf's INVITE dialogs.
const sessionMethods = "INVITE, ACK, BYE, CANCEL, UPDATE, MESSAGE, OPTIONS"

// inviteReply is a final answer other than 2xx, with the headers it
// needs (Min-SE with 422, Unsupported with 420, Accept with 415).
type inviteReply struct {
	code    int
	reason  string
	retry   int // Retry-After seconds, 0 for none
	headers []sip.Header
}

func refuse(code int, reason string, hs ...sip.Header) *inviteReply {
	return &inviteReply{code: code, reason: reason, headers: hs}
}

// sessionsFull refuses an INVITE past msrp_max_sessions. It is 486
// with Retry-After (RFC 3261 sections 21.4.25 and 20.33), not 503: the
// limit is on sessions alone, and a proxy that gets 503 stops sending
// iwf any request, MESSAGEs included, for the Retry-After (section
// 21.5.4), and turns it into 500 upstream (section 16.7), so the CPM
// user would not learn when to retry.
func sessionsFull() *inviteReply {
	return &inviteReply{code: 486, retry: sessionsFullRetryAfter}
}

// inboundInvite is an INVITE opening a session, while iwf answers it.
type inboundInvite struct {
	req   *sip.Request
	in    *IncomingSession
	offer *sdp.Session
	timer timerAnswer
}

// onInvite serves INVITE: a new session, or a re-INVITE in a dialog.
// Like MESSAGE it is answered only after the SessionHandler returns.
func (e *Endpoint) onInvite(l *listener) func(*sip.Request, sip.ServerTransaction) {
	return func(req *sip.Request, tx sip.ServerTransaction) {
		l.requests.Add(1)
		src, ok := e.trustedSource(req)
		if !ok {
			e.answer(l, req, tx, refuse(403, ""))
			return
		}
		if !e.begin() {
			e.answer(l, req, tx, &inviteReply{code: 503, retry: 5})
			return
		}
		defer e.inflight.Done()
		if to := req.To(); to != nil && to.Params.Has("tag") {
			e.reinvite(l, req, tx)
			return
		}
		e.answerInvite(l, req, tx, src)
	}
}

// answerInvite answers an INVITE that opens a session: refusals first,
// then the MSRP session and SDP answer, then the SessionHandler, then
// 200 OK until the ACK.
func (e *Endpoint) answerInvite(l *listener, req *sip.Request, tx sip.ServerTransaction, src netip.AddrPort) {
	inv, rep := e.readInvite(req, src)
	if rep != nil {
		e.answer(l, req, tx, rep)
		return
	}
	s := newSession(e, KindChat, true)
	inv.in.s = s
	if !e.sessions.reserve(s) {
		e.log.Warn("sip: session refused: msrp_max_sessions reached", "call_id", inv.in.CallID)
		e.answer(l, req, tx, sessionsFull())
		return
	}
	// A refused session is gone before its answer goes out.
	refused := func(rep *inviteReply) {
		s.finish(ErrSessionEnded)
		if rep != nil {
			e.answer(l, req, tx, rep)
		}
	}
	if rep := e.negotiate(s, inv); rep != nil {
		refused(rep)
		return
	}
	ctx, cancel, cancelled := inviteContext(e.baseCtx, tx, func() { s.finish(ErrSessionEnded) })
	defer cancel()
	h, rep := e.decide(ctx, inv.in)
	switch {
	case cancelled.Load():
		refused(nil) // the transaction answered the CANCEL and the INVITE (487)
	case rep != nil:
		refused(rep)
	default:
		e.confirm(ctx, l, tx, s, inv, h)
	}
}

// inviteContext is the context of an INVITE being answered: it ends when
// the peer cancels the INVITE (cancelled then reports true) or the
// Endpoint closes. onCancel runs before the transaction answers 487.
func inviteContext(base context.Context, tx sip.ServerTransaction, onCancel func()) (context.Context, context.CancelFunc, *atomic.Bool) {
	ctx, cancel := context.WithCancel(base)
	cancelled := new(atomic.Bool)
	tx.OnCancel(func(*sip.Request) {
		cancelled.Store(true)
		cancel()
		onCancel()
	})
	return ctx, cancel, cancelled
}

// readInvite checks the headers and the offer of an INVITE and reduces
// it to an inboundInvite; on failure it returns the answer to send.
func (e *Endpoint) readInvite(req *sip.Request, src netip.AddrPort) (*inboundInvite, *inviteReply) {
	if rep := checkDialogHeaders(req); rep != nil {
		return nil, rep
	}
	if bad := unsupportedOptions(req); len(bad) > 0 {
		return nil, refuse(420, "Bad Extension", sip.NewHeader("Unsupported", strings.Join(bad, ", ")))
	}
	offer, rep := readOffer(req)
	if rep != nil {
		return nil, rep
	}
	if offer == nil {
		return nil, refuse(488, "SDP Offer Required")
	}
	timer, err := e.answerTimer(req)
	switch {
	case errors.Is(err, errIntervalTooSmall):
		return nil, e.tooSmall()
	case err != nil:
		return nil, refuse(400, "Bad Session-Expires")
	}
	in, rep := describeInvite(req, src)
	if rep != nil {
		return nil, rep
	}
	return &inboundInvite{req: req, in: in, offer: offer, timer: timer}, nil
}

// tooSmall is the 422 of RFC 4028 section 6, naming iwf's Min-SE.
func (e *Endpoint) tooSmall() *inviteReply {
	return refuse(422, "Session Interval Too Small",
		sip.NewHeader("Min-SE", strconv.Itoa(int(e.cfg.MinSessionExpires.Seconds()))))
}

// checkDialogHeaders refuses a dialog-creating request without the
// headers a dialog needs.
func checkDialogHeaders(req *sip.Request) *inviteReply {
	callID, cseq, from, to := req.CallID(), req.CSeq(), req.From(), req.To()
	switch {
	case callID == nil || callID.Value() == "":
		return refuse(400, "Missing Call-ID")
	case cseq == nil:
		return refuse(400, "Missing CSeq")
	case from == nil || !from.Params.Has("tag"):
		return refuse(400, "Missing From tag")
	case to == nil:
		return refuse(400, "Missing To")
	case req.Contact() == nil:
		return refuse(400, "Missing Contact")
	}
	return nil
}

// unsupportedOptions lists the option tags of Require iwf does not
// support: all but timer (RFC 3261 section 8.2.2.3).
func unsupportedOptions(req *sip.Request) []string {
	var bad []string
	for _, t := range optionTags(req, "Require", "") {
		if !strings.EqualFold(t, "timer") {
			bad = append(bad, t)
		}
	}
	return bad
}

// readOffer parses the SDP body of an INVITE, re-INVITE or UPDATE; nil
// without a body.
func readOffer(req *sip.Request) (*sdp.Session, *inviteReply) {
	body := req.Body()
	if len(body) == 0 {
		return nil, nil
	}
	ct := req.ContentType()
	if ct == nil || !isSDP(ct.Value()) {
		return nil, refuse(415, "", sip.NewHeader("Accept", "application/sdp"))
	}
	offer, err := sdp.Parse(body)
	if err != nil {
		return nil, refuse(488, "Malformed SDP")
	}
	return offer, nil
}

func isSDP(contentType string) bool {
	mt, _, _ := strings.Cut(contentType, ";")
	return strings.EqualFold(strings.TrimSpace(mt), "application/sdp")
}

// describeInvite fills what the SessionHandler learns from the headers.
func describeInvite(req *sip.Request, src netip.AddrPort) (*IncomingSession, *inviteReply) {
	in := &IncomingSession{
		CallID: req.CallID().Value(), RequestURI: req.Recipient.String(),
		From: req.From().Address.String(), To: req.To().Address.String(), Source: src,
	}
	if h := req.GetHeader("P-Asserted-Identity"); h != nil {
		ids, err := parseAddrHeaderList(h.Value())
		if err != nil {
			return nil, refuse(400, "Bad P-Asserted-Identity")
		}
		in.PAssertedIdentity = ids[0].URI
	}
	if h := req.GetHeader("Conversation-ID"); h != nil {
		in.ConversationID = h.Value()
	}
	if h := req.GetHeader("Contribution-ID"); h != nil {
		in.ContributionID = h.Value()
	}
	return in, nil
}

// negotiate opens the MSRP session and builds iwf's SDP answer; it
// completes inv.in with the offered media and the session's kind.
func (e *Endpoint) negotiate(s *session, inv *inboundInvite) *inviteReply {
	if err := s.openMedia(); err != nil {
		if errors.Is(err, mediasession.ErrTooManySessions) {
			return sessionsFull()
		}
		e.log.Error("sip: MSRP session not created", "call_id", inv.in.CallID, "error", err)
		return &inviteReply{code: 503, retry: 5}
	}
	local := e.localMedia(s, e.cfg.MSRPAcceptTypes, e.cfg.MSRPAcceptWrappedTypes)
	answer, err := sdp.Answer(inv.offer, sdp.AnswerConfig{Local: local})
	if err != nil {
		e.log.Info("sip: offer not acceptable", "call_id", inv.in.CallID, "error", err)
		return refuse(488, "")
	}
	offered, answered := acceptedMedia(inv.offer, answer)
	path, err := msrp.ParsePath(strings.Join(offered.Path, " "))
	if err == nil {
		err = s.media.SetPeerPath(path)
	}
	if err != nil {
		return refuse(488, "Bad MSRP Path")
	}
	if answered.Setup == sdp.SetupActive {
		s.connectTo = path // the offerer listens (a=setup:passive): iwf connects after the ACK
	}
	if s.localSDP, err = answer.Marshal(); err != nil {
		e.log.Error("sip: SDP answer not encoded", "call_id", inv.in.CallID, "error", err)
		return refuse(500, "")
	}
	s.remoteMedia = offered
	s.kind = kindOf(inv.req, offered.FileSelector != nil)
	in := inv.in
	in.Kind, in.AcceptTypes, in.AcceptWrappedTypes = s.kind, offered.AcceptTypes, offered.AcceptWrappedTypes
	in.MaxSize, in.FileSelector, in.FileTransferID = offered.MaxSize, offered.FileSelector, offered.FileTransferID
	return nil
}

// acceptedMedia returns the MSRP media description the answer accepted
// (the one with a port) and iwf's answer to it.
func acceptedMedia(offer, answer *sdp.Session) (offered, answered sdp.MSRPMedia) {
	for i := range answer.Media {
		if answer.Media[i].Port != 0 {
			offered, _ = sdp.MSRPMediaOf(&offer.Media[i])
			answered, _ = sdp.MSRPMediaOf(&answer.Media[i])
			break
		}
	}
	return offered, answered
}

// localMedia is iwf's end of the session's MSRP media for an offer or
// answer.
func (e *Endpoint) localMedia(s *session, types, wrapped []string) sdp.Local {
	u := s.media.LocalURI()
	return sdp.Local{
		SessionID: randomUint64() >> 1, Address: strings.Trim(u.Host, "[]"), Port: u.Port,
		Path: u.String(), TLS: u.Secure, Fingerprint: e.mediaPrint, AcceptTypes: types, AcceptWrappedTypes: wrapped, MaxSize: e.cfg.MSRPMaxMessageBytes,
	}
}

// decide calls the SessionHandler, recovering a panic, and maps its
// result.
func (e *Endpoint) decide(ctx context.Context, in *IncomingSession) (h MessageHandler, rep *inviteReply) {
	if e.sessionHandler == nil {
		return nil, refuse(480, "Sessions Not Accepted")
	}
	defer func() {
		if p := recover(); p != nil {
			e.log.Error("sip: session handler panic", "call_id", in.CallID, "panic", fmt.Sprint(p))
			h, rep = nil, refuse(500, "")
		}
	}()
	h, err := e.sessionHandler(ctx, in)
	var se *StatusError
	switch {
	case err == nil && h != nil:
		return h, nil
	case errors.As(err, &se) && se.Code >= 300 && se.Code <= 699:
		return nil, &inviteReply{code: se.Code, reason: se.Reason, retry: int(se.Retry.Seconds())}
	}
	if err == nil {
		err = errors.New("nil MessageHandler")
	}
	e.log.Warn("sip: session handler failed", "call_id", in.CallID, "error", err)
	return nil, refuse(500, "")
}

// confirm sends 200 OK with the SDP answer until the ACK comes, then
// hands the session to its run loop. Without an ACK iwf sends BYE.
func (e *Endpoint) confirm(ctx context.Context, l *listener, tx sip.ServerTransaction, s *session, inv *inboundInvite, h MessageHandler) {
	res := sip.NewResponseFromRequest(inv.req, 200, "OK", s.localSDP)
	localTag, _ := res.To().Params.Get("tag")
	contact := e.contactFor(l.network, l.addr, s.kind)
	e.okHeaders(res, contact, inv.timer, true)
	copyCPMHeaders(inv.req, res)
	s.mu.Lock()
	s.handler = h
	s.mu.Unlock()
	s.d = uasDialog(inv.req, localTag, contact, l.client)
	s.policy = inv.timer.policy
	ack := s.expectAck(inv.req.CSeq().SeqNo)
	if !e.sessions.add(s) { // cancelled, or ended from the SessionHandler
		e.answer(l, inv.req, tx, refuse(487, "Request Terminated"))
		return
	}
	err := s.awaitAck(ctx, tx, res, ack)
	switch {
	case errors.Is(err, ErrNoAck):
		s.end(ErrNoAck)
		return
	case err != nil:
		if s.cause() == nil {
			s.finish(fmt.Errorf("%w: %w", ErrClosed, err))
		}
		return
	}
	e.log.Info("sip: session established", "call_id", s.d.callID, "kind", s.kind.String(), "role", "uas")
	e.sessionLoops.Go(s.run)
}

// okHeaders completes a 2xx of iwf's INVITE dialog: Contact, Allow,
// Supported, the session timer, and the SDP content type when withSDP.
func (e *Endpoint) okHeaders(res *sip.Response, contact sip.ContactHeader, timer timerAnswer, withSDP bool) {
	if withSDP {
		ct := sip.ContentTypeHeader("application/sdp")
		res.AppendHeader(&ct)
	}
	res.AppendHeader(sip.HeaderClone(&contact))
	res.AppendHeader(sip.NewHeader("Allow", sessionMethods))
	res.AppendHeader(sip.NewHeader("Supported", "timer"))
	if timer.header != "" {
		for _, h := range timer.headers() {
			res.AppendHeader(h)
		}
	}
	res.AppendHeader(sip.NewHeader("Server", e.cfg.UserAgent))
}

// copyCPMHeaders keeps the CPM Conversation-ID and Contribution-ID of
// the INVITE in its 2xx.
func copyCPMHeaders(req *sip.Request, res *sip.Response) {
	for _, name := range []string{"Conversation-ID", "Contribution-ID"} {
		if h := req.GetHeader(name); h != nil {
			res.AppendHeader(sip.NewHeader(name, h.Value()))
		}
	}
}

// answer sends a final answer other than 2xx on tx and counts it.
func (e *Endpoint) answer(l *listener, req *sip.Request, tx sip.ServerTransaction, rep *inviteReply) {
	reason := rep.reason
	if reason == "" {
		reason = reasonPhrase(rep.code)
	}
	res := sip.NewResponseFromRequest(req, rep.code, reason, nil)
	for _, h := range rep.headers {
		res.AppendHeader(h)
	}
	if rep.code == 405 || rep.code == 420 {
		res.AppendHeader(sip.NewHeader("Allow", sessionMethods))
	}
	if rep.retry > 0 {
		res.AppendHeader(sip.NewHeader("Retry-After", strconv.Itoa(rep.retry)))
	}
	res.AppendHeader(sip.NewHeader("Server", e.cfg.UserAgent))
	if rep.code >= 300 {
		l.errors.Add(1)
	}
	if err := tx.Respond(res); err != nil {
		e.log.Warn("sip: response not sent", "method", string(req.Method), "code", rep.code, "error", err)
	}
}
