package kafka

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/iwf-gateway/iwf/journal"
)

// Snapshot bounds.
const (
	// MaxSnapshotBytes bounds the memory a Snapshot holds: the encoded
	// size of every entry version it keeps plus snapshotEntryOverhead
	// each, and of every ref binding plus snapshotBindingOverhead.
	// OpenSnapshot fails with ErrTooLarge rather than go past it.
	MaxSnapshotBytes = 1 << 30
	// snapshotEntryOverhead is what an entry costs besides its encoded
	// size: the entry struct, its map slot and its node in a state index.
	snapshotEntryOverhead = 160
	// snapshotBindingOverhead is what a ref binding costs besides the ref.
	snapshotBindingOverhead = 64
	// snapshotReaders is how many partitions a snapshot reads at once:
	// at most snapshotReaders fetch responses (Config.fetchMaxBytes each,
	// 10 MiB by default) are in memory besides what the snapshot keeps.
	snapshotReaders = 8
)

// Snapshot is a read-only journal.Journal of a Kafka journal as it stood
// when OpenSnapshot was called: the latest version of every kept entry of
// every partition, and the ref bindings of the whole cluster. The CLI
// reads it (iwf journal, iwf replay --dry-run) while the instances keep
// running.
//
// Unlike a Journal, Get and Scan cover every partition. What a Snapshot
// holds does not change after OpenSnapshot: take another one for a later
// view. Put fails with ErrReadOnly. It owns no goroutine and no
// connection once OpenSnapshot returns; Close releases what it holds.
// All methods are safe for concurrent use; Scan copies chunks under the
// read lock and calls fn without it.
type Snapshot struct {
	mu sync.RWMutex
	v  *view // nil once closed
}

var _ journal.Journal = (*Snapshot)(nil)

// OpenSnapshot reads the journal and refs topics of cfg, every
// partition, as they stand when it is called, and returns a read-only
// journal.Journal of what it read. It neither joins cfg.Group nor commits
// nor creates anything, so the running instances see no rebalance:
//
//   - each journal partition is read from the group's committed offset
//     (the oldest record a kept entry still needs), or from the first
//     offset kept when the group committed none, up to the high-water
//     mark listed at the start;
//   - versions are applied as the instances apply them (the higher tick
//     wins) and, as a new owner's rebuild does, Done entries past
//     cfg.Retention are purged at the end and the refs their latest
//     version bound are bound when the refs topic lacks them;
//   - the refs topic is read whole, up to its high-water marks, for
//     Lookup. Letters are not read.
//
// A missing journal or refs topic is ErrMissingTopic; holding more than
// MaxSnapshotBytes is ErrTooLarge. A request that keeps failing for
// cfg.WriteTimeout fails the snapshot; ctx bounds the whole of it. log
// may be nil.
func OpenSnapshot(ctx context.Context, cfg Config, log *slog.Logger) (*Snapshot, error) {
	return openSnapshot(ctx, cfg, log, MaxSnapshotBytes)
}

func openSnapshot(ctx context.Context, cfg Config, log *slog.Logger, limit int64) (*Snapshot, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.WithDefaults()
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	// The snapshot reuses the journal's connection code through a Journal
	// that is never opened: it carries cfg, the logger, the connections
	// and the count of records skipped as corrupt, nothing else.
	j := &Journal{cfg: cfg, log: log.With("journal", cfg.TopicPrefix)}
	j.bg, j.bgCancel = context.WithCancel(context.Background())
	defer j.bgCancel()
	if err := j.connect(); err != nil {
		return nil, err
	}
	defer j.transport.CloseIdleConnections()
	start := time.Now()
	l := &snapshotLoader{j: j, v: newView(), limit: limit}
	if err := l.load(ctx); err != nil {
		return nil, err
	}
	if n := j.stats.corrupt.Load(); n > 0 {
		j.log.Warn("journal snapshot skipped records that do not decode", "records", n)
	}
	j.log.Info("journal snapshot taken", "partitions", len(l.v.parts), "records", l.records,
		"open", l.v.index[journal.Open].Len(), "done", l.v.index[journal.Done].Len(),
		"dead", l.v.index[journal.Dead].Len(), "refs", len(l.v.bindings), "took", time.Since(start))
	return &Snapshot{v: l.v}, nil
}

// Get returns the entry with the given Seq, of any partition, or
// journal.ErrNotFound.
func (s *Snapshot) Get(ctx context.Context, seq uint64) (journal.Entry, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if err := s.readableLocked(ctx); err != nil {
		return journal.Entry{}, err
	}
	return s.v.entryLocked(seq)
}

// Lookup returns the Seq a ref is bound to, or journal.ErrNotFound.
func (s *Snapshot) Lookup(ctx context.Context, ref string) (uint64, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if err := s.readableLocked(ctx); err != nil {
		return 0, err
	}
	return s.v.lookupLocked(ref)
}

// Scan calls fn for each entry in state with Seq > after, in Seq order
// across every partition, until fn returns an error; journal.ErrStop
// ends it with nil.
func (s *Snapshot) Scan(ctx context.Context, state journal.State, after uint64, fn func(journal.Entry) error) error {
	if err := checkScanState(state); err != nil {
		return err
	}
	return scanChunks(after, func(after uint64) ([]journal.Entry, error) {
		s.mu.RLock()
		defer s.mu.RUnlock()
		if err := s.readableLocked(ctx); err != nil {
			return nil, err
		}
		return s.v.scanChunkLocked(state, after), nil
	}, fn)
}

// Put fails with ErrReadOnly: a snapshot never writes.
func (s *Snapshot) Put(context.Context, []journal.Entry) error {
	return ErrReadOnly
}

// Close releases what the snapshot holds. Later calls return nil;
// methods called after it return journal.ErrClosed.
func (s *Snapshot) Close() error {
	s.mu.Lock()
	s.v = nil
	s.mu.Unlock()
	return nil
}

// readableLocked checks ctx and that the snapshot is not closed. Read
// lock suffices.
func (s *Snapshot) readableLocked(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if s.v == nil {
		return journal.ErrClosed
	}
	return nil
}

// snapshotLoader reads the topics into a view for OpenSnapshot.
type snapshotLoader struct {
	j     *Journal // the connections, cfg and corrupt count; never opened
	limit int64

	mu      sync.Mutex // guards v and the counters while partitions are read in parallel
	v       *view
	held    int64 // estimated bytes v holds
	records int   // journal records applied; skipped ones count in j.stats.corrupt
}

// span is the offsets of a partition to read: from up to end.
type span struct{ from, end int64 }

// load reads the journal topic from the group's committed offsets and the
// refs topic whole, both up to the high-water marks listed first, then
// purges and audits as a rebuild does.
func (l *snapshotLoader) load(ctx context.Context) error {
	cfg := &l.j.cfg
	counts, err := l.partitionCounts(ctx)
	if err != nil {
		return err
	}
	journalParts, refsParts := partitionIDs(counts[cfg.journalTopic()]), partitionIDs(counts[cfg.refsTopic()])
	// Committed offsets first: one committed after the high-water marks
	// are listed could lie past them.
	committed, err := l.committedOffsets(ctx, journalParts)
	if err != nil {
		return err
	}
	journalSpans, err := l.spans(ctx, cfg.journalTopic(), journalParts, func(id int, r offsetRange) int64 {
		return startOffset(committed[id], r)
	})
	if err != nil {
		return err
	}
	refsSpans, err := l.spans(ctx, cfg.refsTopic(), refsParts, func(_ int, r offsetRange) int64 { return r.first })
	if err != nil {
		return err
	}
	for id, sp := range journalSpans {
		l.v.parts[id] = &partition{id: id, entries: make(map[uint64]*entry), pos: sp.from}
	}
	if err := l.readTopic(ctx, cfg.journalTopic(), journalSpans, func(id int, msg kafka.Message) error {
		return l.applyJournal(l.v.parts[id], msg)
	}); err != nil {
		return err
	}
	parts := make([]*partition, 0, len(l.v.parts))
	for _, p := range l.v.parts {
		p.serving = true // for holdsLocked, while the refs are read
		parts = append(parts, p)
	}
	if err := l.readTopic(ctx, cfg.refsTopic(), refsSpans, func(_ int, msg kafka.Message) error {
		return l.applyRef(msg)
	}); err != nil {
		return err
	}
	l.v.purgeLocked(time.Now().Add(-cfg.Retention).UnixNano(), nil)
	l.v.auditLocked(parts)
	return l.checkHeld()
}

// partitionCounts returns the partition counts of the journal and refs
// topics, failing with ErrMissingTopic if either is missing.
func (l *snapshotLoader) partitionCounts(ctx context.Context) (map[string]int, error) {
	cfg := &l.j.cfg
	var counts map[string]int
	err := retrying(ctx, cfg.WriteTimeout, func(ctx context.Context) (err error) {
		counts, err = l.j.partitionCounts(ctx)
		return err
	})
	if err != nil {
		return nil, err
	}
	var missing []string
	for _, t := range []string{cfg.journalTopic(), cfg.refsTopic()} {
		if counts[t] == 0 {
			missing = append(missing, t)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("%w: %s not found at %s: no journal under topic prefix %q",
			ErrMissingTopic, strings.Join(missing, " and "), strings.Join(cfg.Brokers, ","), cfg.TopicPrefix)
	}
	if err := cfg.checkJournalPartitions(counts[cfg.journalTopic()]); err != nil {
		return nil, err
	}
	return counts, nil
}

// committedOffsets returns the group's committed offset of each journal
// partition, -1 where it has none. OffsetFetch only reads the group's
// offsets: it does not join the group.
func (l *snapshotLoader) committedOffsets(ctx context.Context, parts []int) (map[int]int64, error) {
	cfg := &l.j.cfg
	topic := cfg.journalTopic()
	var res *kafka.OffsetFetchResponse
	err := retrying(ctx, cfg.WriteTimeout, func(ctx context.Context) error {
		var err error
		res, err = l.j.client.OffsetFetch(ctx, &kafka.OffsetFetchRequest{GroupID: cfg.Group, Topics: map[string][]int{topic: parts}})
		if err == nil {
			err = res.Error
		}
		return err
	})
	out := make(map[int]int64, len(parts))
	for _, p := range parts {
		out[p] = -1
	}
	switch {
	case errors.Is(err, kafka.GroupIdNotFound): // a group that never committed
		return out, nil
	case err != nil:
		return nil, fmt.Errorf("journal/kafka: committed offsets of group %s: %w", cfg.Group, err)
	}
	for _, po := range res.Topics[topic] {
		switch {
		case po.Error == nil:
			out[po.Partition] = po.CommittedOffset
		case errors.Is(po.Error, kafka.UnknownTopicOrPartition):
		default:
			return nil, fmt.Errorf("journal/kafka: committed offset of group %s on %s[%d]: %w", cfg.Group, topic, po.Partition, po.Error)
		}
	}
	return out, nil
}

// spans lists the offset ranges of parts of topic and returns, for each,
// from where to read (from(id, range)) up to its high-water mark.
func (l *snapshotLoader) spans(ctx context.Context, topic string, parts []int, from func(int, offsetRange) int64) (map[int]span, error) {
	var ranges map[int]offsetRange
	err := retrying(ctx, l.j.cfg.WriteTimeout, func(ctx context.Context) (err error) {
		ranges, err = l.j.offsets(ctx, topic, parts)
		return err
	})
	if err != nil {
		return nil, err
	}
	out := make(map[int]span, len(parts))
	for _, id := range parts {
		r := ranges[id]
		out[id] = span{from: from(id, r), end: r.end}
	}
	return out, nil
}

// readTopic reads the spans of topic, snapshotReaders partitions at a
// time, passing every record to apply, and returns the first error.
func (l *snapshotLoader) readTopic(ctx context.Context, topic string, spans map[int]span, apply func(int, kafka.Message) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	var once sync.Once
	var first error
	slots := make(chan struct{}, snapshotReaders)
	for _, id := range slices.Sorted(maps.Keys(spans)) {
		sp := spans[id]
		if sp.from >= sp.end {
			continue
		}
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Go(func() {
			defer func() { <-slots }()
			if err := l.readPartition(ctx, topic, id, sp, apply); err != nil {
				once.Do(func() { first = err; cancel() })
			}
		})
	}
	wg.Wait()
	if first != nil {
		return first
	}
	return ctx.Err()
}

// readPartition reads one partition of topic from sp.from up to sp.end
// with plain fetch requests: no group, no goroutine, and nothing left
// waiting at the broker once the high-water mark is reached.
func (l *snapshotLoader) readPartition(ctx context.Context, topic string, id int, sp span, apply func(int, kafka.Message) error) error {
	next := sp.from
	for next < sp.end {
		res, err := l.fetch(ctx, topic, id, next)
		if errors.Is(err, kafka.OffsetOutOfRange) {
			// Retention deleted records before they were read.
			if next, err = l.firstOffset(ctx, topic, id, next); err != nil {
				return err
			}
			continue
		}
		if err != nil {
			return fmt.Errorf("journal/kafka: snapshot of %s[%d] at offset %d, the high-water mark being %d: %w", topic, id, next, sp.end, err)
		}
		read, done, err := l.applyFetched(res, sp.end, &next, apply)
		if err != nil || done {
			return err
		}
		if read == 0 {
			// Nothing left below the high-water mark: the records that
			// were there are gone (compacted or deleted).
			l.j.log.Warn("journal snapshot found no record below the high-water mark", "topic", topic, "partition", id, "from", next, "end", sp.end)
			return nil
		}
	}
	return nil
}

// fetch fetches the records of a partition from offset next, retrying
// what may succeed again for Config.WriteTimeout.
func (l *snapshotLoader) fetch(ctx context.Context, topic string, id int, next int64) (*kafka.FetchResponse, error) {
	cfg := &l.j.cfg
	var res *kafka.FetchResponse
	err := retrying(ctx, cfg.WriteTimeout, func(ctx context.Context) error {
		var err error
		res, err = l.j.client.Fetch(ctx, &kafka.FetchRequest{
			Topic: topic, Partition: id, Offset: next,
			MinBytes: 1, MaxBytes: int64(cfg.fetchMaxBytes()), MaxWait: cfg.FetchMaxWait,
		})
		if err == nil {
			err = res.Error
		}
		return err
	})
	return res, err
}

// firstOffset returns the first offset a partition keeps now, past next
// which a fetch found out of range: retention deleted records since the
// offsets were listed. The journal's reader logs the gap it leaves.
func (l *snapshotLoader) firstOffset(ctx context.Context, topic string, id int, next int64) (int64, error) {
	ranges, err := l.j.offsets(ctx, topic, []int{id})
	if err != nil {
		return 0, err
	}
	first := ranges[id].first
	if first <= next {
		return 0, fmt.Errorf("journal/kafka: snapshot of %s[%d]: offset %d out of range, the partition keeping %d to %d", topic, id, next, first, ranges[id].end)
	}
	return first, nil
}

// applyFetched passes the records of res from *next up to end to apply,
// advancing *next, and returns how many it read and whether end was
// reached.
func (l *snapshotLoader) applyFetched(res *kafka.FetchResponse, end int64, next *int64, apply func(int, kafka.Message) error) (read int, done bool, err error) {
	for {
		rec, err := res.Records.ReadRecord()
		if errors.Is(err, io.EOF) {
			return read, false, nil
		}
		if err != nil {
			return read, false, fmt.Errorf("journal/kafka: snapshot of %s[%d]: %w", res.Topic, res.Partition, err)
		}
		if rec.Offset < *next { // a batch may begin before the offset asked
			continue
		}
		if rec.Offset >= end {
			return read, true, nil
		}
		msg := kafka.Message{Topic: res.Topic, Partition: res.Partition, Offset: rec.Offset}
		if msg.Key, err = readBytes(rec.Key); err == nil {
			msg.Value, err = readBytes(rec.Value)
		}
		if err != nil {
			return read, false, fmt.Errorf("journal/kafka: snapshot of %s[%d] offset %d: %w", res.Topic, res.Partition, rec.Offset, err)
		}
		if err := apply(res.Partition, msg); err != nil {
			return read, false, err
		}
		read++
		if *next = rec.Offset + 1; *next >= end {
			return read, true, nil
		}
	}
}

// readBytes copies b out of the fetch buffer (nil stays nil: a
// tombstone's value) and releases it.
func readBytes(b kafka.Bytes) ([]byte, error) {
	if b == nil {
		return nil, nil
	}
	defer b.Close()
	return kafka.ReadAll(b)
}

// applyJournal applies one journal record to p, as an instance's reader
// does: the higher tick wins.
func (l *snapshotLoader) applyJournal(p *partition, msg kafka.Message) error {
	rec, err := decodeRecord(msg.Value)
	if err == nil {
		err = rec.checkPartitionOf(p.id)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if gap := msg.Offset - p.pos; gap > 0 {
		l.j.log.Error("journal records deleted before the snapshot read them", "partition", p.id, "from", p.pos, "records", gap)
	}
	p.pos = msg.Offset + 1
	if err != nil {
		l.j.corrupt(msg, err)
		return nil
	}
	l.records++
	for i := range rec.entries {
		re := &rec.entries[i]
		var before int64
		if cur := p.entries[re.seq]; cur != nil {
			before = entryFootprint(&cur.recordEntry)
		}
		if l.v.applyLocked(p, re, msg.Offset) {
			l.held += entryFootprint(re) - before
		}
	}
	return l.overLocked(msg)
}

// applyRef applies one refs-topic record as an instance does: a binding
// with a higher tick wins; a tombstone, or an earlier binding, does not
// undo the binding of an entry the snapshot holds that still names the
// ref at that tick (its owner publishes it again).
func (l *snapshotLoader) applyRef(msg kafka.Message) error {
	ref := string(msg.Key)
	var b binding
	var err error
	switch {
	case ref == "" || len(ref) > MaxRefSize:
		err = fmt.Errorf("%w: ref key of %d bytes", ErrCorrupt, len(ref))
	case msg.Value != nil:
		b, err = decodeBinding(msg.Value)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if err != nil {
		l.j.corrupt(msg, err)
		return nil
	}
	cur, ok := l.v.bindings[ref]
	keep := ok && l.v.holdsLocked(ref, cur) && (msg.Value == nil || laterBinding(cur, b))
	switch {
	case keep:
	case msg.Value == nil:
		if ok {
			delete(l.v.bindings, ref)
			l.held -= bindingFootprint(ref)
		}
	default:
		if l.v.bindLocked(ref, b) && !ok {
			l.held += bindingFootprint(ref)
		}
	}
	return l.overLocked(msg)
}

// overLocked fails once the snapshot holds more than its limit.
func (l *snapshotLoader) overLocked(msg kafka.Message) error {
	if l.held <= l.limit {
		return nil
	}
	return fmt.Errorf("%w: a snapshot of %s would hold more than %d bytes (at %s[%d] offset %d)",
		ErrTooLarge, l.j.cfg.TopicPrefix, l.limit, msg.Topic, msg.Partition, msg.Offset)
}

// checkHeld counts what the finished snapshot holds against its limit:
// the audit may have bound more refs.
func (l *snapshotLoader) checkHeld() error {
	var held int64
	for _, p := range l.v.parts {
		for _, e := range p.entries {
			held += entryFootprint(&e.recordEntry)
		}
	}
	for ref := range l.v.bindings {
		held += bindingFootprint(ref)
	}
	if l.held = held; held > l.limit {
		return fmt.Errorf("%w: a snapshot of %s would hold more than %d bytes", ErrTooLarge, l.j.cfg.TopicPrefix, l.limit)
	}
	return nil
}

// entryFootprint and bindingFootprint estimate the memory an entry
// version and a binding take in a snapshot.
func entryFootprint(e *recordEntry) int64 { return int64(entrySize(e) + snapshotEntryOverhead) }
func bindingFootprint(ref string) int64   { return int64(len(ref) + snapshotBindingOverhead) }

// retrying calls f until it succeeds, fails with an error that may pass
// (a coordinator loading, a leader moving, a connection lost) for longer
// than bound, or fails otherwise.
func retrying(ctx context.Context, bound time.Duration, f func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, bound)
	defer cancel()
	delay := readBackoffMin
	for {
		err := f(ctx)
		if err == nil || !retriable(err) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(delay):
		}
		delay = min(2*delay, readBackoffMax)
	}
}

// partitionIDs is 0..n-1.
func partitionIDs(n int) []int {
	ids := make([]int, n)
	for i := range ids {
		ids[i] = i
	}
	return ids
}
