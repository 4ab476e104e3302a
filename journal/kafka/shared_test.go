package kafka

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/iwf-gateway/iwf/internal/leakcheck"
	"github.com/iwf-gateway/iwf/journal"
)

// openPair opens two instances of one group and waits until they split
// the partitions.
func openPair(t *testing.T, cfg Config) (a, b *Journal) {
	t.Helper()
	a = openTest(t, cfg)
	b = openTest(t, cfg)
	waitFor(t, "the partitions to be split", func() bool {
		oa, _ := a.Ownership()
		ob, _ := b.Ownership()
		return len(oa) > 0 && len(ob) > 0 && len(oa)+len(ob) == cfg.Partitions
	})
	return a, b
}

// owned returns a partition j owns.
func owned(t *testing.T, j *Journal) int {
	t.Helper()
	ids, _ := j.Ownership()
	if len(ids) == 0 {
		t.Fatal("the instance owns no partition")
	}
	return ids[0]
}

// receive takes n letters from j, failing the test if they do not come
// within a generous bound (a rebalance takes a few heartbeats).
func receive(t *testing.T, j *Journal, n int) []journal.Letter {
	t.Helper()
	var got []journal.Letter
	deadline := time.After(20 * time.Second)
	for len(got) < n {
		select {
		case l, ok := <-j.Letters():
			if !ok {
				t.Fatalf("Letters closed after %d of %d letters", len(got), n)
			}
			got = append(got, l)
		case <-deadline:
			t.Fatalf("received %d of %d letters: gave up", len(got), n)
		}
	}
	return got
}

// send sends each of data to partition p, one after the other.
func send(t *testing.T, j *Journal, p int, data ...string) {
	t.Helper()
	for _, d := range data {
		if err := j.Send(context.Background(), p, []byte(d)); err != nil {
			t.Fatalf("Send(%d, %q): %v", p, d, err)
		}
	}
}

// checkLetters asserts the letters are data, in order, of partition p.
func checkLetters(t *testing.T, got []journal.Letter, p int, data ...string) {
	t.Helper()
	var texts []string
	for _, l := range got {
		if l.Partition != p {
			t.Errorf("letter %q of partition %d, want %d", l.Data, l.Partition, p)
		}
		texts = append(texts, string(l.Data))
	}
	if !slices.Equal(texts, data) {
		t.Errorf("letters %q, want %q", texts, data)
	}
}

// checkNoLetter asserts nothing waits in j's Letters channel.
func checkNoLetter(t *testing.T, j *Journal, who string) {
	t.Helper()
	select {
	case l := <-j.Letters():
		t.Errorf("%s received letter %q of partition %d", who, l.Data, l.Partition)
	default:
	}
}

// TestSharedOwnership: two instances of a group compute the same
// partition for a key; once stable their partitions cover the topic
// without overlap; the Ownership channel of the first fires when the
// second joins and when the journal closes.
func TestSharedOwnership(t *testing.T) {
	leakcheck.Check(t)
	c := newCluster(t)
	cfg := testConfig(c)
	a := openTest(t, cfg)
	alone, changed := a.Ownership()
	if want := []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}; !slices.Equal(alone, want) {
		t.Fatalf("a single instance owns %v, want %v", alone, want)
	}
	b := openTest(t, cfg)
	select {
	case <-changed:
	case <-time.After(20 * time.Second):
		t.Fatal("Ownership channel did not fire when a second instance joined")
	}
	waitFor(t, "the partitions to be split", func() bool {
		oa, _ := a.Ownership()
		ob, _ := b.Ownership()
		return len(oa) > 0 && len(ob) > 0 && len(oa)+len(ob) == 12
	})
	oa, _ := a.Ownership()
	ob, _ := b.Ownership()
	all := slices.Sorted(slices.Values(append(slices.Clone(oa), ob...)))
	if !slices.Equal(all, alone) || !slices.IsSorted(oa) || !slices.IsSorted(ob) {
		t.Errorf("owned %v and %v: want every partition once, sorted", oa, ob)
	}
	if a.Partitions() != 12 || b.Partitions() != 12 {
		t.Errorf("Partitions = %d, %d; want 12", a.Partitions(), b.Partitions())
	}
	hit := make(map[int]bool)
	for i := range 1000 {
		key := fmt.Sprintf("tel:+4475%08d", i)
		pa, pb := a.PartitionFor(key), b.PartitionFor(key)
		if pa != pb || pa < 0 || pa >= 12 {
			t.Fatalf("PartitionFor(%q) = %d on a, %d on b", key, pa, pb)
		}
		hit[pa] = true
	}
	if len(hit) != 12 {
		t.Errorf("1000 keys fell in %d partitions, want all 12", len(hit))
	}
	if got := a.PartitionFor("sip:+447700900123@ims.example.net"); got != 9 {
		t.Errorf("PartitionFor of a fixed key = %d, want 9 (FNV-1a 32 of it, 1244069253, mod 12)", got)
	}
	_, changed = b.Ownership()
	b.Close()
	if ids, ch := b.Ownership(); ids != nil {
		t.Errorf("a closed instance owns %v", ids)
	} else {
		<-ch // closed for good
	}
	<-changed
}

// TestPutIn: PutIn writes new entries into an owned partition and is
// refused, with journal.ErrNotOwner, for a partition the other instance
// owns, as is a Put of an entry of that partition.
func TestPutIn(t *testing.T) {
	leakcheck.Check(t)
	c := newCluster(t)
	ctx := context.Background()
	a, b := openPair(t, testConfig(c))
	pa, pb := owned(t, a), owned(t, b)
	es := []journal.Entry{{State: journal.Open, Refs: []string{"in-1"}}, {State: journal.Open}}
	if err := a.PutIn(ctx, pa, es); err != nil {
		t.Fatalf("PutIn(%d) on its owner: %v", pa, err)
	}
	for _, e := range es {
		if a.PartitionOf(e.Seq) != pa {
			t.Errorf("PutIn(%d) gave Seq %d of partition %d", pa, e.Seq, a.PartitionOf(e.Seq))
		}
	}
	err := a.PutIn(ctx, pb, []journal.Entry{{State: journal.Open, Refs: []string{"foreign"}}})
	if !errors.Is(err, journal.ErrNotOwner) || !errors.Is(err, ErrNotOwner) {
		t.Errorf("PutIn(%d) on a non-owner = %v, want journal.ErrNotOwner", pb, err)
	}
	if _, err := b.Lookup(ctx, "foreign"); !errors.Is(err, journal.ErrNotFound) {
		t.Errorf("a refused PutIn bound its ref: %v", err)
	}
	done := es[0]
	done.State = journal.Done
	if err := b.Put(ctx, []journal.Entry{done}); !errors.Is(err, journal.ErrNotOwner) {
		t.Errorf("Put of an entry of another instance's partition = %v, want journal.ErrNotOwner", err)
	}
	if err := a.PutIn(ctx, pa, []journal.Entry{done}); err != nil {
		t.Errorf("PutIn of an update in its own partition: %v", err)
	}
	other := (pa + 1) % 12
	if err := a.PutIn(ctx, other, []journal.Entry{done}); !errors.Is(err, ErrCrossPartition) {
		t.Errorf("PutIn(%d) of an entry of partition %d = %v, want ErrCrossPartition", other, pa, err)
	}
	for _, p := range []int{-1, 12} {
		if err := a.PutIn(ctx, p, []journal.Entry{{State: journal.Open}}); !errors.Is(err, ErrInvalidPartition) {
			t.Errorf("PutIn(%d) = %v, want ErrInvalidPartition", p, err)
		}
	}
}

// TestLettersReachOwner: letters sent to a partition reach its owner only,
// in order, whoever sends them, an empty one and one of MaxDataSize
// included.
func TestLettersReachOwner(t *testing.T) {
	leakcheck.Check(t)
	c := newCluster(t)
	a, b := openPair(t, testConfig(c))
	pb := owned(t, b)
	want := make([]string, 50)
	for i := range want {
		want[i] = fmt.Sprintf("letter-%02d", i)
	}
	send(t, a, pb, want[:25]...)
	send(t, b, pb, want[25:]...)
	checkLetters(t, receive(t, b, len(want)), pb, want...)
	checkNoLetter(t, a, "an instance not owning the partition")

	pa := owned(t, a)
	big := make([]byte, MaxDataSize)
	big[0], big[MaxDataSize-1] = 'x', 'y'
	if err := b.Send(context.Background(), pa, big); err != nil {
		t.Fatalf("Send of MaxDataSize bytes: %v", err)
	}
	send(t, b, pa, "")
	got := receive(t, a, 2)
	if len(got[0].Data) != MaxDataSize || got[0].Data[0] != 'x' || got[0].Data[MaxDataSize-1] != 'y' {
		t.Errorf("a letter of MaxDataSize arrived as %d bytes", len(got[0].Data))
	}
	if got[1].Data != nil {
		t.Errorf("an empty letter arrived as %q", got[1].Data)
	}
	for _, l := range got {
		l.Done()
		l.Done() // twice: nothing more
	}
	checkNoLetter(t, b, "an instance not owning the partition")
	if s := b.Stats(); s.LettersSent != 27 || s.LettersDelivered != 50 || s.LettersOpen != 50 {
		t.Errorf("b Stats: sent %d, delivered %d, open %d; want 27, 50, 50", s.LettersSent, s.LettersDelivered, s.LettersOpen)
	}
	if s := a.Stats(); s.LettersOpen != 0 {
		t.Errorf("a has %d letters open after Done, want 0", s.LettersOpen)
	}
}

// TestSendRefused: a Send beyond the bounds, to no partition or after
// Close is refused.
func TestSendRefused(t *testing.T) {
	leakcheck.Check(t)
	c := newCluster(t)
	cfg := testConfig(c)
	cfg.MaxRecordBytes = minMaxRecordBytes
	j := openTest(t, cfg)
	ctx := context.Background()
	cases := []struct {
		p    int
		data []byte
		want error
	}{
		{0, make([]byte, MaxDataSize+1), ErrTooLarge},
		{0, make([]byte, minMaxRecordBytes), ErrTooLarge}, // data fits MaxDataSize, the record not max_record_bytes
		{-1, nil, ErrInvalidPartition},
		{12, nil, ErrInvalidPartition},
	}
	for _, tc := range cases {
		if err := j.Send(ctx, tc.p, tc.data); !errors.Is(err, tc.want) {
			t.Errorf("Send(%d, %d bytes) = %v, want %v", tc.p, len(tc.data), err, tc.want)
		}
	}
	canceled, cancel := context.WithCancel(ctx)
	cancel()
	if err := j.Send(canceled, 0, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("Send with a canceled context = %v", err)
	}
	fits := make([]byte, minMaxRecordBytes-letterHeaderLen)
	if err := j.Send(ctx, 0, fits); err != nil {
		t.Errorf("Send of a letter filling max_record_bytes: %v", err)
	}
	j.Close()
	if err := j.Send(ctx, 0, nil); !errors.Is(err, journal.ErrClosed) {
		t.Errorf("Send after Close = %v, want ErrClosed", err)
	}
	if _, ok := <-j.Letters(); ok {
		// The letter sent above may have been delivered before Close; the
		// channel must be closed after it.
		if _, ok := <-j.Letters(); ok {
			t.Error("Letters not closed by Close")
		}
	}
}

// TestLettersRedeliveredAfterClose: letters the owner received but did
// not Done reach the next owner when it closes, in order; the Done ones
// before them do not. Done after the Close does nothing.
func TestLettersRedeliveredAfterClose(t *testing.T) {
	leakcheck.Check(t)
	c := newCluster(t)
	a, b := openPair(t, testConfig(c))
	pb := owned(t, b)
	send(t, a, pb, "done-1", "done-2", "open-3", "done-4", "open-5")
	got := receive(t, b, 5)
	checkLetters(t, got, pb, "done-1", "done-2", "open-3", "done-4", "open-5")
	got[0].Done()
	got[1].Done()
	got[3].Done()
	// The topic is new: the five letters are at offsets 0 to 4.
	waitFor(t, "b to commit up to open-3", func() bool { return lettersCommittedAt(b, pb) == 2 })
	b.Close()
	got[2].Done() // after the partition left: nothing
	waitFor(t, "a to own every partition", func() bool { ids, _ := a.Ownership(); return len(ids) == 12 })
	// From the oldest letter not Done on: a Done letter after it comes
	// again (at least once), the ones before it do not.
	checkLetters(t, receive(t, a, 3), pb, "open-3", "done-4", "open-5")
	checkNoLetter(t, a, "the new owner")
	for range b.Letters() {
		// b's channel is closed by Close: ranging ends.
	}
}

// TestLettersRedeliveredAfterCrash: an owner that dies with a letter not
// Done, without committing offsets or leaving the group (both refused
// here), leaves it to the next owner once its session expires.
func TestLettersRedeliveredAfterCrash(t *testing.T) {
	leakcheck.Check(t)
	c := newCluster(t)
	cfg := testConfig(c)
	a, b := openPair(t, cfg)
	pb := owned(t, b)
	send(t, a, pb, "crash-1", "crash-2")
	got := receive(t, b, 2)
	got[0].Done()
	refuse := c.Fault(
		kfake.Fault{Keys: []kmsg.Key{kmsg.OffsetCommit}, Group: cfg.Group, Err: kerr.CoordinatorNotAvailable, Count: -1},
		kfake.Fault{Keys: []kmsg.Key{kmsg.LeaveGroup}, Group: cfg.Group, Err: kerr.CoordinatorNotAvailable, TopLevel: true, Count: -1},
	)
	b.Close()
	refuse.Remove()
	waitFor(t, "a to take every partition over", func() bool { ids, _ := a.Ownership(); return len(ids) == 12 })
	redelivered := receive(t, a, 1)
	if last := redelivered[0]; string(last.Data) == "crash-1" {
		// crash-1 was Done but its commit may have been refused: at least
		// once allows it; crash-2 must follow.
		redelivered = receive(t, a, 1)
	}
	checkLetters(t, redelivered, pb, "crash-2")
	redelivered[0].Done()
}

// lettersCommittedAt is the offset j last committed for the letters of
// partition p, or -1.
func lettersCommittedAt(j *Journal, p int) int64 {
	j.mu.RLock()
	part := j.v.parts[p]
	j.mu.RUnlock()
	if part == nil {
		return -1
	}
	part.letters.mu.Lock()
	defer part.letters.mu.Unlock()
	return part.letters.committed
}

// TestLettersDoneNotRedeliveredAfterRebalance: letters Done before a
// third instance joins are not delivered again, whichever partitions
// move; letters sent after it reach the new owners.
func TestLettersDoneNotRedeliveredAfterRebalance(t *testing.T) {
	leakcheck.Check(t)
	c := newCluster(t)
	cfg := testConfig(c)
	a, b := openPair(t, cfg)
	for p := range 12 {
		send(t, a, p, fmt.Sprintf("before-%d", p))
	}
	firsts := append(receive(t, a, 6), receive(t, b, 6)...)
	for _, l := range firsts {
		l.Done()
	}
	third := openTest(t, cfg)
	all := []*Journal{a, b, third}
	waitFor(t, "three instances to split the partitions", func() bool {
		n := 0
		for _, j := range all {
			ids, _ := j.Ownership()
			if len(ids) == 0 {
				return false
			}
			n += len(ids)
		}
		return n == 12
	})
	for p := range 12 {
		send(t, third, p, fmt.Sprintf("after-%d", p))
	}
	seen := make(map[int]bool)
	deadline := time.After(20 * time.Second)
	for len(seen) < 12 {
		var l journal.Letter
		var who *Journal
		select {
		case l = <-a.Letters():
			who = a
		case l = <-b.Letters():
			who = b
		case l = <-third.Letters():
			who = third
		case <-deadline:
			t.Fatalf("received %d of 12 letters sent after the rebalance: gave up", len(seen))
		}
		if want := fmt.Sprintf("after-%d", l.Partition); string(l.Data) != want {
			t.Fatalf("after the rebalance: letter %q of partition %d, want only %q", l.Data, l.Partition, want)
		}
		if ids, _ := who.Ownership(); !slices.Contains(ids, l.Partition) {
			t.Errorf("letter of partition %d delivered to an instance owning %v", l.Partition, ids)
		}
		seen[l.Partition] = true
		l.Done()
	}
}

// TestLettersBackPressure: letters keep coming while no one receives;
// the readers wait at the bounded channel and nothing is lost or
// reordered once the receiver catches up.
func TestLettersBackPressure(t *testing.T) {
	leakcheck.Check(t)
	c := newCluster(t)
	j := openTest(t, testConfig(c))
	n := lettersQueueLen + 8*letterPrefetch
	want := make([]string, n)
	for i := range want {
		want[i] = fmt.Sprintf("bp-%04d", i)
	}
	send(t, j, 3, want...)
	waitFor(t, "the Letters channel to fill", func() bool { return len(j.Letters()) == lettersQueueLen })
	got := receive(t, j, n)
	checkLetters(t, got, 3, want...)
	if s := j.Stats(); s.LettersOpen != n {
		t.Errorf("%d letters open, want %d", s.LettersOpen, n)
	}
	for _, l := range got {
		l.Done()
	}
	if s := j.Stats(); s.LettersOpen != 0 {
		t.Errorf("%d letters open after Done, want 0", s.LettersOpen)
	}
}

// TestLetterBox: the committed offset of a partition's letters stops at
// the oldest letter not Done; Done twice, of an unknown offset or after
// the partition left does nothing; open letters are bounded.
func TestLetterBox(t *testing.T) {
	b := newLetterBox(7)
	if _, due := b.commitDue(); due {
		t.Fatal("commit due before the start offset is known")
	}
	b.pos, b.committed = 10, 10
	if _, due := b.commitDue(); due {
		t.Error("commit due with nothing delivered")
	}
	for off := int64(10); off < 15; off++ { // as deliverLetter does
		b.slots <- struct{}{}
		b.open = append(b.open, openLetter{offset: off})
		b.pos = off + 1
	}
	check := func(what string, low int64, open int) {
		t.Helper()
		got, _ := b.commitDue()
		if got != low || b.openCount() != open || len(b.slots) != open {
			t.Errorf("%s: low water %d, %d open, %d slots; want %d, %d", what, got, b.openCount(), len(b.slots), low, open)
		}
	}
	check("delivered", 10, 5)
	b.finish(11)
	b.finish(13)
	check("later ones done", 10, 3)
	b.finish(10)
	check("the oldest done", 12, 2)
	b.finish(10)
	b.finish(99)
	check("done twice, unknown", 12, 2)
	b.finish(12)
	b.finish(14)
	check("all done", 15, 0)
	b.slots <- struct{}{}
	b.open = append(b.open, openLetter{offset: 15})
	b.pos = 16
	b.giveAway()
	b.finish(15)
	if len(b.slots) != 1 || len(b.open) != 1 {
		t.Error("Done after the partition left changed the box")
	}
	if cap(b.slots) != maxOpenLetters {
		t.Errorf("open letters bounded at %d, want %d", cap(b.slots), maxOpenLetters)
	}
}
