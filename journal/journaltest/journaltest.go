package journaltest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/iwf-gateway/iwf/journal"
)

// Opener opens, or after Close reopens, one store.
type Opener func() journal.Journal

// Run runs the suite. open is called once per subtest and returns an
// opener for a fresh, empty store; calling the opener again after Close
// must reopen the same store. Run closes every journal it opens.
func Run(t *testing.T, open func(t *testing.T) func() journal.Journal) {
	tests := []struct {
		name string
		fn   func(t *testing.T, o Opener)
	}{
		{"PutAssignsSeqAndTime", testPutAssigns},
		{"PutKeepsGivenTime", testPutKeepsTime},
		{"PutIsAtomic", testPutAtomic},
		{"EmptyPut", testEmptyPut},
		{"NotFound", testNotFound},
		{"PutReplaces", testPutReplaces},
		{"Tail", testTail},
		{"StateMoves", testStateMoves},
		{"ScanOrderAndAfter", testScanOrder},
		{"ScanStopAndError", testScanStop},
		{"ScanPutDuringScan", testScanPutDuring},
		{"Refs", testRefs},
		{"RefsAccumulate", testRefsAccumulate},
		{"Persistence", testPersistence},
		{"ConcurrentPuts", testConcurrentPuts},
		{"CloseIdempotent", testCloseIdempotent},
		{"UseAfterClose", testUseAfterClose},
		{"CancelledContext", testCancelled},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			opener := open(t)
			tc.fn(t, Opener(opener))
		})
	}
}

// start opens the store and closes it at the end of the test.
func start(t *testing.T, o Opener) journal.Journal {
	t.Helper()
	j := o()
	t.Cleanup(func() { j.Close() })
	return j
}

func entry(state journal.State, data string, refs ...string) journal.Entry {
	return journal.Entry{State: state, Kind: 7, Data: []byte(data), Refs: refs}
}

func mustPut(t *testing.T, j journal.Journal, es ...journal.Entry) []journal.Entry {
	t.Helper()
	if err := j.Put(context.Background(), es); err != nil {
		t.Fatalf("Put: %v", err)
	}
	return es
}

func mustGet(t *testing.T, j journal.Journal, seq uint64) journal.Entry {
	t.Helper()
	e, err := j.Get(context.Background(), seq)
	if err != nil {
		t.Fatalf("Get(%d): %v", seq, err)
	}
	return e
}

// sameEntry reports how got differs from want, or "".
func sameEntry(got, want journal.Entry) string {
	switch {
	case got.Seq != want.Seq:
		return fmt.Sprintf("seq %d, want %d", got.Seq, want.Seq)
	case got.State != want.State:
		return fmt.Sprintf("state %v, want %v", got.State, want.State)
	case got.Kind != want.Kind:
		return fmt.Sprintf("kind %d, want %d", got.Kind, want.Kind)
	case !got.Time.Equal(want.Time):
		return fmt.Sprintf("time %v, want %v", got.Time, want.Time)
	case !slices.Equal(got.Refs, want.Refs):
		return fmt.Sprintf("refs %q, want %q", got.Refs, want.Refs)
	case !bytes.Equal(got.Data, want.Data):
		return fmt.Sprintf("data %q, want %q", got.Data, want.Data)
	}
	return ""
}

func checkStored(t *testing.T, j journal.Journal, want journal.Entry) {
	t.Helper()
	if d := sameEntry(mustGet(t, j, want.Seq), want); d != "" {
		t.Errorf("Get(%d): %s", want.Seq, d)
	}
}

// scanSeqs returns the Seqs Scan yields for state after the given Seq.
func scanSeqs(t *testing.T, j journal.Journal, state journal.State, after uint64) []uint64 {
	t.Helper()
	var seqs []uint64
	err := j.Scan(context.Background(), state, after, func(e journal.Entry) error {
		if e.State != state {
			t.Errorf("Scan(%v) yielded entry %d in state %v", state, e.Seq, e.State)
		}
		seqs = append(seqs, e.Seq)
		return nil
	})
	if err != nil {
		t.Fatalf("Scan(%v, %d): %v", state, after, err)
	}
	return seqs
}

func seqsOf(es []journal.Entry) []uint64 {
	s := make([]uint64, len(es))
	for i, e := range es {
		s[i] = e.Seq
	}
	return s
}

func testPutAssigns(t *testing.T, o Opener) {
	j := start(t, o)
	before := time.Now().Add(-time.Second)
	es := mustPut(t, j, entry(journal.Open, "a"), entry(journal.Open, "b"), entry(journal.Dead, ""))
	es = append(es, mustPut(t, j, entry(journal.Done, "c", "r1"))...)
	for i, e := range es {
		if e.Seq == 0 || e.Time.IsZero() || e.Time.Before(before) {
			t.Fatalf("entry %d: seq %d time %v not assigned", i, e.Seq, e.Time)
		}
		if i > 0 && (e.Seq <= es[i-1].Seq || e.Time.Before(es[i-1].Time)) {
			t.Errorf("entry %d: seq %d time %v does not follow seq %d time %v",
				i, e.Seq, e.Time, es[i-1].Seq, es[i-1].Time)
		}
		checkStored(t, j, e)
	}
}

func testPutKeepsTime(t *testing.T, o Opener) {
	j := start(t, o)
	at := time.Date(2024, 2, 29, 23, 59, 59, 123456789, time.UTC)
	e := entry(journal.Open, "x")
	e.Time = at
	es := mustPut(t, j, e)
	if !es[0].Time.Equal(at) {
		t.Errorf("Put changed a given time to %v", es[0].Time)
	}
	checkStored(t, j, es[0])
}

func testPutAtomic(t *testing.T, o Opener) {
	j := start(t, o)
	es := []journal.Entry{entry(journal.Open, "good", "atomic-ref"), {State: 0, Data: []byte("bad")}}
	if err := j.Put(context.Background(), es); err == nil {
		t.Fatal("Put with an invalid state succeeded")
	}
	checkEmpty(t, j, "atomic-ref")
}

// checkEmpty asserts the store holds no entry and ref is unbound.
func checkEmpty(t *testing.T, j journal.Journal, ref string) {
	t.Helper()
	for _, s := range []journal.State{journal.Open, journal.Done, journal.Dead} {
		if got := scanSeqs(t, j, s, 0); len(got) != 0 {
			t.Errorf("Scan(%v) = %v, want nothing written", s, got)
		}
	}
	if seq, err := j.Lookup(context.Background(), ref); !errors.Is(err, journal.ErrNotFound) {
		t.Errorf("Lookup(%q) = %d, %v; want ErrNotFound", ref, seq, err)
	}
}

func testEmptyPut(t *testing.T, o Opener) {
	j := start(t, o)
	if err := j.Put(context.Background(), nil); err != nil {
		t.Errorf("Put(nil) = %v", err)
	}
	checkEmpty(t, j, "none")
}

func testNotFound(t *testing.T, o Opener) {
	j := start(t, o)
	mustPut(t, j, entry(journal.Open, "a", "known"))
	if _, err := j.Get(context.Background(), 1<<60); !errors.Is(err, journal.ErrNotFound) {
		t.Errorf("Get(missing) = %v, want ErrNotFound", err)
	}
	if _, err := j.Lookup(context.Background(), "unknown"); !errors.Is(err, journal.ErrNotFound) {
		t.Errorf("Lookup(missing) = %v, want ErrNotFound", err)
	}
}

func testPutReplaces(t *testing.T, o Opener) {
	j := start(t, o)
	first := mustPut(t, j, entry(journal.Open, "v1", "m1"))[0]
	next := journal.Entry{Seq: first.Seq, State: journal.Open, Kind: 9, Time: first.Time,
		Refs: []string{"m1", "smsc-1"}, Data: []byte("v2")}
	mustPut(t, j, next)
	checkStored(t, j, next)
	if got := scanSeqs(t, j, journal.Open, 0); !slices.Equal(got, []uint64{first.Seq}) {
		t.Errorf("Scan(Open) after replace = %v, want [%d]", got, first.Seq)
	}
	for _, ref := range next.Refs {
		if seq, err := j.Lookup(context.Background(), ref); err != nil || seq != first.Seq {
			t.Errorf("Lookup(%q) = %d, %v; want %d", ref, seq, err, first.Seq)
		}
	}
}

func testStateMoves(t *testing.T, o Opener) {
	j := start(t, o)
	es := mustPut(t, j, entry(journal.Open, "a"), entry(journal.Open, "b"), entry(journal.Open, "c"))
	es[1].State = journal.Done
	es[2].State = journal.Dead
	mustPut(t, j, es[1])
	mustPut(t, j, es[2])
	want := map[journal.State][]uint64{
		journal.Open: {es[0].Seq}, journal.Done: {es[1].Seq}, journal.Dead: {es[2].Seq},
	}
	for s, w := range want {
		if got := scanSeqs(t, j, s, 0); !slices.Equal(got, w) {
			t.Errorf("Scan(%v) = %v, want %v", s, got, w)
		}
	}
	es[2].State = journal.Open // an operator revives a dead letter
	mustPut(t, j, es[2])
	if got := scanSeqs(t, j, journal.Dead, 0); len(got) != 0 {
		t.Errorf("Scan(Dead) after revival = %v, want none", got)
	}
	if got, w := scanSeqs(t, j, journal.Open, 0), []uint64{es[0].Seq, es[2].Seq}; !slices.Equal(got, w) {
		t.Errorf("Scan(Open) after revival = %v, want %v", got, w)
	}
}

// testTail: a payload given as Data and Tail reads back whole in Data,
// small or large, through Get and Scan, and a new version that moves the
// seam or drops the Tail replaces it; a Tail counts toward MaxDataSize.
func testTail(t *testing.T, o Opener) {
	j := start(t, o)
	body := make([]byte, 200_000)
	for i := range body {
		body[i] = byte(i*13 + i>>10)
	}
	small := mustPut(t, j, journal.Entry{State: journal.Open, Kind: 7, Data: []byte("head|"), Tail: []byte("tail")})[0]
	checkStored(t, j, journal.Entry{Seq: small.Seq, State: journal.Open, Kind: 7, Time: small.Time, Data: []byte("head|tail")})
	big := mustPut(t, j, journal.Entry{State: journal.Open, Kind: 7, Refs: []string{"tail-1"}, Data: []byte("v1|"), Tail: body})[0]
	whole := append([]byte("v1|"), body...)
	checkStored(t, j, journal.Entry{Seq: big.Seq, State: journal.Open, Kind: 7, Time: big.Time, Refs: []string{"tail-1"}, Data: whole})
	var scanned []byte
	err := j.Scan(context.Background(), journal.Open, small.Seq, func(e journal.Entry) error {
		if e.Seq == big.Seq {
			scanned = e.Data
		}
		return nil
	})
	if err != nil || !bytes.Equal(scanned, whole) || big.Tail == nil {
		t.Errorf("Scan: %d bytes of %d, %v", len(scanned), len(whole), err)
	}
	for _, v := range []journal.Entry{
		{Data: []byte("version two, longer|"), Tail: body},
		{Data: append([]byte("v3|"), body[:100_000]...), Tail: body[100_000:]},
		{Data: append([]byte("v4|"), body...)},
	} {
		v.Seq, v.State, v.Kind, v.Time, v.Refs = big.Seq, journal.Done, 7, big.Time, []string{"tail-1"}
		mustPut(t, j, v)
		checkStored(t, j, journal.Entry{Seq: v.Seq, State: v.State, Kind: 7, Time: v.Time, Refs: v.Refs, Data: v.Payload()})
	}
	tooBig := journal.Entry{State: journal.Open, Kind: 7, Data: make([]byte, journal.MaxDataSize-10), Tail: make([]byte, 11)}
	if err := j.Put(context.Background(), []journal.Entry{tooBig}); err == nil {
		t.Error("Put of Data and Tail over MaxDataSize accepted")
	}
}
