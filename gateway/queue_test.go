package gateway

import (
	"testing"

	"github.com/iwf-gateway/iwf/cpm"
)

func TestHotQueueBoundedByBytes(t *testing.T) {
	q := newWorkQueue(100, 250<<10)
	big := func(seq uint64) work {
		return work{seq: seq, it: &item{seq: seq, msg: cpm.Message{Parts: []cpm.Part{{Body: make([]byte, 100<<10)}}}}}
	}
	for seq := uint64(1); seq <= 5; seq++ {
		q.push(big(seq))
	}
	var kept int
	for range 5 {
		w, _ := q.tryPop()
		if w.it != nil {
			kept++
		}
	}
	if kept != 2 {
		t.Errorf("%d bodies of 100 KiB kept under a 250 KiB bound, want 2", kept)
	}
	if q.hot != 0 || q.hotBytes != 0 {
		t.Errorf("after draining: hot %d, bytes %d", q.hot, q.hotBytes)
	}
	// Room is given back as items leave.
	q.push(big(6))
	if w, _ := q.tryPop(); w.it == nil {
		t.Errorf("an empty queue dropped the item")
	}
}

// TestQueueDropIf: dropIf removes the matching entries across the ring's
// wrap, keeps the others in order with their items, and gives back the
// hot room of what it removed.
func TestQueueDropIf(t *testing.T) {
	q := newWorkQueue(100, 1<<20)
	for seq := uint64(1); seq <= 60; seq++ {
		q.push(work{seq: seq})
	}
	for range 60 {
		q.tryPop() // the ring's head is now near its end
	}
	for seq := uint64(1); seq <= 20; seq++ {
		q.push(work{seq: seq, it: &item{seq: seq, msg: cpm.Message{Parts: []cpm.Part{{Body: make([]byte, 10)}}}}})
	}
	if n := q.dropIf(func(seq uint64) bool { return seq%3 == 0 }); n != 6 {
		t.Errorf("dropped %d, want 6", n)
	}
	if q.len() != 14 || q.hot != 14 || q.hotBytes != 140 {
		t.Errorf("after dropping: %d queued, hot %d, bytes %d", q.len(), q.hot, q.hotBytes)
	}
	for seq := uint64(1); seq <= 20; seq++ {
		if seq%3 == 0 {
			continue
		}
		if w, ok := q.tryPop(); !ok || w.seq != seq || w.it == nil {
			t.Fatalf("popped %d (%t, item %t), want %d", w.seq, ok, w.it != nil, seq)
		}
	}
	if q.len() != 0 || q.hot != 0 || q.hotBytes != 0 {
		t.Errorf("after draining: %d queued, hot %d, bytes %d", q.len(), q.hot, q.hotBytes)
	}
}
