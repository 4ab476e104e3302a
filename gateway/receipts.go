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
// A receipt on a message another instance of a shared journal owns is
// handed to that instance, and acknowledged once it is.
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
	err = g.applyReceipt(ctx, route, seq, id, rc)
	if errors.Is(err, errHandedOver) {
		l := &letter{kind: letterReceipt, route: route, seq: seq, id: id, status: rc.State, stat: rc.Stat, errs: rc.Err}
		return g.forward(ctx, seq, l, smppStatus(statusTryLater))
	}
	return err
}

// applyReceipt settles the segment of entry seq that the receipt id
// reports on. It returns errHandedOver when the entry belongs to another
// instance, or the answer for the SMSC.
func (g *Gateway) applyReceipt(ctx context.Context, route string, seq uint64, id string, rc translate.Receipt) error {
	if c := g.cluster; c != nil && !c.owns(c.j.PartitionOf(seq)) {
		return errHandedOver
	}
	unlock := g.locks.lock(seq)
	defer unlock()
	it, err := g.load(ctx, work{seq: seq})
	if errors.Is(err, errHandedOver) {
		return err
	}
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
			return g.settled(g.finishErr(ctx, it, outcomeFailed, rc.State, reason), smppStatus(statusTryLater))
		}
	}
	if !it.awaitingReceipts() {
		return g.settled(g.finishErr(ctx, it, outcomeDelivered, cpm.Delivered, "SMSC receipt DELIVRD for every segment"), smppStatus(statusTryLater))
	}
	if err := g.put(ctx, []journal.Entry{entryOf(it, journal.Open)}); err != nil {
		if g.handedOver(it.seq, err) {
			return errHandedOver
		}
		return smppStatus(statusTryLater)
	}
	return nil
}

// settled is the answer to a report whose outcome finishErr saved, or
// not: a report on an entry handed over travels to its new owner; one
// whose outcome the journal could not take is answered tryLater, so the
// peer sends it again (an acknowledged report would leave the entry open,
// waiting for a report that already came, until it expires).
func (g *Gateway) settled(err, tryLater error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, errHandedOver):
		return err
	default:
		return tryLater
	}
}

// errRefPending: a report names an id whose submit is known but not yet
// saved; the report's source is answered "try later".
var errRefPending = errors.New("gateway: report for a submit not yet saved")

// receiptSettleWait bounds how long a receipt that matches nothing waits
// for submits in flight to register their ids.
const receiptSettleWait = 5 * time.Second

// receiptPoll is how often, with a shared journal, a report that matches
// nothing looks again while it waits for another instance's submit.
const receiptPoll = 100 * time.Millisecond

// findReceipted resolves a receipt to its entry and returns the receipt id
// form that matched (see findRef).
func (g *Gateway) findReceipted(ctx context.Context, route string, rc translate.Receipt) (uint64, string, error) {
	ids := []string{rc.MessageID}
	if rc.TextID != "" && rc.TextID != rc.MessageID {
		ids = append(ids, rc.TextID)
	}
	var refs, owners []string
	for _, id := range ids {
		for _, ref := range receiptLookups(route, id) {
			refs = append(refs, ref)
			owners = append(owners, id)
		}
	}
	seq, i, err := g.findRef(ctx, refs)
	if err != nil {
		return 0, "", err
	}
	return seq, owners[i], nil
}

// findRef resolves the first of refs the journal knows. A report can
// overtake the answer to its own submit on the way through iwf: while
// submits are in flight it waits (up to receiptSettleWait) for their ids
// to be registered and journaled before deciding the report is for an
// unknown message. It returns the index of the ref that matched.
func (g *Gateway) findRef(ctx context.Context, refs []string) (uint64, int, error) {
	wctx, cancel := context.WithTimeout(ctx, receiptSettleWait)
	defer cancel()
	for {
		changed := g.recv.unsettled() // taken before looking, so no registration is missed
		waited := false
		for i, ref := range refs {
			seq, err := g.deps.Journal.Lookup(ctx, ref)
			if err == nil {
				return seq, i, nil
			}
			if !errors.Is(err, journal.ErrNotFound) {
				return 0, 0, err
			}
			if g.recv.wait(wctx, ref) {
				if wctx.Err() != nil && ctx.Err() == nil {
					// The submit of this id is known but its save has not
					// come through: the journal is failing. Not unknown.
					return 0, 0, errRefPending
				}
				waited = true
			}
		}
		if waited {
			continue
		}
		var poll <-chan time.Time // nil: wait for a change
		if changed == nil {
			if g.cluster == nil {
				return 0, 0, journal.ErrNotFound
			}
			// Submits in flight at other instances are not known here:
			// look again shortly until the deadline.
			poll = time.After(receiptPoll)
		}
		select {
		case <-changed: // nil while polling
		case <-poll:
		case <-wctx.Done():
			if err := ctx.Err(); err != nil {
				return 0, 0, err
			}
			return 0, 0, journal.ErrNotFound
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
