package kafka

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/iwf-gateway/iwf/journal"
)

// Letter sender bounds.
const (
	// sendQueueLen is the most Sends waiting per partition; a Send beyond
	// it waits (within Config.WriteTimeout) for room.
	sendQueueLen = 256
	// letterRecordOverhead is what one record adds to a produce request
	// besides its value (length varints, attributes, offset and time
	// deltas, the empty key and headers), counted so that a group of
	// letters stays within the topic's max.message.bytes.
	letterRecordOverhead = 32
)

// sendRequest is one Send waiting for its partition's sender.
type sendRequest struct {
	value []byte
	claim atomic.Int32  // claimPending, claimTaken or claimAbandoned, as putRequest
	done  chan error    // buffered; the produce outcome
	acked chan struct{} // closed when the produce is acknowledged
}

// Send writes data as a letter to partition p of the letters topic,
// acknowledged by all in-sync replicas, and returns once it is (then the
// letter is as durable as a Put). The owner of journal partition p
// receives it from Letters; see the package documentation. Letters of one
// partition keep the order their Sends returned in.
//
// data must be at most MaxDataSize bytes (else ErrTooLarge); p must be a
// partition of the journal (else ErrInvalidPartition). A Send that is not
// acknowledged within Config.WriteTimeout returns ErrUnavailable; as with
// Put, the letter may still have been written, and then arrives. A Send
// whose context ends before its sender took it writes nothing.
func (j *Journal) Send(ctx context.Context, p int, data []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if j.isShut.Load() {
		return journal.ErrClosed
	}
	if err := j.checkPartition(p); err != nil {
		return err
	}
	if len(data) > MaxDataSize || letterHeaderLen+len(data) > j.cfg.MaxRecordBytes {
		return fmt.Errorf("%w: letter of %d bytes exceeds %d (or max_record_bytes %d)", ErrTooLarge, len(data), MaxDataSize, j.cfg.MaxRecordBytes)
	}
	req := &sendRequest{
		value: appendLetter(make([]byte, 0, letterHeaderLen+len(data)), letterRecord{sender: j.id, data: data}),
		done:  make(chan error, 1), acked: make(chan struct{}),
	}
	wctx, cancel := context.WithTimeout(ctx, j.cfg.WriteTimeout)
	defer cancel()
	err := j.enqueueLetter(wctx, p, req)
	if err == nil {
		err = awaitLetter(wctx, req)
	}
	switch {
	case err == nil:
		j.stats.lettersSent.Add(1)
		return nil
	case ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, ErrUnavailable):
		return fmt.Errorf("%w: letter not acknowledged within write_timeout %v", ErrUnavailable, j.cfg.WriteTimeout)
	}
	return err
}

// enqueueLetter hands req to the sender of partition p unless the journal
// is closed or ctx ends.
func (j *Journal) enqueueLetter(ctx context.Context, p int, req *sendRequest) error {
	j.putMu.RLock()
	defer j.putMu.RUnlock()
	if j.closed {
		return journal.ErrClosed
	}
	select {
	case j.sendQueues[p] <- req:
		return nil
	case <-j.closing:
		return journal.ErrClosed
	case <-ctx.Done():
		return ctx.Err()
	}
}

// awaitLetter waits for req's outcome: ctx ending abandons it unless its
// sender took it already, and then the produce (bounded by
// Config.WriteTimeout) decides.
func awaitLetter(ctx context.Context, req *sendRequest) error {
	return awaitClaimed(ctx, &req.claim, req.done, req.acked)
}

// startSenders starts the sender of every partition of the letters topic;
// stopSenders ends them.
func (j *Journal) startSenders() {
	j.sendQueues = make([]chan *sendRequest, j.journalParts)
	for p := range j.sendQueues {
		q := make(chan *sendRequest, sendQueueLen)
		j.sendQueues[p] = q
		j.senders.Go(func() { j.runSender(p, q) })
	}
}

// stopSenders lets every sender write what was queued before Close (each
// produce within Config.WriteTimeout) and waits for them. Close calls it
// once no Send can queue any more.
func (j *Journal) stopSenders() {
	close(j.sendStop)
	j.senders.Wait()
}

// runSender is the sender of partition p of the letters topic for the
// life of the journal: it takes the queued Sends and writes them in one
// produce request, in queue order; the next request waits for the
// outcome of this one, so letters stay in order.
func (j *Journal) runSender(p int, q chan *sendRequest) {
	for {
		select {
		case r := <-q:
			j.sendBatch(p, j.gatherLetters(q, r))
		case <-j.sendStop:
			for {
				select {
				case r := <-q:
					j.sendBatch(p, j.gatherLetters(q, r))
				default:
					return
				}
			}
		}
	}
}

// gatherLetters takes first and the Sends queued after it, skipping the
// abandoned ones, until they fill a produce request of
// Config.MaxRecordBytes (the one that overflows it included: sendBatch
// gives it a request of its own) or number maxGroupRequests.
func (j *Journal) gatherLetters(q chan *sendRequest, first *sendRequest) []*sendRequest {
	var batch []*sendRequest
	size := 0
	take := func(r *sendRequest) bool {
		if !r.claim.CompareAndSwap(claimPending, claimTaken) {
			return true
		}
		batch = append(batch, r)
		size += len(r.value) + letterRecordOverhead
		return size < j.cfg.MaxRecordBytes
	}
	if !take(first) {
		return batch
	}
	for len(batch) < maxGroupRequests {
		select {
		case r := <-q:
			if !take(r) {
				return batch
			}
		default:
			return batch
		}
	}
	return batch
}

// sendBatch produces the letters of batch to partition p, in as many
// requests as keep each within Config.MaxRecordBytes, one after the
// other, and answers each Send. A request that fails fails the Sends of
// the requests after it too, without writing them, so that no letter
// lands after one whose Send failed and may be sent again.
func (j *Journal) sendBatch(p int, batch []*sendRequest) {
	var failed error
	for len(batch) > 0 {
		n, size := 0, 0
		for n < len(batch) && (n == 0 || size+len(batch[n].value)+letterRecordOverhead <= j.cfg.MaxRecordBytes) {
			size += len(batch[n].value) + letterRecordOverhead
			n++
		}
		part := batch[:n]
		batch = batch[n:]
		if failed == nil {
			failed = j.produceLetters(p, part)
		}
		for _, r := range part {
			if failed == nil {
				close(r.acked)
			}
			r.done <- failed
		}
	}
}

// produceLetters writes the values of part in one request.
func (j *Journal) produceLetters(p int, part []*sendRequest) error {
	msgs := make([]message, len(part))
	for i, r := range part {
		msgs[i].value = r.value
	}
	ctx, cancel := context.WithTimeout(j.bg, j.cfg.WriteTimeout)
	_, err := j.produce(ctx, j.cfg.lettersTopic(), p, msgs)
	cancel()
	if err != nil {
		err = fmt.Errorf("%w: %w", ErrUnavailable, err)
		j.log.Warn("journal letters not sent", "partition", p, "letters", len(part), "err", err)
	}
	return err
}
