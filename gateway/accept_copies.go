package gateway

import (
	"context"
	"errors"
	"fmt"
	"strconv"
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

// errTooLargeToJournal: an input within its protocol's limits whose
// journal entry would exceed the journal's bound. Permanent: the source
// is refused, not asked to retry.
var errTooLargeToJournal = errors.New("gateway: message too large to journal")

// acceptCopies journals one copy of msg per CPM recipient in one write,
// the dedupe key (if any) bound to the first, and queues them. msg gets a
// fresh id; from is its sender, origin the network it came from. With a
// shared journal, see placeCopies.
func (g *Gateway) acceptCopies(ctx context.Context, msg cpm.Message, from cpm.Address, to []cpm.Address, origin, key string, start time.Time) error {
	msg.ID, msg.From = newID(), from
	if msg.DateTime.IsZero() {
		msg.DateTime = g.now().UTC()
	}
	items := make([]*item, len(to))
	for i, rcpt := range to {
		copy := msg
		copy.To = rcpt
		items[i] = g.moItem(copy, origin)
	}
	if len(items) == 0 {
		return nil
	}
	// The copies differ only in their recipient: the first says whether
	// they fit the journal. The entries are the ones written here, or, on
	// a shared journal, those of the creations (placeCopies sets their
	// refs per partition).
	entries := make([]journal.Entry, len(items))
	entries[0] = entryOf(items[0], journal.Open)
	if key != "" {
		entries[0].Refs = []string{key}
	}
	if reason, tooLarge := journal.EntryProblem(&entries[0]); tooLarge {
		g.stats.rejected.Add(1)
		return fmt.Errorf("%w: %s", errTooLargeToJournal, reason)
	}
	for i, it := range items[1:] {
		entries[i+1] = entryOf(it, journal.Open)
	}
	if g.cluster != nil {
		return g.placeCopies(ctx, items, entries, origin, key, start)
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

// placeCopies creates the copies of one input, items with their entries,
// in the partitions of their recipients: one write per partition, each by
// the partition's owner. When the copies span several partitions, each
// partition's share has its own dedupe ref (key@partition), so an input
// sent again after a partial failure creates only the shares that are
// missing.
func (g *Gateway) placeCopies(ctx context.Context, items []*item, entries []journal.Entry, origin, key string, start time.Time) error {
	var window time.Duration
	if origin == NetworkMMS {
		window = g.cfg.MODedupeWindow
	}
	shares := map[int]*creation{}
	var order []int
	for i, it := range items {
		p := g.cluster.j.PartitionFor(g.canonicalAddress(string(it.msg.To)))
		c := shares[p]
		if c == nil {
			c = &creation{once: key, window: window, start: start}
			shares[p] = c
			order = append(order, p)
		}
		c.items, c.entries = append(c.items, it), append(c.entries, entries[i])
	}
	for _, p := range order {
		c := shares[p]
		if key != "" && len(order) > 1 {
			c.once = key + "@" + strconv.Itoa(p)
		}
		if c.once != "" {
			c.refs = [][]string{{c.once}}
		}
		if err := g.placeIn(ctx, p, c); err != nil {
			g.stats.journalErrors.Add(1)
			return err
		}
	}
	return nil
}
