package kafka

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/segmentio/kafka-go"
)

// commonTopicConfig is the configuration every topic Open creates shares.
func (c *Config) commonTopicConfig() []kafka.ConfigEntry {
	return []kafka.ConfigEntry{
		{ConfigName: "max.message.bytes", ConfigValue: strconv.Itoa(c.MaxRecordBytes + recordBatchOverhead)},
		// A write acknowledged by all in-sync replicas must reach a
		// majority: otherwise a shrunken ISR of one makes "all" mean one.
		{ConfigName: "min.insync.replicas", ConfigValue: strconv.Itoa(c.Replication/2 + 1)},
	}
}

// deleteByAgeSpec is a topic of partitions deleted by age, never
// compacted: the journal topic, the letters topic and the extra topics
// of a TopicWriter.
func (c *Config) deleteByAgeSpec(topic string, partitions int) kafka.TopicConfig {
	return kafka.TopicConfig{
		Topic: topic, NumPartitions: partitions, ReplicationFactor: c.Replication,
		ConfigEntries: append([]kafka.ConfigEntry{
			{ConfigName: "cleanup.policy", ConfigValue: "delete"},
			{ConfigName: "retention.ms", ConfigValue: strconv.FormatInt(c.TopicRetention.Milliseconds(), 10)},
		}, c.commonTopicConfig()...),
	}
}

// lettersSpec is the letters topic Open creates when it is missing: as
// many partitions as the journal topic has (partition p of each belongs
// to the same owner), deleted by age like the journal topic.
func (c *Config) lettersSpec(partitions int) kafka.TopicConfig {
	return c.deleteByAgeSpec(c.lettersTopic(), partitions)
}

// topicSpecs returns the journal and refs topics Open creates when they
// are missing. The journal topic deletes by age (rewrites keep every
// needed record younger than rewrite_after); the refs topic is
// compacted: the last binding of each ref, or its tombstone for a while.
func (c *Config) topicSpecs() []kafka.TopicConfig {
	return []kafka.TopicConfig{
		c.deleteByAgeSpec(c.journalTopic(), c.Partitions),
		{
			Topic: c.refsTopic(), NumPartitions: c.Partitions, ReplicationFactor: c.Replication,
			ConfigEntries: append([]kafka.ConfigEntry{
				{ConfigName: "cleanup.policy", ConfigValue: "compact"},
			}, c.commonTopicConfig()...),
		},
	}
}

// recordBatchOverhead is the Kafka record batch header and per-record
// framing allowed on top of Config.MaxRecordBytes.
const recordBatchOverhead = 1 << 10

// ensureTopics creates the topics that are missing and returns the
// partition counts of the journal and refs topics. The letters topic is
// created after the journal topic, with its partition count, and must
// have that count.
func (j *Journal) ensureTopics(ctx context.Context) (journalParts, refsParts int, err error) {
	counts, err := j.partitionCounts(ctx)
	if err != nil {
		return 0, 0, err
	}
	var missing []kafka.TopicConfig
	for _, spec := range j.cfg.topicSpecs() {
		if counts[spec.Topic] == 0 {
			missing = append(missing, spec)
		}
	}
	if len(missing) > 0 {
		if err := j.createTopics(ctx, missing); err != nil {
			return 0, 0, err
		}
		if counts, err = j.waitPartitions(ctx, j.cfg.journalTopic(), j.cfg.refsTopic()); err != nil {
			return 0, 0, err
		}
	}
	journalParts, refsParts = counts[j.cfg.journalTopic()], counts[j.cfg.refsTopic()]
	if err := j.cfg.checkJournalPartitions(journalParts); err != nil {
		return 0, 0, err
	}
	letters := counts[j.cfg.lettersTopic()]
	if letters == 0 {
		if err := j.createTopics(ctx, []kafka.TopicConfig{j.cfg.lettersSpec(journalParts)}); err != nil {
			return 0, 0, err
		}
		if counts, err = j.waitPartitions(ctx, j.cfg.lettersTopic()); err != nil {
			return 0, 0, err
		}
		letters = counts[j.cfg.lettersTopic()]
	}
	if letters != journalParts {
		return 0, 0, fmt.Errorf("journal/kafka: topic %s has %d partitions, topic %s %d: they must match", j.cfg.lettersTopic(), letters, j.cfg.journalTopic(), journalParts)
	}
	return journalParts, refsParts, nil
}

// checkJournalPartitions reports a journal topic of n partitions, more
// than the partition bits of a Seq can name.
func (c *Config) checkJournalPartitions(n int) error {
	if n > MaxPartitions {
		return fmt.Errorf("journal/kafka: topic %s has %d partitions, more than %d", c.journalTopic(), n, MaxPartitions)
	}
	return nil
}

func (j *Journal) createTopics(ctx context.Context, specs []kafka.TopicConfig) error {
	res, err := j.client.CreateTopics(ctx, &kafka.CreateTopicsRequest{Topics: specs})
	if err != nil {
		return fmt.Errorf("journal/kafka: create topics: %w", err)
	}
	for _, spec := range specs {
		err := res.Errors[spec.Topic]
		switch {
		case err == nil:
			j.log.Info("journal topic created", "topic", spec.Topic,
				"partitions", spec.NumPartitions, "replication", spec.ReplicationFactor)
		case errors.Is(err, kafka.TopicAlreadyExists): // another instance won the race
		default:
			return fmt.Errorf("journal/kafka: create topic %s: %w", spec.Topic, err)
		}
	}
	return nil
}

// partitionCounts returns the partition count of each of our topics that
// exists.
func (j *Journal) partitionCounts(ctx context.Context) (map[string]int, error) {
	res, err := j.client.Metadata(ctx, &kafka.MetadataRequest{Topics: []string{j.cfg.journalTopic(), j.cfg.refsTopic(), j.cfg.lettersTopic()}})
	if err != nil {
		return nil, fmt.Errorf("journal/kafka: metadata: %w", err)
	}
	counts := make(map[string]int, 3)
	for _, t := range res.Topics {
		switch {
		case t.Error == nil:
			counts[t.Name] = len(t.Partitions)
		case errors.Is(t.Error, kafka.UnknownTopicOrPartition):
		default:
			return nil, fmt.Errorf("journal/kafka: metadata of %s: %w", t.Name, t.Error)
		}
	}
	return counts, nil
}

// waitPartitions polls the metadata until every one of topics shows
// partitions: brokers learn of a new topic a little after the controller
// made it.
func (j *Journal) waitPartitions(ctx context.Context, topics ...string) (map[string]int, error) {
	delay := 10 * time.Millisecond
	for {
		counts, err := j.partitionCounts(ctx)
		if err == nil && !slices.ContainsFunc(topics, func(t string) bool { return counts[t] == 0 }) {
			return counts, nil
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("journal/kafka: waiting for new topics: %w", ctx.Err())
		case <-time.After(delay):
		}
		delay = min(2*delay, time.Second)
	}
}

// offsetRange is the first offset and the high-water mark of a partition.
type offsetRange struct{ first, end int64 }

// offsets lists the offset ranges of partitions of topic.
func (j *Journal) offsets(ctx context.Context, topic string, parts []int) (map[int]offsetRange, error) {
	reqs := make([]kafka.OffsetRequest, 0, 2*len(parts))
	for _, p := range parts {
		reqs = append(reqs, kafka.FirstOffsetOf(p), kafka.LastOffsetOf(p))
	}
	res, err := j.client.ListOffsets(ctx, &kafka.ListOffsetsRequest{Topics: map[string][]kafka.OffsetRequest{topic: reqs}})
	if err != nil {
		return nil, fmt.Errorf("journal/kafka: list offsets of %s: %w", topic, err)
	}
	out := make(map[int]offsetRange, len(parts))
	for _, po := range res.Topics[topic] {
		if po.Error != nil {
			return nil, fmt.Errorf("journal/kafka: list offsets of %s[%d]: %w", topic, po.Partition, po.Error)
		}
		out[po.Partition] = offsetRange{first: po.FirstOffset, end: po.LastOffset}
	}
	for _, p := range parts {
		if _, ok := out[p]; !ok {
			return nil, fmt.Errorf("journal/kafka: list offsets of %s: no answer for partition %d", topic, p)
		}
	}
	return out, nil
}
