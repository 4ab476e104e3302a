package local

import (
	"errors"
	"fmt"
	"time"
)

// Defaults applied by Open to zero Config fields.
const (
	DefaultMaxBatch      = 1024
	DefaultMaxDelay      = 0 // see Config.MaxDelay
	DefaultRetention     = 72 * time.Hour
	DefaultPurgeInterval = time.Minute
)

// Config configures a local journal. The zero value of every field but
// Path means its default.
type Config struct {
	// Path is the bbolt file. Required; the gateway passes
	// "<data_dir>/journal.db".
	Path string `yaml:"path"`
	// MaxBatch is the most entries one commit carries (default 1024). A
	// Put of more entries than this is rejected.
	MaxBatch int `yaml:"max_batch"`
	// MaxDelay is the longest the writer waits for more Puts to join a
	// commit once the queue is empty. The default 0 never waits: Puts that
	// arrive while an fsync is in progress join the next commit anyway,
	// which measured faster than any added delay at every concurrency
	// (see the package benchmarks).
	MaxDelay time.Duration `yaml:"max_delay"`
	// Retention is how long Done entries are kept after they became Done
	// (default 72h). Dead entries are never purged automatically.
	Retention time.Duration `yaml:"retention"`
	// PurgeInterval is how often the retention purge runs (default 1m).
	PurgeInterval time.Duration `yaml:"purge_interval"`
	// NoSync skips fsync on commit. For tests and benchmarks only: with it
	// a crash of the machine (not only of the process) can lose or corrupt
	// accepted entries, breaking the gateway's "accepted means durable".
	NoSync bool `yaml:"no_sync"`
}

// Validation bounds.
const (
	maxMaxBatch = 1 << 20
	maxMaxDelay = time.Second
)

// ErrInvalidConfig is wrapped by every error Validate returns.
var ErrInvalidConfig = errors.New("journal/local: invalid config")

// Validate reports the first invalid field. Zero values are valid and mean
// the defaults.
func (c *Config) Validate() error {
	switch {
	case c.Path == "":
		return fmt.Errorf("%w: path is required", ErrInvalidConfig)
	case c.MaxBatch < 0 || c.MaxBatch > maxMaxBatch:
		return fmt.Errorf("%w: max_batch %d not in 0..%d", ErrInvalidConfig, c.MaxBatch, maxMaxBatch)
	case c.MaxDelay < 0 || c.MaxDelay > maxMaxDelay:
		return fmt.Errorf("%w: max_delay %v not in 0..%v", ErrInvalidConfig, c.MaxDelay, maxMaxDelay)
	case c.Retention < 0:
		return fmt.Errorf("%w: retention %v is negative", ErrInvalidConfig, c.Retention)
	case c.PurgeInterval < 0:
		return fmt.Errorf("%w: purge_interval %v is negative", ErrInvalidConfig, c.PurgeInterval)
	}
	return nil
}

// withDefaults returns c with zero fields set to their defaults.
func (c Config) withDefaults() Config {
	if c.MaxBatch == 0 {
		c.MaxBatch = DefaultMaxBatch
	}
	if c.Retention == 0 {
		c.Retention = DefaultRetention
	}
	if c.PurgeInterval == 0 {
		c.PurgeInterval = DefaultPurgeInterval
	}
	return c
}
