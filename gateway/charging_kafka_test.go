package gateway

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/iwf-gateway/iwf/internal/leakcheck"
	"github.com/iwf-gateway/iwf/journal/kafka"
)

var errTopicDown = errors.New("topic down")

// fakeRecordWriter is a RecordWriter that keeps what it was given, fails
// while down or for the next failures, and reports each batch written.
type fakeRecordWriter struct {
	mu       sync.Mutex
	batches  [][]Record
	down     bool
	failNext int
	attempts int
	closed   int
	written  chan int // size of each batch written
}

func newFakeRecordWriter() *fakeRecordWriter {
	return &fakeRecordWriter{written: make(chan int, 1024)}
}

func (f *fakeRecordWriter) Write(ctx context.Context, recs []Record) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.attempts++
	if f.down {
		return errTopicDown
	}
	if f.failNext > 0 {
		f.failNext--
		return errTopicDown
	}
	f.batches = append(f.batches, append([]Record(nil), recs...))
	f.written <- len(recs)
	return nil
}

func (f *fakeRecordWriter) Close() error { f.mu.Lock(); f.closed++; f.mu.Unlock(); return nil }

func (f *fakeRecordWriter) setDown(down bool) { f.mu.Lock(); f.down = down; f.mu.Unlock() }

// values returns every record value written, in order, and the batch
// sizes.
func (f *fakeRecordWriter) values() (vals []string, sizes []int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, b := range f.batches {
		sizes = append(sizes, len(b))
		for _, r := range b {
			vals = append(vals, string(r.Value))
		}
	}
	return vals, sizes
}

// spillSink is a ChargingSink that keeps the Seqs it was given.
type spillSink struct {
	mu   sync.Mutex
	seqs []uint64
}

func (s *spillSink) Charge(e Event) { s.mu.Lock(); s.seqs = append(s.seqs, e.Seq); s.mu.Unlock() }

func (s *spillSink) got() []uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]uint64(nil), s.seqs...)
}

// logCounter counts log lines whose message contains a string.
type logCounter struct {
	mu    sync.Mutex
	lines []string
}

func (l *logCounter) Enabled(context.Context, slog.Level) bool { return true }
func (l *logCounter) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	l.lines = append(l.lines, r.Message)
	l.mu.Unlock()
	return nil
}
func (l *logCounter) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *logCounter) WithGroup(string) slog.Handler      { return l }

func (l *logCounter) count(sub string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, m := range l.lines {
		if strings.Contains(m, sub) {
			n++
		}
	}
	return n
}

// chargeEvent is the delivered event of message m<seq>.
func chargeEvent(seq int) Event {
	return Event{Time: time.Date(2026, 11, 27, 10, 0, 0, seq, time.UTC), Type: EventDelivered, Kind: "message",
		Network: NetworkSMS, Direction: ToLegacy, Route: "smsc1", ID: fmt.Sprintf("m%d", seq), Seq: uint64(seq),
		From: "sip:+447700900999@ims.example.net", To: "tel:+447700900123", Parts: 1, Bytes: 14, Segments: 1}
}

// wantValue is the record ChargingFiles writes for chargeEvent(seq),
// without its newline.
func wantValue(t *testing.T, seq int) string {
	t.Helper()
	dir := t.TempDir()
	f, err := OpenChargingFiles(ChargingConfig{Dir: dir}, nil)
	if err != nil {
		t.Fatal(err)
	}
	f.Charge(chargeEvent(seq))
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.jsonl"))
	b, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	return string(bytes.TrimSuffix(b, []byte("\n")))
}

func newTestChargingKafka(t *testing.T, cfg ChargingKafkaConfig, w RecordWriter, spill ChargingSink, log *slog.Logger) *ChargingKafka {
	t.Helper()
	c, err := NewChargingKafka(cfg, w, spill, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return c
}

// waitFor polls cond; the test's own timeout bounds it.
func waitFor(cond func() bool) {
	for !cond() {
		time.Sleep(time.Millisecond)
	}
}

func closeCharging(t *testing.T, c *ChargingKafka) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
}

// TestChargingKafkaRecordFormat: the value is the line ChargingFiles
// writes, the key the message id (the Seq when there is none).
func TestChargingKafkaRecordFormat(t *testing.T) {
	leakcheck.Check(t)
	w := newFakeRecordWriter()
	c := newTestChargingKafka(t, ChargingKafkaConfig{Batch: 2, Linger: time.Hour}, w, nil, nil)
	noID := chargeEvent(8)
	noID.ID = ""
	c.Charge(chargeEvent(7))
	c.Charge(noID)
	<-w.written
	w.mu.Lock()
	recs := w.batches[0]
	w.mu.Unlock()
	if string(recs[0].Key) != "m7" || string(recs[1].Key) != "seq-8" {
		t.Errorf("keys %q, %q; want m7, seq-8", recs[0].Key, recs[1].Key)
	}
	if got, want := string(recs[0].Value), wantValue(t, 7); got != want {
		t.Errorf("value\n%s\nwant the charging files' line\n%s", got, want)
	}
	closeCharging(t, c)
}

// TestChargingKafkaBatches: records go in batches of Batch, in the order
// charged; what is left when Linger has not passed is written by Close;
// a lone record is written once Linger passes.
func TestChargingKafkaBatches(t *testing.T) {
	leakcheck.Check(t)
	w := newFakeRecordWriter()
	c := newTestChargingKafka(t, ChargingKafkaConfig{Buffer: 100, Batch: 10, Linger: time.Hour}, w, nil, nil)
	for i := range 25 {
		c.Charge(chargeEvent(i))
	}
	if a, b := <-w.written, <-w.written; a != 10 || b != 10 {
		t.Errorf("first batches of %d and %d records, want 10 and 10", a, b)
	}
	closeCharging(t, c)
	vals, sizes := w.values()
	if fmt.Sprint(sizes) != "[10 10 5]" {
		t.Errorf("batch sizes %v, want [10 10 5]", sizes)
	}
	for i, v := range vals {
		if !strings.Contains(v, fmt.Sprintf(`"message_id":"m%d"`, i)) {
			t.Fatalf("record %d is %s", i, v)
		}
	}
	if w.closed != 1 {
		t.Errorf("writer closed %d times, want 1", w.closed)
	}

	w = newFakeRecordWriter()
	c = newTestChargingKafka(t, ChargingKafkaConfig{Linger: time.Millisecond}, w, nil, nil)
	c.Charge(chargeEvent(1))
	if n := <-w.written; n != 1 {
		t.Errorf("batch of %d after linger, want 1", n)
	}
	closeCharging(t, c)
	if s := c.Stats(); s.Written != 1 || s.Lost != 0 {
		t.Errorf("stats %+v", s)
	}
}

// TestChargingKafkaRetries: a failed write is tried again, the same
// batch, until it goes through; nothing is written twice or lost.
func TestChargingKafkaRetries(t *testing.T) {
	leakcheck.Check(t)
	w := newFakeRecordWriter()
	w.failNext = 3
	c := newTestChargingKafka(t, ChargingKafkaConfig{Batch: 5, Linger: time.Hour, Backoff: time.Millisecond, BackoffMax: 2 * time.Millisecond}, w, nil, nil)
	for i := range 5 {
		c.Charge(chargeEvent(i))
	}
	<-w.written
	closeCharging(t, c)
	if s := c.Stats(); s.Retries != 3 || s.Written != 5 {
		t.Errorf("stats %+v, want 3 retries and 5 written", s)
	}
	if vals, sizes := w.values(); len(vals) != 5 || len(sizes) != 1 || w.attempts != 4 {
		t.Errorf("%d records in batches %v after %d attempts; want 5 in one batch after 4", len(vals), sizes, w.attempts)
	}
}

// TestChargingKafkaBackPressure: with the topic down and the buffer full,
// Charge waits (logged once), loses nothing, and returns once the topic
// is back; the records arrive in the order charged.
func TestChargingKafkaBackPressure(t *testing.T) {
	leakcheck.Check(t)
	w := newFakeRecordWriter()
	w.setDown(true)
	logs := &logCounter{}
	c := newTestChargingKafka(t, ChargingKafkaConfig{Buffer: 4, Batch: 2, Linger: time.Millisecond, Backoff: time.Millisecond,
		BackoffMax: time.Millisecond, SpillAfter: -1}, w, &spillSink{}, slog.New(logs))
	// The writer holds one batch of 2; the buffer takes 4 more.
	c.Charge(chargeEvent(0))
	c.Charge(chargeEvent(1))
	waitFor(func() bool { return c.Stats().Retries > 0 })
	for i := 2; i < 6; i++ {
		c.Charge(chargeEvent(i))
	}
	var wg sync.WaitGroup
	for i := 6; i < 9; i++ {
		waitFor(func() bool { return c.Stats().Waiting == i-6 })
		wg.Go(func() { c.Charge(chargeEvent(i)) })
	}
	waitFor(func() bool { return c.Stats().Waiting == 3 })
	if n := logs.count("buffer full"); n != 1 {
		t.Errorf("%d buffer-full log lines for 3 waiting Charges, want 1", n)
	}
	w.setDown(false)
	wg.Wait()
	closeCharging(t, c)
	vals, _ := w.values()
	if len(vals) != 9 {
		t.Fatalf("%d records written, want 9", len(vals))
	}
	for i, v := range vals[:6] {
		if !strings.Contains(v, fmt.Sprintf(`"message_id":"m%d"`, i)) {
			t.Errorf("record %d is %s", i, v)
		}
	}
	if s := c.Stats(); s.Written != 9 || s.Spilled != 0 || s.Lost != 0 || s.Waiting != 0 {
		t.Errorf("stats %+v", s)
	}
}

// TestChargingKafkaSpills: once the topic has been down for SpillAfter,
// records go to the spill sink and Charge no longer waits; when the topic
// is back they go to it again. Every record ends in exactly one place.
func TestChargingKafkaSpills(t *testing.T) {
	leakcheck.Check(t)
	w := newFakeRecordWriter()
	w.setDown(true)
	spill := &spillSink{}
	c := newTestChargingKafka(t, ChargingKafkaConfig{Buffer: 4, Batch: 2, Linger: time.Millisecond, Backoff: time.Millisecond,
		BackoffMax: time.Millisecond, SpillAfter: time.Millisecond}, w, spill, nil)
	for i := range 50 {
		c.Charge(chargeEvent(i))
	}
	waitFor(func() bool { return c.Stats().Spilling })
	w.setDown(false)
	// Records keep coming; one of the batches is the probe that ends
	// spill mode.
	n := 50
	for ; c.Stats().Spilling; n++ {
		c.Charge(chargeEvent(n))
		time.Sleep(time.Millisecond)
	}
	spilled := c.Stats().Spilled
	for range 10 {
		c.Charge(chargeEvent(n))
		n++
	}
	closeCharging(t, c)
	if s := c.Stats(); s.Spilled != spilled {
		t.Errorf("stats %+v: %d records spilled after the topic came back", s, s.Spilled-spilled)
	}
	seen := map[uint64]int{}
	for _, s := range spill.got() {
		seen[s]++
	}
	vals, _ := w.values()
	for _, v := range vals {
		var seq uint64
		fmt.Sscanf(v[strings.Index(v, `"seq":`):], `"seq":%d`, &seq)
		seen[seq]++
	}
	for i := range uint64(n) {
		if seen[i] != 1 {
			t.Errorf("record %d stored %d times", i, seen[i])
		}
	}
	if len(spill.got()) == 0 || c.Stats().Written < 10 {
		t.Errorf("stats %+v: want records both spilled and, after recovery, written", c.Stats())
	}
}

// TestChargingKafkaCloseFlushes: Close writes what is buffered, through
// failures, within its context; past it, records go to the spill sink or
// are reported lost.
func TestChargingKafkaCloseFlushes(t *testing.T) {
	leakcheck.Check(t)
	w := newFakeRecordWriter()
	w.failNext = 2
	c := newTestChargingKafka(t, ChargingKafkaConfig{Linger: time.Hour, Backoff: time.Millisecond}, w, nil, nil)
	for i := range 3 {
		c.Charge(chargeEvent(i))
	}
	closeCharging(t, c)
	if vals, _ := w.values(); len(vals) != 3 {
		t.Errorf("Close wrote %d records, want 3", len(vals))
	}
	if err := c.Close(context.Background()); err != nil {
		t.Errorf("second Close = %v", err)
	}

	w = newFakeRecordWriter()
	w.setDown(true)
	c = newTestChargingKafka(t, ChargingKafkaConfig{Linger: time.Hour, Backoff: time.Millisecond}, w, nil, nil)
	for i := range 5 {
		c.Charge(chargeEvent(i))
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var lost *ChargingLostError
	if err := c.Close(ctx); !errors.As(err, &lost) || lost.Records != 5 || !errors.Is(err, context.Canceled) {
		t.Errorf("Close past its context with the topic down = %v, want 5 records lost", err)
	}
	c.Charge(chargeEvent(9))
	if s := c.Stats(); s.Lost != 6 {
		t.Errorf("stats %+v, want 6 lost (5 at close, 1 charged after)", s)
	}

	spill := &spillSink{}
	w = newFakeRecordWriter()
	w.setDown(true)
	c = newTestChargingKafka(t, ChargingKafkaConfig{Linger: time.Hour, Backoff: time.Millisecond}, w, spill, nil)
	for i := range 5 {
		c.Charge(chargeEvent(i))
	}
	if err := c.Close(ctx); err != nil {
		t.Errorf("Close past its context with a spill sink = %v", err)
	}
	c.Charge(chargeEvent(5))
	if got := spill.got(); fmt.Sprint(got) != "[0 1 2 3 4 5]" {
		t.Errorf("spilled %v, want [0 1 2 3 4 5]", got)
	}
}

func TestChargingKafkaConfigValidate(t *testing.T) {
	for _, bad := range []ChargingKafkaConfig{
		{Buffer: -1}, {Batch: 10, Buffer: 5}, {Linger: -time.Second}, {Backoff: time.Minute}, {WriteTimeout: -1},
	} {
		if err := bad.Validate(); !errors.Is(err, ErrInvalidChargingConfig) {
			t.Errorf("Validate(%+v) = %v", bad, err)
		}
	}
	if d := (ChargingKafkaConfig{Buffer: 100}).WithDefaults(); d.Batch != 100 || d.Linger != DefaultChargingLinger {
		t.Errorf("defaults %+v", d)
	}
}

// topicRecordWriter adapts a Kafka TopicWriter, as cmd/iwf does.
type topicRecordWriter struct{ *kafka.TopicWriter }

func (t topicRecordWriter) Write(ctx context.Context, recs []Record) error {
	trs := make([]kafka.TopicRecord, len(recs))
	for i, r := range recs {
		trs[i] = kafka.TopicRecord(r)
	}
	return t.TopicWriter.Write(ctx, trs)
}

// BenchmarkChargingKafka charges records from 16 goroutines through
// ChargingKafka to a 12-partition topic on a three-broker kfake cluster,
// Close's flush included.
func BenchmarkChargingKafka(b *testing.B) {
	c, err := kfake.NewCluster(kfake.NumBrokers(3), kfake.GroupMinSessionTimeout(100*time.Millisecond))
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	j, err := kafka.Open(ctx, kafka.Config{Brokers: c.ListenAddrs(), TopicPrefix: "bench", Partitions: 12, Replication: 3,
		SessionTimeout: 3 * time.Second, HeartbeatInterval: 100 * time.Millisecond, FetchMaxWait: 100 * time.Millisecond}, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer j.Close()
	tw, err := j.TopicWriter(ctx, "charging")
	if err != nil {
		b.Fatal(err)
	}
	ck, err := NewChargingKafka(ChargingKafkaConfig{}, topicRecordWriter{tw}, nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	start := time.Now()
	var next atomic.Int64
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for n := next.Add(1); n <= int64(b.N); n = next.Add(1) {
				ck.Charge(chargeEvent(int(n)))
			}
		})
	}
	wg.Wait()
	if err := ck.Close(ctx); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "records/s")
	if s := ck.Stats(); s.Written != uint64(b.N) {
		b.Fatalf("stats %+v, want %d written", s, b.N)
	}
}
