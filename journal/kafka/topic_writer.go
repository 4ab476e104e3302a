package kafka

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/iwf-gateway/iwf/journal"
)

// TopicRecord is one record for a TopicWriter. Records with the same Key
// go to the same partition.
type TopicRecord struct {
	Key, Value []byte
}

// ErrInvalidTopic: a TopicWriter suffix that makes no legal topic name, or
// names one of the journal's own topics.
var ErrInvalidTopic = errors.New("journal/kafka: invalid topic")

// recordFraming is what one record adds to a produce request besides its
// key and value (length varints, attributes, deltas, headers count).
const recordFraming = 32

// TopicWriter appends records to <topic_prefix>.<suffix> on the journal's
// cluster, for data that is not journal entries (charging records). It
// has a transport of its own, built from the journal's Config (brokers,
// TLS, SASL, client id), so its metadata cache covers its topic only and
// it works on after the journal is closed.
//
// Partitioning: a record goes to the partition that Kafka's Java client
// (and librdkafka's "murmur2") would choose for its key, over the
// partition count the topic had when TopicWriter returned; partitions
// added later are not used, so a key's records never change partition
// during the writer's life and stay in the order written.
//
// Write and Close are safe for concurrent use; records of one key keep
// their order only across Writes that do not overlap.
type TopicWriter struct {
	topic      string
	partitions []int // 0..n-1, for the balancer
	maxBytes   int   // of one produce request's records
	balancer   kafka.Murmur2Balancer
	transport  *kafka.Transport
	client     *kafka.Client
	log        *slog.Logger

	bgCancel  context.CancelFunc
	closed    atomic.Bool
	closeOnce sync.Once
}

// TopicWriter returns a writer to <topic_prefix>.<suffix>, creating the
// topic when it is missing: Config.Partitions and Config.Replication,
// cleanup.policy=delete with retention.ms of Config.TopicRetention, the
// same min.insync.replicas and max.message.bytes as the journal topics.
// An existing topic is used as it is. suffix is made of [a-zA-Z0-9._-] and
// is neither "journal" nor "refs". ctx bounds the creation.
func (j *Journal) TopicWriter(ctx context.Context, suffix string) (*TopicWriter, error) {
	topic, err := j.cfg.extraTopic(suffix)
	if err != nil {
		return nil, err
	}
	tlsCfg, err := j.cfg.TLS.load()
	if err != nil {
		return nil, err
	}
	bg, cancel := context.WithCancel(context.Background())
	tr := &kafka.Transport{
		Context: bg, ClientID: j.cfg.ClientID, DialTimeout: dialTimeout,
		TLS: tlsCfg, SASL: j.cfg.SASL.mechanism(), MetadataTopics: []string{topic},
	}
	w := &TopicWriter{
		topic:     topic,
		maxBytes:  j.cfg.MaxRecordBytes,
		balancer:  kafka.Murmur2Balancer{Consistent: true},
		transport: tr,
		client:    &kafka.Client{Addr: kafka.TCP(j.cfg.Brokers...), Timeout: j.cfg.WriteTimeout, Transport: tr},
		log:       j.log.With("topic", topic),
		bgCancel:  cancel,
	}
	n, err := w.ensureTopic(ctx, j.cfg.deleteByAgeSpec(topic, j.cfg.Partitions))
	if err != nil {
		w.Close()
		return nil, err
	}
	w.partitions = make([]int, n)
	for i := range w.partitions {
		w.partitions[i] = i
	}
	return w, nil
}

// extraTopic names the topic of a TopicWriter (c has its defaults).
func (c *Config) extraTopic(suffix string) (string, error) {
	topic := c.TopicPrefix + "." + suffix
	switch {
	case suffix == "" || !validTopicPrefix(suffix):
		return "", fmt.Errorf("%w: suffix %q: use [a-zA-Z0-9._-]", ErrInvalidTopic, suffix)
	case topic == c.journalTopic() || topic == c.refsTopic():
		return "", fmt.Errorf("%w: %s is a journal topic", ErrInvalidTopic, topic)
	case len(topic) > 249:
		return "", fmt.Errorf("%w: %s is longer than 249 characters", ErrInvalidTopic, topic)
	}
	return topic, nil
}

// Topic returns the name of the topic written.
func (w *TopicWriter) Topic() string { return w.topic }

// Partitions returns the partition count records are spread over.
func (w *TopicWriter) Partitions() int { return len(w.partitions) }

// ensureTopic creates the topic when missing and returns its partition
// count.
func (w *TopicWriter) ensureTopic(ctx context.Context, spec kafka.TopicConfig) (int, error) {
	n, err := w.partitionCount(ctx)
	if err != nil || n > 0 {
		return n, err
	}
	res, err := w.client.CreateTopics(ctx, &kafka.CreateTopicsRequest{Topics: []kafka.TopicConfig{spec}})
	if err != nil {
		return 0, fmt.Errorf("journal/kafka: create topic %s: %w", w.topic, err)
	}
	switch err := res.Errors[w.topic]; {
	case err == nil:
		w.log.Info("topic created", "partitions", spec.NumPartitions, "replication", spec.ReplicationFactor)
	case errors.Is(err, kafka.TopicAlreadyExists): // another instance won the race
	default:
		return 0, fmt.Errorf("journal/kafka: create topic %s: %w", w.topic, err)
	}
	// Brokers learn of a new topic a little after the controller made it.
	for delay := 10 * time.Millisecond; ; delay = min(2*delay, time.Second) {
		if n, err := w.partitionCount(ctx); err == nil && n > 0 {
			return n, nil
		}
		select {
		case <-ctx.Done():
			return 0, fmt.Errorf("journal/kafka: waiting for topic %s: %w", w.topic, ctx.Err())
		case <-time.After(delay):
		}
	}
}

// partitionCount returns the topic's partition count, 0 when it does not
// exist.
func (w *TopicWriter) partitionCount(ctx context.Context) (int, error) {
	res, err := w.client.Metadata(ctx, &kafka.MetadataRequest{Topics: []string{w.topic}})
	if err != nil {
		return 0, fmt.Errorf("journal/kafka: metadata of %s: %w", w.topic, err)
	}
	for _, t := range res.Topics {
		switch {
		case t.Name != w.topic:
		case t.Error == nil:
			return len(t.Partitions), nil
		case errors.Is(t.Error, kafka.UnknownTopicOrPartition):
			return 0, nil
		default:
			return 0, fmt.Errorf("journal/kafka: metadata of %s: %w", w.topic, t.Error)
		}
	}
	return 0, nil
}

// Write appends recs to the topic and returns once every in-sync replica
// has them (acks=all). Each partition's records go in order, in requests
// of at most Config.MaxRecordBytes; partitions are written concurrently.
// Errors Kafka calls retriable, and connection failures, are retried until
// ctx ends.
//
// On error, the records of partitions that were acknowledged stay
// written: writing the same records again repeats those (at-least-once).
// A record larger than Config.MaxRecordBytes is ErrTooLarge and nothing is
// written. After Close, Write returns journal.ErrClosed.
func (w *TopicWriter) Write(ctx context.Context, recs []TopicRecord) error {
	if w.closed.Load() {
		return journal.ErrClosed
	}
	byPartition := make(map[int][]TopicRecord)
	for i, r := range recs {
		if size := len(r.Key) + len(r.Value) + recordFraming; size > w.maxBytes {
			return fmt.Errorf("%w: record %d for %s is %d bytes, more than %d", ErrTooLarge, i, w.topic, size, w.maxBytes)
		}
		p := w.balancer.Balance(kafka.Message{Key: r.Key}, w.partitions...)
		byPartition[p] = append(byPartition[p], r)
	}
	errs := make([]error, 0, len(byPartition))
	var mu sync.Mutex
	var wg sync.WaitGroup
	for p, prs := range byPartition {
		wg.Go(func() {
			if err := w.writePartition(ctx, p, prs); err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(errs) > 0 {
		return fmt.Errorf("journal/kafka: write to %s: %w", w.topic, errors.Join(errs...))
	}
	return nil
}

// writePartition produces recs to one partition, in requests that fit
// maxBytes, one after the other.
func (w *TopicWriter) writePartition(ctx context.Context, partition int, recs []TopicRecord) error {
	for len(recs) > 0 {
		n, size := 0, 0
		for n < len(recs) {
			s := len(recs[n].Key) + len(recs[n].Value) + recordFraming
			if n > 0 && size+s > w.maxBytes {
				break
			}
			size += s
			n++
		}
		if err := w.produce(ctx, partition, recs[:n]); err != nil {
			return err
		}
		recs = recs[n:]
	}
	return nil
}

// produce sends one request, retrying retriable errors with back-off
// until ctx ends.
func (w *TopicWriter) produce(ctx context.Context, partition int, recs []TopicRecord) error {
	delay := produceBackoffMin
	for {
		err := w.produceOnce(ctx, partition, recs)
		if err == nil {
			return nil
		}
		if !retriable(err) || ctx.Err() != nil {
			return fmt.Errorf("partition %d: %w", partition, err)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("partition %d: %w (after %w)", partition, ctx.Err(), err)
		case <-time.After(delay):
		}
		delay = min(2*delay, produceBackoffMax)
	}
}

// produceOnce sends recs in one request; the record readers are made
// afresh for every attempt, since a send consumes them.
func (w *TopicWriter) produceOnce(ctx context.Context, partition int, recs []TopicRecord) error {
	krecs := make([]kafka.Record, len(recs))
	for i, r := range recs {
		krecs[i] = kafka.Record{Key: kafka.NewBytes(r.Key), Value: kafka.NewBytes(r.Value)}
	}
	res, err := w.client.Produce(ctx, &kafka.ProduceRequest{
		Topic:        w.topic,
		Partition:    partition,
		RequiredAcks: kafka.RequireAll,
		Records:      kafka.NewRecordReader(krecs...),
	})
	if err != nil {
		return err
	}
	if res.Error != nil {
		return res.Error
	}
	for i, err := range res.RecordErrors {
		return fmt.Errorf("record %d: %w", i, err)
	}
	return nil
}

// Close releases the writer's connections; later Writes return
// journal.ErrClosed. It is idempotent.
func (w *TopicWriter) Close() error {
	w.closeOnce.Do(func() {
		w.closed.Store(true)
		w.bgCancel()
		w.transport.CloseIdleConnections()
	})
	return nil
}
