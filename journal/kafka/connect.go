package kafka

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/sasl"
	"github.com/segmentio/kafka-go/sasl/plain"
)

// Connection timeouts.
const (
	dialTimeout      = 10 * time.Second
	readBackoffMin   = 100 * time.Millisecond
	readBackoffMax   = 2 * time.Second
	minFetchMaxBytes = 10 << 20
)

// connect builds the transport (for requests: produce, metadata, offsets,
// topic creation) and the dialer (for readers and the group) from cfg.
func (j *Journal) connect() error {
	tlsCfg, err := j.cfg.TLS.load()
	if err != nil {
		return err
	}
	mech := j.cfg.SASL.mechanism()
	j.transport = &kafka.Transport{
		Context:        j.bg,
		ClientID:       j.cfg.ClientID,
		DialTimeout:    dialTimeout,
		TLS:            tlsCfg,
		SASL:           mech,
		MetadataTopics: []string{j.cfg.journalTopic(), j.cfg.refsTopic(), j.cfg.lettersTopic()},
	}
	j.client = &kafka.Client{Addr: kafka.TCP(j.cfg.Brokers...), Timeout: j.cfg.WriteTimeout, Transport: j.transport}
	j.dialer = &kafka.Dialer{
		ClientID: j.cfg.ClientID, Timeout: dialTimeout, DualStack: true,
		TLS: tlsCfg, SASLMechanism: mech,
	}
	return nil
}

// load returns the tls.Config, or nil when TLS is off.
func (t TLSConfig) load() (*tls.Config, error) {
	if !t.Enabled {
		return nil, nil
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: t.ServerName}
	if t.CAFile != "" {
		pem, err := os.ReadFile(t.CAFile)
		if err != nil {
			return nil, fmt.Errorf("journal/kafka: tls.ca_file: %w", err)
		}
		cfg.RootCAs = x509.NewCertPool()
		if !cfg.RootCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("journal/kafka: tls.ca_file %s holds no PEM certificate", t.CAFile)
		}
	}
	if t.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("journal/kafka: tls client certificate: %w", err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg, nil
}

// mechanism returns the SASL mechanism, or nil for none.
func (s SASLConfig) mechanism() sasl.Mechanism {
	if s.Mechanism != "PLAIN" {
		return nil
	}
	return plain.Mechanism{Username: s.Username, Password: s.Password}
}

// groupConfig is the consumer group over the journal topic. Offsets are
// committed explicitly, only up to the oldest record a kept entry needs.
func (j *Journal) groupConfig() kafka.ConsumerGroupConfig {
	return kafka.ConsumerGroupConfig{
		ID:                    j.cfg.Group,
		Brokers:               j.cfg.Brokers,
		Dialer:                j.dialer,
		Topics:                []string{j.cfg.journalTopic()},
		HeartbeatInterval:     j.cfg.HeartbeatInterval,
		SessionTimeout:        j.cfg.SessionTimeout,
		RebalanceTimeout:      j.cfg.SessionTimeout,
		JoinGroupBackoff:      j.cfg.HeartbeatInterval,
		WatchPartitionChanges: true,
		StartOffset:           kafka.FirstOffset,
		Timeout:               dialTimeout,
		Logger:                j.kafkaLogger(),
		ErrorLogger:           j.kafkaLogger(),
	}
}

// readerConfig is a reader of one partition, without a group: the
// journal decides where it starts and what it commits. MinBytes 1 makes
// the broker answer a fetch as soon as a record arrives, so a reader
// that tails its partition (letters, records of other writers) sees it
// within a round trip, whatever FetchMaxWait. prefetch is the most
// records it fetches ahead, 0 for kafka-go's default: a letters reader
// fetches few, each may be a letter of MaxDataSize waiting for the
// gateway.
func (j *Journal) readerConfig(topic string, partition, prefetch int) kafka.ReaderConfig {
	return kafka.ReaderConfig{
		QueueCapacity:  prefetch,
		Brokers:        j.cfg.Brokers,
		Topic:          topic,
		Partition:      partition,
		Dialer:         j.dialer,
		MinBytes:       1,
		MaxBytes:       j.cfg.fetchMaxBytes(),
		MaxWait:        j.cfg.FetchMaxWait,
		ReadBackoffMin: readBackoffMin,
		ReadBackoffMax: readBackoffMax,
		Logger:         j.kafkaLogger(),
		ErrorLogger:    j.kafkaLogger(),
	}
}

// fetchMaxBytes is the most one fetch returns, for the journal's readers
// and a snapshot's fetches alike: room for two records of MaxRecordBytes.
func (c *Config) fetchMaxBytes() int {
	return max(minFetchMaxBytes, 2*c.MaxRecordBytes)
}

// kafkaLogger passes kafka-go's chatter (joins, fetch retries, errors on
// shutdown) to the debug level; the journal logs what an operator needs.
func (j *Journal) kafkaLogger() kafka.Logger {
	return kafka.LoggerFunc(func(msg string, args ...any) {
		if j.log.Enabled(j.bg, slog.LevelDebug) {
			j.log.Debug(fmt.Sprintf(msg, args...), "source", "kafka-go")
		}
	})
}
