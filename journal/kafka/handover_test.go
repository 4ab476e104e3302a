package kafka

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/iwf-gateway/iwf/internal/leakcheck"
	"github.com/iwf-gateway/iwf/journal"
)

// waitFor polls cond until it holds, failing the test after a generous
// bound: a rebalance takes a few heartbeats.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s: gave up", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestTwoInstancesShareAndHandOver: two instances split the partitions;
// every ref resolves on both; an entry is served by its owner only and
// written by it only; when one closes, the other takes its partitions
// over with every entry, and continues the work on them.
func TestTwoInstancesShareAndHandOver(t *testing.T) {
	leakcheck.Check(t)
	c := newCluster(t)
	cfg := testConfig(c)
	ctx := context.Background()
	j1 := openTest(t, cfg)
	es := openEntries(60, "ho")
	for i := range es {
		put(t, j1, es[i:i+1]...) // one record each, spread over the partitions by ref
	}
	j2 := openTest(t, cfg)
	waitFor(t, "the partitions to be split", func() bool {
		a, b := j1.Stats().Partitions, j2.Stats().Partitions
		return a > 0 && b > 0 && a+b == 12
	})
	var onJ2 journal.Entry
	for _, e := range es {
		for _, j := range []*Journal{j1, j2} {
			if seq, err := j.Lookup(ctx, e.Refs[0]); err != nil || seq != e.Seq {
				t.Fatalf("Lookup(%q) = %d, %v; want %d on both instances", e.Refs[0], seq, err, e.Seq)
			}
		}
		_, err1 := j1.Get(ctx, e.Seq)
		_, err2 := j2.Get(ctx, e.Seq)
		if (err1 == nil) == (err2 == nil) {
			t.Fatalf("entry %d: Get on j1 = %v, on j2 = %v; want exactly one owner", e.Seq, err1, err2)
		}
		if err2 == nil {
			onJ2 = e
		}
	}
	if onJ2.Seq == 0 {
		t.Fatal("j2 took over no entry of j1")
	}
	done := onJ2
	done.State, done.Refs = journal.Done, []string{"smsc-ho"}
	if err := j1.Put(ctx, []journal.Entry{done}); !errors.Is(err, ErrNotOwner) {
		t.Errorf("Put on a non-owner = %v, want ErrNotOwner", err)
	}
	put(t, j2, done)
	waitFor(t, "j1 to learn the ref j2 bound", func() bool {
		seq, err := j1.Lookup(ctx, "smsc-ho")
		return err == nil && seq == done.Seq
	})
	j1.Close()
	waitFor(t, "j2 to own every partition", func() bool { return j2.Stats().Partitions == 12 })
	if got := scanAll(t, j2, journal.Open, 0); len(got) != len(es)-1 {
		t.Errorf("after the handover j2 has %d Open entries, want %d", len(got), len(es)-1)
	}
	for _, e := range es {
		got, err := j2.Get(ctx, e.Seq)
		want := e
		if e.Seq == done.Seq {
			want.State, want.Refs = journal.Done, []string{"smsc-ho", e.Refs[0]}
		}
		if err != nil || got.State != want.State || string(got.Data) != string(want.Data) || strings.Join(got.Refs, ",") != strings.Join(want.Refs, ",") {
			t.Fatalf("Get(%d) on the new owner = %+v, %v; want %+v", e.Seq, got, err, want)
		}
	}
	es[0].State = journal.Done
	put(t, j2, es[0]) // the new owner finishes work the old one began
}

// TestPutRouting: a Put names entries of one partition; a Seq naming a
// partition the topic lacks is invalid.
func TestPutRouting(t *testing.T) {
	leakcheck.Check(t)
	c := newCluster(t)
	j := openTest(t, testConfig(c))
	a := put(t, j, journal.Entry{State: journal.Open})[0]
	b := put(t, j, journal.Entry{State: journal.Open})[0]
	if partitionOf(a.Seq) == partitionOf(b.Seq) {
		t.Fatalf("two Puts without refs went to one partition (%d); want round robin", partitionOf(a.Seq))
	}
	a.State, b.State = journal.Done, journal.Done
	if err := j.Put(context.Background(), []journal.Entry{a, b}); !errors.Is(err, ErrCrossPartition) {
		t.Errorf("Put across partitions = %v, want ErrCrossPartition", err)
	}
	mixed := []journal.Entry{a, {State: journal.Open, Data: []byte("new")}}
	put(t, j, mixed...)
	if partitionOf(mixed[1].Seq) != partitionOf(a.Seq) {
		t.Errorf("a new entry put with an update went to partition %d, want the update's %d", partitionOf(mixed[1].Seq), partitionOf(a.Seq))
	}
	alien := journal.Entry{Seq: seqOf(1, 500), State: journal.Open}
	var ee *EntryError
	if err := j.Put(context.Background(), []journal.Entry{alien}); !errors.Is(err, ErrInvalidEntry) || !errors.As(err, &ee) {
		t.Errorf("Put of a Seq in partition 500 of 12 = %v, want ErrInvalidEntry", err)
	}
}

// TestPutBounds: entries beyond the bounds are rejected whole.
func TestPutBounds(t *testing.T) {
	leakcheck.Check(t)
	c := newCluster(t)
	cfg := testConfig(c)
	cfg.MaxBatch = 4
	j := openTest(t, cfg)
	ok := journal.Entry{State: journal.Open, Refs: []string{"bound-ref"}}
	long := strings.Repeat("r", MaxRefSize+1)
	cases := []struct {
		name string
		bad  journal.Entry
		want error
	}{
		{"data", journal.Entry{State: journal.Open, Data: make([]byte, MaxDataSize+1)}, ErrTooLarge},
		{"refs", journal.Entry{State: journal.Open, Refs: make([]string, MaxRefs+1)}, ErrTooLarge},
		{"ref size", journal.Entry{State: journal.Open, Refs: []string{long}}, ErrTooLarge},
		{"empty ref", journal.Entry{State: journal.Open, Refs: []string{""}}, ErrInvalidEntry},
		{"state", journal.Entry{State: 4}, ErrInvalidEntry},
		{"time", journal.Entry{State: journal.Open, Time: time.Date(1500, 1, 1, 0, 0, 0, 0, time.UTC)}, ErrInvalidEntry},
	}
	for _, tc := range cases {
		err := j.Put(context.Background(), []journal.Entry{ok, tc.bad})
		var ee *EntryError
		if !errors.Is(err, tc.want) || !errors.As(err, &ee) || ee.Index != 1 {
			t.Errorf("%s: Put = %v, want *EntryError at index 1 wrapping %v", tc.name, err, tc.want)
		}
	}
	if err := j.Put(context.Background(), make([]journal.Entry, 5)); !errors.Is(err, ErrTooLarge) {
		t.Errorf("Put of 5 entries with max_batch 4 = %v, want ErrTooLarge", err)
	}
	two := []journal.Entry{{State: journal.Open, Data: make([]byte, MaxDataSize)}, {State: journal.Open, Data: make([]byte, MaxDataSize)}}
	if err := j.Put(context.Background(), two); !errors.Is(err, ErrTooLarge) {
		t.Errorf("Put of 2 MiB of data with max_record_bytes 2 MiB = %v, want ErrTooLarge", err)
	}
	checkEmpty(t, j, "bound-ref")
	big := journal.Entry{State: journal.Open, Data: make([]byte, MaxDataSize), Refs: make([]string, MaxRefs)}
	for i := range big.Refs {
		big.Refs[i] = strings.Repeat(string(rune('a'+i)), MaxRefSize)
	}
	big = put(t, j, big)[0]
	if got, err := j.Get(context.Background(), big.Seq); err != nil || len(got.Data) != MaxDataSize || len(got.Refs) != MaxRefs {
		t.Errorf("Get of the entry at the bounds = %d data bytes, %d refs, %v", len(got.Data), len(got.Refs), err)
	}
	big.Refs = []string{"one-more"}
	var ee *EntryError
	if err := j.Put(context.Background(), []journal.Entry{big}); !errors.Is(err, ErrTooLarge) || !errors.As(err, &ee) {
		t.Errorf("Put gathering %d refs = %v, want ErrTooLarge", MaxRefs+1, err)
	}
}

// checkEmpty asserts the journal holds no entry and ref is unbound.
func checkEmpty(t *testing.T, j *Journal, ref string) {
	t.Helper()
	for _, s := range []journal.State{journal.Open, journal.Done, journal.Dead} {
		if got := scanAll(t, j, s, 0); len(got) != 0 {
			t.Errorf("Scan(%v) = %v, want nothing written", s, got)
		}
	}
	if _, err := j.Lookup(context.Background(), ref); !errors.Is(err, journal.ErrNotFound) {
		t.Errorf("Lookup(%q) = %v, want ErrNotFound", ref, err)
	}
}

// TestTakeoverAfterCrash: an instance that dies without committing its
// offsets or leaving the group (both refused here) loses its partitions
// when its session times out, and the other instance rebuilds them with
// every entry and carries on with their work.
func TestTakeoverAfterCrash(t *testing.T) {
	leakcheck.Check(t)
	c := newCluster(t)
	cfg := testConfig(c)
	ctx := context.Background()
	j1 := openTest(t, cfg)
	j2 := openTest(t, cfg)
	waitFor(t, "the partitions to be split", func() bool {
		a, b := j1.Stats().Partitions, j2.Stats().Partitions
		return a > 0 && b > 0 && a+b == 12
	})
	es := openEntries(20, "crash")
	for i := range es {
		put(t, j1, es[i:i+1]...)
	}
	es[0].State = journal.Dead
	put(t, j1, es[0])
	refuse := c.Fault(
		kfake.Fault{Keys: []kmsg.Key{kmsg.OffsetCommit}, Group: cfg.Group, Err: kerr.CoordinatorNotAvailable, Count: -1},
		kfake.Fault{Keys: []kmsg.Key{kmsg.LeaveGroup}, Group: cfg.Group, Err: kerr.CoordinatorNotAvailable, TopLevel: true, Count: -1},
	)
	j1.Close()
	refuse.Remove()
	waitFor(t, "j2 to take every partition over", func() bool { return j2.Stats().Partitions == 12 })
	if got := scanAll(t, j2, journal.Open, 0); len(got) != len(es)-1 {
		t.Errorf("the new owner has %d Open entries, want %d", len(got), len(es)-1)
	}
	for _, e := range es {
		got, err := j2.Get(ctx, e.Seq)
		if err != nil || got.State != e.State || string(got.Data) != string(e.Data) {
			t.Fatalf("Get(%d) on the new owner = %+v, %v; want %+v", e.Seq, got, err, e)
		}
	}
	es[1].State = journal.Done
	put(t, j2, es[1])
}
