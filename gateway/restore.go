package gateway

import (
	"context"
	"fmt"

	"github.com/iwf-gateway/iwf/cpm"
	"github.com/iwf-gateway/iwf/journal"
)

// restore puts every open entry back to work after a start: messages and
// reports onto their queues (or timers), items awaiting receipts under
// their expiry timers, MO fragments into the reassembler. Only sequence
// numbers are queued, so a large backlog restores in little memory. With
// a shared journal, those of the partitions owned now: the first
// rebalance; the ownership loop restores partitions gained later.
func (g *Gateway) restore(ctx context.Context) error {
	if g.cluster != nil {
		return g.rebalance(ctx)
	}
	return g.restorePartitions(ctx, nil)
}

// restorePartitions is restore of the open entries keep selects (all when
// nil): at start, or those of partitions this instance has just gained.
func (g *Gateway) restorePartitions(ctx context.Context, keep func(seq uint64) bool) error {
	var queued, waiting, fragments, orphans int
	var bad, frags []*item
	err := g.deps.Journal.Scan(ctx, journal.Open, 0, func(e journal.Entry) error {
		if keep != nil && !keep(e.Seq) {
			return nil
		}
		it, err := unmarshalItem(e.Seq, e.Data)
		if err != nil {
			g.log.Error("journal: unreadable open entry left as is", "seq", e.Seq, "err", err)
			return nil
		}
		switch {
		case it.kind == kindFragment:
			frags = append(frags, it)
			fragments++
		case g.queueOf(it.route) == nil:
			bad = append(bad, it)
			orphans++
		case it.awaitingReceipts():
			g.sched.add(timer{at: it.expiry.Add(receiptGrace), seq: it.seq, route: it.route, action: actionExpire})
			waiting++
		case it.due.After(g.now()):
			g.sched.add(timer{at: it.due, seq: it.seq, route: it.route, action: actionRetry})
			queued++
		default:
			g.queueOf(it.route).push(work{seq: it.seq})
			queued++
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("gateway: restoring open work: %w", err)
	}
	g.restoreFragments(ctx, frags)
	for _, it := range bad {
		g.finish(ctx, it, outcomeFailed, cpm.Failed, fmt.Sprintf("route %q is no longer configured", it.route))
	}
	g.log.Info("pending work restored", "queued", queued, "awaiting_receipts", waiting, "mo_fragments", fragments, "orphaned", orphans)
	return nil
}

// restoreFragments rebuilds MO reassembly from journaled fragments, with
// their original arrival times; messages they complete are journaled now.
// (Journal writes wait until the scan has ended: a write may need the
// store's read transactions closed.) Fragments the reassembler holds
// already (a partition restored again) are left to it.
func (g *Gateway) restoreFragments(ctx context.Context, frags []*item) {
	held := g.mo.held()
	for _, it := range frags {
		if held[it.seq] {
			continue
		}
		seg, err := decodeFragment(&it.fragment)
		if err != nil {
			g.log.Error("unreadable MO fragment closed", "seq", it.seq, "err", err)
			g.closeEntries(ctx, []uint64{it.seq})
			continue
		}
		done, repeat, err := g.mo.add(it.route, it.seq, seg, it.received)
		switch {
		case err != nil || repeat:
			g.closeEntries(ctx, []uint64{it.seq})
		case done != nil:
			g.completeMO(ctx, done)
		}
	}
}
