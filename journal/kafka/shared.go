package kafka

import (
	"context"
	"fmt"
	"hash/fnv"
	"slices"

	"github.com/iwf-gateway/iwf/journal"
)

var _ journal.Shared = (*Journal)(nil)

// Ownership returns the journal partitions this instance owns now, sorted
// (none while the group rebalances, and none once the journal is closed),
// and a channel closed at the next change (already closed after Close).
// A partition is listed once it is rebuilt and its writer runs.
func (j *Journal) Ownership() (owned []int, changed <-chan struct{}) {
	_, ids, _, ch := j.own.snapshot()
	return slices.Clone(ids), ch
}

// Partitions is the partition count of the journal topic (and of the
// letters topic, which matches it).
func (j *Journal) Partitions() int { return j.journalParts }

// PartitionOf returns the partition of an entry's Seq: its low 10 bits.
func (j *Journal) PartitionOf(seq uint64) int { return partitionOf(seq) }

// PartitionFor returns the partition of work keyed by key: FNV-1a (32
// bits) of key modulo Partitions, so every instance of the group computes
// the same partition.
func (j *Journal) PartitionFor(key string) int {
	return partitionFor(key, j.journalParts)
}

func partitionFor(key string, parts int) int {
	h := fnv.New32a()
	h.Write([]byte(key))
	return int(h.Sum32() % uint32(parts))
}

// PutIn is Put into partition p: new entries get Seqs of p. p must be
// owned by this instance, else the error wraps ErrNotOwner (while the
// group rebalances PutIn waits for the next generation, within
// Config.WriteTimeout, as Put does). Entries with a Seq must be of p
// (else ErrCrossPartition).
func (j *Journal) PutIn(ctx context.Context, p int, entries []journal.Entry) error {
	if err := j.checkPartition(p); err != nil {
		return err
	}
	return j.put(ctx, p, entries)
}

// checkPartition reports a partition number the journal topic lacks.
func (j *Journal) checkPartition(p int) error {
	if p < 0 || p >= j.journalParts {
		return fmt.Errorf("%w: partition %d of %d", ErrInvalidPartition, p, j.journalParts)
	}
	return nil
}
