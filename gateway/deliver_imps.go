package gateway

import (
	"context"
	"fmt"
	"time"

	"github.com/iwf-gateway/iwf/adapters/imps/wv"
	"github.com/iwf-gateway/iwf/cpm"
	"github.com/iwf-gateway/iwf/translate"
)

// deliverIMPS makes one attempt to send a message to an IMPS user, then
// waits for the server's delivery report or ends it as submitted.
func (g *Gateway) deliverIMPS(ctx context.Context, r *impsRoute, w work) {
	it := g.loadAttempt(ctx, w, r.Name, "IMPS server")
	if it == nil {
		return
	}
	req, err := g.sendMessageReq(r, it)
	if err != nil {
		g.finish(ctx, it, outcomeFailed, cpm.Failed, err.Error())
		return
	}
	g.recv.beginSubmit()
	id, err := r.Link.SendMessage(ctx, &req)
	if err != nil {
		g.recv.endSubmit()
		g.submitFailed(ctx, it, err)
		return
	}
	g.stats.impsSent.Add(1)
	if !wantsReceipts(&it.msg) || id == "" {
		g.recv.endSubmit()
		g.finish(ctx, it, outcomeSubmitted, "", "accepted by the IMPS server; no report asked or none possible")
		return
	}
	it.parts = []smsPart{{id: id, status: partSubmitted}}
	refs := []string{legacyRef(r.Name, id)}
	g.recv.register(refs[0])
	g.recv.endSubmit()
	g.awaitReceipts(ctx, it, refs)
}

// sendMessageReq maps a queued message to its SendMessage-Request.
func (g *Gateway) sendMessageReq(r *impsRoute, it *item) (wv.SendMessageRequest, error) {
	sender, err := g.impsSender(it.msg.From)
	if err != nil {
		return wv.SendMessageRequest{}, fmt.Errorf("gateway: sender: %w", err)
	}
	recipient, ok, err := r.Names.IMPSRecipient(string(it.msg.To))
	if err != nil || !ok {
		return wv.SendMessageRequest{}, fmt.Errorf("gateway: recipient %s is not an IMPS user", it.msg.To)
	}
	now := g.now()
	rt := translate.IMPSRoute{Sender: sender, Recipient: recipient, SenderForm: r.SenderForm, Now: now}
	if r.SenderForm == SenderInDisplay {
		rt.DisplayPrefix = "[" + g.displayName(it.msg.From) + "] "
	}
	if !it.expiry.IsZero() {
		rt.Validity = max(it.expiry.Sub(now).Truncate(time.Second), time.Second)
	}
	return translate.SendMessageFromMessage(&it.msg, rt)
}

// impsSender is the IMPS id a CPM sender appears under.
func (g *Gateway) impsSender(a cpm.Address) (string, error) {
	n, err := g.deps.Addresses.Normalize(string(a))
	if err != nil {
		return "", err
	}
	return g.imps.Names.IMPSSender(n)
}

// displayName is how a CPM sender is shown in the text of a message when
// the IMPS server does not accept another sender than the gateway.
func (g *Gateway) displayName(a cpm.Address) string {
	n, err := g.deps.Addresses.Normalize(string(a))
	if err != nil {
		return string(a)
	}
	return n.String()
}
