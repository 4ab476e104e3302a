package gateway

import (
	"context"
	"fmt"

	"github.com/iwf-gateway/iwf/adapters/sip"
	"github.com/iwf-gateway/iwf/cpm"
	"github.com/iwf-gateway/iwf/translate"
)

// deliverCPM makes one attempt to deliver a message or a report to a CPM
// user: inside the chat session the user has open with the legacy sender,
// if there is one, else as a SIP MESSAGE through the outbound proxy (or a
// large-message session when it is over the pager-mode limit).
func (g *Gateway) deliverCPM(ctx context.Context, w work) {
	it := g.loadAttempt(ctx, w, cpmRoute, "CPM side")
	if it == nil {
		return
	}
	var (
		out                 sip.Outgoing
		err                 error
		cpmUser, legacyUser cpm.Address
		id                  string
	)
	switch it.kind {
	case kindReport:
		out, err = translate.SIPFromReport(&it.report, g.deps.CPMOut)
		cpmUser, legacyUser, id = it.report.To, it.report.From, it.report.ID
	default:
		out, err = translate.SIPFromMessage(&it.msg, g.deps.CPMOut)
		cpmUser, legacyUser, id = it.msg.To, it.msg.From, it.msg.ID
	}
	if err != nil {
		g.finish(ctx, it, outcomeFailed, cpm.Failed, err.Error())
		return
	}
	if g.sendInChat(ctx, string(cpmUser), string(legacyUser), &out, id) {
		g.finish(ctx, it, outcomeDelivered, cpm.Delivered, "delivered in the chat session")
		return
	}
	send := func() error { return g.deps.CPM.Send(ctx, &out) }
	if n := len(out.Body); n > g.cfg.PagerMaxBytes {
		cs, ok := g.deps.CPM.(cpmSessions)
		if !ok || !g.sessions {
			reason := fmt.Sprintf("message of %d bytes exceeds the pager-mode limit of %d bytes and large-message mode (MSRP) is not enabled", n, g.cfg.PagerMaxBytes)
			g.log.Warn("message toward CPM not sent: too large for pager mode", "seq", it.seq, "id", it.msg.ID, "to", it.msg.To, "bytes", n, "limit", g.cfg.PagerMaxBytes)
			g.finish(ctx, it, outcomeFailed, cpm.Failed, reason)
			return
		}
		send = func() error { return g.sendLarge(ctx, cs, &out, it.msg.ID) }
	}
	if err := send(); err != nil {
		if ctx.Err() != nil || temporary(err) {
			g.retryLater(ctx, it, err)
			return
		}
		g.finish(ctx, it, outcomeFailed, cpm.Failed, err.Error())
		return
	}
	g.finish(ctx, it, outcomeDelivered, cpm.Delivered, "accepted by the CPM side")
}
