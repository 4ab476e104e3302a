package gateway

import (
	"errors"
	"fmt"
	"time"
)

// Config holds the gateway's timers and limits. The zero value of a field
// means its default.
type Config struct {
	// Validity is how long a message may wait for delivery when the source
	// set no expiry. Default 48h.
	Validity time.Duration `yaml:"validity"`
	// Retry is the back-off between delivery attempts.
	Retry RetryConfig `yaml:"retry"`
	// HotQueue is how many decoded items each route queue keeps in memory;
	// past it only sequence numbers are queued and items are read back from
	// the journal. Default 4096.
	HotQueue int `yaml:"hot_queue"`
	// HotQueueBytes bounds the message bodies those decoded items hold, per
	// route, so a backlog of large MMS keeps a bounded number of bodies in
	// memory. Default 16 MiB.
	HotQueueBytes int `yaml:"hot_queue_bytes"`
	// MaxAccepting bounds the MESSAGEs being accepted at once (waiting for
	// their journal write). Past it new MESSAGEs get 503 with Retry-After
	// at once, so a burst the disk cannot absorb costs the sources a retry,
	// not iwf its memory. Default 4096.
	MaxAccepting int `yaml:"max_accepting"`
	// CPMWorkers is how many SIP MESSAGEs toward CPM users may be in flight.
	// Default 64.
	CPMWorkers int `yaml:"cpm_workers"`
	// Reassembly bounds the MO reassembly of concatenated SMS.
	Reassembly ReassemblyConfig `yaml:"reassembly"`
	// MODedupeWindow is how long an identical single-part deliver_sm (same
	// SMSC, originator, recipient, coding and bytes) counts as the SMSC
	// sending it twice. Default 60s; a person repeating the same text within
	// it is taken as a repeat too, which is why the window is short.
	MODedupeWindow time.Duration `yaml:"mo_dedupe_window"`
	// PagerMaxBytes is the largest SIP MESSAGE body iwf sends toward a CPM
	// user (pager mode, over TCP when over 1300 bytes). A larger message,
	// such as an MMS with a video, needs large-message mode (MSRP); until
	// that is available it fails with a report saying why. Default 64 KiB,
	// the body size iwf itself accepts by default.
	PagerMaxBytes int `yaml:"pager_max_bytes"`
	// ExpirySweep is how often the queues of SMS routes that are down are
	// searched for messages past their validity, which then fail with a
	// report. Default 30s.
	ExpirySweep time.Duration `yaml:"expiry_sweep"`
}

// RetryConfig is exponential back-off with jitter.
type RetryConfig struct {
	Initial    time.Duration `yaml:"initial"`    // first delay; default 500ms
	Max        time.Duration `yaml:"max"`        // cap; default 10m
	Multiplier float64       `yaml:"multiplier"` // default 2
	Jitter     float64       `yaml:"jitter"`     // fraction of the delay, 0..1; default 0.2
}

// ReassemblyConfig bounds the reassembly of concatenated MO SMS.
type ReassemblyConfig struct {
	Timeout    time.Duration `yaml:"timeout"`     // default 5m
	MaxPending int           `yaml:"max_pending"` // messages being reassembled; default 100000
}

// WithDefaults returns c with every zero field set to its default.
func (c Config) WithDefaults() Config {
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&c.Validity, 48*time.Hour)
	def(&c.Retry.Initial, 500*time.Millisecond)
	def(&c.Retry.Max, 10*time.Minute)
	def(&c.Reassembly.Timeout, 5*time.Minute)
	def(&c.MODedupeWindow, 60*time.Second)
	def(&c.ExpirySweep, 30*time.Second)
	if c.Retry.Multiplier == 0 {
		c.Retry.Multiplier = 2
	}
	if c.Retry.Jitter == 0 {
		c.Retry.Jitter = 0.2
	}
	if c.HotQueue == 0 {
		c.HotQueue = 4096
	}
	if c.HotQueueBytes == 0 {
		c.HotQueueBytes = 16 << 20
	}
	if c.CPMWorkers == 0 {
		c.CPMWorkers = 64
	}
	if c.PagerMaxBytes == 0 {
		c.PagerMaxBytes = 64 << 10
	}
	if c.MaxAccepting == 0 {
		c.MaxAccepting = 4096
	}
	if c.Reassembly.MaxPending == 0 {
		c.Reassembly.MaxPending = 100000
	}
	return c
}

// Validate reports the first invalid field.
func (c Config) Validate() error {
	var errs []error
	neg := func(name string, d time.Duration) {
		if d < 0 {
			errs = append(errs, fmt.Errorf("gateway: %s must not be negative", name))
		}
	}
	neg("validity", c.Validity)
	neg("retry.initial", c.Retry.Initial)
	neg("retry.max", c.Retry.Max)
	neg("reassembly.timeout", c.Reassembly.Timeout)
	neg("mo_dedupe_window", c.MODedupeWindow)
	neg("expiry_sweep", c.ExpirySweep)
	if c.Retry.Multiplier != 0 && c.Retry.Multiplier < 1 {
		errs = append(errs, errors.New("gateway: retry.multiplier must be at least 1"))
	}
	if c.Retry.Jitter < 0 || c.Retry.Jitter > 1 {
		errs = append(errs, errors.New("gateway: retry.jitter must be between 0 and 1"))
	}
	if c.Retry.Max != 0 && c.Retry.Initial > c.Retry.Max {
		errs = append(errs, errors.New("gateway: retry.initial must not exceed retry.max"))
	}
	if c.HotQueue < 0 || c.HotQueueBytes < 0 || c.CPMWorkers < 0 || c.Reassembly.MaxPending < 0 || c.MaxAccepting < 0 || c.PagerMaxBytes < 0 {
		errs = append(errs, errors.New("gateway: hot_queue, hot_queue_bytes, cpm_workers, max_accepting, pager_max_bytes and reassembly.max_pending must not be negative"))
	}
	return errors.Join(errs...)
}
