package local

import (
	"bytes"
	"encoding/binary"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/iwf-gateway/iwf/journal"
)

// txBuckets are the buckets of one write transaction.
type txBuckets struct {
	entries, open, done, dead, refs, big *bolt.Bucket
}

// Records of bigRecord bytes or more are kept apart, each in a bucket of
// its own in bucketBig named by its key, with bigStub as its value in
// bucketEntries. bbolt never splits a leaf of four keys or fewer, so large
// records stored side by side in bucketEntries shared leaves, and writing
// one rewrote its neighbours too. In its bucket a record is kept as its
// head (headKey: the fixed fields and the refs) and its data in chunks of
// bigChunk bytes counted from the end (chunkKey(0) is the last bytes), so
// that data which changes only before its tail, as a gateway item does
// when its delivery state changes, keeps its chunks: a later version of
// the entry rewrites the head and the chunks that differ, not the whole
// record. Earlier versions kept the whole record under legacyRecordKey;
// it reads as before and is replaced at the record's next write.
const (
	bigRecord = 16 << 10
	// bigChunk is sized so that two chunks, which bbolt keeps in a leaf
	// at least, fill eight 4 KiB pages with the leaf's own header.
	bigChunk = 16<<10 - 64
)

var (
	bigStub         = []byte{0} // 0 is no record version
	headKey         = []byte("h")
	legacyRecordKey = []byte("r")
)

// chunkKey is the key of data chunk i, counted from the data's end: 'd'
// and i big-endian, so the chunks sort before headKey.
func chunkKey(i int) []byte {
	return binary.BigEndian.AppendUint32([]byte{'d'}, uint32(i))
}

// chunkBounds returns where chunk i of n bytes of data lies.
func chunkBounds(n, i int) (lo, hi int) {
	return max(0, n-(i+1)*bigChunk), n - i*bigChunk
}

// payloadRange returns bytes lo to hi of the payload data then tail: a
// slice of one of them, or a copy of the bytes on both sides of their
// seam.
func payloadRange(data, tail []byte, lo, hi int) []byte {
	switch d := len(data); {
	case hi <= d:
		return data[lo:hi]
	case lo >= d:
		return tail[lo-d : hi-d]
	default:
		return append(append(make([]byte, 0, hi-lo), data[lo:]...), tail[:hi-d]...)
	}
}

// isBig reports whether v, stored under a key in bucketEntries, is the
// stub of a record kept apart.
func isBig(v []byte) bool { return len(v) == 1 && v[0] == bigStub[0] }

// recordHead resolves the value v stored under key in bucketEntries to
// the start of the record, at least its fixed fields and refs, for
// parseRecordHeader: v itself, or the head kept in big. nil stays nil.
func recordHead(big *bolt.Bucket, key, v []byte) []byte {
	if !isBig(v) {
		return v
	}
	b := big.Bucket(key)
	if b == nil {
		return nil
	}
	if h := b.Get(headKey); h != nil {
		return h
	}
	return b.Get(legacyRecordKey)
}

// readEntry decodes the entry whose value under key in bucketEntries is
// v: the record itself, or the stub of one kept apart, whose chunks are
// copied once, from the memory map straight into the entry's Data. ok is
// false when there is no record.
func readEntry(big *bolt.Bucket, key, v []byte) (e journal.Entry, ok bool, err error) {
	if !isBig(v) {
		if v == nil {
			return e, false, nil
		}
		e, err = decodeRecord(v)
		return e, true, err
	}
	b := big.Bucket(key)
	if b == nil {
		return e, false, nil
	}
	head := b.Get(headKey)
	if head == nil {
		if whole := b.Get(legacyRecordKey); whole != nil {
			e, err = decodeRecord(whole)
			return e, true, err
		}
		return e, false, nil
	}
	if e, err = decodeRecord(head); err != nil {
		return e, true, err
	}
	var chunks [][]byte
	size := 0
	c := b.Cursor()
	for k, v := c.Seek(chunkKey(0)); k != nil && k[0] == 'd'; k, v = c.Next() {
		chunks = append(chunks, v)
		size += len(v)
	}
	if size > MaxDataSize {
		return e, true, fmt.Errorf("%w: data of %d bytes", ErrCorrupt, size)
	}
	if size > 0 {
		e.Data = make([]byte, 0, size)
		for i := len(chunks) - 1; i >= 0; i-- {
			e.Data = append(e.Data, chunks[i]...)
		}
	}
	return e, true, nil
}

// putRecord stores the record of head and its payload, data then tail,
// under key: apart when it is big, writing only the head and the chunks
// that changed.
func (w *txBuckets) putRecord(key, head, data, tail []byte) error {
	size := len(head) + len(data) + len(tail)
	if size < bigRecord {
		if err := w.dropBig(key); err != nil {
			return err
		}
		return w.entries.Put(key, append(append(append(make([]byte, 0, size), head...), data...), tail...))
	}
	b, err := w.big.CreateBucketIfNotExists(key)
	if err != nil {
		return err
	}
	if b.Get(legacyRecordKey) != nil {
		if err := b.Delete(legacyRecordKey); err != nil {
			return err
		}
	}
	payload := len(data) + len(tail)
	n := (payload + bigChunk - 1) / bigChunk
	for i := range n {
		lo, hi := chunkBounds(payload, i)
		chunk := payloadRange(data, tail, lo, hi)
		k := chunkKey(i)
		if old := b.Get(k); old != nil && bytes.Equal(old, chunk) {
			continue // unchanged: rewriting would dirty its leaf for nothing
		}
		if err := b.Put(k, chunk); err != nil {
			return err
		}
	}
	c := b.Cursor()
	for k, _ := c.Seek(chunkKey(n)); k != nil && k[0] == 'd'; k, _ = c.Seek(chunkKey(n)) {
		if err := b.Delete(k); err != nil { // a chunk of a longer version
			return err
		}
	}
	if err := b.Put(headKey, head); err != nil {
		return err
	}
	if isBig(w.entries.Get(key)) {
		return nil
	}
	return w.entries.Put(key, bigStub)
}

// dropBig removes the record kept apart under key, if there is one.
func (w *txBuckets) dropBig(key []byte) error {
	if w.big.Bucket(key) == nil {
		return nil
	}
	return w.big.DeleteBucket(key)
}

func newTxBuckets(tx *bolt.Tx) txBuckets {
	w := txBuckets{
		entries: tx.Bucket(bucketEntries),
		open:    tx.Bucket(bucketOpen),
		done:    tx.Bucket(bucketDone),
		dead:    tx.Bucket(bucketDead),
		refs:    tx.Bucket(bucketRefs),
		big:     tx.Bucket(bucketBig),
	}
	// Seqs are appended in order: pack pages full.
	w.entries.FillPercent = 0.9
	w.open.FillPercent = 0.9
	w.done.FillPercent = 0.9
	w.dead.FillPercent = 0.9
	return w
}

// apply stores one record, patching the Seq of its head (from *next when
// assignSeq), its Time (now, or the stored entry's, when assignTime) and
// its state time, and moves its index keys and refs. The head may be
// replaced (withEarlierRefs). Neither head nor data may change until the
// transaction ends: they, the Seq bytes and the ref bytes are handed to
// bbolt as they are.
func (w *txBuckets) apply(rec *pendingRecord, now int64, next *uint64, delta *[4]int64) error {
	assignSeq, assignTime := rec.assignSeq, rec.assignTime
	seq := binary.BigEndian.Uint64(rec.head[offSeq:])
	if assignSeq {
		seq = *next
		*next++
		binary.BigEndian.PutUint64(rec.head[offSeq:], seq)
	} else if seq >= *next {
		*next = seq + 1
	}
	key := rec.head[offSeq : offSeq+8]
	state := journal.State(rec.head[offState])
	stateTime := now
	if !assignSeq {
		if old := recordHead(w.big, key, w.entries.Get(key)); old != nil {
			h, err := parseRecordHeader(old)
			if err != nil {
				return fmt.Errorf("entry %d: %w", seq, err)
			}
			if rec.head, err = w.withEarlierRefs(rec.head, h, key); err != nil {
				return fmt.Errorf("entry %d: %w", seq, err)
			}
			key = rec.head[offSeq : offSeq+8]
			if assignTime {
				binary.BigEndian.PutUint64(rec.head[offTime:], uint64(h.time))
				assignTime = false
			}
			if h.state == state {
				stateTime = h.stateTime
			}
			if err := w.unindex(h, key); err != nil {
				return err
			}
			delta[h.state]--
		}
	}
	if assignTime {
		binary.BigEndian.PutUint64(rec.head[offTime:], uint64(now))
	}
	binary.BigEndian.PutUint64(rec.head[offStateTime:], uint64(stateTime))
	if err := w.putRecord(key, rec.head, rec.data, rec.tail); err != nil {
		return err
	}
	delta[state]++
	return w.bind(rec.head, state, stateTime, key)
}

// bind adds the index key and refs of a record being stored, given its
// head.
func (w *txBuckets) bind(head []byte, state journal.State, stateTime int64, key []byte) error {
	var err error
	switch state {
	case journal.Open:
		err = w.open.Put(key, nil)
	case journal.Dead:
		err = w.dead.Put(key, nil)
	case journal.Done:
		err = w.done.Put(doneKey(stateTime, binary.BigEndian.Uint64(key)), nil)
	}
	if err != nil {
		return err
	}
	h, err := parseRecordHeader(head)
	if err != nil {
		return err
	}
	for _, r := range h.refs {
		if bytes.Equal(w.refs.Get(r), key) {
			continue // bound by an earlier version: rewriting would dirty a page for nothing
		}
		if err := w.refs.Put(r, key); err != nil {
			return err
		}
	}
	return nil
}

// unindex removes the state index key of a stored record being replaced.
// Its refs stay bound: the new version carries them (withEarlierRefs).
func (w *txBuckets) unindex(h recordHeader, key []byte) error {
	switch h.state {
	case journal.Open:
		return w.open.Delete(key)
	case journal.Dead:
		return w.dead.Delete(key)
	case journal.Done:
		return w.done.Delete(doneKey(h.stateTime, h.seq))
	}
	return nil
}

// withEarlierRefs returns head with the refs of the stored version old
// that are still bound to key and that head does not name appended (refs
// accumulate, see journal.Entry). head is returned as is when there are
// none.
func (w *txBuckets) withEarlierRefs(rec []byte, old recordHeader, key []byte) ([]byte, error) {
	h, err := parseRecordHeader(rec)
	if err != nil {
		return nil, err
	}
	var extra [][]byte
	for _, r := range old.refs {
		if !containsRef(h.refs, r) && bytes.Equal(w.refs.Get(r), key) {
			extra = append(extra, r)
		}
	}
	if len(extra) == 0 {
		return rec, nil
	}
	if len(h.refs)+len(extra) > MaxRefs {
		return nil, fmt.Errorf("%w: %d refs gathered, more than %d", ErrTooLarge, len(h.refs)+len(extra), MaxRefs)
	}
	out := make([]byte, 0, len(rec)+len(extra)*(2+MaxRefSize))
	out = append(out, rec[:h.dataOff]...)
	for _, r := range extra {
		out = binary.BigEndian.AppendUint16(out, uint16(len(r)))
		out = append(out, r...)
	}
	out[offRefs] = byte(len(h.refs) + len(extra))
	return append(out, rec[h.dataOff:]...), nil
}

func containsRef(refs [][]byte, r []byte) bool {
	for _, x := range refs {
		if bytes.Equal(x, r) {
			return true
		}
	}
	return false
}

// readCounts returns the stored per-state entry counts.
func readCounts(tx *bolt.Tx) ([4]uint64, error) {
	var c [4]uint64
	v := tx.Bucket(bucketMeta).Get(keyCounts)
	if v == nil {
		return c, nil
	}
	if len(v) != 24 {
		return c, fmt.Errorf("%w: counts of %d bytes", ErrCorrupt, len(v))
	}
	for s := journal.Open; s <= journal.Dead; s++ {
		c[s] = binary.BigEndian.Uint64(v[8*(s-1):])
	}
	return c, nil
}

// addCounts adds delta to the stored per-state entry counts.
func addCounts(tx *bolt.Tx, delta [4]int64) error {
	c, err := readCounts(tx)
	if err != nil {
		return err
	}
	v := make([]byte, 0, 24)
	for s := journal.Open; s <= journal.Dead; s++ {
		v = binary.BigEndian.AppendUint64(v, uint64(int64(c[s])+delta[s]))
	}
	return tx.Bucket(bucketMeta).Put(keyCounts, v)
}
