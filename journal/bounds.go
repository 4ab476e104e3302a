package journal

import (
	"fmt"
	"math"
	"time"
)

// Entry bounds every backend enforces; an entry beyond them is refused by
// Put and nothing of that Put is written.
const (
	MaxDataSize = 1 << 20 // bytes of Entry.Data and Entry.Tail together
	MaxRefs     = 16      // refs per entry, gathered over its versions
	MaxRefSize  = 256     // bytes per ref
)

// minUnixNano and maxUnixNano bound the times a record can hold: backends
// store them as Unix nanoseconds.
var (
	minUnixNano = time.Unix(0, math.MinInt64)
	maxUnixNano = time.Unix(0, math.MaxInt64)
)

// EntryProblem reports why no backend stores e ("" when it can be
// stored) and whether the problem is a size bound (the backends'
// ErrTooLarge) rather than a malformed entry (their ErrInvalidEntry).
func EntryProblem(e *Entry) (reason string, tooLarge bool) {
	switch {
	case e.State < Open || e.State > Dead:
		return fmt.Sprintf("state %d", e.State), false
	case len(e.Data)+len(e.Tail) > MaxDataSize:
		return fmt.Sprintf("data %d bytes exceeds %d", len(e.Data)+len(e.Tail), MaxDataSize), true
	case len(e.Refs) > MaxRefs:
		return fmt.Sprintf("%d refs exceed %d", len(e.Refs), MaxRefs), true
	case !e.Time.IsZero() && (e.Time.Before(minUnixNano) || e.Time.After(maxUnixNano)):
		return fmt.Sprintf("time %v out of range", e.Time), false
	}
	for i, r := range e.Refs {
		if r == "" {
			return fmt.Sprintf("ref %d is empty", i), false
		}
		if len(r) > MaxRefSize {
			return fmt.Sprintf("ref %d is %d bytes, more than %d", i, len(r), MaxRefSize), true
		}
	}
	return "", false
}
