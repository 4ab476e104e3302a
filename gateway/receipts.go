package gateway

import (
	"context"
	"errors"
	"time"

	"github.com/iwf-gateway/iwf/cpm"
	"github.com/iwf-gateway/iwf/journal"
	"github.com/iwf-gateway/iwf/translate"
)

// handleReceipt correlates an SMSC delivery receipt with the message whose
// segment it reports on. A final receipt settles that segment; the message
// ends delivered when every segment is, failed as soon as one fails, and
// the sender gets one aggregated IMDN if they asked for it. Receipts that
// are not final, repeated, or for unknown ids are acknowledged and counted.
func (g *Gateway) handleReceipt(ctx context.Context, route string, rc translate.Receipt) error {
	if !rc.Final {
		return nil
	}
	seq, id, err := g.findReceipted(ctx, route, rc)
	if errors.Is(err, journal.ErrNotFound) {
		g.stats.uncorrelated.Add(1)
		g.log.Warn("receipt for an unknown message", "route", route, "message_id", rc.MessageID, "stat", rc.Stat)
		return nil
	}
	if err != nil {
		g.stats.journalErrors.Add(1)
		return smppStatus(statusTryLater)
	}
	unlock := g.locks.lock(seq)
	defer unlock()
	it, err := g.load(ctx, work{seq: seq})
	if err != nil {
		return smppStatus(statusTryLater)
	}
	if it == nil || !it.awaitingReceipts() {
		return nil // already settled: a repeated or late receipt
	}
	g.stats.receipts.Add(1)
	settled := false
	for i := range it.parts {
		if it.parts[i].status == partSubmitted && canonicalMatch(route, it.parts[i].id, id) {
			it.parts[i].status = partDelivered
			if rc.State != cpm.Delivered {
				it.parts[i].status = partFailed
			}
			settled = true
			break
		}
	}
	if !settled {
		return nil
	}
	return g.settle(ctx, it, rc)
}

// settle ends the message when its receipts decide it, or journals the
// segment's new state.
func (g *Gateway) settle(ctx context.Context, it *item, rc translate.Receipt) error {
	for _, p := range it.parts {
		if p.status == partFailed {
			reason := "SMSC receipt " + rc.Stat
			if rc.Err != "" {
				reason += " err:" + rc.Err
			}
			g.finish(ctx, it, outcomeFailed, rc.State, reason)
			return nil
		}
	}
	if !it.awaitingReceipts() {
		g.finish(ctx, it, outcomeDelivered, cpm.Delivered, "SMSC receipt DELIVRD for every segment")
		return nil
	}
	if err := g.deps.Journal.Put(ctx, []journal.Entry{entryOf(it, journal.Open)}); err != nil {
		return smppStatus(statusTryLater)
	}
	return nil
}

// receiptSettleWait bounds how long a receipt that matches nothing waits
// for submits in flight to register their ids.
const receiptSettleWait = 5 * time.Second

// findReceipted resolves a receipt to its entry. A receipt can overtake
// its own submit_sm_resp on the way through iwf: while submits are in
// flight it waits (up to receiptSettleWait) for their ids to be registered
// and journaled before deciding the receipt is for an unknown message. It
// returns the receipt id form that matched.
func (g *Gateway) findReceipted(ctx context.Context, route string, rc translate.Receipt) (uint64, string, error) {
	ids := []string{rc.MessageID}
	if rc.TextID != "" && rc.TextID != rc.MessageID {
		ids = append(ids, rc.TextID)
	}
	deadline := time.NewTimer(receiptSettleWait)
	defer deadline.Stop()
	for {
		changed := g.recv.unsettled() // taken before looking, so no registration is missed
		waited := false
		for _, id := range ids {
			for _, ref := range receiptLookups(route, id) {
				seq, err := g.deps.Journal.Lookup(ctx, ref)
				if err == nil {
					return seq, id, nil
				}
				if !errors.Is(err, journal.ErrNotFound) {
					return 0, "", err
				}
				if g.recv.wait(ctx, ref) {
					waited = true
				}
			}
		}
		if waited {
			continue
		}
		if changed == nil {
			return 0, "", journal.ErrNotFound
		}
		select {
		case <-changed:
		case <-deadline.C:
			return 0, "", journal.ErrNotFound
		case <-ctx.Done():
			return 0, "", ctx.Err()
		}
	}
}

// canonicalMatch reports whether a segment's submit id and a receipt id
// name the same message under the refs the gateway keys them by.
func canonicalMatch(route, submitID, receiptID string) bool {
	for _, a := range receiptRefs(route, submitID) {
		for _, b := range receiptLookups(route, receiptID) {
			if a == b {
				return true
			}
		}
	}
	return false
}
