package local

import (
	"context"
	"encoding/binary"
	"fmt"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/iwf-gateway/iwf/journal"
)

// Claim states of a putRequest: the writer takes a pending request, or a
// Put whose context ended abandons it; whichever comes first wins.
const (
	claimPending int32 = iota
	claimTaken
	claimAbandoned
)

// pendingRecord is an entry encoded for the writer: its head (fixed
// fields and refs), which the writer patches, and its payload, data then
// tail. These are the caller's Entry.Data and Entry.Tail themselves, not
// copies: Put returns only once the writer is done with them, or has not
// taken them and never will.
type pendingRecord struct {
	head       []byte // Seq and Time as the commit made them, once done
	data       []byte
	tail       []byte
	assignSeq  bool // the entry had a zero Seq
	assignTime bool // the entry had a zero Time
}

// putRequest is one Put waiting for the writer.
type putRequest struct {
	records []pendingRecord
	claim   atomic.Int32
	done    chan error // buffered; receives the commit's outcome
}

// Put writes entries atomically and durably; see journal.Journal and the
// package documentation for cancellation. Zero Seq and Time are assigned
// in place only when Put returns nil.
func (j *Journal) Put(ctx context.Context, entries []journal.Entry) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	req, err := j.newPutRequest(entries)
	if err != nil {
		return err
	}
	if err := j.enqueue(ctx, req); err != nil {
		return err
	}
	select {
	case err = <-req.done:
	case <-ctx.Done():
		if req.claim.CompareAndSwap(claimPending, claimAbandoned) {
			return ctx.Err()
		}
		err = <-req.done // taken: report what the commit did
	}
	if err != nil {
		return err
	}
	for i := range entries {
		head := req.records[i].head
		entries[i].Seq = binary.BigEndian.Uint64(head[offSeq:])
		entries[i].Time = time.Unix(0, int64(binary.BigEndian.Uint64(head[offTime:]))).UTC()
	}
	return nil
}

// newPutRequest checks and encodes entries; nothing is queued on error.
func (j *Journal) newPutRequest(entries []journal.Entry) (*putRequest, error) {
	if len(entries) > j.cfg.MaxBatch {
		return nil, fmt.Errorf("%w: put of %d entries exceeds max_batch %d", ErrTooLarge, len(entries), j.cfg.MaxBatch)
	}
	req := &putRequest{records: make([]pendingRecord, len(entries)), done: make(chan error, 1)}
	for i := range entries {
		e := &entries[i]
		if reason, err := checkEntry(e); err != nil {
			return nil, &EntryError{Index: i, Reason: reason, Err: err}
		}
		req.records[i] = pendingRecord{head: encodeHead(make([]byte, 0, headLen(e)), e), data: e.Data, tail: e.Tail,
			assignSeq: e.Seq == 0, assignTime: e.Time.IsZero()}
	}
	return req, nil
}

// enqueue hands req to the writer unless the journal is closed or ctx ends.
func (j *Journal) enqueue(ctx context.Context, req *putRequest) error {
	j.mu.RLock()
	defer j.mu.RUnlock()
	if j.closed {
		return journal.ErrClosed
	}
	select {
	case j.queue <- req:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// runWriter is the writer goroutine: it commits batches until Close
// closes the queue, committing everything queued before that.
func (j *Journal) runWriter() {
	defer close(j.writerDone)
	var batch []*putRequest
	var timer *time.Timer
	for r := range j.queue {
		batch = batch[:0]
		n := 0
		if r.claim.CompareAndSwap(claimPending, claimTaken) {
			batch, n = append(batch, r), len(r.records)
		}
		batch, timer = j.gather(batch, n, timer)
		if len(batch) > 0 {
			j.commitBatch(batch)
		}
		clear(batch)
	}
}

// gather adds queued requests to batch until it holds MaxBatch entries or
// the queue stays empty for MaxDelay.
func (j *Journal) gather(batch []*putRequest, n int, timer *time.Timer) ([]*putRequest, *time.Timer) {
	var wait <-chan time.Time
	for n < j.cfg.MaxBatch {
		var r *putRequest
		var ok bool
		select {
		case r, ok = <-j.queue:
		default:
			if j.cfg.MaxDelay <= 0 || n == 0 {
				return batch, timer
			}
			if wait == nil {
				if timer == nil {
					timer = time.NewTimer(j.cfg.MaxDelay)
				} else {
					timer.Reset(j.cfg.MaxDelay)
				}
				wait = timer.C
			}
			select {
			case r, ok = <-j.queue:
			case <-wait:
				return batch, timer
			}
		}
		if !ok {
			return batch, timer
		}
		if r.claim.CompareAndSwap(claimPending, claimTaken) {
			batch, n = append(batch, r), n+len(r.records)
		}
	}
	return batch, timer
}

// commitBatch commits batch in one transaction and wakes its waiters. If
// that fails, each request is retried alone so that one request's failure
// is not reported to the others.
func (j *Journal) commitBatch(batch []*putRequest) {
	err := j.commit(batch)
	if err == nil || len(batch) == 1 {
		for _, r := range batch {
			r.done <- err
		}
		return
	}
	j.log.Warn("journal group commit failed; retrying puts one by one", "puts", len(batch), "err", err)
	for _, r := range batch {
		r.done <- j.commit([]*putRequest{r})
	}
}

// commit applies batch in one write transaction. The writer's sequence
// and stats change only if the commit succeeds.
func (j *Journal) commit(batch []*putRequest) error {
	next, lastTime := j.nextSeq, j.lastTime
	var delta [4]int64
	entries := 0
	err := j.db.Update(func(tx *bolt.Tx) error {
		now := max(j.now().UnixNano(), lastTime)
		lastTime = now
		w := newTxBuckets(tx)
		for _, r := range batch {
			for i := range r.records {
				if err := w.apply(&r.records[i], now, &next, &delta); err != nil {
					return err
				}
			}
			entries += len(r.records)
		}
		if err := w.entries.SetSequence(next - 1); err != nil {
			return err
		}
		return addCounts(tx, delta)
	})
	if err != nil {
		return fmt.Errorf("journal/local: commit: %w", err)
	}
	j.nextSeq, j.lastTime = next, lastTime
	j.statsMu.Lock()
	j.stats.addCounts(delta)
	j.stats.Commits++
	j.stats.Entries += uint64(entries)
	j.stats.Puts += uint64(len(batch))
	j.statsMu.Unlock()
	return nil
}

func (s *Stats) addCounts(delta [4]int64) {
	s.Open = uint64(int64(s.Open) + delta[journal.Open])
	s.Done = uint64(int64(s.Done) + delta[journal.Done])
	s.Dead = uint64(int64(s.Dead) + delta[journal.Dead])
}
