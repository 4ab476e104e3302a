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
// journal holding the receipt ref for it. An SMSC may send the receipt
// before the submit_sm_resp has even reached the worker; such a receipt
// waits, while submits are in flight, for their ids to be registered and
// journaled instead of finding nothing.
type receiptWaits struct {
	mu         sync.Mutex
	m          map[string]chan struct{}
	submitting int           // submit_sm calls whose ids are not registered yet
	changed    chan struct{} // closed and replaced when submitting drops or ids register
}

func newReceiptWaits() *receiptWaits {
	return &receiptWaits{m: make(map[string]chan struct{}), changed: make(chan struct{})}
}

// beginSubmit marks a submit_sm whose id is not known yet.
func (r *receiptWaits) beginSubmit() {
	r.mu.Lock()
	r.submitting++
	r.mu.Unlock()
}

// endSubmit marks that submit's id registered (or the submit failed).
func (r *receiptWaits) endSubmit() {
	r.mu.Lock()
	r.submitting--
	r.notifyLocked()
	r.mu.Unlock()
}

func (r *receiptWaits) notifyLocked() {
	close(r.changed)
	r.changed = make(chan struct{})
}

// unsettled returns a channel closed at the next registration, or nil
// when no submit is waiting for its id.
func (r *receiptWaits) unsettled() <-chan struct{} {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.submitting == 0 {
		return nil
	}
	return r.changed
}

func (r *receiptWaits) register(ref string) {
	r.mu.Lock()
	if _, ok := r.m[ref]; !ok {
		r.m[ref] = make(chan struct{})
	}
	r.notifyLocked()
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
