package kafka

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/iwf-gateway/iwf/journal"
)

// Journal is a journal.Shared on Kafka topics, shared by the instances
// of one consumer group. Open it with Open.
type Journal struct {
	cfg   Config
	log   *slog.Logger
	id    uint64 // writer id in this instance's records
	clock clock

	transport *kafka.Transport
	client    *kafka.Client
	dialer    *kafka.Dialer
	group     *kafka.ConsumerGroup
	// journalParts and refsParts are the partition counts of the topics.
	journalParts, refsParts int

	mu   sync.RWMutex // guards v and the fields of every partition it holds
	v    *view
	own  ownership
	refs *refsPublisher

	bg        context.Context // ends when Close has stopped the group
	bgCancel  context.CancelFunc
	closing   chan struct{} // closed when Close begins
	putMu     sync.RWMutex  // guards closed against queue sends
	closed    bool
	isShut    atomic.Bool
	groupDone chan struct{}
	wg        sync.WaitGroup // refs readers and maintenance
	closeOnce sync.Once

	// Letters: a sender per partition of the letters topic, stopped by
	// closing sendStop; the readers of owned partitions deliver to
	// letters, which Close closes once they and the group have ended.
	sendQueues    []chan *sendRequest
	sendStop      chan struct{}
	senders       sync.WaitGroup
	letters       chan journal.Letter
	letterReaders sync.WaitGroup

	stats counters
}

var _ journal.Journal = (*Journal)(nil)

// Open connects to the cluster, creates the topics that are missing,
// reads the refs topic, joins the consumer group and rebuilds the
// partitions it is given, and returns once the journal can serve them.
// ctx bounds all of that. log may be nil.
func Open(ctx context.Context, cfg Config, log *slog.Logger) (*Journal, error) {
	return open(ctx, cfg, log, time.Now)
}

func open(ctx context.Context, cfg Config, log *slog.Logger, now func() time.Time) (*Journal, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.WithDefaults()
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	j := &Journal{
		cfg: cfg, log: log.With("journal", cfg.TopicPrefix), id: rand.Uint64(),
		clock: clock{now: now}, v: newView(),
		closing: make(chan struct{}), groupDone: make(chan struct{}),
		sendStop: make(chan struct{}), letters: make(chan journal.Letter, lettersQueueLen),
	}
	j.own.changed = make(chan struct{})
	j.bg, j.bgCancel = context.WithCancel(context.Background())
	if err := j.connect(); err != nil {
		j.bgCancel()
		return nil, err
	}
	if err := j.start(ctx); err != nil {
		j.Close()
		return nil, err
	}
	j.log.Info("journal opened", "brokers", cfg.Brokers, "group", cfg.Group,
		"partitions", j.own.count(), "refs", j.Stats().Refs)
	return j, nil
}

// start brings the journal up; on error the caller closes it.
func (j *Journal) start(ctx context.Context) error {
	journalParts, refsParts, err := j.ensureTopics(ctx)
	if err != nil {
		close(j.groupDone)
		return err
	}
	j.journalParts, j.refsParts = journalParts, refsParts
	j.startSenders()
	j.refs = newRefsPublisher(j)
	if err := j.startRefsReaders(ctx); err != nil {
		close(j.groupDone)
		return err
	}
	j.group, err = kafka.NewConsumerGroup(j.groupConfig())
	if err != nil {
		close(j.groupDone)
		return fmt.Errorf("journal/kafka: consumer group: %w", err)
	}
	go j.runGroup()
	if err := j.own.awaitReady(ctx, j.groupDone); err != nil {
		return fmt.Errorf("journal/kafka: joining group %s (%d partitions): %w", j.cfg.Group, journalParts, err)
	}
	j.wg.Add(1)
	go j.runMaintenance()
	return nil
}

// Get returns the entry with the given Seq, or journal.ErrNotFound. Only
// entries of the partitions this instance owns are found.
func (j *Journal) Get(ctx context.Context, seq uint64) (journal.Entry, error) {
	if err := j.readable(ctx); err != nil {
		return journal.Entry{}, err
	}
	j.mu.RLock()
	defer j.mu.RUnlock()
	return j.v.entryLocked(seq)
}

// Lookup returns the Seq a ref is bound to, or journal.ErrNotFound. Refs
// of every partition resolve, owned by this instance or not.
func (j *Journal) Lookup(ctx context.Context, ref string) (uint64, error) {
	if err := j.readable(ctx); err != nil {
		return 0, err
	}
	j.mu.RLock()
	defer j.mu.RUnlock()
	return j.v.lookupLocked(ref)
}

// scanChunk is the most entries Scan copies under one read lock.
const scanChunk = 256

// Scan calls fn for each entry in state with Seq > after, in Seq order,
// until fn returns an error; journal.ErrStop ends it with nil. It covers
// the partitions this instance owns. It copies a chunk of entries under
// the read lock and calls fn without it, so fn may call Put; an entry
// changed during the Scan is seen as it was when its chunk was copied.
func (j *Journal) Scan(ctx context.Context, state journal.State, after uint64, fn func(journal.Entry) error) error {
	if err := checkScanState(state); err != nil {
		return err
	}
	return scanChunks(after, func(after uint64) ([]journal.Entry, error) {
		if err := j.readable(ctx); err != nil {
			return nil, err
		}
		j.mu.RLock()
		defer j.mu.RUnlock()
		return j.v.scanChunkLocked(state, after), nil
	}, fn)
}

// checkScanState reports a state Scan cannot scan.
func checkScanState(state journal.State) error {
	if state < journal.Open || state > journal.Dead {
		return fmt.Errorf("%w: scan of state %d", ErrInvalidEntry, state)
	}
	return nil
}

// scanChunks calls fn for every entry of the chunks next returns, each
// after the last Seq of the one before, until a chunk is short of
// scanChunk, next fails or fn returns an error (ErrStop ends it cleanly).
// next copies its chunk under its lock, so fn runs without it.
func scanChunks(after uint64, next func(after uint64) ([]journal.Entry, error), fn func(journal.Entry) error) error {
	for {
		chunk, err := next(after)
		if err != nil {
			return err
		}
		for _, e := range chunk {
			if err := fn(e); err != nil {
				if errors.Is(err, journal.ErrStop) {
					return nil
				}
				return err
			}
		}
		if len(chunk) < scanChunk {
			return nil
		}
		after = chunk[len(chunk)-1].Seq
	}
}

// readable checks ctx and that the journal is not closed.
func (j *Journal) readable(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if j.isShut.Load() {
		return journal.ErrClosed
	}
	return nil
}

// Close writes the Puts and Sends already queued (within
// Config.WriteTimeout), commits the group offsets (letters not Done stay
// for the next owner), leaves the group, publishes pending ref bindings,
// stops every goroutine of the journal and closes the Letters channel.
// It waits for all of that; later calls return nil at once. Methods
// called after Close return journal.ErrClosed.
func (j *Journal) Close() error {
	j.closeOnce.Do(func() {
		close(j.closing)
		j.putMu.Lock()
		j.closed = true
		j.putMu.Unlock()
		j.isShut.Store(true)
		j.flushWriters()
		j.stopSenders()
		if j.group != nil {
			j.group.Close()
		}
		<-j.groupDone
		j.letterReaders.Wait()
		j.own.shut()
		j.failQueued(journal.ErrClosed)
		if j.refs != nil {
			j.refs.stop()
		}
		j.bgCancel()
		j.wg.Wait()
		j.transport.CloseIdleConnections()
		close(j.letters)
		j.log.Info("journal closed")
	})
	return nil
}

// Stats are counters for metrics.
type Stats struct {
	Open, Done, Dead uint64 // entries held, per state
	Partitions       int    // journal partitions owned
	Refs             int    // ref bindings known, cluster-wide
	Puts             uint64 // Puts acknowledged, since Open
	Records          uint64 // produce requests carrying Puts, since Open
	Purged           uint64 // Done entries removed by retention, since Open
	Rewritten        uint64 // entries written again by rewrite, since Open
	Corrupt          uint64 // records read that did not decode (skipped)
	RefsPending      int    // bindings waiting to be published again
	LettersSent      uint64 // Sends acknowledged, since Open
	LettersDelivered uint64 // letters put on the Letters channel, since Open
	LettersOpen      int    // letters of owned partitions delivered and not Done
}

// counters are the Stats kept as atomics.
type counters struct {
	puts, records, purged, rewritten, corrupt atomic.Uint64
	lettersSent, lettersDelivered             atomic.Uint64
}

// Stats returns the current counters.
func (j *Journal) Stats() Stats {
	j.mu.RLock()
	s := Stats{
		Open: uint64(j.v.index[journal.Open].Len()), Done: uint64(j.v.index[journal.Done].Len()),
		Dead: uint64(j.v.index[journal.Dead].Len()), Refs: len(j.v.bindings),
	}
	j.mu.RUnlock()
	s.Partitions = j.own.count()
	s.Puts, s.Records = j.stats.puts.Load(), j.stats.records.Load()
	s.Purged, s.Rewritten, s.Corrupt = j.stats.purged.Load(), j.stats.rewritten.Load(), j.stats.corrupt.Load()
	if j.refs != nil {
		s.RefsPending = j.refs.pendingCount()
	}
	s.LettersSent, s.LettersDelivered = j.stats.lettersSent.Load(), j.stats.lettersDelivered.Load()
	s.LettersOpen = j.lettersOpen()
	return s
}
