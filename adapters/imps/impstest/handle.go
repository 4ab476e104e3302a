package impstest

import (
	"context"
	"fmt"
	"time"

	"github.com/iwf-gateway/iwf/adapters/imps/wv"
)

// CSP result codes the fake answers with that package wv does not name:
// a refused login, a response naming no open transaction of the server,
// and a message id it does not hold (or that does not match the
// transaction answered).
const (
	codeInvalidPassword      = 409
	codeInvalidTransactionID = 420
	codeInvalidMessageID     = 426
)

// maxSeen bounds the TransactionIDs remembered per session for the
// duplicate check.
const maxSeen = 1 << 16

// item is one server request waiting in an inbox until acknowledged.
// A message (NewMessage or MessageNotification) carries msgID and its
// content in message; answered marks a MessageNotification the client
// answered with a Status, which is not offered again.
type item struct {
	txID     string
	msgID    string
	message  *wv.NewMessage
	prim     wv.Primitive
	offered  bool
	answered bool
}

// inbox holds the items of one account in arrival order; unoffered
// counts those never offered yet.
type inbox struct {
	items     []*item
	unoffered int
}

func (b *inbox) add(it *item) {
	b.items = append(b.items, it)
	b.unoffered++
}

func (s *Server) inboxLocked(user string) *inbox {
	b := s.inboxes[user]
	if b == nil {
		b = &inbox{}
		s.inboxes[user] = b
	}
	return b
}

// Inject queues m for account user; it reaches the client on its next
// poll, as a NewMessage or, for an Account with Notify, as a
// MessageNotification. An empty MessageID is assigned; the id is returned.
func (s *Server) Inject(ctx context.Context, user string, m wv.NewMessage) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	acc, ok := s.cfg.Accounts[user]
	if !ok {
		return "", fmt.Errorf("impstest: unknown account %q", user)
	}
	if m.MessageInfo.MessageID == "" {
		m.MessageInfo.MessageID = s.nextID("m-")
	}
	it := &item{txID: s.nextID("t-"), msgID: m.MessageInfo.MessageID, message: &m, prim: &m}
	if acc.Notify {
		it.prim = &wv.MessageNotification{MessageInfo: m.MessageInfo}
	}
	s.inboxLocked(user).add(it)
	return m.MessageInfo.MessageID, nil
}

// Disconnect queues a Disconnect (result 601) for account user: the session
// that polls next gets it and ends.
func (s *Server) Disconnect(user string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.inboxLocked(user)
	b.add(&item{txID: s.nextID("t-"),
		prim: &wv.Disconnect{Result: wv.Result{Code: wv.CodeForcedLogout, Description: "Forced logout."}}})
}

// Pending returns how many items wait unacknowledged in user's inbox.
func (s *Server) Pending(user string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.inboxLocked(user).items)
}

// handle answers the transactions of one document; sid is the session id
// of the answer, user its account and sent the SendMessage-Requests it
// accepted.
func (s *Server) handle(in wv.Message) (sid, user string, out []wv.Transaction, sent []Sent) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	sid = in.Session.SessionID
	for _, t := range in.Transactions {
		id := t.Descriptor.TransactionID
		if t.Descriptor.TransactionMode == wv.ModeRequest {
			if code, ok := s.takeFault(t.Primitive.PrimitiveName()); ok {
				out = append(out, response(id, &wv.Status{Result: wv.Result{Code: code, Description: "Injected fault."}}))
				continue
			}
		}
		if login, ok := t.Primitive.(*wv.LoginRequest); ok {
			resp := s.login(login)
			if resp.SessionID != "" {
				sid, user = resp.SessionID, login.UserID
			}
			out = append(out, response(id, resp))
			continue
		}
		sess, code := s.sessionLocked(sid, now)
		if sess == nil {
			out = append(out, response(id, &wv.Status{Result: wv.Result{Code: code}}))
			continue
		}
		user = sess.user
		n := len(s.sent)
		out = append(out, s.serveInSession(sess, t)...)
		sent = append(sent, s.sent[n:]...)
	}
	if user != "" && s.unofferedLocked(user) {
		for i := range out {
			if out[i].Descriptor.TransactionMode == wv.ModeResponse {
				out[i].Descriptor.Poll = wv.NewBool(true)
			}
		}
	}
	return sid, user, out, sent
}

func (s *Server) takeFault(primitive string) (int, bool) {
	codes := s.faults[primitive]
	if len(codes) == 0 {
		return 0, false
	}
	s.faults[primitive] = codes[1:]
	return codes[0], true
}

// sessionLocked returns the live session sid, or nil and the result code:
// 600 for an expired session, 604 for an unknown one.
func (s *Server) sessionLocked(sid string, now time.Time) (*session, int) {
	sess := s.sessions[sid]
	if sess != nil && now.Sub(sess.lastSeen) > s.cfg.KeepAliveTime {
		s.expireLocked(sid)
		sess = nil
	}
	switch {
	case sess != nil:
		sess.lastSeen = now
		return sess, 0
	case s.expired[sid]:
		return nil, wv.CodeSessionExpired
	}
	return nil, wv.CodeInvalidSession
}

func (s *Server) login(req *wv.LoginRequest) *wv.LoginResponse {
	resp := &wv.LoginResponse{ClientID: req.ClientID}
	acc, ok := s.cfg.Accounts[req.UserID]
	key := req.UserID + "\x00" + req.SessionCookie
	switch {
	case !ok:
		resp.Result = wv.Result{Code: wv.CodeUnknownUser, Description: "Unknown user."}
	case req.DigestBytes != "":
		nonce := s.nonces[key]
		delete(s.nonces, key)
		if nonce == "" || req.DigestSchema != "MD5" || req.DigestBytes != digest(nonce, acc.Password) {
			resp.Result = wv.Result{Code: codeInvalidPassword, Description: "Invalid password."}
		}
	case acc.Digest || req.Password == "":
		nonce := s.nextID("nonce-") + "-" + req.SessionCookie
		s.nonces[key] = nonce
		s.stats.Challenges++
		resp.Result = wv.Result{Code: wv.CodeUnauthorized, Description: "Unauthorized."}
		resp.Nonce, resp.DigestSchema = nonce, "MD5"
		return resp
	case req.Password != acc.Password:
		resp.Result = wv.Result{Code: codeInvalidPassword, Description: "Invalid password."}
	}
	if resp.Result.Code != 0 {
		s.stats.FailedLogins++
		return resp
	}
	sid := s.nextID("sess-")
	s.sessions[sid] = &session{id: sid, user: req.UserID, lastSeen: time.Now(), seen: map[string]bool{}}
	s.stats.Logins++
	resp.Result = wv.Result{Code: wv.CodeOK}
	resp.SessionID = sid
	resp.KeepAliveTime = uint32(s.cfg.KeepAliveTime / time.Second)
	return resp
}

func ok() *wv.Status { return &wv.Status{Result: wv.Result{Code: wv.CodeOK}} }

// serveInSession answers one transaction of a live session.
func (s *Server) serveInSession(sess *session, t wv.Transaction) []wv.Transaction {
	id := t.Descriptor.TransactionID
	if t.Descriptor.TransactionMode == wv.ModeRequest {
		if sess.seen[id] {
			s.stats.DuplicateTransactions++
			return []wv.Transaction{response(id, &wv.Status{Result: wv.Result{Code: wv.CodeBadRequest, Description: "Duplicate transaction."}})}
		}
		if len(sess.seen) < maxSeen {
			sess.seen[id] = true
		}
	}
	if t.Descriptor.TransactionMode == wv.ModeResponse {
		return s.responseLocked(sess, t)
	}
	switch p := t.Primitive.(type) {
	case *wv.KeepAliveRequest:
		s.stats.KeepAlives++
		return []wv.Transaction{response(id, &wv.KeepAliveResponse{Result: wv.Result{Code: wv.CodeOK},
			KeepAliveTime: uint32(s.cfg.KeepAliveTime / time.Second)})}
	case *wv.LogoutRequest:
		s.stats.Logouts++
		delete(s.sessions, sess.id)
		return []wv.Transaction{response(id, ok())}
	case *wv.PollingRequest:
		s.stats.Polls++
		return append([]wv.Transaction{response(id, ok())}, s.offerLocked(sess)...)
	case *wv.SendMessageRequest:
		return []wv.Transaction{response(id, s.sendLocked(sess, p))}
	case *wv.GetMessageRequest:
		return []wv.Transaction{response(id, s.getMessageLocked(sess.user, p.MessageID))}
	case *wv.MessageDelivered:
		return []wv.Transaction{response(id, s.deliveredLocked(sess.user, p.MessageID))}
	}
	return []wv.Transaction{response(id, &wv.Status{Result: wv.ResultFor(wv.ErrUnknownPrimitive)})}
}

func (s *Server) sendLocked(sess *session, p *wv.SendMessageRequest) *wv.SendMessageResponse {
	msgID := s.nextID("sent-")
	s.sent = append(s.sent, Sent{MessageID: msgID, Session: sess.id, Request: *p})
	if p.DeliveryReport {
		info := p.MessageInfo
		info.MessageID = msgID
		b := s.inboxLocked(sess.user)
		b.add(&item{txID: s.nextID("t-"),
			prim: &wv.DeliveryReportRequest{Result: wv.Result{Code: wv.CodeOK}, MessageInfo: info}})
	}
	return &wv.SendMessageResponse{Result: wv.Result{Code: wv.CodeOK}, MessageID: msgID}
}

// offerLocked returns the first PollBatch inbox items as server requests,
// skipping answered MessageNotifications; a Disconnect among them is sent
// once and ends sess.
func (s *Server) offerLocked(sess *session) []wv.Transaction {
	b := s.inboxLocked(sess.user)
	out := make([]wv.Transaction, 0, min(len(b.items), s.cfg.PollBatch))
	disconnect := false
	for _, it := range b.items {
		if len(out) == s.cfg.PollBatch {
			break
		}
		if it.answered {
			continue
		}
		if !it.offered {
			it.offered = true
			b.unoffered--
		}
		out = append(out, request(it.txID, it.prim))
		if _, ok := it.prim.(*wv.Disconnect); ok {
			disconnect = true
		}
	}
	if disconnect {
		delete(s.sessions, sess.id)
		for s.ackLocked(sess.user, func(it *item) bool { _, ok := it.prim.(*wv.Disconnect); return ok && it.offered }) {
		}
	}
	return out
}

// ackLocked removes the first item that matches; items are usually
// acknowledged in the order offered, so the scan is short.
func (s *Server) ackLocked(user string, match func(*item) bool) bool {
	b := s.inboxLocked(user)
	for i, it := range b.items {
		if match(it) {
			if !it.offered {
				b.unoffered--
			}
			if i == 0 {
				b.items[0] = nil
				b.items = b.items[1:]
			} else {
				b.items = append(b.items[:i], b.items[i+1:]...)
			}
			return true
		}
	}
	return false
}

func (s *Server) unofferedLocked(user string) bool {
	return s.inboxLocked(user).unoffered > 0
}

// responseLocked takes the client's response to one of the server's
// transactions. A response ends its transaction and gets no answer, with
// two exceptions answered with a Status under the response's
// TransactionID, which change nothing: an id that names no transaction the
// server has offered and still holds open for the account gets 420
// (Invalid transaction-ID), and a MessageDelivered that does not fit the
// transaction it answers gets 400 (not a NewMessage) or 426 (another
// MessageID).
//
// The transaction a response may end:
//   - NewMessage: only MessageDelivered with the pushed MessageID removes
//     the message; any other response (a Status, say) leaves it offered;
//   - MessageNotification: a Status marks it answered (see
//     answerNotificationLocked);
//   - DeliveryReport-Request: a Status removes it.
func (s *Server) responseLocked(sess *session, t wv.Transaction) []wv.Transaction {
	id := t.Descriptor.TransactionID
	refuse := func(code int, why string) []wv.Transaction {
		return []wv.Transaction{response(id, &wv.Status{Result: wv.Result{Code: code, Description: why}})}
	}
	it := s.offeredLocked(sess.user, id)
	if it == nil {
		if _, ok := t.Primitive.(*wv.Status); ok && s.unanswered[id] {
			delete(s.unanswered, id) // a notification whose message left before this answer
			s.stats.AnsweredNotifications++
			return nil
		}
		s.stats.InvalidTransactions++
		return refuse(codeInvalidTransactionID, "Invalid transaction ID.")
	}
	switch p := t.Primitive.(type) {
	case *wv.MessageDelivered:
		if _, pushed := it.prim.(*wv.NewMessage); !pushed {
			return refuse(wv.CodeBadRequest, "MessageDelivered answers a NewMessage only.")
		}
		if p.MessageID != it.msgID {
			return refuse(codeInvalidMessageID, "Invalid message ID.")
		}
		s.ackLocked(sess.user, func(x *item) bool { return x == it })
		s.delivered = append(s.delivered, it.msgID)
	case *wv.Status:
		switch it.prim.(type) {
		case *wv.MessageNotification:
			s.answerNotificationLocked(it)
		case *wv.DeliveryReportRequest:
			s.ackLocked(sess.user, func(x *item) bool { return x == it })
		}
	}
	return nil
}

// offeredLocked returns the item of user's inbox that went out as server
// transaction txID, nil when none did or it has left the inbox.
func (s *Server) offeredLocked(user, txID string) *item {
	for _, it := range s.inboxLocked(user).items {
		if it.offered && it.txID == txID {
			return it
		}
	}
	return nil
}

// deliveredLocked answers MessageDelivered sent as a request, the form
// that confirms a message delivered by Notify/Get (fetched with
// GetMessage-Request): the message leaves user's inbox. A pushed message
// is confirmed only by the response to its NewMessage (400 here, the
// message stays); an id the inbox does not hold gets 426.
func (s *Server) deliveredLocked(user, msgID string) *wv.Status {
	var found *item
	for _, it := range s.inboxLocked(user).items {
		if it.msgID != "" && it.msgID == msgID {
			found = it
			break
		}
	}
	if found == nil {
		return &wv.Status{Result: wv.Result{Code: codeInvalidMessageID, Description: "Invalid message ID."}}
	}
	if _, notified := found.prim.(*wv.MessageNotification); !notified {
		return &wv.Status{Result: wv.Result{Code: wv.CodeBadRequest,
			Description: "A pushed message is confirmed by the MessageDelivered response to its NewMessage."}}
	}
	s.ackLocked(user, func(it *item) bool { return it == found })
	if !found.answered {
		s.unanswered[found.txID] = true
	}
	s.delivered = append(s.delivered, msgID)
	return ok()
}

// getMessageLocked answers GetMessage-Request: the message while it waits
// in user's inbox (notified or pushed), 426 otherwise.
func (s *Server) getMessageLocked(user, msgID string) wv.Primitive {
	for _, it := range s.inboxLocked(user).items {
		if it.message != nil && it.msgID == msgID {
			s.stats.GetMessages++
			return &wv.GetMessageResponse{MessageInfo: it.message.MessageInfo, ContentData: it.message.ContentData}
		}
	}
	return &wv.Status{Result: wv.Result{Code: codeInvalidMessageID, Description: "Invalid message ID."}}
}

// answerNotificationLocked counts the answer to the MessageNotification
// it and marks it answered: the client has it, so it is not offered again,
// but the message stays until MessageDelivered. A repeated answer is not
// counted again.
func (s *Server) answerNotificationLocked(it *item) {
	if !it.answered {
		it.answered = true
		s.stats.AnsweredNotifications++
	}
}
