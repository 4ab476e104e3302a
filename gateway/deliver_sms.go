package gateway

import (
	"context"
	"errors"
	"time"

	"github.com/iwf-gateway/iwf/adapters/smpp"
	"github.com/iwf-gateway/iwf/cpm"
	"github.com/iwf-gateway/iwf/journal"
)

// temporary reports whether an attempt that failed with err may succeed
// later. Errors that do not say are taken as temporary: retrying until the
// validity ends loses nothing, failing early might.
func temporary(err error) bool {
	var t interface{ Temporary() bool }
	if errors.As(err, &t) {
		return t.Temporary()
	}
	return true
}

// wantsReceipts reports whether the SMSC must be asked for receipts: the
// CPM sender asked for a delivery notification.
func wantsReceipts(m *cpm.Message) bool {
	return m.Notify&(cpm.PositiveDelivery|cpm.NegativeDelivery) != 0
}

// deliverSMS makes one delivery attempt of a message on an SMS route:
// submits the segments the SMSC has not accepted yet, then either waits for
// receipts or ends the message as submitted.
func (g *Gateway) deliverSMS(ctx context.Context, r *smsRoute, w work) {
	it := g.loadAttempt(ctx, w, r.Name, "SMSC")
	if it == nil {
		return
	}
	segs, err := g.segments(r, it)
	if err != nil {
		g.finish(ctx, it, outcomeFailed, cpm.Failed, err.Error())
		return
	}
	if len(it.parts) != len(segs) {
		it.parts = make([]smsPart, len(segs))
	}
	receipts := wantsReceipts(&it.msg)
	var refs []string
	for i := range segs {
		if it.parts[i].status != partPending {
			continue
		}
		g.recv.beginSubmit()
		id, err := r.Link.Submit(ctx, &segs[i])
		if err != nil {
			g.recv.endSubmit()
			g.recv.release(refs)
			if errors.Is(err, smpp.ErrNotBound) && !partsSubmitted(it) && !r.Link.Ready() {
				// The link went down between the readiness check and the
				// submit: nothing happened, nothing to journal; queue again.
				r.q.push(work{seq: it.seq, it: it})
				return
			}
			g.submitFailed(ctx, it, err)
			return
		}
		g.stats.segments.Add(1)
		it.parts[i] = smsPart{id: id, status: partSubmitted}
		if receipts {
			for _, ref := range receiptRefs(r.Name, id) {
				g.recv.register(ref)
				refs = append(refs, ref)
			}
		}
		g.recv.endSubmit()
	}
	if !receipts {
		g.finish(ctx, it, outcomeSubmitted, "", "accepted by the SMSC; no receipt asked")
		return
	}
	g.awaitReceipts(ctx, it, refs)
}

// partsSubmitted reports whether the SMSC accepted any segment of it.
func partsSubmitted(it *item) bool {
	for _, p := range it.parts {
		if p.status != partPending {
			return true
		}
	}
	return false
}

// submitFailed handles a refused or failed submit: a temporary failure is
// retried with back-off (keeping the segments already accepted), any other
// fails the message.
func (g *Gateway) submitFailed(ctx context.Context, it *item, err error) {
	if ctx.Err() != nil || temporary(err) {
		g.retryLater(ctx, it, err)
		return
	}
	g.finish(ctx, it, outcomeFailed, cpm.Failed, err.Error())
}

// awaitReceipts journals the SMSC ids of a fully submitted message so its
// receipts can find it, and arms its expiry. Without the ids saved the
// receipts cannot be correlated, and the SMSC has the message, so
// resubmitting would duplicate it: the save is tried again with back-off
// while the journal refuses it (the refs stay registered meanwhile, so a
// receipt that comes is answered "try later", not dropped as unknown),
// until it succeeds, the entry moves to another instance, or iwf stops
// (a restart then resubmits: at-least-once).
func (g *Gateway) awaitReceipts(ctx context.Context, it *item, refs []string) {
	defer g.recv.release(refs)
	it.reason = ""
	backoff := persistRetryMin
	for {
		pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), persistTimeout)
		err := g.put(pctx, []journal.Entry{entryOf(it, journal.Open, refs...)})
		cancel()
		if err == nil {
			break
		}
		if g.handedOver(it.seq, err) {
			g.letGo(it.seq)
			return
		}
		g.log.Error("journal: receipt refs not saved; trying again", "seq", it.seq, "err", err, "in", backoff)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, persistRetryMax)
	}
	g.stats.awaiting.Add(1)
	g.emit(g.itemEvent(EventSubmitted, it))
	g.sched.add(timer{at: it.expiry.Add(receiptGrace), seq: it.seq, route: it.route, action: actionExpire})
}
