package journal

import (
	"context"
	"errors"
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
