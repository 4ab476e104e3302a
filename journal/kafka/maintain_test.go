package kafka

import (
	"context"
	"errors"
	"testing"
	"time"

	kafkago "github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/iwf-gateway/iwf/internal/leakcheck"
	"github.com/iwf-gateway/iwf/journal"
)

// TestRewriteLetsRetentionDelete: once every kept entry is rewritten and
// the offsets committed, the records before the committed offsets can go
// (as retention would delete them) and a new instance still rebuilds
// every entry and ref.
func TestRewriteLetsRetentionDelete(t *testing.T) {
	leakcheck.Check(t)
	c := newCluster(t)
	cfg := testConfig(c)
	cfg.CommitInterval = time.Hour // only the commit when the generation ends
	j := openTest(t, cfg)
	es := openEntries(30, "rw")
	for i := range es {
		put(t, j, es[i:i+1]...) // one record each, spread over the partitions by ref
	}
	es[0].State = journal.Dead
	put(t, j, es[0])
	es[1].Refs = []string{"smsc-1"}
	put(t, j, es[1])
	es[1].Refs = []string{"smsc-1", "rw-ref-1"}
	n, err := j.rewrite(time.Now().Add(cfg.WithDefaults().RewriteAfter + time.Minute))
	if err != nil || n != len(es) {
		t.Fatalf("rewrite = %d, %v; want %d entries", n, err, len(es))
	}
	if s := j.Stats(); s.Rewritten != uint64(len(es)) {
		t.Errorf("Stats.Rewritten = %d, want %d", s.Rewritten, len(es))
	}
	j.Close()

	committed, err := adminClient(t, c).ConsumerOffsets(context.Background(), kafkago.TopicAndGroup{Topic: cfg.TopicPrefix + ".journal", GroupId: cfg.Group})
	if err != nil {
		t.Fatal(err)
	}
	deleted := int64(0)
	for p, off := range committed {
		if off > 0 {
			if err := c.DeleteRecords(cfg.TopicPrefix+".journal", int32(p), off); err != nil {
				t.Fatalf("DeleteRecords(%d, %d): %v", p, off, err)
			}
			deleted += off
		}
	}
	if want := int64(len(es) + 2); deleted != want {
		t.Fatalf("committed offsets %v let %d records go, want the %d written before the rewrite", committed, deleted, want)
	}
	j2 := openTest(t, cfg)
	for _, e := range es {
		got, err := j2.Get(context.Background(), e.Seq)
		if err != nil || got.State != e.State || string(got.Data) != string(e.Data) || !got.Time.Equal(e.Time) || len(got.Refs) != len(e.Refs) {
			t.Fatalf("Get(%d) after retention = %+v, %v; want %+v", e.Seq, got, err, e)
		}
	}
	if seq, err := j2.Lookup(context.Background(), "smsc-1"); err != nil || seq != es[1].Seq {
		t.Errorf("Lookup(smsc-1) after retention = %d, %v", seq, err)
	}
}

// TestPurge: Done entries past retention go with their refs, also for a
// new instance that rebuilds them from a record it still needs for
// another entry, while a ref another entry took stays with it.
func TestPurge(t *testing.T) {
	leakcheck.Check(t)
	c := newCluster(t)
	cfg := testConfig(c)
	cfg.Retention = time.Millisecond
	j := openTest(t, cfg)
	ctx := context.Background()
	es := put(t, j, journal.Entry{State: journal.Done, Refs: []string{"gone", "taken"}},
		journal.Entry{State: journal.Open, Refs: []string{"stay", "taken"}})
	gone, stay := es[0], es[1]
	if n := j.purge(time.Now().Add(time.Hour), nil); n != 1 {
		t.Errorf("purge removed %d entries, want 1", n)
	}
	check := func(j *Journal) {
		t.Helper()
		if _, err := j.Get(ctx, gone.Seq); !errors.Is(err, journal.ErrNotFound) {
			t.Errorf("Get(purged) = %v, want ErrNotFound", err)
		}
		if _, err := j.Lookup(ctx, "gone"); !errors.Is(err, journal.ErrNotFound) {
			t.Errorf("Lookup(ref of purged) = %v, want ErrNotFound", err)
		}
		for _, ref := range []string{"stay", "taken"} {
			if seq, err := j.Lookup(ctx, ref); err != nil || seq != stay.Seq {
				t.Errorf("Lookup(%s) = %d, %v; want %d", ref, seq, err, stay.Seq)
			}
		}
	}
	check(j)
	j.Close()
	j = openTest(t, cfg)
	check(j)
	if s := j.Stats(); s.Purged != 1 || s.Done != 0 || s.Open != 1 {
		t.Errorf("after reopen Stats = %+v, want the Done entry rebuilt and purged again", s)
	}
}

// adminClient is a kafka-go client of c for the test.
func adminClient(t *testing.T, c *kfake.Cluster) *kafkago.Client {
	tr := &kafkago.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	return &kafkago.Client{Addr: kafkago.TCP(c.ListenAddrs()...), Transport: tr, Timeout: 10 * time.Second}
}

// refsTopic reads the refs topic of j to its end with a client of its
// own and returns the last value of each ref (nil for a tombstone).
func refsTopic(t *testing.T, j *Journal) map[string][]byte {
	t.Helper()
	parts := make([]int, j.refsParts)
	reqs := make([]kafkago.OffsetRequest, 0, 2*len(parts))
	for i := range parts {
		parts[i] = i
		reqs = append(reqs, kafkago.FirstOffsetOf(i), kafkago.LastOffsetOf(i))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	client := &kafkago.Client{Addr: kafkago.TCP(j.cfg.Brokers...), Transport: &kafkago.Transport{}}
	defer client.Transport.(*kafkago.Transport).CloseIdleConnections()
	res, err := client.ListOffsets(ctx, &kafkago.ListOffsetsRequest{Topics: map[string][]kafkago.OffsetRequest{j.cfg.refsTopic(): reqs}})
	if err != nil {
		t.Fatal(err)
	}
	ranges := make(map[int]offsetRange)
	for _, po := range res.Topics[j.cfg.refsTopic()] {
		if po.Error != nil {
			t.Fatal(po.Error)
		}
		ranges[po.Partition] = offsetRange{first: po.FirstOffset, end: po.LastOffset}
	}
	last := make(map[string][]byte)
	for _, p := range parts {
		if ranges[p].first >= ranges[p].end {
			continue
		}
		rd := kafkago.NewReader(j.readerConfig(j.cfg.refsTopic(), p, 0))
		rd.SetOffset(ranges[p].first)
		for {
			msg, err := rd.FetchMessage(ctx)
			if err != nil {
				t.Fatalf("reading refs partition %d: %v", p, err)
			}
			last[string(msg.Key)] = msg.Value
			if msg.Offset+1 >= ranges[p].end {
				break
			}
		}
		rd.Close()
	}
	return last
}

// produceRef writes one record to the refs topic as another instance
// would.
func produceRef(t *testing.T, j *Journal, ref string, value []byte) {
	t.Helper()
	part := kafkago.Murmur2Balancer{}.Balance(kafkago.Message{Key: []byte(ref)}, j.refs.parts...)
	if _, err := j.produce(context.Background(), j.cfg.refsTopic(), part, []message{{key: []byte(ref), value: value}}); err != nil {
		t.Fatal(err)
	}
}

// TestRefsTopicRepaired: when an earlier binding or a tombstone reaches
// the refs topic after the binding of an entry this instance holds, the
// instance keeps its binding and writes it again, so the compacted topic
// ends with it; a later binding from elsewhere wins.
func TestRefsTopicRepaired(t *testing.T) {
	leakcheck.Check(t)
	c := newCluster(t)
	j := openTest(t, testConfig(c))
	ctx := context.Background()
	e := put(t, j, journal.Entry{State: journal.Open, Refs: []string{"r1"}})[0]
	ours := appendBinding(nil, binding{seq: e.Seq, stamp: tickOf(e.Seq)})
	if got := refsTopic(t, j)["r1"]; string(got) != string(ours) {
		t.Fatalf("refs topic holds % x for r1, want % x", got, ours)
	}
	for _, stale := range [][]byte{appendBinding(nil, binding{seq: seqOf(1, 3), stamp: 1}), nil} {
		produceRef(t, j, "r1", stale)
		waitFor(t, "the binding to be written again", func() bool { return string(refsTopic(t, j)["r1"]) == string(ours) })
		if seq, err := j.Lookup(ctx, "r1"); err != nil || seq != e.Seq {
			t.Errorf("Lookup(r1) after a stale record = %d, %v; want %d", seq, err, e.Seq)
		}
	}
	later := binding{seq: seqOf(tickOf(e.Seq)+5, 3), stamp: tickOf(e.Seq) + 5}
	produceRef(t, j, "r1", appendBinding(nil, later))
	waitFor(t, "the later binding to win", func() bool {
		seq, err := j.Lookup(ctx, "r1")
		return err == nil && seq == later.seq
	})
}

// TestLostBindingsPublishedByNextOwner: bindings whose refs record never
// made it (the refs topic refused them until the writer closed) are
// published by the next instance that rebuilds the entries.
func TestLostBindingsPublishedByNextOwner(t *testing.T) {
	leakcheck.Check(t)
	c := newCluster(t)
	cfg := testConfig(c)
	cfg.WriteTimeout = 300 * time.Millisecond
	j := openTest(t, cfg)
	h := c.Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.Produce}, Topic: cfg.TopicPrefix + ".refs", Err: kerr.PolicyViolation, Count: -1})
	e := put(t, j, journal.Entry{State: journal.Open, Refs: []string{"lost-binding"}})[0]
	if seq, err := j.Lookup(context.Background(), "lost-binding"); err != nil || seq != e.Seq {
		t.Errorf("Lookup on the writer = %d, %v; want %d (its own binding)", seq, err, e.Seq)
	}
	waitFor(t, "the binding to be set aside for retry", func() bool { return j.Stats().RefsPending == 1 })
	j.Close()
	h.Remove()
	if _, ok := refsTopic(t, j)["lost-binding"]; ok {
		t.Fatal("the refs topic got the binding despite the fault")
	}
	j2 := openTest(t, cfg)
	if seq, err := j2.Lookup(context.Background(), "lost-binding"); err != nil || seq != e.Seq {
		t.Errorf("Lookup on the next owner = %d, %v; want %d", seq, err, e.Seq)
	}
	waitFor(t, "the next owner to publish the binding", func() bool { return refsTopic(t, j2)["lost-binding"] != nil })
}
