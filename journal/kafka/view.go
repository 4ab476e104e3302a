package kafka

import (
	"slices"
	"time"

	"github.com/iwf-gateway/iwf/journal"
)

// entry is the latest version of an entry in the view and the offset of
// the record that carried it: the only record a rebuild of the entry
// needs.
type entry struct {
	recordEntry
	offset int64
}

// toEntry copies e out of the view.
func (e *entry) toEntry() journal.Entry {
	out := journal.Entry{
		Seq:   e.seq,
		State: e.state,
		Kind:  e.kind,
		Time:  time.Unix(0, e.time).UTC(),
	}
	if len(e.refs) > 0 {
		out.Refs = make([]string, len(e.refs))
		for i, r := range e.refs {
			out.Refs[i] = r.ref
		}
	}
	if len(e.data) > 0 {
		out.Data = slices.Clone(e.data)
	}
	return out
}

// stampOf returns the stamp at which e named ref, or false.
func (e *entry) stampOf(ref string) (uint64, bool) {
	for _, r := range e.refs {
		if r.ref == ref {
			return r.stamp, true
		}
	}
	return 0, false
}

// partition is one journal partition this instance owns (or owned until
// the current rebalance ends): its entries and how far it is read. Fields
// other than id and queue are guarded by view.mu.
type partition struct {
	id      int
	queue   chan *putRequest // Puts for the partition writer; lives as long as the partition is held
	gone    chan struct{}    // closed when the partition is given away
	entries map[uint64]*entry
	// pos is the next offset the partition reader applies.
	pos int64
	// loadedAt is the high-water mark when this ownership began: records
	// this instance wrote at or above it were applied by its writer (or
	// belong to Puts that failed) and the reader skips them.
	loadedAt int64
	// committed is the last offset committed for the group.
	committed int64
	// serving is false while the partition is being rebuilt: its entries
	// are then hidden from Get and Scan.
	serving bool
	// letters is the delivery state of the partition's letters; set at
	// creation, it has a lock of its own.
	letters *letterBox
}

// lowWater is the offset from which a new owner must read to rebuild p:
// the oldest record an entry still needs, or the reader's position.
func (p *partition) lowWater() int64 {
	low := p.pos
	for _, e := range p.entries {
		low = min(low, e.offset)
	}
	return low
}

// view is the materialised journal: the entries of the partitions this
// instance holds, an ordered index per state across them, and the
// bindings of every ref in the cluster. Methods ending in Locked need mu
// held (for writing, unless they say otherwise).
type view struct {
	parts    map[int]*partition
	index    [journal.Dead + 1]seqSet
	bindings map[string]binding
}

func newView() *view {
	return &view{parts: make(map[int]*partition), bindings: make(map[string]binding)}
}

// getLocked returns the entry with seq of a served partition, or nil.
// Read lock suffices.
func (v *view) getLocked(seq uint64) *entry {
	p := v.parts[partitionOf(seq)]
	if p == nil || !p.serving {
		return nil
	}
	return p.entries[seq]
}

// entryLocked returns a copy of the entry with seq of a served
// partition, or journal.ErrNotFound. Read lock suffices.
func (v *view) entryLocked(seq uint64) (journal.Entry, error) {
	e := v.getLocked(seq)
	if e == nil {
		return journal.Entry{}, journal.ErrNotFound
	}
	return e.toEntry(), nil
}

// lookupLocked returns the Seq ref is bound to, or journal.ErrNotFound.
// Read lock suffices.
func (v *view) lookupLocked(ref string) (uint64, error) {
	b, ok := v.bindings[ref]
	if !ok {
		return 0, journal.ErrNotFound
	}
	return b.seq, nil
}

// scanChunkLocked copies up to scanChunk entries in state with Seq >
// after, of served partitions, in Seq order. Read lock suffices.
func (v *view) scanChunkLocked(state journal.State, after uint64) []journal.Entry {
	var chunk []journal.Entry
	v.index[state].Ascend(after, func(seq uint64) bool {
		if e := v.getLocked(seq); e != nil {
			chunk = append(chunk, e.toEntry())
		}
		return len(chunk) < scanChunk
	})
	return chunk
}

// anyLocked returns the entry with seq, served or still being rebuilt,
// or nil. Read lock suffices.
func (v *view) anyLocked(seq uint64) *entry {
	p := v.parts[partitionOf(seq)]
	if p == nil {
		return nil
	}
	return p.entries[seq]
}

// applyLocked applies one entry version read at offset of p and reports
// whether it changed the view. A version older than the one held changes
// nothing, so records may be applied twice and in any order of writers.
//
// A rebuild that starts after an entry's first version can meet a later
// version of an entry that was purged since: it comes back as a Done
// entry past retention, and the purge that ends every load removes it
// again before the partition is served.
func (v *view) applyLocked(p *partition, re *recordEntry, offset int64) bool {
	cur := p.entries[re.seq]
	if cur == nil {
		p.entries[re.seq] = &entry{recordEntry: *re, offset: offset}
		v.index[re.state].Add(re.seq)
		return true
	}
	if re.version <= cur.version {
		return false
	}
	if cur.state != re.state {
		v.index[cur.state].Remove(re.seq)
		v.index[re.state].Add(re.seq)
	}
	cur.recordEntry, cur.offset = *re, offset
	return true
}

// removeLocked deletes e from p.
func (v *view) removeLocked(p *partition, e *entry) {
	v.index[e.state].Remove(e.seq)
	delete(p.entries, e.seq)
}

// newPartition is an empty partition with a queue of queueLen Puts.
func newPartition(id int, queueLen int) *partition {
	return &partition{
		id: id, queue: make(chan *putRequest, queueLen), gone: make(chan struct{}),
		entries: make(map[uint64]*entry), letters: newLetterBox(id),
	}
}

// dropLocked forgets partition p and its entries.
func (v *view) dropLocked(p *partition) {
	for _, e := range p.entries {
		v.index[e.state].Remove(e.seq)
	}
	delete(v.parts, p.id)
}

// laterBinding orders bindings: the higher stamp wins, then the higher
// Seq (two instances can read the same tick; never for one Seq).
func laterBinding(a, b binding) bool {
	return a.stamp > b.stamp || a.stamp == b.stamp && a.seq > b.seq
}

// bindLocked binds ref to b unless a later binding holds it, and reports
// whether it changed.
func (v *view) bindLocked(ref string, b binding) bool {
	if cur, ok := v.bindings[ref]; ok && !laterBinding(b, cur) {
		return false
	}
	v.bindings[ref] = b
	return true
}

// holdsLocked reports whether b is a binding made by an entry this
// instance holds, and which still names the ref at that stamp: the
// bindings this instance must keep right in the refs topic. Read lock
// suffices.
func (v *view) holdsLocked(ref string, b binding) bool {
	e := v.getLocked(b.seq)
	if e == nil {
		return false
	}
	s, ok := e.stampOf(ref)
	return ok && s == b.stamp
}

// boundToLocked reports whether ref is bound to seq. Read lock suffices.
func (v *view) boundToLocked(ref string, seq uint64) bool {
	b, ok := v.bindings[ref]
	return ok && b.seq == seq
}
