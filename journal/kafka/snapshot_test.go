package kafka

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	kafkago "github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/iwf-gateway/iwf/internal/leakcheck"
	"github.com/iwf-gateway/iwf/journal"
)

// openSnapshotTest takes a snapshot of cfg and closes it at the end of
// the test.
func openSnapshotTest(t testing.TB, cfg Config) *Snapshot {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := OpenSnapshot(ctx, cfg, testLogger())
	if err != nil {
		t.Fatalf("OpenSnapshot: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// writeHistory writes, on j, entries of every state with refs, one Put
// each so that they spread over j's partitions, some updated so that
// several versions exist, and returns their refs.
func writeHistory(t *testing.T, j *Journal, tag string) []string {
	t.Helper()
	var refs []string
	es := openEntries(30, tag)
	for i := range es {
		put(t, j, es[i:i+1]...)
		refs = append(refs, es[i].Refs...)
	}
	for i := range 10 { // Open -> Done, with a second ref
		es[i].State, es[i].Data = journal.Done, []byte(tag+"-delivered")
		es[i].Refs = []string{fmt.Sprintf("%s-smsc-%d", tag, i)}
		put(t, j, es[i])
		refs = append(refs, es[i].Refs...)
	}
	for i := 10; i < 15; i++ { // Open -> Open (a retry) -> Dead
		es[i].Data, es[i].Refs = []byte(tag+"-retry"), nil
		put(t, j, es[i])
		es[i].State = journal.Dead
		put(t, j, es[i])
	}
	put(t, j, journal.Entry{State: journal.Dead, Kind: 7, Data: []byte(tag + "-dead"), Refs: []string{tag + "-dead"}})
	return append(refs, tag+"-dead")
}

// TestSnapshotSeesEveryPartition: two running instances write into their
// partitions; a snapshot taken meanwhile holds the latest version of
// every entry of both, scans each state in Seq order across partitions,
// resolves the refs of both, refuses Put, and the instances see no
// rebalance.
func TestSnapshotSeesEveryPartition(t *testing.T) {
	leakcheck.Check(t)
	c := newCluster(t)
	cfg := testConfig(c)
	a, b := openPair(t, cfg)
	refs := append(writeHistory(t, a, "a"), writeHistory(t, b, "b")...)
	_, changedA := a.Ownership()
	_, changedB := b.Ownership()
	// Requests a snapshot must never send: the instances send none of
	// them while the group is stable (their commits carry a member id).
	watch := c.Fault(kfake.Fault{
		Keys:    []kmsg.Key{kmsg.JoinGroup, kmsg.SyncGroup, kmsg.LeaveGroup, kmsg.CreateTopics, kmsg.OffsetCommit},
		Observe: true, Count: -1,
		When: func(req kmsg.Request) bool {
			commit, ok := req.(*kmsg.OffsetCommitRequest)
			return !ok || commit.MemberID == ""
		},
	})
	s := openSnapshotTest(t, cfg)
	if n := watch.Hits(); n != 0 {
		t.Errorf("%d join, sync, leave, commit or create-topics requests while the snapshot was taken, want none", n)
	}
	watch.Remove()
	ctx := context.Background()

	for _, ch := range []<-chan struct{}{changedA, changedB} {
		select {
		case <-ch:
			t.Fatal("an instance's ownership changed while the snapshot was taken")
		default:
		}
	}
	for _, state := range []journal.State{journal.Open, journal.Done, journal.Dead} {
		want := slices.Sorted(slices.Values(append(scanAll(t, a, state, 0), scanAll(t, b, state, 0)...)))
		got := scanAll(t, s, state, 0)
		if !slices.Equal(got, want) {
			t.Errorf("Scan(%v) = %d entries %v, want %d %v", state, len(got), got, len(want), want)
		}
		if len(want) < 2 {
			t.Fatalf("Scan(%v) of the instances has %d entries: the test wrote too few", state, len(want))
		}
		for _, seq := range want {
			owner := a
			if _, err := a.Get(ctx, seq); err != nil {
				owner = b
			}
			wantEntry, err := owner.Get(ctx, seq)
			if err != nil {
				t.Fatalf("Get(%d) on its owner: %v", seq, err)
			}
			if got, err := s.Get(ctx, seq); err != nil || !reflect.DeepEqual(got, wantEntry) {
				t.Errorf("snapshot Get(%d) = %+v, %v; want %+v", seq, got, err, wantEntry)
			}
		}
		mid := want[len(want)/2]
		if got := scanAll(t, s, state, mid); !slices.Equal(got, want[len(want)/2+1:]) {
			t.Errorf("Scan(%v, after %d) = %v, want %v", state, mid, got, want[len(want)/2+1:])
		}
	}
	for _, ref := range refs {
		want, err := a.Lookup(ctx, ref)
		if err != nil {
			t.Fatalf("Lookup(%q) on an instance: %v", ref, err)
		}
		if got, err := s.Lookup(ctx, ref); err != nil || got != want {
			t.Errorf("snapshot Lookup(%q) = %d, %v; want %d", ref, got, err, want)
		}
	}
	checkSnapshotMisses(t, s)
	if err := s.Put(ctx, []journal.Entry{{State: journal.Open}}); !errors.Is(err, ErrReadOnly) {
		t.Errorf("Put = %v, want ErrReadOnly", err)
	}
	for _, ch := range []<-chan struct{}{changedA, changedB} {
		select {
		case <-ch:
			t.Error("an instance's ownership changed while the snapshot was read")
		default:
		}
	}
}

// checkSnapshotMisses asserts what a snapshot does not hold, and how Scan
// stops.
func checkSnapshotMisses(t *testing.T, s *Snapshot) {
	t.Helper()
	ctx := context.Background()
	if _, err := s.Get(ctx, seqOf(1, 0)); !errors.Is(err, journal.ErrNotFound) {
		t.Errorf("Get(unknown) = %v, want ErrNotFound", err)
	}
	if _, err := s.Lookup(ctx, "no-such-ref"); !errors.Is(err, journal.ErrNotFound) {
		t.Errorf("Lookup(unknown) = %v, want ErrNotFound", err)
	}
	if err := s.Scan(ctx, journal.State(9), 0, func(journal.Entry) error { return nil }); !errors.Is(err, ErrInvalidEntry) {
		t.Errorf("Scan(state 9) = %v, want ErrInvalidEntry", err)
	}
	n := 0
	err := s.Scan(ctx, journal.Open, 0, func(journal.Entry) error {
		if n++; n == 3 {
			return journal.ErrStop
		}
		return nil
	})
	if err != nil || n != 3 {
		t.Errorf("Scan stopped by ErrStop = %v after %d entries, want nil after 3", err, n)
	}
	boom := errors.New("boom")
	if err := s.Scan(ctx, journal.Open, 0, func(journal.Entry) error { return boom }); !errors.Is(err, boom) {
		t.Errorf("Scan with a failing fn = %v, want its error", err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := s.Get(cancelled, seqOf(1, 0)); !errors.Is(err, context.Canceled) {
		t.Errorf("Get with a cancelled context = %v, want context.Canceled", err)
	}
}

// TestSnapshotConcurrentReadsAndClose: reads from several goroutines,
// racing Close, either succeed or return ErrClosed; Close is idempotent.
func TestSnapshotConcurrentReadsAndClose(t *testing.T) {
	leakcheck.Check(t)
	c := newCluster(t)
	cfg := testConfig(c)
	j := openTest(t, cfg)
	es := put(t, j, openEntries(600, "cc")...) // more than one Scan chunk
	s := openSnapshotTest(t, cfg)
	ctx := context.Background()
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 50 {
				var err error
				switch i % 3 {
				case 0:
					_, err = s.Get(ctx, es[(g*50+i)%len(es)].Seq)
				case 1:
					_, err = s.Lookup(ctx, fmt.Sprintf("cc-ref-%d", i))
				default:
					n := 0
					err = s.Scan(ctx, journal.Open, 0, func(journal.Entry) error { n++; return nil })
					if err == nil && n != len(es) {
						t.Errorf("Scan saw %d entries, want %d", n, len(es))
					}
				}
				if err != nil && !errors.Is(err, journal.ErrClosed) {
					t.Errorf("read: %v", err)
				}
			}
		})
	}
	wg.Go(func() { s.Close() })
	wg.Wait()
	if err := s.Close(); err != nil {
		t.Errorf("second Close = %v", err)
	}
	if _, err := s.Get(ctx, es[0].Seq); !errors.Is(err, journal.ErrClosed) {
		t.Errorf("Get after Close = %v, want ErrClosed", err)
	}
	err := s.Scan(ctx, journal.Open, 0, func(journal.Entry) error { return nil })
	if !errors.Is(err, journal.ErrClosed) {
		t.Errorf("Scan after Close = %v, want ErrClosed", err)
	}
}

// TestSnapshotMissingTopics: a prefix without topics, or with the journal
// topic only, is ErrMissingTopic naming what is missing, and the
// snapshot creates nothing, even on brokers that create topics on
// demand.
func TestSnapshotMissingTopics(t *testing.T) {
	leakcheck.Check(t)
	c := newCluster(t, kfake.AllowAutoTopicCreation())
	cfg := testConfig(c)
	admin := adminClient(t, c)
	ctx := context.Background()
	check := func(missing ...string) {
		t.Helper()
		s, err := OpenSnapshot(ctx, cfg, testLogger())
		if err == nil {
			s.Close()
			t.Fatal("OpenSnapshot of missing topics succeeded")
		}
		if !errors.Is(err, ErrMissingTopic) {
			t.Errorf("OpenSnapshot = %v, want ErrMissingTopic", err)
		}
		for _, topic := range missing {
			if !strings.Contains(err.Error(), topic) {
				t.Errorf("error %q does not name %s", err, topic)
			}
		}
		res, err := admin.Metadata(ctx, &kafkago.MetadataRequest{Topics: missing})
		if err != nil {
			t.Fatalf("metadata: %v", err)
		}
		for _, topic := range res.Topics {
			if topic.Error == nil {
				t.Errorf("topic %s exists after a failed snapshot", topic.Name)
			}
		}
	}
	check(cfg.TopicPrefix+".journal", cfg.TopicPrefix+".refs")

	res, err := admin.CreateTopics(ctx, &kafkago.CreateTopicsRequest{Topics: []kafkago.TopicConfig{
		{Topic: cfg.TopicPrefix + ".journal", NumPartitions: 3, ReplicationFactor: 1},
	}})
	if err != nil || res.Errors[cfg.TopicPrefix+".journal"] != nil {
		t.Fatalf("create the journal topic: %v %v", err, res)
	}
	check(cfg.TopicPrefix + ".refs")
}

// commitOffset commits offset of journal partition part for group, as an
// instance of it would, without joining it.
func commitOffset(t *testing.T, c *kfake.Cluster, cfg Config, group string, part int, offset int64) {
	t.Helper()
	res, err := adminClient(t, c).OffsetCommit(context.Background(), &kafkago.OffsetCommitRequest{
		GroupID: group, GenerationID: -1,
		Topics: map[string][]kafkago.OffsetCommit{cfg.journalTopic(): {{Partition: part, Offset: offset}}},
	})
	if err != nil {
		t.Fatalf("commit: %v", err)
	}
	for _, p := range res.Topics[cfg.journalTopic()] {
		if p.Error != nil {
			t.Fatalf("commit: %v", p.Error)
		}
	}
}

// TestSnapshotReadsFromCommittedOffset: a partition is read from the
// group's committed offset, from the first offset kept when the group
// has none.
func TestSnapshotReadsFromCommittedOffset(t *testing.T) {
	leakcheck.Check(t)
	c := newCluster(t)
	cfg := testConfig(c)
	j := openTest(t, cfg)
	e := put(t, j, journal.Entry{State: journal.Open, Refs: []string{"x"}})[0]
	e.State = journal.Dead
	put(t, j, e)
	part := partitionOf(e.Seq)
	ranges, err := j.offsets(context.Background(), cfg.journalTopic(), []int{part})
	if err != nil {
		t.Fatal(err)
	}
	end := ranges[part].end // the Dead version is the record at end-1

	cases := []struct {
		group     string
		committed int64 // -1: none
		want      journal.State
	}{
		{cfg.Group + "-none", -1, journal.Dead},
		{cfg.Group + "-at-dead", end - 1, journal.Dead},
		{cfg.Group + "-past-end", end, 0},
		{cfg.Group, -2, journal.Dead}, // the instance's own commits
	}
	for _, tc := range cases {
		if tc.committed >= 0 {
			commitOffset(t, c, cfg, tc.group, part, tc.committed)
		}
		scfg := cfg
		scfg.Group = tc.group
		s := openSnapshotTest(t, scfg)
		got, err := s.Get(context.Background(), e.Seq)
		switch {
		case tc.want == 0 && !errors.Is(err, journal.ErrNotFound):
			t.Errorf("group %s: Get = %+v, %v; want ErrNotFound (read from offset %d)", tc.group, got, err, tc.committed)
		case tc.want != 0 && (err != nil || got.State != tc.want):
			t.Errorf("group %s: Get = %+v, %v; want state %v", tc.group, got, err, tc.want)
		}
	}
	res, err := adminClient(t, c).OffsetFetch(context.Background(), &kafkago.OffsetFetchRequest{
		GroupID: cfg.Group + "-none", Topics: map[string][]int{cfg.journalTopic(): {part}}})
	if err != nil {
		t.Fatal(err)
	}
	if ps := res.Topics[cfg.journalTopic()]; res.Error == nil && (len(ps) != 1 || ps[0].CommittedOffset != -1) {
		t.Errorf("a group without commits has %+v after a snapshot, want none", ps)
	}
}

// produceTombstone writes a tombstone for ref to the refs topic with a
// client of its own, as an instance that purged an entry would.
func produceTombstone(t *testing.T, c *kfake.Cluster, cfg Config, parts int, ref string) {
	t.Helper()
	part := kafkago.Murmur2Balancer{}.Balance(kafkago.Message{Key: []byte(ref)}, partitionIDs(parts)...)
	res, err := adminClient(t, c).Produce(context.Background(), &kafkago.ProduceRequest{
		Topic: cfg.refsTopic(), Partition: part, RequiredAcks: kafkago.RequireAll,
		Records: kafkago.NewRecordReader(kafkago.Record{Key: kafkago.NewBytes([]byte(ref))}),
	})
	if err != nil || res.Error != nil {
		t.Fatalf("produce a tombstone: %v %v", err, res)
	}
}

// TestSnapshotRetentionAndRefs: Done entries past retention are purged
// with their refs, as a rebuild purges them; a stale tombstone does not
// unbind a ref its entry still names; a binding missing from the refs
// topic is bound from the entry; a record that does not decode is
// skipped.
func TestSnapshotRetentionAndRefs(t *testing.T) {
	leakcheck.Check(t)
	c := newCluster(t)
	cfg := testConfig(c)
	cfg.WriteTimeout = 300 * time.Millisecond
	j := openTest(t, cfg)
	ctx := context.Background()
	es := put(t, j, journal.Entry{State: journal.Done, Refs: []string{"done"}},
		journal.Entry{State: journal.Open, Refs: []string{"open", "stale"}})
	done, open := es[0], es[1]
	open.Data, open.Refs = []byte("retry"), nil // a later version: the refs keep their stamps
	put(t, j, open)
	if _, err := j.produce(ctx, cfg.journalTopic(), partitionOf(open.Seq), []message{{value: []byte("not a record")}}); err != nil {
		t.Fatal(err)
	}
	h := c.Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.Produce}, Topic: cfg.refsTopic(), Err: kerr.PolicyViolation, Count: -1})
	lost := put(t, j, journal.Entry{State: journal.Dead, Refs: []string{"lost"}})[0]
	j.Close() // nobody is left to repair the refs topic
	h.Remove()
	produceTombstone(t, c, cfg, j.refsParts, "stale")

	scfg := cfg
	scfg.Retention = time.Nanosecond
	s := openSnapshotTest(t, scfg)
	if _, err := s.Get(ctx, done.Seq); !errors.Is(err, journal.ErrNotFound) {
		t.Errorf("Get(Done past retention) = %v, want ErrNotFound", err)
	}
	if _, err := s.Lookup(ctx, "done"); !errors.Is(err, journal.ErrNotFound) {
		t.Errorf("Lookup(ref of a purged entry) = %v, want ErrNotFound", err)
	}
	for ref, want := range map[string]uint64{"open": open.Seq, "stale": open.Seq, "lost": lost.Seq} {
		if seq, err := s.Lookup(ctx, ref); err != nil || seq != want {
			t.Errorf("Lookup(%s) = %d, %v; want %d", ref, seq, err, want)
		}
	}
	if got, err := s.Get(ctx, open.Seq); err != nil || string(got.Data) != "retry" {
		t.Errorf("Get(updated entry) = %+v, %v; want its latest version", got, err)
	}
	if got := scanAll(t, s, journal.Done, 0); len(got) != 0 {
		t.Errorf("Scan(Done) = %v, want none past retention", got)
	}

	kept := openSnapshotTest(t, cfg) // the configured retention keeps the Done entry
	if got, err := kept.Get(ctx, done.Seq); err != nil || got.State != journal.Done {
		t.Errorf("Get(Done within retention) = %+v, %v", got, err)
	}
}

// TestSnapshotBound: a snapshot that would hold more than its bound fails
// with ErrTooLarge; one within it succeeds.
func TestSnapshotBound(t *testing.T) {
	leakcheck.Check(t)
	c := newCluster(t)
	cfg := testConfig(c)
	j := openTest(t, cfg)
	es := openEntries(100, "big")
	for i := range es {
		es[i].Data = make([]byte, 1000)
	}
	put(t, j, es...)
	ctx := context.Background()
	if s, err := openSnapshot(ctx, cfg, testLogger(), 50_000); !errors.Is(err, ErrTooLarge) {
		if s != nil {
			s.Close()
		}
		t.Errorf("snapshot of ~100 KB within 50 KB = %v, want ErrTooLarge", err)
	}
	s, err := openSnapshot(ctx, cfg, testLogger(), 1<<20)
	if err != nil {
		t.Fatalf("snapshot within 1 MiB: %v", err)
	}
	defer s.Close()
	if got := scanAll(t, s, journal.Open, 0); len(got) != len(es) {
		t.Errorf("Scan(Open) = %d entries, want %d", len(got), len(es))
	}
}

// TestSnapshotFetchFaults: fetch errors that may pass are retried; one
// that does not fails the snapshot, naming the partition.
func TestSnapshotFetchFaults(t *testing.T) {
	leakcheck.Check(t)
	c := newCluster(t)
	cfg := testConfig(c)
	cfg.WriteTimeout = time.Second
	j := openTest(t, cfg)
	put(t, j, openEntries(20, "ff")...)
	j.Close()
	ctx := context.Background()

	h := c.Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.Fetch}, Topic: cfg.journalTopic(), Err: kerr.NotLeaderForPartition, Count: 3})
	s, err := OpenSnapshot(ctx, cfg, testLogger())
	if err != nil {
		t.Fatalf("OpenSnapshot with %d retriable fetch faults: %v", 3, err)
	}
	if got := scanAll(t, s, journal.Open, 0); len(got) != 20 {
		t.Errorf("Scan(Open) = %d entries, want 20", len(got))
	}
	s.Close()
	if h.Hits() != 3 {
		t.Errorf("%d fetches faulted, want 3", h.Hits())
	}

	h = c.Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.Fetch}, Topic: cfg.journalTopic(), Err: kerr.TopicAuthorizationFailed, Count: -1})
	defer h.Remove()
	s, err = OpenSnapshot(ctx, cfg, testLogger())
	if err == nil {
		s.Close()
		t.Fatal("OpenSnapshot with fetches refused succeeded")
	}
	if !errors.Is(err, kafkago.TopicAuthorizationFailed) || !strings.Contains(err.Error(), cfg.journalTopic()+"[") {
		t.Errorf("OpenSnapshot with fetches refused = %v, want the refusal naming the partition", err)
	}
}

// TestSnapshotInvalidConfig: a config that does not validate is refused
// before any connection.
func TestSnapshotInvalidConfig(t *testing.T) {
	if _, err := OpenSnapshot(context.Background(), Config{}, nil); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("OpenSnapshot(empty config) = %v, want ErrInvalidConfig", err)
	}
}

// BenchmarkSnapshot measures OpenSnapshot of a journal of 10,000 entries
// of ~300 bytes with two refs each, in 100-entry records spread over the
// 12 partitions of a three-broker kfake cluster on loopback.
func BenchmarkSnapshot(b *testing.B) {
	c := newCluster(b)
	cfg := testConfig(c)
	j := openTest(b, cfg)
	const entries, perPut = 10_000, 100
	for n := 0; n < entries; n += perPut {
		es := make([]journal.Entry, perPut)
		for i := range es {
			es[i] = journal.Entry{State: journal.Open, Kind: 1, Data: make([]byte, 300),
				Refs: []string{fmt.Sprintf("msg-%08d", n+i), fmt.Sprintf("smsc-%08d", n+i)}}
		}
		put(b, j, es...)
	}
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		s, err := OpenSnapshot(context.Background(), cfg, nil)
		if err != nil {
			b.Fatal(err)
		}
		s.Close()
	}
	b.ReportMetric(float64(entries*b.N)/time.Since(start).Seconds(), "entries/s")
}
