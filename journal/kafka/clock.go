package kafka

import (
	"sync"
	"time"
)

// A Seq is a hybrid logical clock reading and the partition that holds
// the entry:
//
//	 63                      22 21         10 9           0
//	+--------------------------+-------------+-------------+
//	| unix milliseconds (42)   | counter (12)| partition   |
//	+--------------------------+-------------+-------------+
//	 \________ tick (54 bits) ______________/   (10 bits)
//
// The tick is strictly increasing per instance: the wall clock in its
// high bits, a counter for readings within one millisecond, and it never
// falls below a tick the instance has seen in a record, so an instance
// that takes over a partition continues above everything written there.
// Two instances never assign Seqs in the same partition at once (only the
// owner writes), so Seqs are unique across instances. 42 bits of
// milliseconds last until 2109.
//
// Every entry version also carries a tick, its version: the view keeps
// the version with the highest tick, and a ref is bound to the entry that
// named it at the highest tick.
const (
	partitionBits = 10
	counterBits   = 12
	partitionMask = 1<<partitionBits - 1
)

// seqOf is the Seq of an entry created at tick in partition p.
func seqOf(tick uint64, p int) uint64 { return tick<<partitionBits | uint64(p) }

// partitionOf is the partition a Seq names.
func partitionOf(seq uint64) int { return int(seq & partitionMask) }

// tickOf is the tick of a Seq.
func tickOf(seq uint64) uint64 { return seq >> partitionBits }

// tickTime is the wall-clock time a tick was read at (or, for a tick
// pushed ahead by a burst or a fast peer clock, slightly after).
func tickTime(tick uint64) time.Time { return time.UnixMilli(int64(tick >> counterBits)) }

// clock hands out ticks. It is safe for concurrent use.
type clock struct {
	now func() time.Time

	mu       sync.Mutex
	last     uint64 // last tick handed out or observed
	lastTime int64  // last entry time handed out, unix nanoseconds
}

// next reserves n consecutive ticks and returns the first.
func (c *clock) next(n int) uint64 {
	wall := uint64(c.now().UnixMilli()) << counterBits
	c.mu.Lock()
	defer c.mu.Unlock()
	t := max(wall, c.last+1)
	c.last = t + uint64(n) - 1
	return t
}

// observe makes every later tick exceed tick.
func (c *clock) observe(tick uint64) {
	c.mu.Lock()
	c.last = max(c.last, tick)
	c.mu.Unlock()
}

// entryTime is the time given to entries written now: never earlier than
// one given before, so entry times follow Seq order on this instance.
func (c *clock) entryTime() int64 {
	now := c.now().UnixNano()
	c.mu.Lock()
	defer c.mu.Unlock()
	c.lastTime = max(c.lastTime, now)
	return c.lastTime
}
