package kafka

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/iwf-gateway/iwf/journal"
)

// Claim states of a putRequest: the writer takes a pending request, or a
// Put whose context ended abandons it; whichever comes first wins.
const (
	claimPending int32 = iota
	claimTaken
	claimAbandoned
)

// errRequeue: the partition a request waited for was given away before
// its writer took the request; nothing was written and Put routes again.
var errRequeue = errors.New("journal/kafka: partition revoked; route again")

// putRequest is one Put (or one rewrite, or a flush marker) waiting for a
// partition writer.
type putRequest struct {
	entries []journal.Entry // the caller's; read by the writer, never changed
	rewrite []uint64        // Seqs to write again unchanged (maintenance)
	size    int             // estimated record size
	claim   atomic.Int32
	acked   chan struct{} // closed when the record is acknowledged and applied
	done    chan error    // buffered; the outcome, after refs are published
	seqs    []uint64      // written by the writer before acked
	times   []int64
}

func newPutRequest(entries []journal.Entry, size int) *putRequest {
	return &putRequest{
		entries: entries, size: size,
		acked: make(chan struct{}), done: make(chan error, 1),
		seqs: make([]uint64, len(entries)), times: make([]int64, len(entries)),
	}
}

// notOwnerError names the partition another instance owns.
type notOwnerError struct{ partition int }

func (e *notOwnerError) Error() string {
	return fmt.Sprintf("%v: partition %d", ErrNotOwner, e.partition)
}

func (e *notOwnerError) Unwrap() error { return ErrNotOwner }

// Put writes entries atomically as one Kafka record and returns once all
// in-sync replicas acknowledged it and it is applied to this instance's
// view; see journal.Journal. New entries go to a partition this instance
// owns; entries with a Seq go to the partition the Seq names, which this
// instance must own (else ErrNotOwner). Zero Seq and Time are assigned in
// place only when Put returns nil.
//
// Cancellation: a Put whose context ends before a writer has taken it
// returns ctx.Err() and writes nothing. Once taken, Put waits for the
// produce (bounded by Config.WriteTimeout) and returns its outcome; once
// acknowledged, it returns nil even if the context ends while the ref
// bindings are still being published.
func (j *Journal) Put(ctx context.Context, entries []journal.Entry) error {
	return j.put(ctx, -1, entries)
}

// put is Put into partition target, or into any owned partition when
// target is -1.
func (j *Journal) put(ctx context.Context, target int, entries []journal.Entry) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if j.isShut.Load() {
		return journal.ErrClosed
	}
	if len(entries) == 0 {
		return nil
	}
	want, size, err := j.checkPut(entries)
	if err != nil {
		return err
	}
	if target >= 0 {
		if want >= 0 && want != target {
			return fmt.Errorf("%w: an entry is in partition %d, the put is into %d", ErrCrossPartition, want, target)
		}
		want = target
	}
	req := newPutRequest(entries, size)
	wctx, cancel := context.WithTimeout(ctx, j.cfg.WriteTimeout)
	defer cancel()
	for {
		p, err := j.own.route(wctx, j.closing, want, entries)
		if err == nil {
			err = enqueue(wctx, j, p.queue, p.gone, req)
		}
		if err == nil {
			err = j.await(wctx, req)
		}
		switch {
		case errors.Is(err, errRequeue):
			req.claim.Store(claimPending)
			continue
		case err == nil:
			for i := range entries {
				entries[i].Seq, entries[i].Time = req.seqs[i], time.Unix(0, req.times[i]).UTC()
			}
			j.stats.puts.Add(1)
			return nil
		}
		return j.writeTimedOut(ctx, err, "no owned partition, or no acknowledgement,")
	}
}

// writeTimedOut returns err of a write bounded by Config.WriteTimeout
// within ctx, or ErrUnavailable saying what did not happen in time when
// that bound ended it (not ctx, and not a produce that failed with
// ErrUnavailable already).
func (j *Journal) writeTimedOut(ctx context.Context, err error, what string) error {
	if ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, ErrUnavailable) {
		return fmt.Errorf("%w: %s within write_timeout %v", ErrUnavailable, what, j.cfg.WriteTimeout)
	}
	return err
}

// checkPut validates entries and returns the partition they must go to
// (-1 when all are new) and the estimated record size.
func (j *Journal) checkPut(entries []journal.Entry) (want, size int, err error) {
	if len(entries) > j.cfg.MaxBatch {
		return 0, 0, fmt.Errorf("%w: put of %d entries exceeds max_batch %d", ErrTooLarge, len(entries), j.cfg.MaxBatch)
	}
	want, size = -1, recordHeaderLen
	for i := range entries {
		e := &entries[i]
		if reason, err := checkEntry(e); err != nil {
			return 0, 0, &EntryError{Index: i, Reason: reason, Err: err}
		}
		size += entryFixedLen + entryDataLenLen + len(e.Data) + len(e.Tail)
		for _, r := range e.Refs {
			size += refOverhead + len(r)
		}
		if e.Seq == 0 {
			continue
		}
		p := partitionOf(e.Seq)
		if p >= j.journalParts {
			return 0, 0, &EntryError{Index: i, Reason: fmt.Sprintf("seq %d names partition %d of %d", e.Seq, p, j.journalParts), Err: ErrInvalidEntry}
		}
		if want >= 0 && p != want {
			return 0, 0, fmt.Errorf("%w: entry %d is in partition %d, an earlier one in %d", ErrCrossPartition, i, p, want)
		}
		want = p
	}
	if size > j.cfg.MaxRecordBytes {
		return 0, 0, fmt.Errorf("%w: put of %d bytes exceeds max_record_bytes %d", ErrTooLarge, size, j.cfg.MaxRecordBytes)
	}
	return want, size, nil
}

// checkEntry reports why e cannot be stored, or "" when it can.
func checkEntry(e *journal.Entry) (reason string, err error) {
	reason, tooLarge := journal.EntryProblem(e)
	switch {
	case reason == "":
		return "", nil
	case tooLarge:
		return reason, ErrTooLarge
	}
	return reason, ErrInvalidEntry
}

// enqueue hands req to the writer reading q (a partition writer's or a
// letters sender's) unless the journal is closed, gone is closed (the
// partition was given away: errRequeue; nil for a queue that is never
// given away) or ctx ends.
func enqueue[R any](ctx context.Context, j *Journal, q chan<- R, gone <-chan struct{}, req R) error {
	j.putMu.RLock()
	defer j.putMu.RUnlock()
	if j.closed {
		return journal.ErrClosed
	}
	select {
	case q <- req:
		return nil
	case <-gone:
		return errRequeue
	case <-j.closing:
		return journal.ErrClosed
	case <-ctx.Done():
		return ctx.Err()
	}
}

// await waits for req's outcome; see Put for what a context ending means.
func (j *Journal) await(ctx context.Context, req *putRequest) error {
	return awaitClaimed(ctx, &req.claim, req.done, req.acked)
}

// awaitClaimed waits for the outcome of a queued write (a Put or a letter)
// whose writer claims it before producing: if ctx ends before the claim,
// the write is abandoned and ctx's error returned; once claimed, the
// produce decides (done), or its acknowledgement (acked) if it comes
// first. acked is nil for a write whose done is its acknowledgement.
func awaitClaimed(ctx context.Context, claim *atomic.Int32, done <-chan error, acked <-chan struct{}) error {
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	if claim.CompareAndSwap(claimPending, claimAbandoned) {
		return ctx.Err()
	}
	select {
	case err := <-done:
		return err
	case <-acked:
		return nil
	}
}

// flushWriters waits, up to Config.WriteTimeout or the end of the
// generation, until every writer has committed what was queued before the
// call. Close calls it.
func (j *Journal) flushWriters() {
	parts, _, ready, changed := j.own.snapshot()
	if !ready {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), j.cfg.WriteTimeout)
	defer cancel()
	var markers []*putRequest
	for _, p := range parts {
		m := newPutRequest(nil, 0)
		select {
		case p.queue <- m:
			markers = append(markers, m)
		case <-ctx.Done():
		}
	}
	for _, m := range markers {
		select {
		case <-m.done:
		case <-changed:
			return // the writers stop with the generation; what is left fails with ErrClosed
		case <-ctx.Done():
			j.log.Warn("journal close: writers did not drain in time", "write_timeout", j.cfg.WriteTimeout)
			return
		}
	}
}

// failQueued answers every request still queued with err. Close calls it
// once no writer runs.
func (j *Journal) failQueued(err error) {
	j.mu.RLock()
	defer j.mu.RUnlock()
	for _, p := range j.v.parts {
		drainQueue(p.queue, err)
	}
}

// drainQueue answers the requests queued in q with err, without waiting.
func drainQueue(q chan *putRequest, err error) {
	for {
		select {
		case r := <-q:
			if r.claim.CompareAndSwap(claimPending, claimTaken) {
				r.done <- err
			}
		default:
			return
		}
	}
}
