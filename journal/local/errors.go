package local

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

// Errors a local journal returns besides the journal package's.
var (
	// ErrTooLarge: an entry's data, ref count or a ref exceeds its bound,
	// or a Put carries more entries than Config.MaxBatch.
	ErrTooLarge = errors.New("journal/local: too large")
	// ErrInvalidEntry: an entry has an invalid state, an empty ref or a
	// time outside the range of unix nanoseconds (1678..2262).
	ErrInvalidEntry = errors.New("journal/local: invalid entry")
	// ErrCorrupt: a stored record or index key does not decode.
	ErrCorrupt = errors.New("journal/local: corrupt record")
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
