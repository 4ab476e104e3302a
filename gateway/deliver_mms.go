package gateway

import (
	"context"
	"fmt"

	"github.com/iwf-gateway/iwf/adapters/mms/mm7"
	"github.com/iwf-gateway/iwf/cpm"
	"github.com/iwf-gateway/iwf/translate"
)

// deliverMMS makes one attempt to submit a message to the MMS relay, then
// waits for its delivery report, keeps its id for a read reply, or ends it
// as submitted.
func (g *Gateway) deliverMMS(ctx context.Context, r *mmsRoute, w work) {
	it := g.loadAttempt(ctx, w, r.Name, "MMS relay")
	if it == nil {
		return
	}
	req, parts, err := g.submitReq(r, it)
	if err != nil {
		g.finish(ctx, it, outcomeFailed, cpm.Failed, err.Error())
		return
	}
	g.recv.beginSubmit()
	id, err := r.Link.Submit(ctx, &req, parts)
	if err != nil {
		g.recv.endSubmit()
		g.submitFailed(ctx, it, err)
		return
	}
	g.stats.mmsSubmits.Add(1)
	it.parts = []smsPart{{id: id, status: partSubmitted}}
	reports := wantsReceipts(&it.msg)
	readReply := it.msg.Notify.Has(cpm.Display)
	refs := []string{legacyRef(r.Name, id)}
	if reports || readReply {
		g.recv.register(refs[0])
	}
	g.recv.endSubmit()
	if reports {
		g.awaitReceipts(ctx, it, refs)
		return
	}
	defer g.recv.release(refs)
	if readReply {
		g.finish(ctx, it, outcomeSubmitted, "", "accepted by the MMS relay; only a read reply asked", refs...)
		return
	}
	g.finish(ctx, it, outcomeSubmitted, "", "accepted by the MMS relay; no report asked")
}

// submitReq maps a queued message to its SubmitReq and attachments.
func (g *Gateway) submitReq(r *mmsRoute, it *item) (mm7.SubmitReq, []mm7.Part, error) {
	from, err := g.mm7Address(it.msg.From)
	if err != nil {
		return mm7.SubmitReq{}, nil, fmt.Errorf("gateway: sender: %w", err)
	}
	to, err := g.mm7Address(it.msg.To)
	if err != nil {
		return mm7.SubmitReq{}, nil, fmt.Errorf("gateway: recipient: %w", err)
	}
	p := r.Policy
	p.Sender, p.Recipient, p.Now = from, to, g.now()
	m := it.msg
	if m.Expiry.IsZero() {
		m.Expiry = it.expiry
	}
	return translate.SubmitFromMessage(&m, p)
}

// mm7Address writes a CPM address as an MM7 address.
func (g *Gateway) mm7Address(a cpm.Address) (mm7.Address, error) {
	n, err := g.deps.Addresses.Normalize(string(a))
	if err != nil {
		return mm7.Address{}, err
	}
	return translate.MM7AddressOf(n)
}

// legacyRef is the journal ref under which the reports of a message
// submitted on an MM7 or IMPS route find it: the peer's message id as
// given (those ids are opaque strings, compared exactly).
func legacyRef(route, id string) string { return "r/" + route + "/" + id }
