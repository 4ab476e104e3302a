package kafka

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/iwf-gateway/iwf/journal"
)

// ownership is the set of partitions this instance may write to now: the
// loaded partitions of the current generation, or none while the group
// rebalances.
type ownership struct {
	mu       sync.Mutex
	ready    bool               // a generation is loaded and its writers run
	parts    map[int]*partition // writable partitions
	ids      []int              // their ids, sorted
	changed  chan struct{}      // closed and replaced on every change, closed for good by shut
	shutDown bool               // shut was called: changed stays closed
	rr       atomic.Uint64      // round robin over ids for Puts without refs
}

// serve publishes the partitions of g as writable, unless g has ended
// already, and reports whether it did.
func (o *ownership) serve(g *generation) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	if g.over {
		return false
	}
	o.ready, o.parts, o.ids = true, g.parts, nil
	for id := range g.parts {
		o.ids = append(o.ids, id)
	}
	slices.Sort(o.ids)
	o.notifyLocked()
	return true
}

// end marks g over: Puts wait for the next generation.
func (o *ownership) end(g *generation) {
	o.mu.Lock()
	defer o.mu.Unlock()
	g.over = true
	o.ready, o.parts, o.ids = false, nil, nil
	o.notifyLocked()
}

func (o *ownership) notifyLocked() {
	if o.shutDown {
		return
	}
	close(o.changed)
	o.changed = make(chan struct{})
}

// shut ends ownership for good when the journal closes: nothing is owned
// and changed stays closed, so no one waits on it for ever.
func (o *ownership) shut() {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.ready, o.parts, o.ids = false, nil, nil
	if !o.shutDown {
		o.shutDown = true
		close(o.changed)
	}
}

// count is the number of writable partitions.
func (o *ownership) count() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.ids)
}

// snapshot returns the writable partitions (nil unless ready) and a
// channel closed at the next change.
func (o *ownership) snapshot() (map[int]*partition, []int, bool, <-chan struct{}) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.parts, o.ids, o.ready, o.changed
}

// errGroupStopped: the group loop ended before a generation was ready.
var errGroupStopped = errors.New("journal/kafka: consumer group stopped")

// awaitReady waits until a generation is ready, ctx ends or stopped is
// closed.
func (o *ownership) awaitReady(ctx context.Context, stopped <-chan struct{}) error {
	for {
		_, _, ready, changed := o.snapshot()
		if ready {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-stopped:
			return errGroupStopped
		case <-changed:
		}
	}
}

// route returns the partition a Put goes to: want when it is >= 0 (the
// partition of the entries it updates), otherwise one this instance owns,
// chosen by the first ref of the first entry or round robin. It waits
// through a rebalance until ctx ends. PutIn wants the partition of the
// recipient; when another instance owns it, the work goes there as a
// letter (see the package documentation).
func (o *ownership) route(ctx context.Context, closing <-chan struct{}, want int, entries []journal.Entry) (*partition, error) {
	for {
		parts, ids, ready, changed := o.snapshot()
		if ready && want >= 0 {
			if p := parts[want]; p != nil {
				return p, nil
			}
			return nil, &notOwnerError{partition: want}
		}
		if ready && len(ids) > 0 {
			return parts[ids[o.pick(entries, len(ids))]], nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-closing:
			return nil, journal.ErrClosed
		case <-changed:
		}
	}
}

// pick chooses among n owned partitions for new entries.
func (o *ownership) pick(entries []journal.Entry, n int) int {
	if refs := entries[0].Refs; len(refs) > 0 {
		return partitionFor(refs[0], n)
	}
	return int(o.rr.Add(1) % uint64(n))
}
