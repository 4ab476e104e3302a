package gateway

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"

	"github.com/iwf-gateway/iwf/cpm"
	"github.com/iwf-gateway/iwf/journal"
)

// persistTimeout bounds a journal write made on the way out of an aborted
// attempt, so progress (segments already accepted by the SMSC) survives.
const persistTimeout = 2 * time.Second

// persistRetryMin and persistRetryMax bound the back-off between tries
// of a save that must not be given up (the SMSC ids of a submitted
// message).
const (
	persistRetryMin = 250 * time.Millisecond
	persistRetryMax = 5 * time.Second
)

// receiptGrace is how long after its expiry an item awaiting receipts is
// given before it ends as expired with an error report.
const receiptGrace = time.Hour

func entryOf(it *item, state journal.State, refs ...string) journal.Entry {
	data, tail := it.payload()
	return journal.Entry{Seq: it.seq, State: state, Kind: uint8(it.kind), Time: it.received, Refs: refs, Data: data, Tail: tail}
}

// load returns the item of w, reading it from the journal when the queue
// did not keep it. It returns nil when the entry is no longer open, and
// errHandedOver when it belongs to another instance of a shared journal.
func (g *Gateway) load(ctx context.Context, w work) (*item, error) {
	if c := g.cluster; c != nil && c.lost(c.j.PartitionOf(w.seq)) {
		return nil, errHandedOver
	}
	if w.it != nil {
		return w.it, nil
	}
	e, err := g.deps.Journal.Get(ctx, w.seq)
	if g.handedOver(w.seq, err) {
		return nil, errHandedOver
	}
	if errors.Is(err, journal.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if e.State != journal.Open {
		return nil, nil
	}
	return unmarshalItem(e.Seq, e.Data)
}

// loadAttempt reads the item of w for a delivery attempt on route and
// deals with what needs no attempt: an unreadable journal (retried
// later), an item no longer open or waiting for its reports, an item past
// its validity (expired, naming peer). It returns nil then.
func (g *Gateway) loadAttempt(ctx context.Context, w work, route, peer string) *item {
	it, err := g.load(ctx, w)
	if errors.Is(err, errHandedOver) {
		g.letGo(w.seq)
		return nil
	}
	if err != nil {
		g.log.Error("journal: cannot read queued item; retrying", "seq", w.seq, "err", err)
		g.sched.add(timer{at: g.now().Add(g.cfg.Retry.Initial), seq: w.seq, route: route, action: actionRetry})
		return nil
	}
	if it == nil || it.awaitingReceipts() {
		return nil
	}
	if g.cluster != nil && it.due.After(g.now()) {
		// A copy of work that was rescheduled since (a restore after a
		// change of ownership): the retry timer brings it back when due.
		return nil
	}
	if g.expired(it) {
		g.finish(ctx, it, outcomeExpired, cpm.Failed, "validity period ended before the "+peer+" accepted it")
		return nil
	}
	return it
}

// enqueue hands an item to the queue of its route.
func (g *Gateway) enqueue(it *item) {
	q := g.queueOf(it.route)
	if q == nil {
		g.log.Error("no queue for route; item left in the journal", "route", it.route, "seq", it.seq)
		return
	}
	q.push(work{seq: it.seq, it: it})
}

func (g *Gateway) queueOf(route string) *workQueue {
	if route == cpmRoute {
		return g.cpmQ
	}
	if r, ok := g.sms[route]; ok {
		return r.q
	}
	if g.mms != nil && route == g.mms.Name {
		return g.mms.q
	}
	if g.imps != nil && route == g.imps.Name {
		return g.imps.q
	}
	return nil
}

// backoff is the delay before attempt n+1 (n >= 1): exponential with jitter.
func (g *Gateway) backoff(n uint32) time.Duration {
	rc := g.cfg.Retry
	d := float64(rc.Initial)
	for i := uint32(1); i < n && d < float64(rc.Max); i++ {
		d *= rc.Multiplier
	}
	if d > float64(rc.Max) {
		d = float64(rc.Max)
	}
	d *= 1 + rc.Jitter*(2*rand.Float64()-1)
	return time.Duration(d)
}

// retryLater records a failed attempt and schedules the next one, or ends
// the item as expired when the next attempt would come too late.
func (g *Gateway) retryLater(ctx context.Context, it *item, cause error) {
	it.attempts++
	it.reason = cause.Error()
	delay := g.backoff(it.attempts)
	var ra interface{ RetryAfter() time.Duration }
	if errors.As(cause, &ra) && ra.RetryAfter() > 0 {
		delay = ra.RetryAfter()
	}
	it.due = g.now().Add(delay)
	if !it.expiry.IsZero() && it.due.After(it.expiry) {
		g.finish(ctx, it, outcomeExpired, cpm.Failed, "expired after "+it.reason)
		return
	}
	pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), persistTimeout)
	defer cancel()
	err := g.put(pctx, []journal.Entry{entryOf(it, journal.Open)})
	if g.handedOver(it.seq, err) {
		g.letGo(it.seq) // the new owner retries it
		return
	}
	g.stats.retries.Add(1)
	if err != nil {
		g.log.Warn("journal: retry state not saved; the attempt count restarts after a restart", "seq", it.seq, "err", err)
	}
	g.log.Debug("retry scheduled", "seq", it.seq, "route", it.route, "attempt", it.attempts, "in", delay, "cause", cause)
	e := g.itemEvent(EventRetry, it)
	g.sched.add(timer{at: it.due, seq: it.seq, route: it.route, action: actionRetry})
	g.emit(e)
}

// eventOf is the event that reports an outcome.
func eventOf(oc outcome) EventType {
	switch oc {
	case outcomeDelivered:
		return EventDelivered
	case outcomeSubmitted:
		return EventSent
	case outcomeExpired:
		return EventExpired
	}
	return EventFailed
}

// finish ends an item and, when the sender asked for it, queues the report
// in the same journal write. Delivered and submitted items become Done;
// failed and expired ones Dead (dead letters, kept for the operator).
//
// refs are bound to the ended entry, so a later report (an MMS read reply)
// can still find it.
func (g *Gateway) finish(ctx context.Context, it *item, oc outcome, status cpm.Status, reason string, refs ...string) {
	_ = g.finishErr(ctx, it, oc, status, reason, refs...)
}

// finishErr is finish that says whether the outcome was saved: the
// journal's error, or errHandedOver when the entry moved to another
// instance (which then ends it).
func (g *Gateway) finishErr(ctx context.Context, it *item, oc outcome, status cpm.Status, reason string, refs ...string) error {
	it.outcome, it.reason = oc, reason
	state := journal.Done
	if oc == outcomeFailed || oc == outcomeExpired {
		state = journal.Dead
	}
	entries := []journal.Entry{entryOf(it, state, refs...)}
	rep := g.reportFor(it, oc, status)
	if rep != nil {
		entries = append(entries, entryOf(rep, journal.Open))
	}
	pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), persistTimeout)
	defer cancel()
	if err := g.put(pctx, entries); err != nil {
		if g.handedOver(it.seq, err) {
			g.letGo(it.seq) // the new owner ends it
			return errHandedOver
		}
		// The entry stays open in the journal: the next start retries it.
		g.log.Error("journal: outcome not saved; the item will be retried after a restart", "seq", it.seq, "outcome", oc, "err", err)
		return err
	}
	g.stats.ended(it, oc)
	g.emit(g.itemEvent(eventOf(oc), it))
	if it.kind == kindReport {
		g.log.Info("IMDN "+oc.String(), "seq", it.seq, "status", it.report.Status, "message_id", it.report.MessageID,
			"to", it.report.To, "reason", reason)
	} else {
		g.log.Info("message "+oc.String(), "seq", it.seq, "route", it.route,
			"id", it.msg.ID, "from", it.msg.From, "to", it.msg.To, "reason", reason)
	}
	if rep != nil {
		rep.seq = entries[1].Seq
		g.stats.reports.Add(1)
		g.enqueue(rep)
	}
	return nil
}

// reportFor builds the IMDN item for an ended CPM message, or nil when the
// sender did not ask for one (or the item is not a CPM message).
func (g *Gateway) reportFor(it *item, oc outcome, status cpm.Status) *item {
	if it.kind != kindMessage || it.route == cpmRoute {
		return nil
	}
	m := &it.msg
	switch {
	case oc == outcomeDelivered && m.Notify.Has(cpm.PositiveDelivery):
	case (oc == outcomeFailed || oc == outcomeExpired) && m.Notify.Has(cpm.NegativeDelivery):
	default:
		return nil
	}
	now := g.now()
	return &item{
		kind: kindReport, route: cpmRoute, received: now, expiry: now.Add(g.cfg.Validity),
		report: cpm.Report{
			ID: newID(), MessageID: reportedID(it), From: m.To, To: m.From, Status: status,
			DateTime: now, OriginalDateTime: m.DateTime,
		},
	}
}

// reportedID is the message id a report on it names: the one the sender
// knows, which for a replayed message is the original's.
func reportedID(it *item) string {
	if it.replayOf != "" {
		return it.replayOf
	}
	return it.msg.ID
}

// expired reports whether the item is past its validity.
func (g *Gateway) expired(it *item) bool {
	return !it.expiry.IsZero() && g.now().After(it.expiry)
}

// fire runs a due timer.
func (g *Gateway) fire(t timer) {
	switch t.action {
	case actionRetry:
		if q := g.queueOf(t.route); q != nil {
			q.push(work{seq: t.seq})
		}
	case actionExpire:
		g.expireAwaiting(t.seq)
	case actionReassembly:
		g.expireReassembly()
		g.sched.add(timer{at: g.now().Add(g.reassemblyTick()), action: actionReassembly})
	case actionSweep:
		for _, r := range g.sms {
			if !r.Link.Ready() {
				g.sweepExpired(r)
			}
		}
		g.sched.add(timer{at: g.now().Add(g.cfg.ExpirySweep), action: actionSweep})
	}
}

// sweepExpired ends the queued messages of a route that is down once their
// validity is over, so their senders hear of it while the SMSC stays
// unreachable; the rest keep their place in the queue.
func (g *Gateway) sweepExpired(r *smsRoute) {
	ctx := context.Background()
	for n := r.q.len(); n > 0; n-- {
		w, ok := r.q.tryPop()
		if !ok {
			return
		}
		it, err := g.load(ctx, w)
		switch {
		case errors.Is(err, errHandedOver):
			g.letGo(w.seq)
		case err != nil:
			r.q.push(w)
		case it == nil:
		case g.expired(it):
			g.finish(ctx, it, outcomeExpired, cpm.Failed, "validity period ended while the SMSC was unreachable")
		default:
			r.q.push(w)
		}
	}
}

func (g *Gateway) reassemblyTick() time.Duration {
	d := g.cfg.Reassembly.Timeout / 4
	if d < time.Second {
		d = time.Second
	}
	return d
}

// expireAwaiting ends an item whose receipts never came.
func (g *Gateway) expireAwaiting(seq uint64) {
	ctx := context.Background()
	unlock := g.locks.lock(seq)
	defer unlock()
	it, err := g.load(ctx, work{seq: seq})
	if errors.Is(err, errHandedOver) {
		g.letGo(seq)
		return
	}
	if err != nil || it == nil || !it.awaitingReceipts() {
		return
	}
	g.finish(ctx, it, outcomeExpired, cpm.Error, "no receipt from the SMSC within the validity period")
}
