package kafka

import (
	"context"
	"sync"
	"time"

	"github.com/segmentio/kafka-go"
)

// countdown closes zero when done has been called n times.
type countdown struct {
	mu   sync.Mutex
	n    int
	zero chan struct{}
}

func newCountdown(n int) *countdown {
	c := &countdown{n: n, zero: make(chan struct{})}
	if n == 0 {
		close(c.zero)
	}
	return c
}

func (c *countdown) done() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n--; c.n == 0 {
		close(c.zero)
	}
}

// readPartition applies every record of one partition from offset from,
// until ctx ends, fetching at most prefetch records ahead (0 for
// kafka-go's default).
func (j *Journal) readPartition(ctx context.Context, topic string, partition int, from int64, prefetch int, apply func(kafka.Message)) {
	rd := kafka.NewReader(j.readerConfig(topic, partition, prefetch))
	defer rd.Close()
	if err := rd.SetOffset(from); err != nil {
		j.log.Error("journal reader", "topic", topic, "partition", partition, "err", err)
		return
	}
	delay := readBackoffMin
	for {
		msg, err := rd.FetchMessage(ctx)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			j.log.Warn("journal read failed; retrying", "topic", topic, "partition", partition, "err", err)
			select {
			case <-ctx.Done():
				return
			case <-time.After(delay):
			}
			delay = min(2*delay, readBackoffMax)
			continue
		}
		delay = readBackoffMin
		apply(msg)
	}
}
