package local

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/iwf-gateway/iwf/journal"
)

// bigBuckets returns the keys of the records kept apart in bucketBig.
func bigBuckets(t *testing.T, j *Journal) map[uint64]bool {
	t.Helper()
	keys := map[uint64]bool{}
	err := j.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketBig).ForEachBucket(func(k []byte) error {
			keys[seqOf(k)] = true
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

// wholeRecord returns the record kept apart under key as one value, the
// way the layouts before chunks stored it.
func wholeRecord(t *testing.T, tx *bolt.Tx, key []byte) []byte {
	t.Helper()
	e, ok, err := readEntry(tx.Bucket(bucketBig), key, bigStub)
	if err != nil || !ok {
		t.Fatalf("entry %x: %v, found %t", key, err, ok)
	}
	return append(append([]byte(nil), tx.Bucket(bucketBig).Bucket(key).Get(headKey)...), e.Data...)
}

func seqOf(k []byte) uint64 {
	var s uint64
	for _, b := range k {
		s = s<<8 | uint64(b)
	}
	return s
}

// TestBigRecordsKeptApart: records of bigRecord bytes or more live in a
// bucket of their own and read back like any other through Get, Scan
// and Lookup; a record that shrinks moves back, and the retention purge
// removes a big record's bucket with it.
func TestBigRecordsKeptApart(t *testing.T) {
	clock := &fakeClock{}
	clock.ns.Store(time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC).UnixNano())
	j := openClock(t, Config{NoSync: true, Retention: time.Hour, PurgeInterval: time.Hour}, clock)
	ctx := context.Background()
	body := func(fill byte, n int) []byte { return bytes.Repeat([]byte{fill}, n) }

	es := put(t, j,
		journal.Entry{State: journal.Open, Kind: 1, Refs: []string{"big-1"}, Data: body('a', 300<<10)},
		journal.Entry{State: journal.Open, Kind: 1, Refs: []string{"small-1"}, Data: body('b', 100)},
		journal.Entry{State: journal.Open, Kind: 1, Refs: []string{"big-2"}, Data: body('c', bigRecord)})
	big1, small1, big2 := es[0], es[1], es[2]
	if got := bigBuckets(t, j); len(got) != 2 || !got[big1.Seq] || !got[big2.Seq] {
		t.Fatalf("records kept apart: %v; want %d and %d", got, big1.Seq, big2.Seq)
	}
	check := func(e journal.Entry) {
		t.Helper()
		got, err := j.Get(ctx, e.Seq)
		if err != nil || got.State != e.State || !bytes.Equal(got.Data, e.Data) {
			t.Fatalf("Get(%d) = state %v, %d bytes, %v; want %v, %d bytes", e.Seq, got.State, len(got.Data), err, e.State, len(e.Data))
		}
	}
	for _, e := range es {
		check(e)
	}
	var open []uint64
	if err := j.Scan(ctx, journal.Open, 0, func(e journal.Entry) error {
		open = append(open, e.Seq)
		if len(e.Data) >= bigRecord && e.Data[0] != 'a' && e.Data[0] != 'c' {
			t.Errorf("entry %d scanned with the wrong data", e.Seq)
		}
		return nil
	}); err != nil || len(open) != 3 {
		t.Fatalf("Scan(Open) = %v, %v", open, err)
	}
	if seq, err := j.Lookup(ctx, "big-1"); err != nil || seq != big1.Seq {
		t.Errorf("Lookup(big-1) = %d, %v", seq, err)
	}

	// Updates: big to big (Done), big to small, small to big.
	big1.State, big1.Data = journal.Done, body('d', 200<<10)
	big2.Data = body('e', 10)
	small1.State, small1.Data = journal.Dead, body('f', 64<<10)
	put(t, j, big1)
	put(t, j, big2)
	put(t, j, small1)
	for _, e := range []journal.Entry{big1, big2, small1} {
		check(e)
	}
	if got := bigBuckets(t, j); len(got) != 2 || !got[big1.Seq] || !got[small1.Seq] {
		t.Fatalf("records kept apart after the updates: %v; want %d and %d", got, big1.Seq, small1.Seq)
	}
	var done []journal.Entry
	if err := j.Scan(ctx, journal.Done, 0, func(e journal.Entry) error { done = append(done, e); return nil }); err != nil ||
		len(done) != 1 || done[0].Seq != big1.Seq || !bytes.Equal(done[0].Data, big1.Data) {
		t.Fatalf("Scan(Done) = %d entries, %v; want entry %d with its data", len(done), err, big1.Seq)
	}

	// The purge of the Done big record takes its bucket and ref too.
	clock.advance(2 * time.Hour)
	if n, err := j.purge(clock.now()); err != nil || n != 1 {
		t.Fatalf("purge = %d, %v; want 1", n, err)
	}
	if _, err := j.Get(ctx, big1.Seq); !errors.Is(err, journal.ErrNotFound) {
		t.Errorf("purged big record: %v", err)
	}
	if _, err := j.Lookup(ctx, "big-1"); !errors.Is(err, journal.ErrNotFound) {
		t.Errorf("purged big record's ref: %v", err)
	}
	if got := bigBuckets(t, j); len(got) != 1 || !got[small1.Seq] {
		t.Errorf("records kept apart after the purge: %v; want only %d", got, small1.Seq)
	}
}

// TestBigRecordsSurviveReopen: big records are read back after the
// journal is closed and opened again.
func TestBigRecordsSurviveReopen(t *testing.T) {
	cfg := Config{Path: t.TempDir() + "/journal.db", NoSync: true}
	j, err := Open(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	data := bytes.Repeat([]byte("0123456789"), 50_000)
	es := []journal.Entry{{State: journal.Open, Kind: 2, Refs: []string{"r"}, Data: data}}
	if err := j.Put(context.Background(), es); err != nil {
		t.Fatal(err)
	}
	j.Close()
	j, err = Open(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	got, err := j.Get(context.Background(), es[0].Seq)
	if err != nil || !bytes.Equal(got.Data, data) || got.Kind != 2 {
		t.Fatalf("after reopen: %d bytes, kind %d, %v", len(got.Data), got.Kind, err)
	}
}

// TestBigRecordsWrittenInline: a journal written before records were kept
// apart holds big records inline in bucketEntries; they read as before,
// and their next write keeps them apart.
func TestBigRecordsWrittenInline(t *testing.T) {
	j := openTest(t, Config{NoSync: true})
	ctx := context.Background()
	data := bytes.Repeat([]byte{7}, 100<<10)
	e := put(t, j, journal.Entry{State: journal.Open, Kind: 1, Refs: []string{"inline"}, Data: data})[0]
	// Move it inline, as the older layout stored it.
	err := j.db.Update(func(tx *bolt.Tx) error {
		key := seqKey(e.Seq)
		rec := wholeRecord(t, tx, key)
		if err := tx.Bucket(bucketBig).DeleteBucket(key); err != nil {
			return err
		}
		return tx.Bucket(bucketEntries).Put(key, rec)
	})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := j.Get(ctx, e.Seq); err != nil || !bytes.Equal(got.Data, data) {
		t.Fatalf("inline record: %d bytes, %v", len(got.Data), err)
	}
	e.State, e.Data = journal.Done, bytes.Repeat([]byte{8}, 120<<10)
	put(t, j, e)
	if got, err := j.Get(ctx, e.Seq); err != nil || !bytes.Equal(got.Data, e.Data) || got.State != journal.Done {
		t.Fatalf("after the update: %d bytes, %v, %v", len(got.Data), got.State, err)
	}
	if seq, err := j.Lookup(ctx, "inline"); err != nil || seq != e.Seq {
		t.Errorf("Lookup = %d, %v", seq, err)
	}
	if got := bigBuckets(t, j); !got[e.Seq] {
		t.Errorf("the updated record is not kept apart: %v", got)
	}
}

// TestBigRecordChunks: a big record's data is kept in chunks counted from
// its end, and every version reads back whole, whatever its length does:
// grow across a chunk, shrink by chunks, change only at the front or only
// at the end.
func TestBigRecordChunks(t *testing.T) {
	j := openTest(t, Config{NoSync: true})
	ctx := context.Background()
	data := func(n int, front, back byte) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(i*31 + i>>9)
		}
		b[0], b[n-1] = front, back
		return b
	}
	e := put(t, j, journal.Entry{State: journal.Open, Kind: 1, Refs: []string{"c-1"}, Data: data(3*bigChunk, 1, 1)})[0]
	for _, v := range []struct {
		n           int
		front, back byte
		refs        []string
	}{
		{3 * bigChunk, 2, 1, nil},
		{3*bigChunk + 5, 2, 1, []string{"c-2"}},
		{3*bigChunk + 5, 2, 9, nil},
		{2*bigChunk + 1, 3, 9, nil},
		{bigRecord + 100, 4, 4, nil},
		{5*bigChunk - 7, 5, 5, []string{"c-3"}},
	} {
		e.Data, e.Refs = data(v.n, v.front, v.back), v.refs
		put(t, j, e)
		got, err := j.Get(ctx, e.Seq)
		if err != nil || !bytes.Equal(got.Data, e.Data) {
			t.Fatalf("%d bytes: read %d bytes, %v", v.n, len(got.Data), err)
		}
		var chunks int
		if err := j.db.View(func(tx *bolt.Tx) error {
			return tx.Bucket(bucketBig).Bucket(seqKey(e.Seq)).ForEach(func(k, _ []byte) error {
				if k[0] == 'd' {
					chunks++
				}
				return nil
			})
		}); err != nil {
			t.Fatal(err)
		}
		if want := (v.n + bigChunk - 1) / bigChunk; chunks != want {
			t.Errorf("%d bytes kept in %d chunks, want %d", v.n, chunks, want)
		}
	}
	for _, ref := range []string{"c-1", "c-2", "c-3"} {
		if seq, err := j.Lookup(ctx, ref); err != nil || seq != e.Seq {
			t.Errorf("Lookup(%s) = %d, %v", ref, seq, err)
		}
	}
}

// TestBigRecordUpdateWritesWhatChanged: a new version of a 1 MB entry that
// differs only in its state and its first bytes, as a gateway item does
// when it is delivered, allocates a few chunks' worth of pages, not the
// megabyte again.
func TestBigRecordUpdateWritesWhatChanged(t *testing.T) {
	j := openTest(t, Config{NoSync: true})
	data := bytes.Repeat([]byte("0123456789abcdef"), 1<<16)
	e := put(t, j, journal.Entry{State: journal.Open, Kind: 1, Refs: []string{"u-1"}, Data: data})[0]
	allocated := func() int64 { s := j.db.Stats(); return s.TxStats.GetPageAlloc() }
	before := allocated()
	e.State, e.Data = journal.Done, append([]byte("delivered"), data[9:]...)
	put(t, j, e)
	if n := allocated() - before; n > 5*bigChunk {
		t.Errorf("the update allocated %d bytes of pages; want at most %d", n, 5*bigChunk)
	}
	if got, err := j.Get(context.Background(), e.Seq); err != nil || !bytes.Equal(got.Data, e.Data) || got.State != journal.Done {
		t.Fatalf("after the update: %d bytes, %v, %v", len(got.Data), got.State, err)
	}
}

// TestBigRecordsWholeUnderOneKey: a journal written when big records were
// kept whole, under legacyRecordKey, reads as before, and the record's
// next write keeps it in chunks.
func TestBigRecordsWholeUnderOneKey(t *testing.T) {
	j := openTest(t, Config{NoSync: true})
	ctx := context.Background()
	data := bytes.Repeat([]byte{3}, 200<<10)
	e := put(t, j, journal.Entry{State: journal.Open, Kind: 1, Refs: []string{"whole"}, Data: data})[0]
	err := j.db.Update(func(tx *bolt.Tx) error {
		key := seqKey(e.Seq)
		rec := wholeRecord(t, tx, key)
		if err := tx.Bucket(bucketBig).DeleteBucket(key); err != nil {
			return err
		}
		b, err := tx.Bucket(bucketBig).CreateBucket(key)
		if err != nil {
			return err
		}
		return b.Put(legacyRecordKey, rec)
	})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := j.Get(ctx, e.Seq); err != nil || !bytes.Equal(got.Data, data) {
		t.Fatalf("whole record: %d bytes, %v", len(got.Data), err)
	}
	var open int
	if err := j.Scan(ctx, journal.Open, 0, func(journal.Entry) error { open++; return nil }); err != nil || open != 1 {
		t.Fatalf("Scan(Open) = %d, %v", open, err)
	}
	e.State = journal.Done
	put(t, j, e)
	if got, err := j.Get(ctx, e.Seq); err != nil || !bytes.Equal(got.Data, data) || got.State != journal.Done {
		t.Fatalf("after the update: %d bytes, %v, %v", len(got.Data), got.State, err)
	}
	if err := j.db.View(func(tx *bolt.Tx) error {
		if tx.Bucket(bucketBig).Bucket(seqKey(e.Seq)).Get(legacyRecordKey) != nil {
			t.Error("the whole record is still kept after the update")
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// TestBigRecordTail: a payload given as Data and a Tail is chunked like
// one given whole, whatever chunk the seam falls in, and a new version
// with another Data and the same Tail writes only what changed.
func TestBigRecordTail(t *testing.T) {
	j := openTest(t, Config{NoSync: true})
	ctx := context.Background()
	body := bytes.Repeat([]byte("0123456789abcdef"), 1<<16)[:1_000_000]
	e := put(t, j, journal.Entry{State: journal.Open, Kind: 1, Data: []byte("item head, version 1|"), Tail: body})[0]
	check := func(want []byte) {
		t.Helper()
		got, err := j.Get(ctx, e.Seq)
		if err != nil || !bytes.Equal(got.Data, want) || got.Tail != nil {
			t.Fatalf("Get: %d bytes, %v; want %d", len(got.Data), err, len(want))
		}
	}
	check(append([]byte("item head, version 1|"), body...))
	before := func() int64 { s := j.db.Stats(); return s.TxStats.GetPageAlloc() }()
	e.State, e.Data = journal.Done, []byte("item head, version two and longer|")
	put(t, j, e)
	if s := j.db.Stats(); s.TxStats.GetPageAlloc()-before > 5*bigChunk {
		t.Errorf("the update allocated %d bytes of pages", s.TxStats.GetPageAlloc()-before)
	}
	check(append([]byte("item head, version two and longer|"), body...))
	for _, seam := range []int{1, bigChunk - 1, bigChunk, len(body) - bigChunk + 1, len(body)} {
		e.Data, e.Tail = body[:seam], body[seam:]
		put(t, j, e)
		check(body)
	}
}
