package kafka

import (
	"errors"
	"fmt"
	"net"
	"strings"
	"time"
)

// Defaults applied by Open to zero Config fields.
const (
	DefaultTopicPrefix       = "iwf"
	DefaultPartitions        = 12
	DefaultReplication       = 3
	DefaultGroup             = "iwf"
	DefaultClientID          = "iwf"
	DefaultWriteTimeout      = 10 * time.Second
	DefaultMaxBatch          = 1024
	DefaultMaxRecordBytes    = 2 << 20
	DefaultRetention         = 72 * time.Hour
	DefaultTopicRetention    = 7 * 24 * time.Hour
	DefaultRewriteAfter      = 24 * time.Hour
	DefaultPurgeInterval     = time.Minute
	DefaultCommitInterval    = 5 * time.Second
	DefaultSessionTimeout    = 30 * time.Second
	DefaultHeartbeatInterval = 3 * time.Second
	DefaultFetchMaxWait      = 500 * time.Millisecond
)

// Config configures a Kafka journal. The zero value of every field but
// Brokers means its default. In YAML:
//
//	journal:
//	  backend: kafka
//	  kafka:
//	    brokers: ["127.0.0.1:9092"]
//	    topic_prefix: iwf
//	    partitions: 12
//	    replication: 3
//	    group: iwf
type Config struct {
	// Brokers are the bootstrap brokers, host:port. Required.
	Brokers []string `yaml:"brokers"`
	// TopicPrefix names the topics: <prefix>.journal, <prefix>.refs and
	// <prefix>.letters (default "iwf").
	TopicPrefix string `yaml:"topic_prefix"`
	// Partitions is the partition count of the journal and refs topics
	// when Open creates them (default 12, at most 1024: a Seq carries its
	// partition in 10 bits). Existing topics keep their count; the letters
	// topic always has the journal topic's.
	Partitions int `yaml:"partitions"`
	// Replication is the replication factor of topics Open creates
	// (default 3).
	Replication int `yaml:"replication"`
	// Group is the consumer group the instances share; each instance owns
	// the journal partitions the group assigns it (default "iwf").
	Group string `yaml:"group"`
	// ClientID identifies this instance to the brokers (default "iwf").
	ClientID string `yaml:"client_id"`
	// WriteTimeout bounds one Put: waiting for a partition to own during a
	// rebalance, the produce and its retries (default 10s).
	WriteTimeout time.Duration `yaml:"write_timeout"`
	// MaxBatch is the most entries one Put may carry (default 1024).
	MaxBatch int `yaml:"max_batch"`
	// MaxRecordBytes bounds one Put's encoded record and one produce
	// request of grouped Puts (default 2 MiB). Topics Open creates get
	// max.message.bytes to match.
	MaxRecordBytes int `yaml:"max_record_bytes"`
	// Retention is how long Done entries are kept after they became Done
	// (default 72h). Dead entries are never purged automatically.
	Retention time.Duration `yaml:"retention"`
	// TopicRetention is retention.ms of the journal topic when Open
	// creates it (default 168h). It must exceed RewriteAfter by more than
	// the longest time every instance may be down.
	TopicRetention time.Duration `yaml:"topic_retention"`
	// RewriteAfter is the age after which an owner writes a kept entry
	// again, so that no record older than this is needed to rebuild the
	// journal (default 24h).
	RewriteAfter time.Duration `yaml:"rewrite_after"`
	// PurgeInterval is how often retention purge and rewrites run
	// (default 1m).
	PurgeInterval time.Duration `yaml:"purge_interval"`
	// CommitInterval is how often the group offsets (the point from which
	// a new owner rebuilds a partition) are committed (default 5s).
	CommitInterval time.Duration `yaml:"commit_interval"`
	// SessionTimeout is how long the group waits for a silent instance
	// before its partitions move to the others (default 30s).
	SessionTimeout time.Duration `yaml:"session_timeout"`
	// HeartbeatInterval is how often an instance reports to the group, and
	// so how soon it notices a rebalance (default 3s).
	HeartbeatInterval time.Duration `yaml:"heartbeat_interval"`
	// FetchMaxWait is the longest a fetch waits at the broker for new
	// records (default 500ms). Close waits up to this long.
	FetchMaxWait time.Duration `yaml:"fetch_max_wait"`
	// TLS, when enabled, encrypts every broker connection.
	TLS TLSConfig `yaml:"tls"`
	// SASL, when a mechanism is set, authenticates every connection.
	SASL SASLConfig `yaml:"sasl"`
}

// TLSConfig configures TLS to the brokers.
type TLSConfig struct {
	Enabled bool `yaml:"enabled"`
	// CAFile is a PEM bundle of the CAs that sign the brokers'
	// certificates; empty means the system roots.
	CAFile string `yaml:"ca_file"`
	// CertFile and KeyFile are this instance's client certificate, for
	// brokers that require one. Both or neither.
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
	// ServerName overrides the name checked against the broker
	// certificates.
	ServerName string `yaml:"server_name"`
}

// SASLConfig configures SASL authentication. Only PLAIN is supported; it
// sends the password in clear, so use it with TLS.
type SASLConfig struct {
	Mechanism string `yaml:"mechanism"` // "" (none) or "PLAIN"
	Username  string `yaml:"username"`
	Password  string `yaml:"password"`
}

// MaxPartitions is the most partitions a journal topic may have: a Seq
// keeps its partition in its low 10 bits.
const MaxPartitions = 1 << partitionBits

// Validation bounds.
const (
	maxMaxBatch       = 1<<16 - 1 // the record's entry count is a u16
	minMaxRecordBytes = 64 << 10
	maxMaxRecordBytes = 64 << 20
	maxReplication    = 32
	maxTopicPrefix    = 200 // topic names are at most 249 characters
)

// ErrInvalidConfig is wrapped by every error Validate returns.
var ErrInvalidConfig = errors.New("journal/kafka: invalid config")

// Validate reports the first invalid field. Zero values are valid and mean
// the defaults.
func (c *Config) Validate() error {
	if err := c.validateCluster(); err != nil {
		return err
	}
	if err := c.validateTimes(); err != nil {
		return err
	}
	return c.validateSecurity()
}

func (c *Config) validateCluster() error {
	if len(c.Brokers) == 0 {
		return fmt.Errorf("%w: brokers is required", ErrInvalidConfig)
	}
	for _, b := range c.Brokers {
		if _, _, err := net.SplitHostPort(b); err != nil {
			return fmt.Errorf("%w: broker %q is not host:port", ErrInvalidConfig, b)
		}
	}
	switch {
	case !validTopicPrefix(c.TopicPrefix):
		return fmt.Errorf("%w: topic_prefix %q: use at most %d of [a-zA-Z0-9._-]", ErrInvalidConfig, c.TopicPrefix, maxTopicPrefix)
	case c.Partitions < 0 || c.Partitions > MaxPartitions:
		return fmt.Errorf("%w: partitions %d not in 0..%d", ErrInvalidConfig, c.Partitions, MaxPartitions)
	case c.Replication < 0 || c.Replication > maxReplication:
		return fmt.Errorf("%w: replication %d not in 0..%d", ErrInvalidConfig, c.Replication, maxReplication)
	case c.MaxBatch < 0 || c.MaxBatch > maxMaxBatch:
		return fmt.Errorf("%w: max_batch %d not in 0..%d", ErrInvalidConfig, c.MaxBatch, maxMaxBatch)
	case c.MaxRecordBytes != 0 && (c.MaxRecordBytes < minMaxRecordBytes || c.MaxRecordBytes > maxMaxRecordBytes):
		return fmt.Errorf("%w: max_record_bytes %d not in %d..%d", ErrInvalidConfig, c.MaxRecordBytes, minMaxRecordBytes, maxMaxRecordBytes)
	}
	return nil
}

func (c *Config) validateTimes() error {
	for _, d := range []struct {
		name string
		v    time.Duration
	}{
		{"write_timeout", c.WriteTimeout}, {"retention", c.Retention}, {"topic_retention", c.TopicRetention},
		{"rewrite_after", c.RewriteAfter}, {"purge_interval", c.PurgeInterval}, {"commit_interval", c.CommitInterval},
		{"session_timeout", c.SessionTimeout}, {"heartbeat_interval", c.HeartbeatInterval}, {"fetch_max_wait", c.FetchMaxWait},
	} {
		if d.v < 0 {
			return fmt.Errorf("%w: %s %v is negative", ErrInvalidConfig, d.name, d.v)
		}
	}
	d := c.WithDefaults()
	switch {
	case d.RewriteAfter*2 > d.TopicRetention:
		return fmt.Errorf("%w: rewrite_after %v must be at most half of topic_retention %v", ErrInvalidConfig, d.RewriteAfter, d.TopicRetention)
	case d.HeartbeatInterval*3 > d.SessionTimeout:
		return fmt.Errorf("%w: heartbeat_interval %v must be at most a third of session_timeout %v", ErrInvalidConfig, d.HeartbeatInterval, d.SessionTimeout)
	case d.FetchMaxWait > d.WriteTimeout:
		return fmt.Errorf("%w: fetch_max_wait %v exceeds write_timeout %v", ErrInvalidConfig, d.FetchMaxWait, d.WriteTimeout)
	}
	return nil
}

func (c *Config) validateSecurity() error {
	t := c.TLS
	switch {
	case !t.Enabled && (t.CAFile != "" || t.CertFile != "" || t.KeyFile != "" || t.ServerName != ""):
		return fmt.Errorf("%w: tls settings given but tls.enabled is false", ErrInvalidConfig)
	case (t.CertFile == "") != (t.KeyFile == ""):
		return fmt.Errorf("%w: tls.cert_file and tls.key_file go together", ErrInvalidConfig)
	}
	switch strings.ToUpper(c.SASL.Mechanism) {
	case "":
		if c.SASL.Username != "" || c.SASL.Password != "" {
			return fmt.Errorf("%w: sasl credentials given without sasl.mechanism", ErrInvalidConfig)
		}
	case "PLAIN":
		if c.SASL.Username == "" {
			return fmt.Errorf("%w: sasl.username is required for PLAIN", ErrInvalidConfig)
		}
	default:
		return fmt.Errorf("%w: sasl.mechanism %q: only PLAIN is supported", ErrInvalidConfig, c.SASL.Mechanism)
	}
	return nil
}

// validTopicPrefix reports whether p (or the default, when empty) makes
// legal Kafka topic names.
func validTopicPrefix(p string) bool {
	if len(p) > maxTopicPrefix || p == "." || p == ".." {
		return false
	}
	for _, r := range p {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-'
		if !ok {
			return false
		}
	}
	return true
}

// WithDefaults returns c with zero fields set to their defaults.
func (c Config) WithDefaults() Config {
	setString(&c.TopicPrefix, DefaultTopicPrefix)
	setString(&c.Group, DefaultGroup)
	setString(&c.ClientID, DefaultClientID)
	setInt(&c.Partitions, DefaultPartitions)
	setInt(&c.Replication, DefaultReplication)
	setInt(&c.MaxBatch, DefaultMaxBatch)
	setInt(&c.MaxRecordBytes, DefaultMaxRecordBytes)
	setDuration(&c.WriteTimeout, DefaultWriteTimeout)
	setDuration(&c.Retention, DefaultRetention)
	setDuration(&c.TopicRetention, DefaultTopicRetention)
	setDuration(&c.RewriteAfter, DefaultRewriteAfter)
	setDuration(&c.PurgeInterval, DefaultPurgeInterval)
	setDuration(&c.CommitInterval, DefaultCommitInterval)
	setDuration(&c.SessionTimeout, DefaultSessionTimeout)
	setDuration(&c.HeartbeatInterval, DefaultHeartbeatInterval)
	setDuration(&c.FetchMaxWait, DefaultFetchMaxWait)
	c.SASL.Mechanism = strings.ToUpper(c.SASL.Mechanism)
	return c
}

func setString(p *string, def string) {
	if *p == "" {
		*p = def
	}
}

func setInt(p *int, def int) {
	if *p == 0 {
		*p = def
	}
}

func setDuration(p *time.Duration, def time.Duration) {
	if *p == 0 {
		*p = def
	}
}

// journalTopic, refsTopic and lettersTopic are the topic names for cfg
// (defaults set).
func (c *Config) journalTopic() string { return c.TopicPrefix + ".journal" }
func (c *Config) refsTopic() string    { return c.TopicPrefix + ".refs" }
func (c *Config) lettersTopic() string { return c.TopicPrefix + ".letters" }
