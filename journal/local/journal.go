package local

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/iwf-gateway/iwf/journal"
)

// Bucket names; see the package documentation for the layout.
var (
	bucketEntries = []byte("entries")
	bucketOpen    = []byte("open")
	bucketDone    = []byte("done")
	bucketDead    = []byte("dead")
	bucketRefs    = []byte("refs")
	bucketMeta    = []byte("meta")
	bucketBig     = []byte("big")
	keyCounts     = []byte("counts")
)

// Journal is a journal.Journal on one bbolt file. Open it with Open.
type Journal struct {
	cfg Config
	log *slog.Logger
	db  *bolt.DB
	now func() time.Time

	mu     sync.RWMutex // guards closed against queue sends
	closed bool
	isShut atomic.Bool
	queue  chan *putRequest

	writerDone chan struct{}
	stopPurge  chan struct{}
	purgeDone  chan struct{}
	closeOnce  sync.Once
	closeErr   error

	// Writer-owned: the next Seq to assign and the last time assigned.
	nextSeq  uint64
	lastTime int64

	statsMu sync.Mutex
	stats   Stats
}

var _ journal.Journal = (*Journal)(nil)

// Stats are counters for metrics.
type Stats struct {
	Open, Done, Dead uint64 // stored entries per state
	Commits          uint64 // write transactions carrying Puts, since Open
	Entries          uint64 // entries written by those commits
	Puts             uint64 // Puts committed
	Purged           uint64 // Done entries removed by retention, since Open
}

// EntriesPerCommit is the mean group-commit size since Open.
func (s Stats) EntriesPerCommit() float64 {
	if s.Commits == 0 {
		return 0
	}
	return float64(s.Entries) / float64(s.Commits)
}

// Open opens (creating if needed) the journal at cfg.Path and starts its
// writer and retention goroutines. log may be nil.
func Open(cfg Config, log *slog.Logger) (*Journal, error) {
	return open(cfg, log, time.Now)
}

func open(cfg Config, log *slog.Logger, now func() time.Time) (*Journal, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	db, err := bolt.Open(cfg.Path, 0o600, &bolt.Options{
		Timeout:      time.Second,
		NoSync:       cfg.NoSync,
		FreelistType: bolt.FreelistMapType,
	})
	if err != nil {
		return nil, fmt.Errorf("journal/local: open %s: %w", cfg.Path, err)
	}
	j := &Journal{
		cfg: cfg, log: log, db: db, now: now,
		queue:      make(chan *putRequest, cfg.MaxBatch),
		writerDone: make(chan struct{}),
		stopPurge:  make(chan struct{}),
		purgeDone:  make(chan struct{}),
	}
	if err := db.Update(j.restore); err != nil {
		db.Close()
		return nil, fmt.Errorf("journal/local: open %s: %w", cfg.Path, err)
	}
	log.Info("journal opened", "path", cfg.Path, "next_seq", j.nextSeq,
		"open", j.stats.Open, "done", j.stats.Done, "dead", j.stats.Dead)
	go j.runWriter()
	go j.runPurge()
	return j, nil
}

// restore creates the buckets and reads the high-water Seq and counts.
func (j *Journal) restore(tx *bolt.Tx) error {
	for _, name := range [][]byte{bucketEntries, bucketOpen, bucketDone, bucketDead, bucketRefs, bucketMeta, bucketBig} {
		if _, err := tx.CreateBucketIfNotExists(name); err != nil {
			return err
		}
	}
	entries := tx.Bucket(bucketEntries)
	high := entries.Sequence()
	if k, _ := entries.Cursor().Last(); k != nil {
		if len(k) != 8 {
			return fmt.Errorf("%w: entry key of %d bytes", ErrCorrupt, len(k))
		}
		high = max(high, binary.BigEndian.Uint64(k))
	}
	j.nextSeq = high + 1
	c, err := readCounts(tx)
	if err != nil {
		return err
	}
	j.stats.Open, j.stats.Done, j.stats.Dead = c[journal.Open], c[journal.Done], c[journal.Dead]
	return nil
}

// Get returns the entry with the given Seq, or journal.ErrNotFound.
func (j *Journal) Get(ctx context.Context, seq uint64) (journal.Entry, error) {
	var e journal.Entry
	err := j.view(ctx, func(tx *bolt.Tx) error {
		key := seqKey(seq)
		var ok bool
		var err error
		e, ok, err = readEntry(tx.Bucket(bucketBig), key, tx.Bucket(bucketEntries).Get(key))
		if err == nil && !ok {
			return journal.ErrNotFound
		}
		return err
	})
	return e, err
}

// Lookup returns the Seq a ref is bound to, or journal.ErrNotFound.
func (j *Journal) Lookup(ctx context.Context, ref string) (uint64, error) {
	var seq uint64
	err := j.view(ctx, func(tx *bolt.Tx) error {
		if ref == "" {
			return journal.ErrNotFound
		}
		v := tx.Bucket(bucketRefs).Get([]byte(ref))
		if v == nil {
			return journal.ErrNotFound
		}
		if len(v) != 8 {
			return fmt.Errorf("%w: ref value of %d bytes", ErrCorrupt, len(v))
		}
		seq = binary.BigEndian.Uint64(v)
		return nil
	})
	return seq, err
}

// view runs fn in a read transaction, mapping a closed store to
// journal.ErrClosed.
func (j *Journal) view(ctx context.Context, fn func(*bolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if j.isShut.Load() {
		return journal.ErrClosed
	}
	err := j.db.View(fn)
	if errors.Is(err, bolt.ErrDatabaseNotOpen) {
		return journal.ErrClosed
	}
	return err
}

// Stats returns the current counters.
func (j *Journal) Stats() Stats {
	j.statsMu.Lock()
	defer j.statsMu.Unlock()
	return j.stats
}

// Close stops accepting Puts, commits every Put already queued, stops the
// retention purge and closes the file. It waits for all of that; later
// calls return the first call's result. Methods called after Close return
// journal.ErrClosed.
func (j *Journal) Close() error {
	j.closeOnce.Do(func() {
		j.mu.Lock()
		j.closed = true
		close(j.queue)
		j.mu.Unlock()
		<-j.writerDone
		close(j.stopPurge)
		<-j.purgeDone
		j.isShut.Store(true)
		if err := j.db.Close(); err != nil {
			j.closeErr = fmt.Errorf("journal/local: close: %w", err)
		}
		j.log.Info("journal closed", "path", j.cfg.Path)
	})
	return j.closeErr
}
