package kafka

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync/atomic"
	"testing"
	"time"

	kafkago "github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/iwf-gateway/iwf/internal/leakcheck"
	"github.com/iwf-gateway/iwf/journal"
	"github.com/iwf-gateway/iwf/journal/journaltest"
)

// newCluster starts a fake Kafka cluster of three brokers for the test;
// kfake listens on 127.0.0.1 only.
func newCluster(t testing.TB, opts ...kfake.Opt) *kfake.Cluster {
	t.Helper()
	opts = append([]kfake.Opt{kfake.NumBrokers(3), kfake.GroupMinSessionTimeout(100 * time.Millisecond)}, opts...)
	c, err := kfake.NewCluster(opts...)
	if err != nil {
		t.Fatalf("kfake: %v", err)
	}
	t.Cleanup(c.Close)
	return c
}

var prefixes atomic.Int64

// testConfig is a journal on c under a topic prefix of its own, with
// short intervals so tests do not wait on defaults.
func testConfig(c *kfake.Cluster) Config {
	prefix := fmt.Sprintf("t%d", prefixes.Add(1))
	return Config{
		Brokers: c.ListenAddrs(), TopicPrefix: prefix, Group: prefix,
		Partitions: 12, Replication: 3,
		WriteTimeout:      5 * time.Second,
		SessionTimeout:    3 * time.Second,
		HeartbeatInterval: 100 * time.Millisecond,
		FetchMaxWait:      100 * time.Millisecond,
		CommitInterval:    100 * time.Millisecond,
	}
}

// testLogger logs to stderr when IWF_TEST_LOG is set (to "debug" for
// kafka-go's own lines too), and nowhere otherwise.
func testLogger() *slog.Logger {
	switch os.Getenv("IWF_TEST_LOG") {
	case "":
		return nil
	case "debug":
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(os.Stderr, nil))
}

// openTest opens a journal with cfg and closes it at the end of the test.
func openTest(t testing.TB, cfg Config) *Journal {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	j, err := Open(ctx, cfg, testLogger())
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { j.Close() })
	return j
}

func TestConformance(t *testing.T) {
	c := newCluster(t)
	journaltest.Run(t, func(t *testing.T) func() journal.Journal {
		leakcheck.Check(t)
		cfg := testConfig(c)
		return func() journal.Journal {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			j, err := Open(ctx, cfg, testLogger())
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			return j
		}
	})
}

// put writes entries with a background context and fails the test on error.
func put(t testing.TB, j *Journal, es ...journal.Entry) []journal.Entry {
	t.Helper()
	if err := j.Put(context.Background(), es); err != nil {
		t.Fatalf("Put: %v", err)
	}
	return es
}

// scanAll returns the Seqs Scan gives for state after after.
func scanAll(t testing.TB, j journal.Journal, state journal.State, after uint64) []uint64 {
	t.Helper()
	var seqs []uint64
	err := j.Scan(context.Background(), state, after, func(e journal.Entry) error {
		seqs = append(seqs, e.Seq)
		return nil
	})
	if err != nil {
		t.Fatalf("Scan(%v): %v", state, err)
	}
	return seqs
}

// openEntries makes n Open entries, each with a ref of its own.
func openEntries(n int, tag string) []journal.Entry {
	es := make([]journal.Entry, n)
	for i := range es {
		es[i] = journal.Entry{State: journal.Open, Kind: 3, Data: []byte(fmt.Sprintf("%s-%d", tag, i)),
			Refs: []string{fmt.Sprintf("%s-ref-%d", tag, i)}}
	}
	return es
}

// TestTopicsCreated: Open creates both topics with the configured counts
// and policies, as a client describing them sees; a second Open with other
// counts keeps them.
func TestTopicsCreated(t *testing.T) {
	leakcheck.Check(t)
	c := newCluster(t)
	cfg := testConfig(c)
	cfg.Partitions, cfg.Replication = 5, 2
	j := openTest(t, cfg)
	want := map[string]map[string]string{
		cfg.TopicPrefix + ".journal": {"cleanup.policy": "delete", "retention.ms": "604800000", "min.insync.replicas": "2", "max.message.bytes": "2098176"},
		cfg.TopicPrefix + ".refs":    {"cleanup.policy": "compact", "min.insync.replicas": "2"},
	}
	for topic, configs := range want {
		if n := describePartitions(t, j, topic); n != 5 {
			t.Errorf("%s has %d partitions, want 5", topic, n)
		}
		info := c.TopicInfo(topic)
		if info == nil || info.NumReplicas != 2 {
			t.Fatalf("%s: topic info %+v, want 2 replicas", topic, info)
		}
		for k, v := range configs {
			if got := info.Configs[k]; got == nil || *got != v {
				t.Errorf("%s: config %s = %v, want %s", topic, k, got, v)
			}
		}
	}
	if s := j.Stats(); s.Partitions != 5 {
		t.Errorf("instance owns %d partitions, want all 5", s.Partitions)
	}
	j.Close()
	cfg.Partitions = 12
	j = openTest(t, cfg)
	if n := describePartitions(t, j, cfg.TopicPrefix+".journal"); n != 5 {
		t.Errorf("reopen with partitions 12 changed the topic to %d partitions", n)
	}
}

// describePartitions asks the brokers how many partitions topic has.
func describePartitions(t *testing.T, j *Journal, topic string) int {
	t.Helper()
	res, err := j.client.Metadata(context.Background(), &kafkago.MetadataRequest{Topics: []string{topic}})
	if err != nil || len(res.Topics) != 1 || res.Topics[0].Error != nil {
		t.Fatalf("describe %s: %v %+v", topic, err, res)
	}
	return len(res.Topics[0].Partitions)
}

// TestReopenSeesEntriesAndRefs: a second Open of the same topics (a new
// instance after the first closed) rebuilds every entry and ref.
func TestReopenSeesEntriesAndRefs(t *testing.T) {
	leakcheck.Check(t)
	c := newCluster(t)
	cfg := testConfig(c)
	j := openTest(t, cfg)
	es := put(t, j, openEntries(40, "re")...)
	es[3].State, es[3].Refs = journal.Done, []string{"smsc-3"}
	put(t, j, es[3])
	es[3].Refs = []string{"smsc-3", "re-ref-3"}
	dead := put(t, j, journal.Entry{State: journal.Dead, Data: []byte("dl"), Refs: []string{"dead-ref"}})[0]
	j.Close()

	j2 := openTest(t, cfg)
	for _, e := range append(es, dead) {
		got, err := j2.Get(context.Background(), e.Seq)
		if err != nil {
			t.Fatalf("Get(%d) after reopen: %v", e.Seq, err)
		}
		if got.State != e.State || string(got.Data) != string(e.Data) || !got.Time.Equal(e.Time) || fmt.Sprint(got.Refs) != fmt.Sprint(e.Refs) {
			t.Errorf("Get(%d) after reopen = %+v, want %+v", e.Seq, got, e)
		}
		for _, ref := range e.Refs {
			if seq, err := j2.Lookup(context.Background(), ref); err != nil || seq != e.Seq {
				t.Errorf("Lookup(%q) after reopen = %d, %v; want %d", ref, seq, err, e.Seq)
			}
		}
	}
	if got := scanAll(t, j2, journal.Open, 0); len(got) != 39 {
		t.Errorf("Scan(Open) after reopen = %d entries, want 39", len(got))
	}
	if next := put(t, j2, journal.Entry{State: journal.Open})[0]; next.Seq <= dead.Seq {
		t.Errorf("Seq after reopen %d not above %d", next.Seq, dead.Seq)
	}
}

// TestPutNotAcknowledged: a Put the cluster refuses, or cannot answer
// because it is gone, returns ErrUnavailable and nothing of it becomes
// visible, then or after a reopen.
func TestPutNotAcknowledged(t *testing.T) {
	leakcheck.Check(t)
	c := newCluster(t)
	cfg := testConfig(c)
	cfg.WriteTimeout = 500 * time.Millisecond
	j := openTest(t, cfg)
	kept := put(t, j, journal.Entry{State: journal.Open, Refs: []string{"kept"}})[0]

	for _, fault := range []*kerr.Error{kerr.NotEnoughReplicas, kerr.MessageTooLarge, kerr.PolicyViolation} {
		h := c.Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.Produce}, Topic: cfg.TopicPrefix + ".journal", Err: fault, Count: -1})
		err := j.Put(context.Background(), []journal.Entry{{State: journal.Open, Refs: []string{"refused"}}})
		h.Remove()
		if !errors.Is(err, ErrUnavailable) {
			t.Errorf("Put refused with %v = %v, want ErrUnavailable", fault, err)
		}
		checkOnly(t, j, kept.Seq, "refused")
	}
	j.Close()
	j = openTest(t, cfg)
	checkOnly(t, j, kept.Seq, "refused")

	c.Close()
	err := j.Put(context.Background(), []journal.Entry{{State: journal.Open, Refs: []string{"lost"}}})
	if !errors.Is(err, ErrUnavailable) {
		t.Errorf("Put with the cluster closed = %v, want ErrUnavailable", err)
	}
	checkOnly(t, j, kept.Seq, "lost")
}

// checkOnly asserts the journal holds the one Open entry seq and that ref
// is unbound.
func checkOnly(t *testing.T, j *Journal, seq uint64, ref string) {
	t.Helper()
	if got := scanAll(t, j, journal.Open, 0); len(got) != 1 || got[0] != seq {
		t.Errorf("Scan(Open) = %v, want only %d", got, seq)
	}
	if _, err := j.Lookup(context.Background(), ref); !errors.Is(err, journal.ErrNotFound) {
		t.Errorf("Lookup(%q) = %v, want ErrNotFound", ref, err)
	}
}
