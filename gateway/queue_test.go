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
