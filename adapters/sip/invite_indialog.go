package sip

import (
	"errors"
	"strings"

	"github.com/emiago/sipgo/sip"
	"github.com/iwf-gateway/iwf/adapters/sip/msrp"
	"github.com/iwf-gateway/iwf/adapters/sip/sdp"
)

// Requests the peer sends within a session's dialog: ACK, BYE,
// re-INVITE and UPDATE. A re-INVITE or UPDATE that keeps the MSRP media
// as it is (a session refresh, RFC 4028) is answered 200 with iwf's SDP
// as it stands; one that changes the media is answered 488 and leaves
// the session as it was (RFC 3261 section 14.2).

// inDialog finds the session of a request in a dialog and checks its
// CSeq; on failure it answers and returns nil.
func (e *Endpoint) inDialog(l *listener, req *sip.Request, tx sip.ServerTransaction) *session {
	if _, ok := e.trustedSource(req); !ok {
		e.answer(l, req, tx, refuse(403, ""))
		return nil
	}
	s := e.sessions.lookup(req)
	if s == nil {
		e.answer(l, req, tx, refuse(481, "Call/Transaction Does Not Exist"))
		return nil
	}
	if cseq := req.CSeq(); cseq == nil || !s.d.acceptRemoteSeq(cseq.SeqNo) {
		e.answer(l, req, tx, refuse(500, "CSeq Out of Order"))
		return nil
	}
	return s
}

// onAck takes the ACK of a 2xx iwf sent. ACKs for other responses end
// in their transaction and never get here.
func (e *Endpoint) onAck(l *listener) func(*sip.Request, sip.ServerTransaction) {
	return func(req *sip.Request, tx sip.ServerTransaction) {
		if _, ok := e.trustedSource(req); !ok {
			return
		}
		if s := e.sessions.lookup(req); s != nil && req.CSeq() != nil {
			s.acked(req.CSeq().SeqNo)
		}
	}
}

// onBye ends the session the peer hangs up: the MSRP session closes,
// then the 200 goes out.
func (e *Endpoint) onBye(l *listener) func(*sip.Request, sip.ServerTransaction) {
	return func(req *sip.Request, tx sip.ServerTransaction) {
		l.requests.Add(1)
		s := e.inDialog(l, req, tx)
		if s == nil {
			return
		}
		s.finish(ErrEndedByPeer) // before the 200: once the peer has it, the session is gone
		res := sip.NewResponseFromRequest(req, 200, "OK", nil)
		res.AppendHeader(sip.NewHeader("Server", e.cfg.UserAgent))
		if err := tx.Respond(res); err != nil {
			e.log.Warn("sip: response to BYE not sent", "call_id", s.callID(), "error", err)
		}
	}
}

// reinvite answers a re-INVITE of the peer; it runs within onInvite.
func (e *Endpoint) reinvite(l *listener, req *sip.Request, tx sip.ServerTransaction) {
	s := e.inDialog(l, req, tx)
	if s == nil {
		return
	}
	if !s.beginReinvite() {
		e.answer(l, req, tx, refuse(491, "Request Pending"))
		return
	}
	timer, rep := e.reoffer(s, req)
	if rep != nil {
		s.endReinvite()
		e.answer(l, req, tx, rep)
		return
	}
	s.d.setTarget(req)
	res := sip.NewResponseFromRequest(req, 200, "OK", s.localSDP)
	e.okHeaders(res, s.d.contact, timer, true)
	ack := s.expectAck(req.CSeq().SeqNo)
	// Answered, the re-INVITE is no longer pending (RFC 3261 section
	// 14.2), though its ACK may still be on its way.
	s.endReinvite()
	err := s.awaitAck(e.baseCtx, tx, res, ack)
	switch {
	case errors.Is(err, ErrNoAck):
		s.end(ErrNoAck)
	case err == nil:
		s.notify(sessionEvent{refreshed: &timer.policy})
	}
}

// onUpdate answers an UPDATE of the peer (RFC 3311): a session refresh,
// with or without an SDP offer.
func (e *Endpoint) onUpdate(l *listener) func(*sip.Request, sip.ServerTransaction) {
	return func(req *sip.Request, tx sip.ServerTransaction) {
		l.requests.Add(1)
		s := e.inDialog(l, req, tx)
		if s == nil {
			return
		}
		offer := len(req.Body()) > 0
		if offer && !s.beginReinvite() {
			e.answer(l, req, tx, refuse(491, "Request Pending"))
			return
		} else if offer {
			defer s.endReinvite()
		}
		timer, rep := e.reoffer(s, req)
		if rep != nil {
			e.answer(l, req, tx, rep)
			return
		}
		s.d.setTarget(req)
		var body []byte
		if offer {
			body = s.localSDP
		}
		res := sip.NewResponseFromRequest(req, 200, "OK", body)
		e.okHeaders(res, s.d.contact, timer, offer)
		if err := tx.Respond(res); err != nil {
			e.log.Warn("sip: response to UPDATE not sent", "call_id", s.callID(), "error", err)
			return
		}
		s.notify(sessionEvent{refreshed: &timer.policy})
	}
}

// reoffer checks a re-INVITE's or UPDATE's offer and session timer.
func (e *Endpoint) reoffer(s *session, req *sip.Request) (timerAnswer, *inviteReply) {
	if bad := unsupportedOptions(req); len(bad) > 0 {
		return timerAnswer{}, refuse(420, "Bad Extension", sip.NewHeader("Unsupported", strings.Join(bad, ", ")))
	}
	offer, rep := readOffer(req)
	if rep != nil {
		return timerAnswer{}, rep
	}
	if offer != nil && !s.sameMedia(offer) {
		return timerAnswer{}, refuse(488, "Media Change Not Supported")
	}
	timer, err := e.answerTimer(req)
	switch {
	case errors.Is(err, errIntervalTooSmall):
		return timerAnswer{}, e.tooSmall()
	case err != nil:
		return timerAnswer{}, refuse(400, "Bad Session-Expires")
	}
	return timer, nil
}

// sameMedia reports whether offer keeps the session's MSRP media: an
// MSRP media description with a port, on the same transport, with the
// same path.
func (s *session) sameMedia(offer *sdp.Session) bool {
	for i := range offer.Media {
		m, err := sdp.MSRPMediaOf(&offer.Media[i])
		if err != nil || offer.Media[i].Port == 0 {
			continue
		}
		return m.TLS == s.remoteMedia.TLS && samePath(m.Path, s.remoteMedia.Path)
	}
	return false
}

// samePath compares a=path values URI by URI (RFC 4975 section 6.1).
func samePath(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		ua, err1 := msrp.ParseURI(a[i])
		ub, err2 := msrp.ParseURI(b[i])
		if err1 != nil || err2 != nil || !ua.Equal(ub) {
			return false
		}
	}
	return true
}
