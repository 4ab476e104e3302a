package sip

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strconv"

	"github.com/emiago/sipgo/sip"
)

// pagerMethods is the Allow header of 405 and OPTIONS answers when
// sessions are off; sessionMethods is the one when they are on.
const pagerMethods = "MESSAGE, OPTIONS"

// Accept header values of an OPTIONS answer (RFC 3261 section 11.2): the
// bodies of MESSAGE, and SDP too when INVITE is served.
const (
	pagerAccept   = "message/cpim, text/plain, message/imdn+xml"
	sessionAccept = "application/sdp, " + pagerAccept
)

// reply is the final answer to an inbound request.
type reply struct {
	code   int
	reason string
	retry  int // Retry-After seconds, 0 for none
}

func (e *Endpoint) onMessage(l *listener) func(*sip.Request, sip.ServerTransaction) {
	return func(req *sip.Request, tx sip.ServerTransaction) {
		l.requests.Add(1)
		src, ok := e.trustedSource(req)
		if !ok {
			e.respond(l, req, tx, reply{code: 403})
			return
		}
		if !e.begin() {
			e.respond(l, req, tx, reply{code: 503, retry: 5})
			return
		}
		defer e.inflight.Done()
		r, rep := e.inboundRequest(req, src)
		if r != nil {
			rep = e.runHandler(r)
		}
		e.respond(l, req, tx, rep)
	}
}

func (e *Endpoint) onOptions(l *listener) func(*sip.Request, sip.ServerTransaction) {
	return func(req *sip.Request, tx sip.ServerTransaction) {
		l.requests.Add(1)
		if _, ok := e.trustedSource(req); !ok {
			e.respond(l, req, tx, reply{code: 403})
			return
		}
		e.respond(l, req, tx, reply{code: 200})
	}
}

// onOther answers with 405 every method iwf does not serve: all but
// MESSAGE and OPTIONS, and with sessions on INVITE, ACK, BYE, CANCEL and
// UPDATE. A stray ACK, which has no response, is dropped.
func (e *Endpoint) onOther(l *listener) func(*sip.Request, sip.ServerTransaction) {
	return func(req *sip.Request, tx sip.ServerTransaction) {
		if req.IsAck() {
			return
		}
		l.requests.Add(1)
		if _, ok := e.trustedSource(req); !ok {
			e.respond(l, req, tx, reply{code: 403})
			return
		}
		e.respond(l, req, tx, reply{code: 405})
	}
}

// trustedSource parses the packet or connection source and checks it
// against Config.TrustedPeers.
func (e *Endpoint) trustedSource(req *sip.Request) (netip.AddrPort, bool) {
	src, err := netip.ParseAddrPort(req.Source())
	if err != nil {
		return netip.AddrPort{}, false
	}
	src = netip.AddrPortFrom(src.Addr().Unmap(), src.Port())
	for _, p := range e.trusted {
		if p.Contains(src.Addr()) {
			return src, true
		}
	}
	e.log.Warn("sip: request from untrusted peer refused", "source", src.String(), "method", string(req.Method))
	return src, false
}

// inboundRequest checks the headers and size of a MESSAGE and reduces it
// to a Request; on failure it returns the reply to send.
func (e *Endpoint) inboundRequest(req *sip.Request, src netip.AddrPort) (*Request, reply) {
	if len(req.Body()) > e.cfg.MaxBodyBytes {
		return nil, reply{code: 413}
	}
	r := &Request{Source: src, Body: req.Body(), RequestURI: req.Recipient.String()}
	callID, cseq, from, to := req.CallID(), req.CSeq(), req.From(), req.To()
	switch {
	case callID == nil || callID.Value() == "":
		return nil, badRequest("Missing Call-ID")
	case cseq == nil:
		return nil, badRequest("Missing CSeq")
	case from == nil:
		return nil, badRequest("Missing From")
	case to == nil:
		return nil, badRequest("Missing To")
	}
	r.CallID, r.CSeq = callID.Value(), cseq.SeqNo
	r.From, r.To = from.Address.String(), to.Address.String()
	if h := req.GetHeader("P-Asserted-Identity"); h != nil {
		ids, err := parseAddrHeaderList(h.Value())
		if err != nil {
			return nil, badRequest("Bad P-Asserted-Identity")
		}
		r.PAssertedIdentity = ids[0].URI
	}
	if h := req.ContentType(); h != nil {
		r.ContentType = h.Value()
	}
	if len(r.Body) > 0 && r.ContentType == "" {
		return nil, badRequest("Missing Content-Type")
	}
	if h := req.GetHeader("Conversation-ID"); h != nil {
		r.ConversationID = h.Value()
	}
	if h := req.GetHeader("Contribution-ID"); h != nil {
		r.ContributionID = h.Value()
	}
	return r, reply{}
}

func badRequest(reason string) reply { return reply{code: 400, reason: reason} }

// runHandler calls the Handler, recovering a panic, and maps its result.
func (e *Endpoint) runHandler(r *Request) (rep reply) {
	ctx, cancel := context.WithCancel(e.baseCtx)
	defer cancel()
	defer func() {
		if p := recover(); p != nil {
			e.log.Error("sip: handler panic", "call_id", r.CallID, "panic", fmt.Sprint(p))
			rep = reply{code: 500}
		}
	}()
	return replyFor(e.handler(ctx, r))
}

// replyFor maps a Handler result to the answer sent on the wire.
func replyFor(err error) reply {
	if err == nil {
		return reply{code: 202}
	}
	var se *StatusError
	if errors.As(err, &se) && se.Code >= 300 && se.Code <= 699 {
		return reply{code: se.Code, reason: se.Reason, retry: int(se.Retry.Seconds())}
	}
	return reply{code: 500}
}

// respond sends the final response on tx and counts errors.
func (e *Endpoint) respond(l *listener, req *sip.Request, tx sip.ServerTransaction, rep reply) {
	reason := rep.reason
	if reason == "" {
		reason = reasonPhrase(rep.code)
	}
	res := sip.NewResponseFromRequest(req, rep.code, reason, nil)
	allow, accept := pagerMethods, pagerAccept
	if e.sessionsOn {
		allow, accept = sessionMethods, sessionAccept
	}
	if rep.code == 405 || req.Method == sip.OPTIONS {
		res.AppendHeader(sip.NewHeader("Allow", allow))
	}
	if req.Method == sip.OPTIONS && rep.code == 200 {
		res.AppendHeader(sip.NewHeader("Accept", accept))
		if e.sessionsOn {
			res.AppendHeader(sip.NewHeader("Supported", "timer"))
		}
	}
	if rep.retry > 0 {
		res.AppendHeader(sip.NewHeader("Retry-After", strconv.Itoa(rep.retry)))
	}
	res.AppendHeader(sip.NewHeader("Server", e.cfg.UserAgent))
	if rep.code >= 300 {
		l.errors.Add(1)
	}
	if err := tx.Respond(res); err != nil {
		if rep.code < 300 {
			l.errors.Add(1)
		}
		e.log.Warn("sip: response not sent", "code", rep.code, "error", err)
	}
}
