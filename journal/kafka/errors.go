package kafka

import (
	"errors"
	"fmt"

	"github.com/iwf-gateway/iwf/journal"
)

// Entry bounds (journal.MaxDataSize and friends). An entry beyond them is
// rejected by Put with an *EntryError and nothing of that Put is written.
const (
	MaxDataSize = journal.MaxDataSize // bytes of Entry.Data
	MaxRefs     = journal.MaxRefs     // refs per entry
	MaxRefSize  = journal.MaxRefSize  // bytes per ref
)

// Errors a Kafka journal returns besides the journal package's.
var (
	// ErrTooLarge: an entry's data, ref count or a ref exceeds its bound,
	// a Put carries more entries than Config.MaxBatch, its record would
	// exceed Config.MaxRecordBytes, or a letter's data exceeds
	// MaxDataSize (or its record Config.MaxRecordBytes), or what a
	// Snapshot would hold exceeds MaxSnapshotBytes.
	ErrTooLarge = errors.New("journal/kafka: too large")
	// ErrInvalidEntry: an entry has an invalid state, an empty ref, a time
	// outside the range of unix nanoseconds, or a Seq this journal cannot
	// have assigned (its partition bits name no partition).
	ErrInvalidEntry = errors.New("journal/kafka: invalid entry")
	// ErrCrossPartition: a Put names existing entries of two partitions.
	// One Put is one Kafka record in one partition; write such entries in
	// separate Puts.
	ErrCrossPartition = errors.New("journal/kafka: entries of different partitions in one put")
	// ErrNotOwner: a Put names an entry of a partition, or PutIn a
	// partition, that the consumer group has given to another instance.
	// Temporary: the owner does the work of that entry. It is
	// journal.ErrNotOwner itself, so callers of journal.Shared test for
	// either.
	ErrNotOwner = journal.ErrNotOwner
	// ErrInvalidPartition: PutIn or Send names a partition the journal
	// topic does not have.
	ErrInvalidPartition = errors.New("journal/kafka: no such partition")
	// ErrUnavailable: the cluster did not acknowledge a Put or a Send
	// within Config.WriteTimeout, or this instance owned no partition to
	// write to. Nothing of the Put is visible on this instance; the caller
	// retries (see the package documentation on ambiguous failures).
	ErrUnavailable = errors.New("journal/kafka: unavailable")
	// ErrCorrupt: a record read from a topic does not decode.
	ErrCorrupt = errors.New("journal/kafka: corrupt record")
	// ErrReadOnly: a Put on a Snapshot, which only reads.
	ErrReadOnly = errors.New("journal/kafka: read-only snapshot")
	// ErrMissingTopic: OpenSnapshot found no journal or refs topic under
	// the prefix; nothing was journaled there (a snapshot creates nothing).
	ErrMissingTopic = errors.New("journal/kafka: missing topic")
)

// EntryError says which entry of a Put was rejected and why. Err is
// ErrTooLarge or ErrInvalidEntry.
type EntryError struct {
	Index  int    // position in the Put's slice
	Reason string // what is wrong, for people
	Err    error
}

func (e *EntryError) Error() string {
	return fmt.Sprintf("%v: entry %d: %s", e.Err, e.Index, e.Reason)
}

func (e *EntryError) Unwrap() error { return e.Err }
