package local

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/iwf-gateway/iwf/journal"
)

// purgeBatch is the most entries one purge transaction removes.
const purgeBatch = 1000

// runPurge is the retention goroutine; Close stops and joins it.
func (j *Journal) runPurge() {
	defer close(j.purgeDone)
	t := time.NewTicker(j.cfg.PurgeInterval)
	defer t.Stop()
	for {
		select {
		case <-j.stopPurge:
			return
		case <-t.C:
			n, err := j.purge(j.now())
			if err != nil {
				j.log.Error("journal retention purge failed", "err", err)
			} else if n > 0 {
				j.log.Info("journal retention purge", "purged", n)
			}
		}
	}
}

// purge removes Done entries that became Done before now-Retention, in
// transactions of at most purgeBatch entries, until none is left or Close
// begins. It returns how many it removed.
func (j *Journal) purge(now time.Time) (int, error) {
	cutoff := now.Add(-j.cfg.Retention).UnixNano()
	total := 0
	for {
		n, more, err := j.purgeOnce(cutoff)
		total += n
		if err != nil || !more {
			return total, err
		}
		select {
		case <-j.stopPurge:
			return total, nil
		default:
		}
	}
}

// purgeOnce removes up to purgeBatch expired Done entries in one
// transaction, and says whether more may be due.
func (j *Journal) purgeOnce(cutoff int64) (int, bool, error) {
	n, more := 0, false
	err := j.db.Update(func(tx *bolt.Tx) error {
		n = 0
		keys := expiredDoneKeys(tx.Bucket(bucketDone), cutoff)
		w := newTxBuckets(tx)
		for _, k := range keys {
			purged, err := w.purgeEntry(k)
			if err != nil {
				return err
			}
			if purged {
				n++
			}
		}
		more = len(keys) == purgeBatch
		return addCounts(tx, [4]int64{journal.Done: -int64(n)})
	})
	if err != nil {
		return 0, false, fmt.Errorf("journal/local: purge: %w", err)
	}
	j.statsMu.Lock()
	j.stats.Done -= uint64(n)
	j.stats.Purged += uint64(n)
	j.statsMu.Unlock()
	return n, more, nil
}

// expiredDoneKeys copies up to purgeBatch done-index keys older than cutoff.
func expiredDoneKeys(done *bolt.Bucket, cutoff int64) [][]byte {
	var keys [][]byte
	c := done.Cursor()
	for k, _ := c.First(); k != nil && len(keys) < purgeBatch; k, _ = c.Next() {
		if len(k) == 16 && int64(binary.BigEndian.Uint64(k)) >= cutoff {
			break
		}
		keys = append(keys, bytes.Clone(k))
	}
	return keys
}

// purgeEntry removes a Done entry, its done-index key and the refs still
// bound to it. An index key that does not name a Done entry with that
// Done time is stale and removed alone (purged is false).
func (w *txBuckets) purgeEntry(doneKey []byte) (purged bool, err error) {
	if err := w.done.Delete(doneKey); err != nil || len(doneKey) != 16 {
		return false, err
	}
	key := doneKey[8:]
	v := recordHead(w.big, key, w.entries.Get(key))
	if v == nil {
		return false, nil
	}
	h, err := parseRecordHeader(v)
	if err != nil {
		return false, fmt.Errorf("entry %d: %w", binary.BigEndian.Uint64(key), err)
	}
	if h.state != journal.Done || h.stateTime != int64(binary.BigEndian.Uint64(doneKey)) {
		return false, nil
	}
	for _, r := range h.refs {
		if bytes.Equal(w.refs.Get(r), key) {
			if err := w.refs.Delete(r); err != nil {
				return false, err
			}
		}
	}
	if err := w.dropBig(key); err != nil {
		return false, err
	}
	return true, w.entries.Delete(key)
}
