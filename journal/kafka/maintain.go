package kafka

import (
	"context"
	"time"

	"github.com/iwf-gateway/iwf/journal"
)

// maxRewriteRound is the most entries one maintenance round rewrites.
const maxRewriteRound = 10_000

// runMaintenance purges and rewrites every Config.PurgeInterval until
// Close.
func (j *Journal) runMaintenance() {
	defer j.wg.Done()
	t := time.NewTicker(j.cfg.PurgeInterval)
	defer t.Stop()
	for {
		select {
		case <-j.bg.Done():
			return
		case <-t.C:
			now := time.Now()
			if n := j.purge(now, nil); n > 0 {
				j.log.Info("journal retention purge", "purged", n)
			}
			if n, err := j.rewrite(now); err != nil {
				j.log.Warn("journal rewrite failed; next round retries", "rewritten", n, "err", err)
			} else if n > 0 {
				j.log.Info("journal rewrite", "rewritten", n)
			}
		}
	}
}

// purge removes the Done entries of parts (nil: every held partition)
// that became Done before now-Retention, unbinds their refs with
// tombstones, and returns how many it removed. Purging is local: every
// owner reaches the same decision from the same records.
func (j *Journal) purge(now time.Time, parts []*partition) int {
	var only map[int]bool
	if parts != nil {
		only = make(map[int]bool, len(parts))
		for _, p := range parts {
			only[p.id] = true
		}
	}
	j.mu.Lock()
	n, tombstones := j.v.purgeLocked(now.Add(-j.cfg.Retention).UnixNano(), only)
	j.mu.Unlock()
	j.refs.publish(tombstones, nil)
	j.stats.purged.Add(uint64(n))
	return n
}

// purgeLocked removes the Done entries of the partitions in only (nil:
// every held partition) that became Done before cutoff (unix
// nanoseconds), unbinds the refs bound to them, and returns how many it
// removed and the tombstones that unbind those refs in the refs topic.
// The journal's purge and a Snapshot share it, so both apply retention
// alike.
func (v *view) purgeLocked(cutoff int64, only map[int]bool) (int, []refUpdate) {
	var due []*entry
	v.index[journal.Done].Ascend(0, func(seq uint64) bool {
		e := v.anyLocked(seq)
		if e != nil && e.stateTime < cutoff && (only == nil || only[partitionOf(seq)]) {
			due = append(due, e)
		}
		return true
	})
	var tombstones []refUpdate
	for _, e := range due {
		for _, r := range e.refs {
			if v.boundToLocked(r.ref, e.seq) {
				delete(v.bindings, r.ref)
				tombstones = append(tombstones, refUpdate{ref: r.ref, tombstone: true})
			}
		}
		v.removeLocked(v.parts[partitionOf(e.seq)], e)
	}
	return len(due), tombstones
}

// rewrite writes again, unchanged, the entries of owned partitions whose
// latest version is older than Config.RewriteAfter, so that no record
// older than that is needed to rebuild a partition and the topic's
// retention can delete it. It returns how many it rewrote.
func (j *Journal) rewrite(now time.Time) (int, error) {
	cutoff := now.Add(-j.cfg.RewriteAfter)
	parts, _, ready, _ := j.own.snapshot()
	if !ready {
		return 0, nil
	}
	total := 0
	for _, p := range parts {
		for _, req := range j.rewriteRequests(p, cutoff, maxRewriteRound-total) {
			n, err := j.submitRewrite(p, req)
			total += n
			if err != nil {
				return total, err
			}
		}
	}
	return total, nil
}

// rewriteRequests groups the Seqs of p due for a rewrite into requests
// that fit a record, at most limit Seqs in all.
func (j *Journal) rewriteRequests(p *partition, cutoff time.Time, limit int) []*putRequest {
	var reqs []*putRequest
	var cur *putRequest
	j.mu.RLock()
	defer j.mu.RUnlock()
	for seq, e := range p.entries {
		if limit == 0 {
			break
		}
		if !tickTime(e.version).Before(cutoff) {
			continue
		}
		n := entrySize(&e.recordEntry)
		if cur == nil || len(cur.rewrite) == j.cfg.MaxBatch || cur.size+n > j.cfg.MaxRecordBytes {
			cur = newPutRequest(nil, recordHeaderLen)
			reqs = append(reqs, cur)
		}
		cur.rewrite = append(cur.rewrite, seq)
		cur.size += n
		limit--
	}
	return reqs
}

// submitRewrite hands a rewrite to p's writer and waits for it.
func (j *Journal) submitRewrite(p *partition, req *putRequest) (int, error) {
	ctx, cancel := context.WithTimeout(j.bg, j.cfg.WriteTimeout)
	defer cancel()
	err := enqueue(ctx, j, p.queue, p.gone, req)
	if err == nil {
		err = j.await(ctx, req)
	}
	if err != nil {
		return 0, err
	}
	j.stats.rewritten.Add(uint64(len(req.rewrite)))
	return len(req.rewrite), nil
}
