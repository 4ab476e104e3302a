package local

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/iwf-gateway/iwf/journal"
)

// Scan reads at most scanChunk entries, and examines at most
// scanExamine records, per read transaction.
const (
	scanChunk   = 256
	scanExamine = 4096
)

// Scan calls fn for each entry in state with Seq > after, in Seq order,
// until fn returns an error; journal.ErrStop ends it with nil.
//
// Scan streams: it reads a chunk of entries in one read transaction,
// closes it, then calls fn for each, so memory stays bounded and fn may
// call Put. An entry changed by a Put during the Scan is seen in its state
// at the time its chunk was read. Open and Dead are read from their
// indexes; Done (rare, for operators) is found by walking every entry.
func (j *Journal) Scan(ctx context.Context, state journal.State, after uint64, fn func(journal.Entry) error) error {
	if state < journal.Open || state > journal.Dead {
		return fmt.Errorf("%w: scan of state %d", ErrInvalidEntry, state)
	}
	for {
		var chunk []journal.Entry
		var last uint64
		var more bool
		err := j.view(ctx, func(tx *bolt.Tx) error {
			var err error
			chunk, last, more, err = readChunk(tx, state, after)
			return err
		})
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
		if !more {
			return nil
		}
		after = last
	}
}

// readChunk returns the next entries in state after the given Seq, the
// last Seq it examined and whether more may follow.
func readChunk(tx *bolt.Tx, state journal.State, after uint64) ([]journal.Entry, uint64, bool, error) {
	entries, big := tx.Bucket(bucketEntries), tx.Bucket(bucketBig)
	var c *bolt.Cursor
	if state == journal.Done {
		c = entries.Cursor()
	} else {
		c = tx.Bucket(indexBucket(state)).Cursor()
	}
	var chunk []journal.Entry
	last := after
	examined := 0
	for k, v := c.Seek(seqKey(after + 1)); k != nil; k, v = c.Next() {
		if len(k) != 8 {
			return nil, 0, false, fmt.Errorf("%w: key of %d bytes", ErrCorrupt, len(k))
		}
		last = binary.BigEndian.Uint64(k)
		if state != journal.Done {
			v = entries.Get(k)
		}
		if len(chunk) == scanChunk || examined == scanExamine {
			return chunk, last - 1, true, nil
		}
		examined++
		head := recordHead(big, k, v)
		if head == nil {
			return nil, 0, false, fmt.Errorf("%w: index names missing entry %d", ErrCorrupt, last)
		}
		if state == journal.Done && (len(head) <= offState || journal.State(head[offState]) != journal.Done) {
			continue
		}
		e, _, err := readEntry(big, k, v)
		if err != nil {
			return nil, 0, false, fmt.Errorf("entry %d: %w", last, err)
		}
		chunk = append(chunk, e)
	}
	return chunk, last, false, nil
}

// indexBucket is the bucket indexing Open or Dead entries by Seq.
func indexBucket(state journal.State) []byte {
	if state == journal.Dead {
		return bucketDead
	}
	return bucketOpen
}
