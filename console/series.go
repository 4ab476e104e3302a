package console

import (
	"sync"
	"time"
)

// series counts a few quantities in fixed time slots over a window (the
// last hour in 10-second slots for the throughput chart, the last 10
// seconds in 1-second slots for route rates). It is a ring: a slot is
// reused once its time has left the window. Safe for concurrent use.
type series struct {
	mu    sync.Mutex
	step  time.Duration
	slots []slot
}

// Quantities a series counts.
const (
	qAccepted = iota
	qDelivered
	qFailed
	nQuantities
)

type slot struct {
	start  int64 // unix nanoseconds of the slot's start; 0 for never used
	counts [nQuantities]int64
}

func newSeries(step time.Duration, n int) *series {
	return &series{step: step, slots: make([]slot, n)}
}

// add counts n of quantity q at time t; a time outside the window is
// ignored.
func (s *series) add(t time.Time, q int, n int64) {
	if n == 0 {
		return
	}
	start := t.Truncate(s.step).UnixNano()
	if start <= 0 {
		return // before 1970, or a zero time: not ours to count
	}
	idx := int((start / int64(s.step)) % int64(len(s.slots)))
	s.mu.Lock()
	defer s.mu.Unlock()
	sl := &s.slots[idx]
	switch {
	case sl.start == start:
	case sl.start < start:
		*sl = slot{start: start}
	default:
		return // older than the window
	}
	sl.counts[q] += n
}

// Bucket is one slot of the throughput chart.
type Bucket struct {
	Time      time.Time `json:"time"` // the slot's start
	Accepted  int64     `json:"accepted"`
	Delivered int64     `json:"delivered"`
	Failed    int64     `json:"failed"`
}

// window returns every slot of the window that ends with now's slot,
// oldest first, empty slots included.
func (s *series) window(now time.Time) []Bucket {
	last := now.Truncate(s.step).UnixNano()
	n := len(s.slots)
	out := make([]Bucket, n)
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range n {
		start := last - int64(n-1-i)*int64(s.step)
		b := Bucket{Time: time.Unix(0, start).UTC()}
		if start <= 0 {
			out[i] = b
			continue
		}
		if sl := s.slots[int((start/int64(s.step))%int64(n))]; sl.start == start {
			b.Accepted, b.Delivered, b.Failed = sl.counts[qAccepted], sl.counts[qDelivered], sl.counts[qFailed]
		}
		out[i] = b
	}
	return out
}

// rates are each quantity per second over the complete slots before now's
// (the current one is still filling).
func (s *series) rates(now time.Time) [nQuantities]float64 {
	w := s.window(now)
	complete := w[:len(w)-1]
	var out [nQuantities]float64
	for _, b := range complete {
		out[qAccepted] += float64(b.Accepted)
		out[qDelivered] += float64(b.Delivered)
		out[qFailed] += float64(b.Failed)
	}
	span := float64(len(complete)) * s.step.Seconds()
	for i := range out {
		out[i] /= span
	}
	return out
}
