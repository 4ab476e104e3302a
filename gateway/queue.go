package gateway

import (
	"context"
	"sync"
)

// work is one queued unit: an entry's sequence number and, while the queue
// is short, its decoded item (nil: read it back from the journal).
type work struct {
	seq uint64
	it  *item
}

// workQueue is an unbounded FIFO of work for one route. Only hotLimit
// entries, holding at most hotBytesLimit body bytes, keep their decoded
// item; the rest hold just the sequence number, so memory per queued
// message stays a few words however long the backlog, and a queue of
// large MMS holds a bounded number of bodies. It is safe for concurrent use.
type workQueue struct {
	mu            sync.Mutex
	buf           []work // ring buffer
	head, n       int
	hot           int // entries in buf whose item is set
	hotBytes      int // body bytes of those items
	hotLimit      int
	hotBytesLimit int
	ready         chan struct{} // has a token while n > 0
}

func newWorkQueue(hotLimit, hotBytesLimit int) *workQueue {
	return &workQueue{buf: make([]work, 64), hotLimit: hotLimit, hotBytesLimit: hotBytesLimit, ready: make(chan struct{}, 1)}
}

// bodyBytes is what an item's bodies weigh in a hot queue.
func bodyBytes(it *item) int { return it.msg.Size() + len(it.fragment.Message) }

// push appends w, dropping its decoded item when the queue is hot enough.
func (q *workQueue) push(w work) {
	q.mu.Lock()
	if w.it != nil {
		if size := bodyBytes(w.it); q.hot >= q.hotLimit || q.hotBytes+size > q.hotBytesLimit {
			w.it = nil
		} else {
			q.hot++
			q.hotBytes += size
		}
	}
	if q.n == len(q.buf) {
		q.grow()
	}
	q.buf[(q.head+q.n)%len(q.buf)] = w
	q.n++
	q.mu.Unlock()
	select {
	case q.ready <- struct{}{}:
	default:
	}
}

func (q *workQueue) grow() {
	nb := make([]work, 2*len(q.buf))
	for i := 0; i < q.n; i++ {
		nb[i] = q.buf[(q.head+i)%len(q.buf)]
	}
	q.buf, q.head = nb, 0
}

// tryPop takes the first entry without waiting.
func (q *workQueue) tryPop() (work, bool) {
	q.mu.Lock()
	if q.n == 0 {
		q.mu.Unlock()
		return work{}, false
	}
	return q.takeLocked(), true
}

// takeLocked removes the first entry; q.mu is held and released.
func (q *workQueue) takeLocked() work {
	w := q.buf[q.head]
	q.buf[q.head] = work{}
	q.head = (q.head + 1) % len(q.buf)
	q.n--
	if w.it != nil {
		q.hot--
		q.hotBytes -= bodyBytes(w.it)
	}
	more := q.n > 0
	q.shrink()
	q.mu.Unlock()
	if more {
		select {
		case q.ready <- struct{}{}:
		default:
		}
	}
	return w
}

// pop blocks until work is queued or ctx ends.
func (q *workQueue) pop(ctx context.Context) (work, bool) {
	for {
		q.mu.Lock()
		if q.n > 0 {
			return q.takeLocked(), true
		}
		q.mu.Unlock()
		select {
		case <-q.ready:
		case <-ctx.Done():
			return work{}, false
		}
	}
}

// shrink gives memory back once a large backlog has drained.
func (q *workQueue) shrink() {
	if len(q.buf) > 1024 && q.n < len(q.buf)/8 {
		nb := make([]work, len(q.buf)/4)
		for i := 0; i < q.n; i++ {
			nb[i] = q.buf[(q.head+i)%len(q.buf)]
		}
		q.buf, q.head = nb, 0
	}
}

// dropIf removes, in one pass, the entries whose sequence number match
// selects, keeping the order of the rest, and returns how many it removed.
func (q *workQueue) dropIf(match func(seq uint64) bool) int {
	q.mu.Lock()
	defer q.mu.Unlock()
	kept := 0
	for i := 0; i < q.n; i++ {
		w := q.buf[(q.head+i)%len(q.buf)]
		if !match(w.seq) {
			q.buf[(q.head+kept)%len(q.buf)] = w
			kept++
			continue
		}
		if w.it != nil {
			q.hot--
			q.hotBytes -= bodyBytes(w.it)
		}
	}
	for i := kept; i < q.n; i++ {
		q.buf[(q.head+i)%len(q.buf)] = work{}
	}
	n := q.n - kept
	q.n = kept
	q.shrink()
	return n
}

// len is the number of queued entries.
func (q *workQueue) len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.n
}
