package gateway

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/iwf-gateway/iwf/journal"
)

// The owner's side of letters (see shared.go): reading them, in lanes
// that keep each partition's letters in order, and doing what they ask;
// and the sending side's forward of reports.

// letterLanes is the number of goroutines handling letters; letters of one
// partition always take the same lane, so they are handled in order.
const letterLanes = 16

// letterLaneDepth bounds the letters waiting in one lane.
const letterLaneDepth = 64

// letterRetryMax bounds the back-off between attempts at a letter the
// journal could not take.
const letterRetryMax = 5 * time.Second

// sendLetter hands l to the owner of partition p; it is durable when
// sendLetter returns nil.
func (g *Gateway) sendLetter(ctx context.Context, p int, l *letter) error {
	data, err := encodeLetter(l)
	if err != nil {
		return err
	}
	if err := g.cluster.j.Send(ctx, p, data); err != nil {
		return err
	}
	g.cluster.lettersSent.Add(1)
	return nil
}

// forward hands a report on the entry seq to the owner of its partition;
// tryLater is the source's answer when that fails.
func (g *Gateway) forward(ctx context.Context, seq uint64, l *letter, tryLater error) error {
	c := g.cluster
	if err := g.sendLetter(ctx, c.j.PartitionOf(seq), l); err != nil {
		g.stats.journalErrors.Add(1)
		g.log.Error("journal: report not handed to the owner of its message; asking the peer to retry", "seq", seq, "route", l.route, "err", err)
		return tryLater
	}
	c.reportsForwarded.Add(1)
	g.log.Debug("report handed to the owner of its message", "seq", seq, "partition", c.j.PartitionOf(seq), "route", l.route)
	return nil
}

// readLetters hands the letters of owned partitions to letterLanes
// goroutines until popCtx ends or the journal closes.
func (g *Gateway) readLetters(popCtx, attemptCtx context.Context) {
	var wg sync.WaitGroup
	lanes := make([]chan journal.Letter, letterLanes)
	for i := range lanes {
		lanes[i] = make(chan journal.Letter, letterLaneDepth)
		wg.Go(func() { g.runLane(popCtx, attemptCtx, lanes[i]) })
	}
	defer func() {
		for _, lane := range lanes {
			close(lane)
		}
		wg.Wait()
	}()
	in := g.cluster.j.Letters()
	for {
		select {
		case <-popCtx.Done():
			return
		case l, ok := <-in:
			if !ok {
				return
			}
			select {
			case lanes[uint(l.Partition)%letterLanes] <- l:
			case <-popCtx.Done():
				return
			}
		}
	}
}

// letterBatch bounds the create letters of one partition written in one
// PutIn: their count, and their data (one Put is one Kafka record, which
// journal.kafka.max_record_bytes bounds).
const (
	letterBatch      = 64
	letterBatchBytes = 512 << 10
)

// laneLetter is a letter taken from a lane with what decoding its data
// gave: each letter is decoded once, however it is then handled.
type laneLetter struct {
	journal.Letter
	lt  *letter
	err error
}

// decodedLetter decodes l.
func decodedLetter(l journal.Letter) laneLetter {
	lt, err := decodeLetter(l.Data)
	return laneLetter{Letter: l, lt: lt, err: err}
}

// runLane handles the letters of one lane in order until it is closed.
// Create letters of one partition that wait together are written in one
// PutIn: one produce for many accepted messages, where a letter each
// made the partition's owner the bottleneck of a busy recipient.
func (g *Gateway) runLane(popCtx, attemptCtx context.Context, lane <-chan journal.Letter) {
	var next *laneLetter // taken from the lane, not yet handled
	for {
		var l laneLetter
		if next != nil {
			l, next = *next, nil
		} else {
			m, ok := <-lane
			if !ok {
				return
			}
			l = decodedLetter(m)
		}
		if popCtx.Err() != nil {
			continue // left undone: delivered again to the next owner
		}
		if l.err != nil || l.lt.kind != letterCreate {
			g.takeLetter(popCtx, attemptCtx, l)
			continue
		}
		letters, size := []laneLetter{l}, len(l.Data)
	drain:
		for len(letters) < letterBatch && size < letterBatchBytes {
			select {
			case m, ok := <-lane:
				if !ok {
					break drain
				}
				d := decodedLetter(m)
				if d.err != nil || d.lt.kind != letterCreate || m.Partition != l.Partition {
					next = &d
					break drain
				}
				letters, size = append(letters, d), size+len(m.Data)
			default:
				break drain
			}
		}
		if len(letters) == 1 || !g.takeCreates(popCtx, attemptCtx, l.Partition, letters) {
			for _, m := range letters {
				g.takeLetter(popCtx, attemptCtx, m)
			}
		}
	}
}

// takeCreates writes the creations of several create letters of
// partition p in one PutIn and reports whether it did; when it did not,
// the caller takes them one by one (with their retries). Repeats are
// dropped as createIn drops them, within the batch too.
func (g *Gateway) takeCreates(popCtx, attemptCtx context.Context, p int, letters []laneLetter) bool {
	c := g.cluster
	if !c.awaitRestored(popCtx, p) {
		return true // left undone
	}
	var (
		keep    []*creation
		entries []journal.Entry
		seen    = map[string]bool{}
	)
	for _, l := range letters {
		cr := &l.lt.create
		fresh, err := g.freshCreation(attemptCtx, p, cr)
		if err != nil {
			return false
		}
		if !fresh {
			continue
		}
		if seen["l "+cr.letterID] || (cr.once != "" && seen["o "+cr.once]) {
			g.stats.duplicates.Add(1) // the same letter, or the same input, twice in the batch
			continue
		}
		seen["l "+cr.letterID] = true
		if cr.once != "" {
			seen["o "+cr.once] = true
		}
		keep = append(keep, cr)
		entries = append(entries, creationEntries(cr)...)
	}
	if len(keep) > 0 {
		c.restoring.RLock()
		err := g.putIn(attemptCtx, p, entries)
		if err == nil {
			at := 0
			for _, cr := range keep {
				g.putToWork(attemptCtx, cr, entries[at:at+len(cr.items)])
				at += len(cr.items)
			}
		}
		c.restoring.RUnlock()
		if errors.Is(err, journal.ErrNotOwner) {
			c.handedOver.Add(int64(len(letters)))
			return true // left to the next owner
		}
		if err != nil {
			return false
		}
	}
	for _, l := range letters {
		l.Done()
	}
	c.lettersHandled.Add(int64(len(letters)))
	return true
}

// takeLetter handles one letter until it is done (then Done), its
// partition moves (left for the next owner) or popCtx ends (left undone).
// A journal failure is retried with back-off: later letters of the lane
// wait, which keeps each partition's letters in order.
func (g *Gateway) takeLetter(popCtx, attemptCtx context.Context, l laneLetter) {
	c := g.cluster
	if l.err != nil {
		c.lettersBad.Add(1)
		g.log.Error("unreadable letter dropped", "partition", l.Partition, "bytes", len(l.Data), "err", l.err)
		l.Done()
		return
	}
	lt := l.lt
	if lt.kind == letterCreate && !c.awaitRestored(popCtx, l.Partition) {
		return // left undone
	}
	delay := 50 * time.Millisecond
	for {
		err := g.handleLetter(attemptCtx, l.Partition, lt)
		switch {
		case err == nil:
			l.Done()
			c.lettersHandled.Add(1)
			return
		case errors.Is(err, journal.ErrNotOwner) || errors.Is(err, errHandedOver):
			c.handedOver.Add(1)
			g.log.Info("letter left to the next owner of its partition", "partition", l.Partition, "kind", lt.kind)
			return
		case errors.Is(err, errBadLetter):
			c.lettersBad.Add(1)
			g.log.Error("letter refused", "partition", l.Partition, "kind", lt.kind, "err", err)
			l.Done()
			return
		}
		g.log.Warn("journal: letter not handled; retrying", "partition", l.Partition, "kind", lt.kind, "in", delay, "err", err)
		t := time.NewTimer(delay)
		select {
		case <-popCtx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		delay = min(2*delay, letterRetryMax)
	}
}

// handleLetter does what a letter to partition p asks, as if its input
// had come to this instance.
func (g *Gateway) handleLetter(ctx context.Context, p int, lt *letter) error {
	if lt.kind != letterCreate && g.cluster.j.PartitionOf(lt.seq) != p {
		return fmt.Errorf("%w: report on entry %d sent to partition %d", errBadLetter, lt.seq, p)
	}
	switch lt.kind {
	case letterCreate:
		c := lt.create
		return g.createIn(ctx, p, &c)
	case letterReceipt:
		return g.applyReceipt(ctx, lt.route, lt.seq, lt.id, lt.receipt())
	case letterReport:
		return g.applyLegacyReport(ctx, lt.route, lt.seq, lt.status, lt.reason)
	case letterReadReply:
		return g.applyReadReply(ctx, lt.route, lt.id, lt.seq)
	case letterReplay:
		_, err := g.replayOwned(ctx, lt.seq, lt.route, lt.id)
		if errors.Is(err, ErrNotReplayable) || errors.Is(err, journal.ErrNotFound) {
			return fmt.Errorf("%w: %v", errBadLetter, err)
		}
		return err
	}
	return fmt.Errorf("%w: kind %d", errBadLetter, lt.kind)
}
