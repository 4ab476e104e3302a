package journal

import (
	"context"
	"errors"
	"slices"
	"time"
)

// State says whether an entry still has work attached.
type State uint8

// Entry states. Open entries are listed by Scan(Open) until a later Put
// moves them to Done or Dead.
const (
	Open State = iota + 1 // work pending: delivery, retry, awaiting a report
	Done                  // terminal: delivered, failed with a report, expired
	Dead                  // terminal, kept for an operator: a dead letter
)

func (s State) String() string {
	switch s {
	case Open:
		return "open"
	case Done:
		return "done"
	case Dead:
		return "dead"
	}
	return "invalid"
}

// Entry is one durable record. Seq is its key; a Put of an entry with an
// existing Seq replaces it.
type Entry struct {
	Seq   uint64    // assigned by Put when zero; strictly increasing in time order
	State State     // Open, Done or Dead
	Kind  uint8     // the caller's record type; opaque to the journal
	Time  time.Time // when the entry was first written; set by Put when zero
	// Refs are keys that Lookup resolves to this entry (a message id, an
	// SMSC message id). A ref is bound to the latest entry that names it.
	// Refs accumulate over an entry's versions: a replacing Put adds the
	// refs it names and keeps those bound earlier, so an update need not
	// repeat them. Get returns every ref the entry has gathered. Refs are
	// unbound only when their entry is purged (or another entry takes them).
	Refs []string
	Data []byte // the caller's payload; opaque to the journal
	// Tail, when not nil, is more payload, stored after Data: a caller
	// whose payload ends in a large body it already holds (a file) gives
	// the body here rather than copy it into Data. Put reads Tail, like
	// Data, only until it returns. Get and Scan return the payload whole
	// in Data, with Tail nil.
	Tail []byte
}

// Payload returns the entry's payload whole: Data, then Tail. It is Data
// itself when there is no Tail.
func (e *Entry) Payload() []byte {
	if len(e.Tail) == 0 {
		return e.Data
	}
	return slices.Concat(e.Data, e.Tail)
}

// Errors a journal returns.
var (
	ErrNotFound = errors.New("journal: not found")
	ErrClosed   = errors.New("journal: closed")
	// ErrStop ends a Scan early without an error.
	ErrStop = errors.New("journal: stop scan")
)

// Journal is a durable store of entries. All methods are safe for
// concurrent use.
type Journal interface {
	// Put writes entries atomically: when it returns nil every entry and
	// its refs are durable (on disk, or acknowledged by all in-sync
	// replicas). Zero Seq and Time are assigned in place. On error nothing
	// was written.
	Put(ctx context.Context, entries []Entry) error
	// Get returns the entry with the given sequence number, or ErrNotFound.
	Get(ctx context.Context, seq uint64) (Entry, error)
	// Lookup returns the sequence number a ref is bound to, or ErrNotFound.
	Lookup(ctx context.Context, ref string) (uint64, error)
	// Scan calls fn for each entry in the given state with Seq > after, in
	// Seq order, until fn returns an error (ErrStop ends it cleanly).
	Scan(ctx context.Context, state State, after uint64, fn func(Entry) error) error
	// Close flushes pending writes and releases the store. It is idempotent.
	Close() error
}

// ErrNotOwner: the entry or partition belongs, now, to another instance
// of a Shared journal. It is not a failure of the work: the owner does
// it, and this instance lets it go.
var ErrNotOwner = errors.New("journal: owned by another instance")

// Shared is a journal several gateway instances share (journal/kafka).
// Its entries are spread over numbered partitions; each partition is
// owned by one instance at a time and moves when instances join, leave
// or die. Get and Scan see the owned partitions only; Lookup resolves
// refs of every partition. Put of an entry (with a Seq) of a partition
// owned elsewhere fails with an error wrapping ErrNotOwner.
//
// Work that belongs to another partition travels as a Letter: Send makes
// it durable, and the partition's owner receives it from Letters, at
// least once, until it calls Done. An instance that dies before Done
// leaves the letter to the partition's next owner.
type Shared interface {
	Journal
	// Ownership returns the partitions this instance owns now, sorted
	// (none while the instances rebalance), and a channel closed at the
	// next change.
	Ownership() (owned []int, changed <-chan struct{})
	// Partitions is the number of partitions.
	Partitions() int
	// PartitionOf returns the partition of an entry's Seq.
	PartitionOf(seq uint64) int
	// PartitionFor returns the partition new work keyed by key belongs
	// to: a hash of key over all partitions, the same on every instance.
	PartitionFor(key string) int
	// PutIn writes new entries (Seq zero) into partition p, which this
	// instance must own (else an error wrapping ErrNotOwner). Otherwise
	// it is Put.
	PutIn(ctx context.Context, p int, entries []Entry) error
	// Send hands data to the owner of partition p, this instance
	// included. When it returns nil the letter is as durable as a Put;
	// on error it was not sent and the caller may retry.
	Send(ctx context.Context, p int, data []byte) error
	// Letters delivers the letters of owned partitions, in the order
	// they were sent per partition. The channel is closed by Close.
	Letters() <-chan Letter
}

// Letter is data one instance sent to the owner of Partition.
type Letter struct {
	Partition int
	Data      []byte
	// done records that the letter's work is finished; nil for a letter
	// that needs no acknowledgement.
	done func()
}

// NewLetter returns a letter whose Done calls done (for Shared
// implementations).
func NewLetter(partition int, data []byte, done func()) Letter {
	return Letter{Partition: partition, Data: data, done: done}
}

// Done tells the journal the letter's work is finished and durable
// elsewhere (an entry written, a report settled), so it is not
// delivered again. Calling it after ownership of the partition moved,
// or twice, does nothing.
func (l Letter) Done() {
	if l.done != nil {
		l.done()
	}
}
