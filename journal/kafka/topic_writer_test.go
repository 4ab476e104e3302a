package kafka

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/iwf-gateway/iwf/internal/leakcheck"
	"github.com/iwf-gateway/iwf/journal"
)

// openTopicWriter opens a TopicWriter on j and closes it at the end of
// the test.
func openTopicWriter(t testing.TB, j *Journal, suffix string) *TopicWriter {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	w, err := j.TopicWriter(ctx, suffix)
	if err != nil {
		t.Fatalf("TopicWriter(%q): %v", suffix, err)
	}
	t.Cleanup(func() { w.Close() })
	return w
}

// keyedRecords makes n records over keys keys: the i-th record of key k
// has the value "k/i", so a reader can check each key's order.
func keyedRecords(n, keys int) []TopicRecord {
	recs := make([]TopicRecord, n)
	next := make([]int, keys)
	for i := range recs {
		k := i % keys
		recs[i] = TopicRecord{Key: fmt.Appendf(nil, "msg-%d", k), Value: fmt.Appendf(nil, "msg-%d/%d", k, next[k])}
		next[k]++
	}
	return recs
}

// consumed is a record read back from the topic.
type consumed struct {
	key, value string
	partition  int32
}

// readTopic reads n records of topic from the start with a franz-go
// client, an implementation independent of the writer's.
func readTopic(t *testing.T, c *kfake.Cluster, topic string, n int) []consumed {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...), kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var got []consumed
	for len(got) < n {
		fetches := cl.PollFetches(ctx)
		if err := fetches.Err0(); err != nil {
			t.Fatalf("reading %s after %d records: %v", topic, len(got), err)
		}
		fetches.EachRecord(func(r *kgo.Record) {
			got = append(got, consumed{key: string(r.Key), value: string(r.Value), partition: r.Partition})
		})
	}
	return got
}

// checkKeyOrder asserts every key's records are in one partition, the
// one Kafka's Java partitioner (murmur2, as franz-go implements it) picks,
// and in the order written.
func checkKeyOrder(t *testing.T, got []consumed, partitions int) {
	t.Helper()
	java := kgo.StickyKeyPartitioner(nil).ForTopic("")
	next := map[string]int{}
	for _, r := range got {
		want := java.Partition(&kgo.Record{Key: []byte(r.key)}, partitions)
		if int(r.partition) != want {
			t.Errorf("key %s in partition %d, the Java partitioner picks %d", r.key, r.partition, want)
		}
		if w := fmt.Sprintf("%s/%d", r.key, next[r.key]); r.value != w {
			t.Errorf("key %s: read %s, want %s", r.key, r.value, w)
		}
		next[r.key]++
	}
}

// TestTopicWriterCreatesTopicAndKeepsKeyOrder: the topic is created with
// the configured partitions, replication and retention; records written
// in several batches are read back, each key in its partition and order.
// A second writer on different settings keeps the topic as it is.
func TestTopicWriterCreatesTopicAndKeepsKeyOrder(t *testing.T) {
	leakcheck.Check(t)
	c := newCluster(t)
	cfg := testConfig(c)
	cfg.Partitions, cfg.Replication, cfg.TopicRetention = 5, 2, 48*time.Hour
	j := openTest(t, cfg)
	w := openTopicWriter(t, j, "charging")
	topic := cfg.TopicPrefix + ".charging"
	if w.Topic() != topic || w.Partitions() != 5 {
		t.Fatalf("writer on %s with %d partitions, want %s with 5", w.Topic(), w.Partitions(), topic)
	}
	if n := len(c.PartitionInfos(topic)); n != 5 {
		t.Errorf("%s has %d partitions, want 5", topic, n)
	}
	info := c.TopicInfo(topic)
	if info == nil || info.NumReplicas != 2 {
		t.Fatalf("topic info %+v, want 2 replicas", info)
	}
	for k, v := range map[string]string{"cleanup.policy": "delete", "retention.ms": "172800000", "min.insync.replicas": "2"} {
		if got := info.Configs[k]; got == nil || *got != v {
			t.Errorf("config %s = %v, want %s", k, got, v)
		}
	}

	recs := keyedRecords(300, 23)
	for i := 0; i < len(recs); i += 40 {
		if err := w.Write(context.Background(), recs[i:min(i+40, len(recs))]); err != nil {
			t.Fatalf("Write: %v", err)
		}
	}
	checkKeyOrder(t, readTopic(t, c, topic, len(recs)), 5)

	cfg2 := cfg
	cfg2.Partitions, cfg2.Group = 9, cfg.Group+"-b"
	w2 := openTopicWriter(t, openTest(t, cfg2), "charging")
	if w2.Partitions() != 5 {
		t.Errorf("second writer sees %d partitions, want the existing 5", w2.Partitions())
	}
}

// TestTopicWriterRetriesRetriable: produce errors Kafka calls retriable
// are retried within the Write's context, and each record lands once; a
// refusal that is not retriable is returned.
func TestTopicWriterRetriesRetriable(t *testing.T) {
	leakcheck.Check(t)
	c := newCluster(t)
	cfg := testConfig(c)
	cfg.Partitions = 3
	w := openTopicWriter(t, openTest(t, cfg), "charging")
	h := c.Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.Produce}, Topic: w.Topic(), Err: kerr.NotEnoughReplicas, Count: 4})
	recs := keyedRecords(30, 7)
	if err := w.Write(context.Background(), recs); err != nil {
		t.Fatalf("Write through 4 retriable refusals: %v", err)
	}
	if hits := h.Hits(); hits != 4 {
		t.Errorf("%d produce requests refused, want 4", hits)
	}
	h.Remove()

	h = c.Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.Produce}, Topic: w.Topic(), Err: kerr.PolicyViolation, Count: -1})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	err := w.Write(ctx, keyedRecords(3, 1))
	timedOut := ctx.Err() != nil
	cancel()
	h.Remove()
	if err == nil || timedOut || !strings.Contains(err.Error(), w.Topic()) {
		t.Errorf("Write refused by policy = %v, want an error naming the topic before the deadline", err)
	}
	total := 0
	for _, p := range c.PartitionInfos(w.Topic()) {
		total += int(p.HighWatermark)
	}
	if total != len(recs) {
		t.Errorf("topic holds %d records, want %d", total, len(recs))
	}
}

// TestTopicWriterRejects: bad suffixes, a record beyond max_record_bytes
// and Writes after Close are refused.
func TestTopicWriterRejects(t *testing.T) {
	leakcheck.Check(t)
	c := newCluster(t)
	cfg := testConfig(c)
	cfg.Partitions = 2
	j := openTest(t, cfg)
	for _, suffix := range []string{"", "journal", "refs", "a/b", "ü", strings.Repeat("x", 250)} {
		if _, err := j.TopicWriter(context.Background(), suffix); !errors.Is(err, ErrInvalidTopic) {
			t.Errorf("TopicWriter(%q) = %v, want ErrInvalidTopic", suffix, err)
		}
	}
	w := openTopicWriter(t, j, "charging")
	big := TopicRecord{Key: []byte("k"), Value: make([]byte, DefaultMaxRecordBytes)}
	if err := w.Write(context.Background(), []TopicRecord{{Key: []byte("ok")}, big}); !errors.Is(err, ErrTooLarge) {
		t.Errorf("Write of a %d-byte record = %v, want ErrTooLarge", len(big.Value), err)
	}
	if n := c.PartitionInfo(w.Topic(), 0).HighWatermark + c.PartitionInfo(w.Topic(), 1).HighWatermark; n != 0 {
		t.Errorf("refused Write left %d records", n)
	}
	w.Close()
	if err := w.Write(context.Background(), keyedRecords(1, 1)); !errors.Is(err, journal.ErrClosed) {
		t.Errorf("Write after Close = %v, want journal.ErrClosed", err)
	}
	if err := w.Close(); err != nil {
		t.Errorf("second Close = %v", err)
	}
}

// TestTopicWriterTLSAndSASL: the writer uses the journal's TLS and SASL
// settings.
func TestTopicWriterTLSAndSASL(t *testing.T) {
	leakcheck.Check(t)
	cert, caFile := testCA(t)
	c := newCluster(t,
		kfake.TLS(&tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}),
		kfake.EnableSASL(), kfake.Superuser("PLAIN", "iwf", "s3cret"))
	cfg := testConfig(c)
	cfg.Partitions = 2
	cfg.TLS = TLSConfig{Enabled: true, CAFile: caFile}
	cfg.SASL = SASLConfig{Mechanism: "PLAIN", Username: "iwf", Password: "s3cret"}
	w := openTopicWriter(t, openTest(t, cfg), "charging")
	if err := w.Write(context.Background(), keyedRecords(10, 3)); err != nil {
		t.Fatalf("Write over TLS: %v", err)
	}
	n := 0
	for _, p := range c.PartitionInfos(w.Topic()) {
		n += int(p.HighWatermark)
	}
	if n != 10 {
		t.Errorf("topic holds %d records, want 10", n)
	}
}

// BenchmarkTopicWrite measures Writes of 500 charging-sized records
// (about 400 bytes, 500 keys) to a 12-partition topic on a three-broker
// kfake cluster.
func BenchmarkTopicWrite(b *testing.B) {
	c := newCluster(b)
	cfg := testConfig(c)
	w := openTopicWriter(b, openTest(b, cfg), "charging")
	recs := make([]TopicRecord, 500)
	for i := range recs {
		recs[i] = TopicRecord{Key: []byte("msg-" + strconv.Itoa(i)), Value: make([]byte, 400)}
	}
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		if err := w.Write(context.Background(), recs); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*len(recs))/time.Since(start).Seconds(), "records/s")
}
