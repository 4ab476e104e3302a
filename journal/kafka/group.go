package kafka

import (
	"context"
	"errors"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/segmentio/kafka-go"
)

// runGroup follows the consumer group for the life of the journal: each
// generation says which journal partitions this instance owns.
func (j *Journal) runGroup() {
	defer close(j.groupDone)
	for {
		gen, err := j.group.Next(j.bg)
		if err != nil {
			if errors.Is(err, kafka.ErrGroupClosed) || j.bg.Err() != nil {
				return
			}
			j.log.Warn("journal group: join failed; retrying", "group", j.cfg.Group, "err", err)
			continue
		}
		j.runGeneration(gen)
	}
}

// generation is what this instance runs for one group generation.
type generation struct {
	gen     *kafka.Generation
	parts   map[int]*partition
	ended   chan struct{} // closed when the generation ends
	served  chan struct{} // closed once its partitions are served (never if it ended first)
	over    bool          // set when it ends; guarded by ownership.mu
	writers sync.WaitGroup
}

// runGeneration takes over the partitions of gen: it forgets those it no
// longer owns, rebuilds the new ones from their committed offsets, then
// starts a writer per partition and the offset committer, and publishes
// the partitions as writable. It returns without waiting for the
// generation to end; kafka-go joins the goroutines it started before the
// next generation.
func (j *Journal) runGeneration(kg *kafka.Generation) {
	g := &generation{gen: kg, ended: make(chan struct{}), served: make(chan struct{})}
	kg.Start(func(ctx context.Context) {
		<-ctx.Done()
		j.own.end(g)
		close(g.ended)
	})
	assigned := make(map[int]int64)
	for _, a := range kg.Assignments[j.cfg.journalTopic()] {
		assigned[a.ID] = a.Offset
	}
	var fresh []*partition
	g.parts, fresh = j.adopt(assigned)
	loaded, err := j.startReaders(g, fresh, assigned)
	if err != nil {
		return // the generation ended while the offsets could not be listed
	}
	select {
	case <-loaded:
	case <-g.ended:
		return
	}
	j.finishLoad(fresh)
	for _, p := range g.parts {
		g.writers.Add(1)
		kg.Start(func(ctx context.Context) {
			defer g.writers.Done()
			j.runWriter(ctx, p)
		})
	}
	kg.Start(func(ctx context.Context) { j.runCommitter(ctx, g) })
	for _, p := range g.parts {
		// Joined by Close too: a goroutine Start runs after the
		// generation ended is not one kafka-go waits for.
		j.letterReaders.Add(1)
		kg.Start(func(ctx context.Context) {
			defer j.letterReaders.Done()
			j.readLetters(ctx, g, p.letters)
		})
	}
	if j.own.serve(g) {
		close(g.served)
		j.log.Info("journal partitions owned", "generation", kg.ID, "partitions", slices.Sorted(maps.Keys(g.parts)), "rebuilt", len(fresh))
	}
}

// adopt makes the view hold exactly the assigned partitions: it drops the
// others (their queued Puts route again) and creates the new ones, which
// it returns apart, not yet serving. A partition whose rebuild a
// generation cut short is rebuilt anew.
func (j *Journal) adopt(assigned map[int]int64) (all map[int]*partition, fresh []*partition) {
	var dropped []*partition
	defer func() {
		for _, p := range dropped {
			p.letters.giveAway()
		}
	}()
	j.mu.Lock()
	defer j.mu.Unlock()
	for id, p := range j.v.parts {
		if _, ok := assigned[id]; !ok || !p.serving {
			j.v.dropLocked(p)
			close(p.gone)
			drainQueue(p.queue, errRequeue)
			dropped = append(dropped, p)
		}
	}
	all = make(map[int]*partition, len(assigned))
	for id := range assigned {
		p := j.v.parts[id]
		if p == nil {
			p = newPartition(id, j.cfg.MaxBatch)
			j.v.parts[id] = p
			fresh = append(fresh, p)
		}
		all[id] = p
	}
	return all, fresh
}

// startReaders starts a reader per partition of g: the fresh ones from
// their committed offset (or the first one kept), the others where they
// stopped. loaded closes when every fresh partition has been read up to
// its high-water mark as it was at the start.
func (j *Journal) startReaders(g *generation, fresh []*partition, assigned map[int]int64) (<-chan struct{}, error) {
	ids := make([]int, len(fresh))
	for i, p := range fresh {
		ids[i] = p.id
	}
	ranges, err := j.offsetsDuring(g, ids)
	if err != nil {
		return nil, err
	}
	loaded := newCountdown(len(fresh))
	goals := make(map[int]int64, len(fresh))
	j.mu.Lock()
	for _, p := range fresh {
		r := ranges[p.id]
		p.pos, p.loadedAt, p.committed = startOffset(assigned[p.id], r), r.end, -1
		goals[p.id] = r.end
	}
	j.mu.Unlock()
	for _, p := range g.parts {
		goal, isFresh := goals[p.id]
		var once sync.Once
		caughtUp := func() {
			if isFresh {
				once.Do(loaded.done)
			}
		}
		j.mu.RLock()
		from := p.pos
		j.mu.RUnlock()
		if from >= goal {
			caughtUp()
		}
		g.gen.Start(func(ctx context.Context) {
			j.readPartition(ctx, j.cfg.journalTopic(), p.id, from, 0, func(msg kafka.Message) {
				if j.applyJournal(p, msg) >= goal {
					caughtUp()
				}
			})
		})
	}
	return loaded.zero, nil
}

// startOffset is where a rebuild of a partition begins: the committed
// offset, unless none was committed or it is no longer kept.
func startOffset(committed int64, r offsetRange) int64 {
	if committed < r.first || committed > r.end {
		return r.first
	}
	return committed
}

// offsetsDuring lists offset ranges, retrying until it succeeds or the
// generation ends.
func (j *Journal) offsetsDuring(g *generation, ids []int) (map[int]offsetRange, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	delay := readBackoffMin
	for {
		ctx, cancel := context.WithTimeout(j.bg, j.cfg.WriteTimeout)
		ranges, err := j.offsets(ctx, j.cfg.journalTopic(), ids)
		cancel()
		if err == nil {
			return ranges, nil
		}
		j.log.Warn("journal group: listing offsets failed; retrying", "err", err)
		select {
		case <-g.ended:
			return nil, err
		case <-time.After(delay):
		}
		delay = min(2*delay, readBackoffMax)
	}
}

// applyJournal applies one journal record to partition p and returns the
// reader's new position. Records this instance wrote since it took p over
// were applied when they were acknowledged and are skipped.
func (j *Journal) applyJournal(p *partition, msg kafka.Message) int64 {
	rec, err := decodeRecord(msg.Value)
	var high uint64
	j.mu.Lock()
	if msg.Offset < p.pos {
		pos := p.pos
		j.mu.Unlock()
		return pos
	}
	gap := msg.Offset - p.pos
	p.pos = msg.Offset + 1
	pos := p.pos
	if err == nil && !(rec.writer == j.id && msg.Offset >= p.loadedAt) {
		err = j.applyRecordLocked(p, &rec, msg.Offset, &high)
	}
	j.mu.Unlock()
	j.clock.observe(high)
	if gap > 0 {
		// The topic deleted records before they were read: retention ran
		// past the committed offset (instances down longer than
		// topic_retention allows). Entries in them are lost.
		j.log.Error("journal records deleted before they were read", "partition", p.id, "from", msg.Offset-gap, "records", gap)
	}
	if err != nil {
		j.corrupt(msg, err)
	}
	return pos
}

// applyRecordLocked applies the entries of rec read at offset of p and
// raises *high to the highest tick in it.
func (j *Journal) applyRecordLocked(p *partition, rec *putRecord, offset int64, high *uint64) error {
	for i := range rec.entries {
		e := &rec.entries[i]
		if partitionOf(e.seq) != p.id {
			// Corrupt; the clock keeps what the entries before this
			// one raised it to, as it always has.
			return rec.checkPartitionOf(p.id)
		}
		*high = max(*high, e.version, tickOf(e.seq))
	}
	for i := range rec.entries {
		j.v.applyLocked(p, &rec.entries[i], offset)
	}
	return nil
}

// finishLoad ends the rebuild of fresh partitions: it purges the Done
// entries past retention that a rebuild brings back, publishes the
// bindings a previous owner may not have published, and serves them.
func (j *Journal) finishLoad(fresh []*partition) {
	if len(fresh) == 0 {
		return
	}
	j.purge(time.Now(), fresh)
	updates := j.audit(fresh)
	j.mu.Lock()
	for _, p := range fresh {
		p.serving = true
	}
	j.mu.Unlock()
	if len(updates) > 0 {
		j.log.Info("journal publishing ref bindings missing from the refs topic", "refs", len(updates))
		j.refs.publish(updates, nil)
	}
}

// audit binds, and returns for publishing, the refs each entry of parts
// named in its latest version that the refs topic does not bind to it:
// the owner that wrote them may have died between the journal record and
// the refs record.
func (j *Journal) audit(parts []*partition) []refUpdate {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.v.auditLocked(parts)
}

// auditLocked binds the refs each entry of parts named in its latest
// version, unless a later binding holds them, and returns the bindings
// it made.
func (v *view) auditLocked(parts []*partition) []refUpdate {
	var updates []refUpdate
	for _, p := range parts {
		for _, e := range p.entries {
			for _, r := range e.refs {
				b := binding{seq: e.seq, stamp: r.stamp}
				if r.stamp == e.version && v.bindLocked(r.ref, b) {
					updates = append(updates, refUpdate{ref: r.ref, b: b})
				}
			}
		}
	}
	return updates
}

// runCommitter commits, every Config.CommitInterval and when the
// generation ends, the offset from which each partition of g must be
// read to rebuild it (never past a record that a kept entry still
// needs), and the offset from which its letters must be read (never past
// a letter not Done).
func (j *Journal) runCommitter(ctx context.Context, g *generation) {
	t := time.NewTicker(j.cfg.CommitInterval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			j.commit(g)
		case <-ctx.Done():
			g.writers.Wait()
			j.commit(g)
			return
		}
	}
}

func (j *Journal) commit(g *generation) {
	offsets := make(map[int]int64)
	j.mu.RLock()
	for id, p := range g.parts {
		if low := p.lowWater(); p.serving && low > p.committed {
			offsets[id] = low
		}
	}
	j.mu.RUnlock()
	letters := letterCommits(g)
	commits := make(map[string]map[int]int64, 2)
	if len(offsets) > 0 {
		commits[j.cfg.journalTopic()] = offsets
	}
	if len(letters) > 0 {
		commits[j.cfg.lettersTopic()] = letters
	}
	if len(commits) == 0 {
		return
	}
	if err := g.gen.CommitOffsets(commits); err != nil {
		j.log.Debug("journal group: commit failed", "err", err)
		return
	}
	j.mu.Lock()
	for id, off := range offsets {
		g.parts[id].committed = max(g.parts[id].committed, off)
	}
	j.mu.Unlock()
	lettersCommitted(g, letters)
}
