package kafka

import (
	"testing"
	"time"
)

func TestSeqLayout(t *testing.T) {
	at := time.Date(2030, 1, 2, 3, 4, 5, 6_000_000, time.UTC)
	c := clock{now: func() time.Time { return at }}
	tick := c.next(3)
	seq := seqOf(tick, 11)
	if partitionOf(seq) != 11 || tickOf(seq) != tick {
		t.Fatalf("seq %x: partition %d tick %x, want 11 %x", seq, partitionOf(seq), tickOf(seq), tick)
	}
	if got := tickTime(tick); !got.Equal(at.Truncate(time.Millisecond)) {
		t.Errorf("tickTime = %v, want %v", got, at)
	}
	if max := seqOf(1<<54-1, MaxPartitions-1); tickTime(tickOf(max)).Year() < 2109 {
		t.Errorf("the largest Seq is read at %v; want the layout to last until 2109", tickTime(tickOf(max)))
	}
}

// TestClockIncreases: ticks increase strictly through bursts, a clock
// that steps back, and ticks observed from other writers.
func TestClockIncreases(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	c := clock{now: func() time.Time { return now }}
	last := c.next(1)
	for i := range 10_000 { // more than the 4096 of one millisecond
		n := 1 + i%7
		tick := c.next(n)
		if tick <= last {
			t.Fatalf("tick %x after %x", tick, last)
		}
		last = tick + uint64(n) - 1
	}
	now = now.Add(-time.Hour)
	if tick := c.next(1); tick <= last {
		t.Fatalf("tick %x after the clock stepped back, last %x", tick, last)
	}
	seen := last + 1_000_000
	c.observe(seen)
	if tick := c.next(1); tick <= seen {
		t.Errorf("tick %x does not pass the observed %x", tick, seen)
	}
	t1 := c.entryTime()
	now = now.Add(-time.Minute)
	if t2 := c.entryTime(); t2 < t1 {
		t.Errorf("entry time went back from %d to %d", t1, t2)
	}
}
