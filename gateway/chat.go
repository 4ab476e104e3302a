package gateway

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/iwf-gateway/iwf/adapters/sip"
)

// Chat sessions with legacy users (3GPP TS 29.311 session interworking).
//
// A CPM user opens a chat (INVITE for oma.cpm.session with MSRP) with an
// SMS, MMS or IMPS user. Each message of the session is accepted exactly
// as a pager-mode MESSAGE is (journaled before the MSRP 200), so it goes
// out on the legacy route. While the session lives, what the legacy user
// sends to that CPM user (messages, and the IMDNs made from their
// receipts) is delivered inside it rather than as MESSAGEs. The table of
// live sessions is memory only: after a restart there is none, and
// pending work goes in pager mode. A session that ends (BYE from either
// side, idle timeout, a lost MSRP connection, iwf stopping) leaves the
// table, and what was to go into it goes in pager mode: the journal
// entry of a message stays Open until one of the two ways took it.

// chatSendTimeout bounds one message sent into a chat session: a peer
// that stops reading must not hold a CPM worker longer, and the message
// then goes in pager mode.
const chatSendTimeout = 10 * time.Second

// chatPair names a chat: the CPM user and the legacy user, each as
// canonicalAddress writes them.
type chatPair struct{ cpm, legacy string }

// chatTable is the live chat sessions, one per pair: the newest session
// of a pair takes its traffic. Ended sessions are dropped when met and
// swept when the table has doubled since the last sweep, so its size
// stays within twice the sessions the SIP endpoint allows.
type chatTable struct {
	mu        sync.Mutex
	live      map[chatPair]*sip.IncomingSession
	sweepSize int
}

func (t *chatTable) add(p chatPair, s *sip.IncomingSession) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.live == nil {
		t.live = make(map[chatPair]*sip.IncomingSession)
	}
	t.live[p] = s
	if len(t.live) > 2*t.sweepSize {
		for k, s := range t.live {
			if ended(s) {
				delete(t.live, k)
			}
		}
		t.sweepSize = max(len(t.live), 64)
	}
}

// empty reports whether no session is in the table.
func (t *chatTable) empty() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.live) == 0
}

// lookup returns the live session of p, or nil.
func (t *chatTable) lookup(p chatPair) *sip.IncomingSession {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := t.live[p]
	if s != nil && ended(s) {
		delete(t.live, p)
		return nil
	}
	return s
}

// remove drops s if it is still the session of p.
func (t *chatTable) remove(p chatPair, s *sip.IncomingSession) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.live[p] == s {
		delete(t.live, p)
	}
}

// count is the number of live sessions.
func (t *chatTable) count() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := 0
	for _, s := range t.live {
		if !ended(s) {
			n++
		}
	}
	return n
}

func ended(s *sip.IncomingSession) bool {
	select {
	case <-s.Done():
		return true
	default:
		return false
	}
}

// acceptChat takes a chat session a CPM user opened with a legacy user:
// its messages are accepted as pager-mode MESSAGEs would be, an IMDN in it
// is taken as pager mode takes one, and the session is registered for
// the legacy user's traffic to that CPM user.
func (g *Gateway) acceptChat(s *sip.IncomingSession) (sip.MessageHandler, error) {
	cpmUser := s.From
	if s.PAssertedIdentity != "" {
		cpmUser = s.PAssertedIdentity
	}
	pair := chatPair{cpm: g.canonicalAddress(cpmUser), legacy: g.canonicalAddress(s.RequestURI)}
	// Registered now: a message for the CPM user that comes before the
	// session is up waits in Send for the MSRP connection; if the session
	// never comes up it ends, and the message goes in pager mode.
	g.chats.add(pair, s)
	return func(ctx context.Context, m *sip.SessionMessage) error {
		return g.acceptRequest(ctx, sessionRequest(s, m), "IMDN in a chat session taken; the legacy network cannot carry it")
	}, nil
}

// sendInChat delivers out inside the live chat session between its CPM
// recipient and its legacy sender, if there is one that takes its
// content type. It reports whether the session took it; when it did not,
// the caller sends in pager mode.
func (g *Gateway) sendInChat(ctx context.Context, cpmUser, legacyUser string, out *sip.Outgoing, id string) bool {
	if g.chats.empty() {
		return false // no chat open: every delivery toward CPM passes here
	}
	pair := chatPair{cpm: g.canonicalAddress(cpmUser), legacy: g.canonicalAddress(legacyUser)}
	s := g.chats.lookup(pair)
	if s == nil || !accepts(s.AcceptTypes, mediaType(out.ContentType)) {
		return false
	}
	ctx, cancel := context.WithTimeout(ctx, chatSendTimeout)
	defer cancel()
	err := s.Send(ctx, &sip.SessionMessage{MessageID: id, ContentType: out.ContentType, Body: out.Body})
	if err != nil {
		if errors.Is(err, sip.ErrSessionEnded) || ended(s) {
			g.chats.remove(pair, s)
		}
		g.log.Info("chat session did not take a message; sending it in pager mode", "call_id", s.CallID, "id", id, "err", err)
		return false
	}
	g.stats.chatDelivered.Add(1)
	return true
}

// accepts reports whether a peer's a=accept-types takes media type mt.
func accepts(types []string, mt string) bool {
	for _, t := range types {
		if t == "*" || strings.EqualFold(t, mt) {
			return true
		}
		if typ, sub, _ := strings.Cut(t, "/"); sub == "*" {
			if mtyp, _, _ := strings.Cut(mt, "/"); strings.EqualFold(typ, mtyp) {
				return true
			}
		}
	}
	return false
}
