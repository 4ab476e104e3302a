package kafka

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestConfigValidate(t *testing.T) {
	good := Config{Brokers: []string{"127.0.0.1:9092"}}
	if err := good.Validate(); err != nil {
		t.Errorf("Validate(%+v) = %v", good, err)
	}
	b := good.Brokers
	bad := map[string]Config{
		"no brokers":         {},
		"broker port":        {Brokers: []string{"localhost"}},
		"prefix":             {Brokers: b, TopicPrefix: "iwf/x"},
		"partitions":         {Brokers: b, Partitions: MaxPartitions + 1},
		"negative replicas":  {Brokers: b, Replication: -1},
		"max_batch":          {Brokers: b, MaxBatch: 1 << 16},
		"max_record_bytes":   {Brokers: b, MaxRecordBytes: 1000},
		"negative timeout":   {Brokers: b, WriteTimeout: -time.Second},
		"rewrite too late":   {Brokers: b, RewriteAfter: 4 * 24 * time.Hour},
		"heartbeat too slow": {Brokers: b, HeartbeatInterval: 20 * time.Second},
		"fetch wait":         {Brokers: b, FetchMaxWait: time.Minute},
		"tls off with files": {Brokers: b, TLS: TLSConfig{CAFile: "ca.pem"}},
		"tls half a pair":    {Brokers: b, TLS: TLSConfig{Enabled: true, CertFile: "c.pem"}},
		"sasl mechanism":     {Brokers: b, SASL: SASLConfig{Mechanism: "SCRAM-SHA-512", Username: "u"}},
		"sasl no user":       {Brokers: b, SASL: SASLConfig{Mechanism: "plain"}},
		"sasl no mechanism":  {Brokers: b, SASL: SASLConfig{Username: "u", Password: "p"}},
	}
	for name, c := range bad {
		if err := c.Validate(); !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("%s: Validate = %v, want ErrInvalidConfig", name, err)
		}
		if _, err := Open(context.Background(), c, nil); !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("%s: Open = %v, want ErrInvalidConfig", name, err)
		}
	}
}

func TestConfigDefaults(t *testing.T) {
	d := Config{Brokers: []string{"127.0.0.1:9092"}, SASL: SASLConfig{Mechanism: "plain", Username: "u"}}.WithDefaults()
	if d.TopicPrefix != "iwf" || d.Partitions != 12 || d.Replication != 3 || d.Group != "iwf" ||
		d.WriteTimeout != DefaultWriteTimeout || d.MaxBatch != DefaultMaxBatch || d.Retention != DefaultRetention ||
		d.RewriteAfter != DefaultRewriteAfter || d.SASL.Mechanism != "PLAIN" {
		t.Errorf("defaults = %+v", d)
	}
	if d.journalTopic() != "iwf.journal" || d.refsTopic() != "iwf.refs" {
		t.Errorf("topics %s %s", d.journalTopic(), d.refsTopic())
	}
}

func TestTLSLoad(t *testing.T) {
	dir := t.TempDir()
	junk := filepath.Join(dir, "junk.pem")
	if err := os.WriteFile(junk, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	if c, err := (TLSConfig{}).load(); c != nil || err != nil {
		t.Errorf("disabled TLS = %v, %v", c, err)
	}
	for _, tc := range []TLSConfig{
		{Enabled: true, CAFile: filepath.Join(dir, "missing.pem")},
		{Enabled: true, CAFile: junk},
		{Enabled: true, CertFile: junk, KeyFile: junk},
	} {
		if _, err := tc.load(); err == nil {
			t.Errorf("load(%+v) succeeded", tc)
		}
	}
	c, err := (TLSConfig{Enabled: true, ServerName: "kafka.example"}).load()
	if err != nil || c.ServerName != "kafka.example" {
		t.Errorf("load = %+v, %v", c, err)
	}
}
