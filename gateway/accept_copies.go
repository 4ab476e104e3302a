package gateway

import (
	"context"
	"errors"
	"time"

	"github.com/iwf-gateway/iwf/cpm"
	"github.com/iwf-gateway/iwf/journal"
)

// repeated reports whether key names an entry journaled less than window
// ago: a source sending the same message again because it missed iwf's
// answer. window 0 means any age. An error means the journal failed.
func (g *Gateway) repeated(ctx context.Context, key string, window time.Duration) (bool, error) {
	seq, err := g.deps.Journal.Lookup(ctx, key)
	if errors.Is(err, journal.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if window == 0 {
		return true, nil
	}
	e, err := g.deps.Journal.Get(ctx, seq)
	if err != nil {
		return false, nil // purged since the lookup: not a repeat
	}
	return g.now().Sub(e.Time) < window, nil
}

// acceptCopies journals one copy of msg per CPM recipient in one write,
// the dedupe key (if any) bound to the first, and queues them. msg gets a
// fresh id; from is its sender, origin the network it came from.
func (g *Gateway) acceptCopies(ctx context.Context, msg cpm.Message, from cpm.Address, to []cpm.Address, origin, key string, start time.Time) error {
	msg.ID, msg.From = newID(), from
	if msg.DateTime.IsZero() {
		msg.DateTime = g.now().UTC()
	}
	items := make([]*item, len(to))
	entries := make([]journal.Entry, len(to))
	for i, rcpt := range to {
		copy := msg
		copy.To = rcpt
		items[i] = g.moItem(copy, origin)
		entries[i] = entryOf(items[i], journal.Open)
	}
	if key != "" {
		entries[0].Refs = []string{key}
	}
	if err := g.put(ctx, entries); err != nil {
		g.stats.journalErrors.Add(1)
		return err
	}
	for i, it := range items {
		it.seq = entries[i].Seq
		switch origin {
		case NetworkMMS:
			g.stats.acceptedMMS.Add(1)
		case NetworkIMPS:
			g.stats.acceptedIMPS.Add(1)
		}
		g.log.Info("message from "+origin+" accepted", "seq", it.seq, "id", msg.ID, "from", from, "to", it.msg.To,
			"parts", len(msg.Parts), "bytes", msg.Size())
		g.accepted(it, start)
	}
	return nil
}
