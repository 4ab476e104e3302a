package gateway

import (
	"context"
	"mime"

	"github.com/iwf-gateway/iwf/adapters/sip"
	"github.com/iwf-gateway/iwf/translate"
)

// cpmSessions is a CPM link that can open MSRP sessions toward CPM users
// (sip.Endpoint with sessions enabled): large-message mode for messages
// over the pager-mode limit.
type cpmSessions interface {
	OpenSession(ctx context.Context, o *sip.OutgoingSession) (*sip.OutSession, error)
}

// HandleSession is the sip.SessionHandler of the CM-7 endpoint: a CPM user
// opens an MSRP session to send one large message or a file to a legacy
// user, or to chat with one (chat.go). Each message is accepted as a
// pager-mode MESSAGE would be: the MSRP 200 and success REPORT go back
// only once it is journaled.
func (g *Gateway) HandleSession(ctx context.Context, s *sip.IncomingSession) (sip.MessageHandler, error) {
	if g.closing.Load() {
		return nil, unavailable()
	}
	if err := g.recipientKnown(s.RequestURI); err != nil {
		return nil, err
	}
	if s.Kind == sip.KindChat {
		return g.acceptChat(s)
	}
	filename := ""
	if s.FileSelector != nil {
		filename = s.FileSelector.Name
	}
	return func(ctx context.Context, m *sip.SessionMessage) error {
		msg, err := translate.MessageFromSession(sessionRequest(s, m), filename)
		if err != nil {
			g.stats.rejected.Add(1)
			return sipError(err)
		}
		return g.AcceptFromCPM(ctx, msg)
	}, nil
}

// sessionRequest is message m of session s as the MESSAGE that would
// have carried it in pager mode.
func sessionRequest(s *sip.IncomingSession, m *sip.SessionMessage) *sip.Request {
	return &sip.Request{
		CallID: s.CallID + "/" + m.MessageID, RequestURI: s.RequestURI, From: s.From, To: s.To,
		PAssertedIdentity: s.PAssertedIdentity, ContentType: m.ContentType, Body: m.Body,
		ConversationID: s.ConversationID, ContributionID: s.ContributionID, Source: s.Source,
	}
}

// recipientKnown refuses, before a session is set up, a recipient no
// route serves (404), so the CPM user does not send a large message only
// to have it refused.
func (g *Gateway) recipientKnown(to string) error {
	impsUser, route, err := g.ownerOf(to)
	if err == nil && !impsUser && route.Network == NetworkCPM {
		return sipStatus(404, "Not Found: "+to+" is a CPM user")
	}
	return err
}

// sendLarge delivers a MESSAGE too large for pager mode in a
// large-message session: INVITE, the message over MSRP with a success
// report asked, BYE.
func (g *Gateway) sendLarge(ctx context.Context, cs cpmSessions, out *sip.Outgoing, id string) error {
	s, err := cs.OpenSession(ctx, &sip.OutgoingSession{
		RequestURI: out.RequestURI, From: out.From, To: out.To, PAssertedIdentity: out.PAssertedIdentity,
		Kind: sip.KindLargeMessage, ConversationID: out.ConversationID, ContributionID: out.ContributionID,
		AcceptTypes: []string{mediaType(out.ContentType)},
	})
	if err != nil {
		return err
	}
	defer func() { _ = s.Close(context.WithoutCancel(ctx)) }()
	return s.Send(ctx, &sip.SessionMessage{MessageID: id, ContentType: out.ContentType, Body: out.Body, SuccessReport: true})
}

// mediaType is a Content-Type without its parameters.
func mediaType(ct string) string {
	if mt, _, err := mime.ParseMediaType(ct); err == nil {
		return mt
	}
	return ct
}
