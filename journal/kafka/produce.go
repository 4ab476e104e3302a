package kafka

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"time"

	"github.com/segmentio/kafka-go"
)

// message is one record to produce; a nil value is a tombstone.
type message struct {
	key, value []byte
}

// Retry back-off of produce requests.
const (
	produceBackoffMin = 20 * time.Millisecond
	produceBackoffMax = time.Second
)

// produce writes msgs to one partition in one request, acknowledged by
// all in-sync replicas, and returns the offset of the first. It retries
// errors Kafka calls retriable, and connection failures, until ctx ends:
// a retry may duplicate a record whose acknowledgement was lost, which
// the view absorbs (a version is applied once, whatever its copies).
func (j *Journal) produce(ctx context.Context, topic string, partition int, msgs []message) (int64, error) {
	delay := produceBackoffMin
	for {
		base, err := j.produceOnce(ctx, topic, partition, msgs)
		if err == nil {
			return base, nil
		}
		if !retriable(err) || ctx.Err() != nil {
			return 0, fmt.Errorf("produce to %s[%d]: %w", topic, partition, err)
		}
		select {
		case <-ctx.Done():
			return 0, fmt.Errorf("produce to %s[%d]: %w (after %w)", topic, partition, ctx.Err(), err)
		case <-time.After(delay):
		}
		delay = min(2*delay, produceBackoffMax)
	}
}

func (j *Journal) produceOnce(ctx context.Context, topic string, partition int, msgs []message) (int64, error) {
	recs := make([]kafka.Record, len(msgs))
	for i, m := range msgs {
		recs[i] = kafka.Record{Key: kafka.NewBytes(m.key), Value: kafka.NewBytes(m.value)}
	}
	res, err := j.client.Produce(ctx, &kafka.ProduceRequest{
		Topic:        topic,
		Partition:    partition,
		RequiredAcks: kafka.RequireAll,
		Records:      kafka.NewRecordReader(recs...),
	})
	if err != nil {
		return 0, err
	}
	if res.Error != nil {
		return 0, res.Error
	}
	for i, err := range res.RecordErrors {
		return 0, fmt.Errorf("record %d: %w", i, err)
	}
	return res.BaseOffset, nil
}

// retriable reports whether a produce may succeed if sent again.
func retriable(err error) bool {
	var kerr kafka.Error
	var netErr net.Error
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return false
	case errors.As(err, &kerr): // before net.Error, which kafka.Error also satisfies
		return kerr.Temporary()
	case errors.As(err, &netErr):
		return true
	}
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}
