package kafka

import (
	"context"
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
	claim atomic.Int32 // claimPending, claimTaken or claimAbandoned, as putRequest
	done  chan error   // buffered; the produce outcome
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
		done:  make(chan error, 1),
	}
	wctx, cancel := context.WithTimeout(ctx, j.cfg.WriteTimeout)
	defer cancel()
	// The queue of a letters partition is never given away. A sender
	// answers done as soon as the produce is acknowledged: there is no
	// earlier acknowledgement to wait for.
	err := enqueue(wctx, j, j.sendQueues[p], nil, req)
	if err == nil {
		err = awaitClaimed(wctx, &req.claim, req.done, nil)
	}
	if err != nil {
		return j.writeTimedOut(ctx, err, "letter not acknowledged")
	}
	j.stats.lettersSent.Add(1)
	return nil
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
