package kafka

import (
	"cmp"
	"context"
	"slices"
	"sync"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/iwf-gateway/iwf/journal"
)

// Letter delivery bounds.
const (
	// lettersQueueLen is the capacity of the Letters channel: beyond it
	// the letter readers wait for the gateway.
	lettersQueueLen = 256
	// maxOpenLetters is the most letters of one partition delivered and
	// not yet Done; beyond it the partition's reader waits for a Done.
	maxOpenLetters = 4096
	// letterPrefetch is the most records a letter reader fetches ahead
	// of delivery (kafka-go's queue), so a slow gateway holds at most
	// that many letters per partition in memory besides the channel's.
	letterPrefetch = 16
)

// Letters delivers the letters sent to the partitions this instance owns,
// in order per partition, until Close closes the channel. A letter not
// Done is delivered again to the partition's next owner (after a
// rebalance, a Close or a crash), and so may arrive twice; Done letters
// are not delivered again unless an earlier letter of their partition
// was left without Done. Letters of a partition given away are not
// delivered once the generation that owned it ends, but ones already in
// the channel may still be received then; their Done does nothing.
func (j *Journal) Letters() <-chan journal.Letter { return j.letters }

// letterBox is the delivery state of the letters of one owned partition,
// kept while the partition stays owned across generations. Its fields
// are guarded by mu, which is never held with another lock of the
// journal.
type letterBox struct {
	id int
	// slots holds one token per open letter: a full channel makes the
	// reader wait for a Done.
	slots chan struct{}

	mu sync.Mutex
	// gone is set when the partition is given away: Done does nothing.
	gone bool
	// pos is the offset of the next letter to deliver; -1 until the
	// group's committed offset has been read.
	pos int64
	// open are the letters delivered and not all Done, in offset order;
	// the Done ones at the front are dropped at once.
	open []openLetter
	// committed is the last offset committed for the group.
	committed int64
}

type openLetter struct {
	offset int64
	done   bool
}

func newLetterBox(id int) *letterBox {
	return &letterBox{id: id, slots: make(chan struct{}, maxOpenLetters), pos: -1, committed: -1}
}

// commitDue returns the offset from which the next owner must read the
// letters (the oldest letter not Done, or the next one to deliver) if it
// moved past the last commit.
func (b *letterBox) commitDue() (low int64, due bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.pos < 0 {
		return 0, false
	}
	low = b.pos
	if len(b.open) > 0 {
		low = b.open[0].offset
	}
	return low, low > b.committed
}

// finish marks the letter at offset Done, unless the partition was given
// away or it was Done already.
func (b *letterBox) finish(offset int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.gone {
		return
	}
	i, found := slices.BinarySearchFunc(b.open, offset, func(l openLetter, off int64) int { return cmp.Compare(l.offset, off) })
	if !found || b.open[i].done {
		return
	}
	b.open[i].done = true
	<-b.slots
	n := 0
	for n < len(b.open) && b.open[n].done {
		n++
	}
	b.open = b.open[n:]
}

// giveAway marks the box of a partition given away.
func (b *letterBox) giveAway() {
	b.mu.Lock()
	b.gone = true
	b.mu.Unlock()
}

// openCount is the number of open letters.
func (b *letterBox) openCount() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := 0
	for _, l := range b.open {
		if !l.done {
			n++
		}
	}
	return n
}

// readLetters delivers the letters of b's partition for one generation:
// once the generation serves its partitions, from where delivery stopped
// (or, for a partition new to this instance, from the group's committed
// offset) until the generation ends.
func (j *Journal) readLetters(ctx context.Context, g *generation, b *letterBox) {
	select {
	case <-g.served:
	case <-ctx.Done():
		return
	}
	from, ok := j.letterStart(ctx, b)
	if !ok {
		return
	}
	j.readPartition(ctx, j.cfg.lettersTopic(), b.id, from, letterPrefetch, func(msg kafka.Message) {
		j.deliverLetter(ctx, b, msg)
	})
}

// letterStart returns the offset delivery of b resumes at, reading the
// group's committed offset first if b is new, retrying until it succeeds
// or ctx ends (then ok is false).
func (j *Journal) letterStart(ctx context.Context, b *letterBox) (from int64, ok bool) {
	b.mu.Lock()
	from = b.pos
	b.mu.Unlock()
	delay := readBackoffMin
	for from < 0 {
		committed, err := j.committedLetters(ctx, b.id)
		if err == nil {
			b.mu.Lock()
			b.pos, b.committed, from = committed.start, committed.committed, committed.start
			b.mu.Unlock()
			break
		}
		if ctx.Err() != nil {
			return 0, false
		}
		j.log.Warn("journal letters: reading the committed offset failed; retrying", "partition", b.id, "err", err)
		select {
		case <-ctx.Done():
			return 0, false
		case <-time.After(delay):
		}
		delay = min(2*delay, readBackoffMax)
	}
	return from, true
}

// letterOffsets are the group's committed offset of a letters partition
// (-1 for none) and where delivery starts: there, unless the topic no
// longer keeps it.
type letterOffsets struct{ committed, start int64 }

// committedLetters reads the group's committed offset of letters
// partition p and the partition's offset range.
func (j *Journal) committedLetters(ctx context.Context, p int) (letterOffsets, error) {
	ctx, cancel := context.WithTimeout(ctx, j.cfg.WriteTimeout)
	defer cancel()
	topic := j.cfg.lettersTopic()
	res, err := j.client.OffsetFetch(ctx, &kafka.OffsetFetchRequest{GroupID: j.cfg.Group, Topics: map[string][]int{topic: {p}}})
	if err == nil {
		err = res.Error
	}
	if err != nil {
		return letterOffsets{}, err
	}
	committed := int64(-1)
	for _, po := range res.Topics[topic] {
		if po.Partition != p {
			continue
		}
		if po.Error != nil {
			return letterOffsets{}, po.Error
		}
		committed = po.CommittedOffset
	}
	ranges, err := j.offsets(ctx, topic, []int{p})
	if err != nil {
		return letterOffsets{}, err
	}
	return letterOffsets{committed: committed, start: startOffset(committed, ranges[p])}, nil
}

// deliverLetter hands the letter in msg to the Letters channel and
// records it open, waiting for room (a slot and the channel) until ctx
// ends; then the letter is left for the next reader, which starts at it.
// A record that does not decode is skipped.
func (j *Journal) deliverLetter(ctx context.Context, b *letterBox, msg kafka.Message) {
	if ctx.Err() != nil {
		return
	}
	b.mu.Lock()
	if msg.Offset < b.pos {
		b.mu.Unlock()
		return
	}
	if gap := msg.Offset - b.pos; gap > 0 {
		// As in the journal topic: retention deleted letters before they
		// were read.
		j.log.Error("journal letters deleted before they were read", "partition", b.id, "from", b.pos, "letters", gap)
	}
	b.mu.Unlock()
	rec, err := decodeLetter(msg.Value)
	if err != nil {
		j.corrupt(msg, err)
		b.mu.Lock()
		b.pos = msg.Offset + 1
		b.mu.Unlock()
		return
	}
	select {
	case b.slots <- struct{}{}:
	case <-ctx.Done():
		return
	}
	// Open before it is sent: the gateway may call Done at once.
	b.mu.Lock()
	b.open = append(b.open, openLetter{offset: msg.Offset})
	b.mu.Unlock()
	letter := journal.NewLetter(b.id, rec.data, func() { b.finish(msg.Offset) })
	if ctx.Err() == nil {
		select {
		case j.letters <- letter:
			b.mu.Lock()
			b.pos = msg.Offset + 1
			b.mu.Unlock()
			j.stats.lettersDelivered.Add(1)
			return
		case <-ctx.Done():
		}
	}
	b.mu.Lock()
	b.open = b.open[:len(b.open)-1]
	b.mu.Unlock()
	<-b.slots
}

// letterCommits returns the letters offsets of the partitions of g to
// commit: those whose low water moved past the last commit.
func letterCommits(g *generation) map[int]int64 {
	offsets := make(map[int]int64)
	for id, p := range g.parts {
		if low, ok := p.letters.commitDue(); ok {
			offsets[id] = low
		}
	}
	return offsets
}

// lettersCommitted records offsets as committed.
func lettersCommitted(g *generation, offsets map[int]int64) {
	for id, off := range offsets {
		b := g.parts[id].letters
		b.mu.Lock()
		b.committed = max(b.committed, off)
		b.mu.Unlock()
	}
}

// lettersOpen counts the letters delivered and not Done of the owned
// partitions.
func (j *Journal) lettersOpen() int {
	parts, _, _, _ := j.own.snapshot()
	n := 0
	for _, p := range parts {
		n += p.letters.openCount()
	}
	return n
}
