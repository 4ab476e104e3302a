package gateway

import (
	"container/heap"
	"context"
	"sync"
	"time"
)

// timerAction says what a timer does when it fires.
type timerAction uint8

const (
	actionRetry      timerAction = iota // put the item back on its route's queue
	actionExpire                        // fail the item as expired if it still waits for receipts
	actionReassembly                    // time out MO reassemblies
	actionSweep                         // expire queued messages of routes that are down
)

// timer is one scheduled action on an entry.
type timer struct {
	at     time.Time
	seq    uint64
	route  string
	action timerAction
}

type timerHeap []timer

func (h timerHeap) Len() int           { return len(h) }
func (h timerHeap) Less(i, j int) bool { return h[i].at.Before(h[j].at) }
func (h timerHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *timerHeap) Push(x any)        { *h = append(*h, x.(timer)) }
func (h *timerHeap) Pop() any {
	old := *h
	t := old[len(old)-1]
	*h = old[:len(old)-1]
	return t
}

// scheduler fires timers in time order from one goroutine (run). It holds
// 40 bytes or so per pending timer and nothing else. Safe for concurrent use.
type scheduler struct {
	mu   sync.Mutex
	h    timerHeap
	wake chan struct{}
}

func newScheduler() *scheduler { return &scheduler{wake: make(chan struct{}, 1)} }

func (s *scheduler) add(t timer) {
	s.mu.Lock()
	heap.Push(&s.h, t)
	first := s.h[0].seq == t.seq && s.h[0].at.Equal(t.at)
	s.mu.Unlock()
	if first {
		select {
		case s.wake <- struct{}{}:
		default:
		}
	}
}

func (s *scheduler) len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.h)
}

// run fires due timers through fire until ctx ends.
func (s *scheduler) run(ctx context.Context, now func() time.Time, fire func(timer)) {
	t := time.NewTimer(time.Hour)
	defer t.Stop()
	for {
		var due []timer
		wait := time.Hour
		s.mu.Lock()
		n := now()
		for len(s.h) > 0 && !s.h[0].at.After(n) {
			due = append(due, heap.Pop(&s.h).(timer))
		}
		if len(s.h) > 0 {
			wait = s.h[0].at.Sub(n)
		}
		s.mu.Unlock()
		for _, d := range due {
			fire(d)
		}
		if len(due) > 0 {
			continue
		}
		t.Reset(wait)
		select {
		case <-ctx.Done():
			return
		case <-s.wake:
			t.Stop() // since Go 1.23 a stopped timer never delivers a stale tick
		case <-t.C:
		}
	}
}

// dropIf removes the timers match selects and returns how many.
func (s *scheduler) dropIf(match func(timer) bool) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	kept := s.h[:0]
	for _, t := range s.h {
		if !match(t) {
			kept = append(kept, t)
		}
	}
	n := len(s.h) - len(kept)
	s.h = kept
	heap.Init(&s.h)
	return n
}
