package journaltest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/iwf-gateway/iwf/journal"
)

// putOpen writes n Open entries in Puts of at most 100 and returns them.
func putOpen(t *testing.T, j journal.Journal, n int, tag string) []journal.Entry {
	t.Helper()
	var all []journal.Entry
	for len(all) < n {
		es := make([]journal.Entry, min(100, n-len(all)))
		for i := range es {
			es[i] = entry(journal.Open, fmt.Sprintf("%s-%d", tag, len(all)+i))
		}
		all = append(all, mustPut(t, j, es...)...)
	}
	return all
}

func testScanOrder(t *testing.T, o Opener) {
	j := start(t, o)
	es := putOpen(t, j, 700, "scan") // more than one chunk of any sane backend
	var got []journal.Entry
	err := j.Scan(context.Background(), journal.Open, 0, func(e journal.Entry) error {
		got = append(got, e)
		return nil
	})
	if err != nil {
		t.Fatalf("Scan: %v", err)
	}
	if len(got) != len(es) {
		t.Fatalf("Scan yielded %d entries, want %d", len(got), len(es))
	}
	for i := range es {
		if d := sameEntry(got[i], es[i]); d != "" {
			t.Fatalf("Scan entry %d: %s", i, d)
		}
	}
	for _, k := range []int{0, 255, 256, 350, 698} {
		if s := scanSeqs(t, j, journal.Open, es[k].Seq); !slices.Equal(s, seqsOf(es[k+1:])) {
			t.Errorf("Scan(after entry %d) yielded %d entries starting %v, want %d", k, len(s), s[:min(len(s), 1)], len(es)-k-1)
		}
	}
	if s := scanSeqs(t, j, journal.Open, es[len(es)-1].Seq); len(s) != 0 {
		t.Errorf("Scan(after last) = %v, want none", s)
	}
}

func testScanStop(t *testing.T, o Opener) {
	j := start(t, o)
	es := putOpen(t, j, 10, "stop")
	var seen []uint64
	err := j.Scan(context.Background(), journal.Open, 0, func(e journal.Entry) error {
		seen = append(seen, e.Seq)
		if len(seen) == 3 {
			return journal.ErrStop
		}
		return nil
	})
	if err != nil || !slices.Equal(seen, seqsOf(es[:3])) {
		t.Errorf("Scan with ErrStop = %v after %v, want nil after %v", err, seen, seqsOf(es[:3]))
	}
	boom := errors.New("boom")
	calls := 0
	err = j.Scan(context.Background(), journal.Open, 0, func(journal.Entry) error {
		calls++
		return fmt.Errorf("wrapped: %w", boom)
	})
	if !errors.Is(err, boom) || calls != 1 {
		t.Errorf("Scan with failing fn = %v after %d calls, want boom after 1", err, calls)
	}
}

// testScanPutDuring moves every scanned entry to Done from inside fn, as
// the gateway does when it resumes work.
func testScanPutDuring(t *testing.T, o Opener) {
	j := start(t, o)
	es := putOpen(t, j, 300, "resume")
	n := 0
	err := j.Scan(context.Background(), journal.Open, 0, func(e journal.Entry) error {
		n++
		e.State = journal.Done
		return j.Put(context.Background(), []journal.Entry{e})
	})
	if err != nil || n != len(es) {
		t.Fatalf("Scan with Put in fn = %v after %d entries, want nil after %d", err, n, len(es))
	}
	if got := scanSeqs(t, j, journal.Open, 0); len(got) != 0 {
		t.Errorf("Scan(Open) after moving all = %d entries, want none", len(got))
	}
	if got := scanSeqs(t, j, journal.Done, 0); !slices.Equal(got, seqsOf(es)) {
		t.Errorf("Scan(Done) yielded %d entries, want %d in order", len(got), len(es))
	}
}

func testRefs(t *testing.T, o Opener) {
	j := start(t, o)
	a := mustPut(t, j, entry(journal.Open, "a", "msg-1", "smsc-1"))[0]
	b := mustPut(t, j, entry(journal.Open, "b", "smsc-1", "msg-2"))[0]
	want := map[string]uint64{"msg-1": a.Seq, "smsc-1": b.Seq, "msg-2": b.Seq}
	for ref, seq := range want {
		if got, err := j.Lookup(context.Background(), ref); err != nil || got != seq {
			t.Errorf("Lookup(%q) = %d, %v; want %d", ref, got, err, seq)
		}
	}
	checkStored(t, j, a) // rebinding a ref leaves the old entry's own refs alone
}

// testRefsAccumulate: an update that names new refs keeps the earlier
// ones bound (the gateway adds SMSC ids to an entry found by message id).
func testRefsAccumulate(t *testing.T, o Opener) {
	j := start(t, o)
	a := mustPut(t, j, entry(journal.Open, "v1", "msg-1"))[0]
	next := journal.Entry{Seq: a.Seq, State: journal.Open, Time: a.Time, Refs: []string{"smsc-7"}, Data: []byte("v2")}
	mustPut(t, j, next)
	done := journal.Entry{Seq: a.Seq, State: journal.Done, Time: a.Time, Data: []byte("v3")}
	mustPut(t, j, done)
	for _, ref := range []string{"msg-1", "smsc-7"} {
		if got, err := j.Lookup(context.Background(), ref); err != nil || got != a.Seq {
			t.Errorf("Lookup(%q) after two updates = %d, %v; want %d", ref, got, err, a.Seq)
		}
	}
	got, err := j.Get(context.Background(), a.Seq)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(got.Refs, "msg-1") || !slices.Contains(got.Refs, "smsc-7") || string(got.Data) != "v3" {
		t.Errorf("Get = refs %q data %q; want both refs and v3", got.Refs, got.Data)
	}
}

func testPersistence(t *testing.T, o Opener) {
	j := o()
	es := putOpen(t, j, 5, "persist")
	es[1].State = journal.Done
	mustPut(t, j, es[1])
	ref := mustPut(t, j, entry(journal.Dead, "dead", "persist-ref"))[0]
	if err := j.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	j = start(t, o)
	for _, e := range append(es, ref) {
		checkStored(t, j, e)
	}
	if seq, err := j.Lookup(context.Background(), "persist-ref"); err != nil || seq != ref.Seq {
		t.Errorf("Lookup after reopen = %d, %v; want %d", seq, err, ref.Seq)
	}
	if got, w := scanSeqs(t, j, journal.Open, 0), []uint64{es[0].Seq, es[2].Seq, es[3].Seq, es[4].Seq}; !slices.Equal(got, w) {
		t.Errorf("Scan(Open) after reopen = %v, want %v", got, w)
	}
	next := mustPut(t, j, entry(journal.Open, "after"))[0]
	if next.Seq <= ref.Seq {
		t.Errorf("Seq after reopen = %d, want above %d", next.Seq, ref.Seq)
	}
}

func testConcurrentPuts(t *testing.T, o Opener) {
	j := start(t, o)
	const writers, puts = 64, 10
	var mu sync.Mutex
	var all []journal.Entry
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Go(func() {
			for p := range puts {
				es := []journal.Entry{entry(journal.Open, fmt.Sprintf("w%d-p%d-a", w, p), fmt.Sprintf("ref-%d-%d", w, p))}
				if p%2 == 1 {
					es = append(es, entry(journal.Open, fmt.Sprintf("w%d-p%d-b", w, p)))
				}
				if err := j.Put(context.Background(), es); err != nil {
					errs <- err
					return
				}
				mu.Lock()
				all = append(all, es...)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("concurrent Put: %v", err)
	}
	checkConcurrent(t, j, all)
}

// checkConcurrent asserts every entry is stored under a unique Seq and
// Scan(Open) yields exactly them.
func checkConcurrent(t *testing.T, j journal.Journal, all []journal.Entry) {
	t.Helper()
	seqs := seqsOf(all)
	slices.Sort(seqs)
	if len(slices.Compact(slices.Clone(seqs))) != len(seqs) {
		t.Fatalf("concurrent Puts assigned duplicate Seqs")
	}
	for _, e := range all {
		checkStored(t, j, e)
	}
	if got := scanSeqs(t, j, journal.Open, 0); !slices.Equal(got, seqs) {
		t.Errorf("Scan(Open) yielded %d entries, want %d", len(got), len(seqs))
	}
}

func testCloseIdempotent(t *testing.T, o Opener) {
	j := o()
	mustPut(t, j, entry(journal.Open, "x"))
	if err := j.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if err := j.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func testUseAfterClose(t *testing.T, o Opener) {
	j := o()
	e := mustPut(t, j, entry(journal.Open, "x", "closed-ref"))[0]
	if err := j.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	ctx := context.Background()
	if err := j.Put(ctx, []journal.Entry{entry(journal.Open, "y")}); !errors.Is(err, journal.ErrClosed) {
		t.Errorf("Put after Close = %v, want ErrClosed", err)
	}
	if _, err := j.Get(ctx, e.Seq); !errors.Is(err, journal.ErrClosed) {
		t.Errorf("Get after Close = %v, want ErrClosed", err)
	}
	if _, err := j.Lookup(ctx, "closed-ref"); !errors.Is(err, journal.ErrClosed) {
		t.Errorf("Lookup after Close = %v, want ErrClosed", err)
	}
	err := j.Scan(ctx, journal.Open, 0, func(journal.Entry) error { return nil })
	if !errors.Is(err, journal.ErrClosed) {
		t.Errorf("Scan after Close = %v, want ErrClosed", err)
	}
}

func testCancelled(t *testing.T, o Opener) {
	j := start(t, o)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := j.Put(ctx, []journal.Entry{entry(journal.Open, "x", "cancel-ref")}); !errors.Is(err, context.Canceled) {
		t.Errorf("Put with cancelled ctx = %v, want context.Canceled", err)
	}
	checkEmpty(t, j, "cancel-ref")
}
