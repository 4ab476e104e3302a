package gateway

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/iwf-gateway/iwf/journal"
)

// Errors of the operator actions.
var (
	// ErrNotDeadLetter: Retry and Discard take dead letters only.
	ErrNotDeadLetter = errors.New("gateway: not a dead letter")
	// ErrNotReplayable: only messages (not reports or MO fragments) are
	// replayed.
	ErrNotReplayable = errors.New("gateway: not a message")
	// ErrNoSuchRoute: a replay named a route this gateway does not have.
	ErrNoSuchRoute = errors.New("gateway: no such route")
)

// searchWindow bounds how many of the most recent journal entries Search
// reads.
const searchWindow = 1 << 20

// DeadLetters lists up to limit dead letters after seq after, oldest first.
func (g *Gateway) DeadLetters(ctx context.Context, after uint64, limit int) ([]EntryView, error) {
	return g.Entries(ctx, journal.Dead, after, limit)
}

// Entries lists up to limit entries in state after seq after, oldest
// first; entries the gateway cannot read are skipped.
func (g *Gateway) Entries(ctx context.Context, state journal.State, after uint64, limit int) ([]EntryView, error) {
	var out []EntryView
	err := g.deps.Journal.Scan(ctx, state, after, func(e journal.Entry) error {
		v, err := DescribeEntry(e)
		if err != nil {
			return nil
		}
		out = append(out, v)
		if len(out) >= limit {
			return journal.ErrStop
		}
		return nil
	})
	return out, err
}

// Retry puts a dead letter back to work as it was, with a fresh validity
// and attempt count; its reports still name its id.
func (g *Gateway) Retry(ctx context.Context, seq uint64) error {
	unlock := g.locks.lock(seq)
	defer unlock()
	it, err := g.deadLetter(ctx, seq)
	if err != nil {
		return err
	}
	if g.queueOf(it.route) == nil {
		return fmt.Errorf("%w: %q", ErrNoSuchRoute, it.route)
	}
	now := g.now()
	it.attempts, it.due, it.outcome, it.parts = 0, now, outcomeNone, nil
	it.expiry, it.reason = now.Add(g.cfg.Validity), "retried by the operator"
	if err := g.put(ctx, []journal.Entry{entryOf(it, journal.Open)}); err != nil {
		return err
	}
	g.log.Info("dead letter retried", "seq", seq, "id", it.msg.ID, "route", it.route)
	g.emit(g.itemEvent(EventRetry, it)) // before a worker owns it
	g.enqueue(it)
	return nil
}

// Discard ends a dead letter for good: it is kept as done until retention
// purges it.
func (g *Gateway) Discard(ctx context.Context, seq uint64) error {
	unlock := g.locks.lock(seq)
	defer unlock()
	it, err := g.deadLetter(ctx, seq)
	if err != nil {
		return err
	}
	it.reason = "discarded by the operator after: " + it.reason
	if err := g.put(ctx, []journal.Entry{entryOf(it, journal.Done)}); err != nil {
		return err
	}
	g.log.Info("dead letter discarded", "seq", seq, "id", it.msg.ID)
	return nil
}

func (g *Gateway) deadLetter(ctx context.Context, seq uint64) (*item, error) {
	e, err := g.deps.Journal.Get(ctx, seq)
	if err != nil {
		return nil, err
	}
	if e.State != journal.Dead {
		return nil, fmt.Errorf("%w: entry %d is %s", ErrNotDeadLetter, seq, e.State)
	}
	it, err := unmarshalItem(e.Seq, e.Data)
	if err != nil {
		return nil, err
	}
	if it.kind == kindFragment {
		return nil, fmt.Errorf("%w: entry %d is an MO fragment", ErrNotDeadLetter, seq)
	}
	return it, nil
}

// Search returns the recent entries whose message id is q, or whose sender
// or recipient matches q ('*' matches any run of characters; without one,
// q may appear anywhere), oldest first, up to limit: a message, the
// reports on it, the replays of it.
func (g *Gateway) Search(ctx context.Context, q string, limit int) ([]EntryView, error) {
	q = strings.TrimSpace(q)
	if q == "" {
		return nil, nil
	}
	var after uint64
	if last := g.lastSeq.Load(); last > searchWindow {
		after = last - searchWindow
	}
	var out []EntryView
	for _, st := range []journal.State{journal.Open, journal.Done, journal.Dead} {
		err := g.deps.Journal.Scan(ctx, st, after, func(e journal.Entry) error {
			v, err := DescribeEntry(e)
			if err != nil || !v.Matches(q) {
				return nil
			}
			out = append(out, v)
			if len(out) >= limit*3 {
				return journal.ErrStop
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	sortViews(out)
	if len(out) > limit {
		out = out[len(out)-limit:]
	}
	return out, nil
}

// Replay sends journaled messages again as new messages with fresh ids,
// each linked to its original (reports name the original's id, which the
// sender knows), on its own route or on route when not empty. It returns
// the new entries' sequence numbers. Reports and fragments are refused.
func (g *Gateway) Replay(ctx context.Context, seqs []uint64, route string) ([]uint64, error) {
	if route != "" && g.queueOf(route) == nil {
		return nil, fmt.Errorf("%w: %q", ErrNoSuchRoute, route)
	}
	if g.cluster != nil {
		return g.replayShared(ctx, seqs, route)
	}
	items := make([]*item, 0, len(seqs))
	for _, seq := range seqs {
		e, err := g.deps.Journal.Get(ctx, seq)
		if err != nil {
			return nil, fmt.Errorf("entry %d: %w", seq, err)
		}
		it, err := replayItem(e, route, g.now(), g.cfg.Validity)
		if err != nil {
			return nil, err
		}
		items = append(items, it)
	}
	entries := make([]journal.Entry, len(items))
	for i, it := range items {
		entries[i] = entryOf(it, journal.Open, replayRef(it))
	}
	if err := g.put(ctx, entries); err != nil {
		return nil, err
	}
	out := make([]uint64, len(items))
	for i, it := range items {
		it.seq = entries[i].Seq
		out[i] = it.seq
		g.log.Info("message replayed", "seq", it.seq, "replay_of", it.replayOf, "id", it.msg.ID, "route", it.route)
		g.accepted(it, g.now())
	}
	return out, nil
}

// replayRef names a replay, so a replay letter delivered twice is one
// replay.
func replayRef(it *item) string { return "replay/" + it.replayOf + "/" + it.msg.ID }

// replayShared replays on a shared journal: an entry this instance owns
// is replayed here, into the partition of its recipient; one another
// instance owns is handed to that instance as a letter, and its new
// sequence number, not known here, is 0 in the result.
func (g *Gateway) replayShared(ctx context.Context, seqs []uint64, route string) ([]uint64, error) {
	c := g.cluster
	out := make([]uint64, len(seqs))
	for i, seq := range seqs {
		p := c.j.PartitionOf(seq)
		if c.owns(p) {
			n, err := g.replayOwned(ctx, seq, route, "")
			if !errors.Is(err, errHandedOver) {
				if err != nil {
					return out, err
				}
				out[i] = n
				continue
			}
		}
		// The replay's id travels with it, so a letter delivered twice
		// makes one replay.
		if err := g.sendLetter(ctx, p, &letter{kind: letterReplay, route: route, seq: seq, id: newID()}); err != nil {
			return out, fmt.Errorf("entry %d: handing its replay to the instance that owns it: %w", seq, err)
		}
		g.log.Info("replay handed to the owner of the entry", "replay_of_seq", seq, "partition", p)
	}
	return out, nil
}

// replayOwned replays entry seq, which this instance owns, into the
// partition of its recipient (here or by letter), with id as the replay's
// message id when not empty: a replay already made of the same entry and
// id is not made again. It returns the new entry's sequence number when
// it was written here, else 0.
func (g *Gateway) replayOwned(ctx context.Context, seq uint64, route, id string) (uint64, error) {
	e, err := g.deps.Journal.Get(ctx, seq)
	if err != nil {
		if g.handedOver(seq, err) {
			return 0, errHandedOver
		}
		return 0, fmt.Errorf("entry %d: %w", seq, err)
	}
	it, err := replayItem(e, route, g.now(), g.cfg.Validity)
	if err != nil {
		return 0, err
	}
	if id != "" {
		it.msg.ID = id
	}
	ref := replayRef(it)
	cr := &creation{once: ref, items: []*item{it}, refs: [][]string{{ref}}, start: g.now()}
	if err := g.place(ctx, g.canonicalAddress(string(it.msg.To)), cr); err != nil {
		return 0, err
	}
	g.log.Info("message replayed", "seq", it.seq, "replay_of", it.replayOf, "id", it.msg.ID, "route", it.route)
	return it.seq, nil
}

// ReplayEntry builds the journal entry of the replay of a journaled
// message (see Replay), Open, with a fresh id and validity, for an offline
// replay into the journal of a stopped instance: its next start delivers
// it. route, when not empty, replaces the original's route.
func ReplayEntry(e journal.Entry, route string, now time.Time, validity time.Duration) (journal.Entry, error) {
	it, err := replayItem(e, route, now, validity)
	if err != nil {
		return journal.Entry{}, err
	}
	return entryOf(it, journal.Open, replayRef(it)), nil
}

func replayItem(e journal.Entry, route string, now time.Time, validity time.Duration) (*item, error) {
	orig, err := unmarshalItem(e.Seq, e.Data)
	if err != nil {
		return nil, fmt.Errorf("entry %d: %w", e.Seq, err)
	}
	if orig.kind != kindMessage {
		return nil, fmt.Errorf("%w: entry %d is a %s", ErrNotReplayable, e.Seq, orig.kind)
	}
	if validity <= 0 {
		validity = 48 * time.Hour
	}
	it := &item{
		kind: kindMessage, route: orig.route, received: now, expiry: now.Add(validity),
		msg: orig.msg, origin: orig.origin, replayOf: reportedID(orig),
		reason: fmt.Sprintf("replay of entry %d", e.Seq),
	}
	it.msg.ID = newID()
	it.msg.Expiry = time.Time{}
	if route != "" {
		it.route = route
	}
	return it, nil
}
