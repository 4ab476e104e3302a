package gateway

import (
	"context"
	"sync"
)

// inflight is the set of dedupe keys being accepted right now, so two
// copies of one message arriving together are journaled once.
type inflight struct {
	mu   sync.Mutex
	keys map[string]struct{}
}

func (f *inflight) init() { f.keys = make(map[string]struct{}) }

// begin claims key; false means another copy is being accepted.
func (f *inflight) begin(key string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, busy := f.keys[key]; busy {
		return false
	}
	f.keys[key] = struct{}{}
	return true
}

func (f *inflight) end(key string) {
	f.mu.Lock()
	delete(f.keys, key)
	f.mu.Unlock()
}

// receiptWaits covers the gap between an SMSC accepting a segment and the
// journal holding the receipt ref for it: a receipt that arrives in that gap
// waits for the write instead of finding nothing.
type receiptWaits struct {
	mu sync.Mutex
	m  map[string]chan struct{}
}

func newReceiptWaits() *receiptWaits { return &receiptWaits{m: make(map[string]chan struct{})} }

func (r *receiptWaits) register(ref string) {
	r.mu.Lock()
	if _, ok := r.m[ref]; !ok {
		r.m[ref] = make(chan struct{})
	}
	r.mu.Unlock()
}

func (r *receiptWaits) release(refs []string) {
	r.mu.Lock()
	for _, ref := range refs {
		if c, ok := r.m[ref]; ok {
			close(c)
			delete(r.m, ref)
		}
	}
	r.mu.Unlock()
}

// wait blocks while ref is registered; it reports whether it waited.
func (r *receiptWaits) wait(ctx context.Context, ref string) bool {
	r.mu.Lock()
	c, ok := r.m[ref]
	r.mu.Unlock()
	if !ok {
		return false
	}
	select {
	case <-c:
	case <-ctx.Done():
	}
	return true
}
