package kafka

import (
	"context"
	"encoding/binary"
	"fmt"
	"slices"

	"github.com/iwf-gateway/iwf/journal"
)

// maxGroupRequests is the most Puts one produce request carries.
const maxGroupRequests = 4096

// runWriter is the writer of partition p for one generation: it takes
// queued Puts, groups them into one produce request (one Kafka record per
// Put) and applies them once acknowledged. It stops when the generation
// ends, after the batch in hand; what is still queued waits for the next
// generation (or goes to another partition if p is given away).
func (j *Journal) runWriter(ctx context.Context, p *partition) {
	var carry *putRequest
	for {
		first := carry
		carry = nil
		if first == nil {
			if ctx.Err() != nil {
				return
			}
			select {
			case <-ctx.Done():
				return
			case r := <-p.queue:
				if !r.claim.CompareAndSwap(claimPending, claimTaken) {
					continue
				}
				first = r
			}
		}
		var batch []*putRequest
		batch, carry = j.gather(p, first)
		j.commitBatch(p, batch)
	}
}

// gather adds queued requests to first until the group would exceed
// Config.MaxRecordBytes; the request that did not fit is returned apart.
func (j *Journal) gather(p *partition, first *putRequest) (batch []*putRequest, carry *putRequest) {
	batch = append(batch, first)
	size := first.size
	for len(batch) < maxGroupRequests {
		select {
		case r := <-p.queue:
			if !r.claim.CompareAndSwap(claimPending, claimTaken) {
				continue
			}
			if size+r.size > j.cfg.MaxRecordBytes {
				return batch, r
			}
			batch, size = append(batch, r), size+r.size
		default:
			return batch, nil
		}
	}
	return batch, nil
}

// builtPut is a request with its record encoded.
type builtPut struct {
	req   *putRequest
	rec   *putRecord
	value []byte
}

// commitBatch encodes, produces and applies batch, and answers each
// request: rejected ones with their error, all others with the produce
// outcome (after their refs are published).
func (j *Journal) commitBatch(p *partition, batch []*putRequest) {
	var built []builtPut
	var markers []*putRequest
	j.mu.RLock()
	b := newBuilder(j, p)
	for _, r := range batch {
		if r.entries == nil && r.rewrite == nil {
			markers = append(markers, r)
			continue
		}
		rec, err := b.build(r)
		if err != nil {
			r.done <- err
			continue
		}
		built = append(built, builtPut{req: r, rec: rec})
	}
	j.mu.RUnlock()
	for i := range built {
		built[i].value = appendRecord(make([]byte, 0, recordSize(built[i].rec)), built[i].rec)
	}
	if len(built) > 0 {
		j.produceBatch(p, built)
	}
	for _, m := range markers {
		m.done <- nil
	}
}

// produceBatch writes built to p, then applies and answers.
func (j *Journal) produceBatch(p *partition, built []builtPut) {
	msgs := make([]message, len(built))
	for i, bp := range built {
		msgs[i] = message{key: binary.BigEndian.AppendUint64(nil, bp.rec.entries[0].seq), value: bp.value}
	}
	ctx, cancel := context.WithTimeout(j.bg, j.cfg.WriteTimeout)
	base, err := j.produce(ctx, j.cfg.journalTopic(), p.id, msgs)
	cancel()
	if err != nil {
		err = fmt.Errorf("%w: %w", ErrUnavailable, err)
		j.log.Warn("journal write failed", "partition", p.id, "puts", len(built), "err", err)
		for _, bp := range built {
			bp.req.done <- err
		}
		return
	}
	j.stats.records.Add(1)
	updates := j.applyBatch(p, built, base)
	for _, bp := range built {
		close(bp.req.acked)
	}
	waiters := make([]*putRequest, len(built))
	for i, bp := range built {
		waiters[i] = bp.req
	}
	j.refs.publish(updates, waiters)
}

// applyBatch applies acknowledged records to the view, fills in each
// request's Seqs and times, and returns the bindings to publish.
func (j *Journal) applyBatch(p *partition, built []builtPut, base int64) []refUpdate {
	var updates []refUpdate
	j.mu.Lock()
	defer j.mu.Unlock()
	if p.pos == base {
		p.pos = base + int64(len(built)) // nothing unread before them
	}
	for i, bp := range built {
		for k := range bp.rec.entries {
			e := &bp.rec.entries[k]
			j.v.applyLocked(p, e, base+int64(i))
			for _, r := range e.refs {
				b := binding{seq: e.seq, stamp: r.stamp}
				if r.stamp == e.version && j.v.bindLocked(r.ref, b) {
					updates = append(updates, refUpdate{ref: r.ref, b: b})
				}
			}
			if k < len(bp.req.seqs) {
				bp.req.seqs[k], bp.req.times[k] = e.seq, e.time
			}
		}
	}
	return updates
}

// builder turns the requests of one batch into records. It reads the
// view (under the caller's read lock) and remembers what earlier requests
// of the batch wrote, so that a later one builds on them.
type builder struct {
	j       *Journal
	p       *partition
	now     int64
	written map[uint64]*recordEntry // versions built earlier in this batch
	bound   map[string]binding      // bindings made earlier in this batch
}

func newBuilder(j *Journal, p *partition) *builder {
	return &builder{j: j, p: p, now: j.clock.entryTime(),
		written: make(map[uint64]*recordEntry), bound: make(map[string]binding)}
}

// current returns the latest version of seq: built in this batch or held.
func (b *builder) current(seq uint64) *recordEntry {
	if e := b.written[seq]; e != nil {
		return e
	}
	if e := b.p.entries[seq]; e != nil {
		return &e.recordEntry
	}
	return nil
}

// bindingOf returns the binding of ref as this batch would leave it.
func (b *builder) bindingOf(ref string) (binding, bool) {
	if v, ok := b.bound[ref]; ok {
		return v, true
	}
	v, ok := b.j.v.bindings[ref]
	return v, ok
}

// build makes the record of r. Nothing of r is remembered if it fails.
func (b *builder) build(r *putRequest) (*putRecord, error) {
	if r.rewrite != nil {
		return b.buildRewrite(r)
	}
	tick := b.j.clock.next(len(r.entries))
	rec := &putRecord{writer: b.j.id, entries: make([]recordEntry, len(r.entries))}
	put := &putState{b: b, written: make(map[uint64]*recordEntry), bound: make(map[string]binding)}
	for i := range r.entries {
		e := &rec.entries[i]
		if err := put.buildEntry(e, &r.entries[i], tick+uint64(i)); err != nil {
			return nil, &EntryError{Index: i, Reason: err.Error(), Err: ErrTooLarge}
		}
	}
	if n := recordSize(rec); n > b.j.cfg.MaxRecordBytes {
		return nil, fmt.Errorf("%w: record of %d bytes with the refs carried over exceeds max_record_bytes %d", ErrTooLarge, n, b.j.cfg.MaxRecordBytes)
	}
	b.remember(rec)
	return rec, nil
}

// putState is what the entries of one Put built so far write, on top of
// the batch: an entry named twice in a Put, or a ref named by two of its
// entries, comes out as if they were applied one after the other.
type putState struct {
	b       *builder
	written map[uint64]*recordEntry
	bound   map[string]binding
}

func (ps *putState) current(seq uint64) *recordEntry {
	if e := ps.written[seq]; e != nil {
		return e
	}
	return ps.b.current(seq)
}

func (ps *putState) bindingOf(ref string) (binding, bool) {
	if v, ok := ps.bound[ref]; ok {
		return v, true
	}
	return ps.b.bindingOf(ref)
}

// buildEntry fills e, the version of in written at tick, and remembers it.
func (ps *putState) buildEntry(e *recordEntry, in *journal.Entry, tick uint64) error {
	now := ps.b.now
	*e = recordEntry{seq: in.Seq, version: tick, state: in.State, kind: in.Kind, time: now, stateTime: now, data: slices.Concat(in.Data, in.Tail)}
	var cur *recordEntry
	if in.Seq == 0 {
		e.seq = seqOf(tick, ps.b.p.id)
	} else {
		ps.b.j.clock.observe(tickOf(in.Seq)) // a caller-made Seq: keep new ones above it
		cur = ps.current(in.Seq)
	}
	if cur != nil {
		e.time = cur.time
		if cur.state == e.state {
			e.stateTime = cur.stateTime
		}
	}
	if !in.Time.IsZero() {
		e.time = in.Time.UnixNano()
	}
	e.refs = ps.refsOf(e, in.Refs, cur)
	if len(e.refs) > MaxRefs {
		return fmt.Errorf("%d refs gathered, more than %d", len(e.refs), MaxRefs)
	}
	ps.written[e.seq] = e
	for _, r := range e.refs {
		if r.stamp == e.version {
			ps.bound[r.ref] = binding{seq: e.seq, stamp: e.version}
		}
	}
	return nil
}

// refsOf returns the refs of e: those named now (keeping the stamp of a
// ref already bound to e, stamping the others with e's version, which
// binds them to e), then those of cur that are still bound to e (refs
// accumulate; see journal.Entry).
func (ps *putState) refsOf(e *recordEntry, named []string, cur *recordEntry) []boundRef {
	refs := make([]boundRef, 0, len(named))
	for _, ref := range named {
		s := e.version
		if v, ok := ps.bindingOf(ref); ok && v.seq == e.seq {
			s = v.stamp
		}
		refs = append(refs, boundRef{ref: ref, stamp: s})
	}
	if cur == nil {
		return refs
	}
	for _, r := range cur.refs {
		if slices.Contains(named, r.ref) {
			continue
		}
		if v, ok := ps.bindingOf(r.ref); ok && v.seq == e.seq {
			refs = append(refs, r)
		}
	}
	return refs
}

// remember records what rec writes, for the requests after it.
func (b *builder) remember(rec *putRecord) {
	for i := range rec.entries {
		e := &rec.entries[i]
		b.written[e.seq] = e
		for _, r := range e.refs {
			if r.stamp == e.version {
				b.bound[r.ref] = binding{seq: e.seq, stamp: e.version}
			}
		}
	}
}

// buildRewrite makes a record that writes the current version of each
// Seq of r.rewrite again, unchanged but for its version, so the records
// before it are no longer needed. Seqs no longer held are skipped.
func (b *builder) buildRewrite(r *putRequest) (*putRecord, error) {
	rec := &putRecord{writer: b.j.id}
	for _, seq := range r.rewrite {
		if cur := b.current(seq); cur != nil {
			e := *cur
			rec.entries = append(rec.entries, e)
		}
	}
	if len(rec.entries) == 0 {
		return nil, journal.ErrNotFound
	}
	tick := b.j.clock.next(len(rec.entries))
	for i := range rec.entries {
		rec.entries[i].version = tick + uint64(i)
	}
	b.remember(rec)
	return rec, nil
}
