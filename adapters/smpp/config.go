package smpp

import (
	"errors"
	"fmt"
	"time"
)

// BindMode says how a Client binds to its SMSC.
type BindMode string

// Bind modes.
const (
	// BindTransceiver binds each connection as a transceiver: submits go out
	// and deliver_sm come in on the same connection.
	BindTransceiver BindMode = "transceiver"
	// BindTransmitterReceiver opens, for each bind, one transmitter and one
	// receiver connection.
	BindTransmitterReceiver BindMode = "transmitter_receiver"
)

// Config is one SMSC connection of the IWF-3 reference point. Zero values
// take the defaults documented on each field (see WithDefaults).
type Config struct {
	Name       string `yaml:"name"`        // label in logs and Status; default the address
	Address    string `yaml:"address"`     // host:port of the SMSC; required
	SystemID   string `yaml:"system_id"`   // at most 15 octets; required
	Password   string `yaml:"password"`    // at most 8 octets; never logged
	SystemType string `yaml:"system_type"` // at most 12 octets

	Bind  BindMode `yaml:"bind"`  // default transceiver
	Binds int      `yaml:"binds"` // connections (or tx+rx pairs) per SMSC; default 1

	Window  int     `yaml:"window"`   // unacknowledged submits per bind; default 64
	MaxRate float64 `yaml:"max_rate"` // submits per second per bind; 0 = no cap

	EnquireLink     time.Duration `yaml:"enquire_link"`     // keep-alive interval; default 30s
	ResponseTimeout time.Duration `yaml:"response_timeout"` // wait for any *_resp; default 10s
	ReconnectMin    time.Duration `yaml:"reconnect_min"`    // first back-off; default 500ms
	ReconnectMax    time.Duration `yaml:"reconnect_max"`    // back-off ceiling; default 30s
	ThrottlePause   time.Duration `yaml:"throttle_pause"`   // bind pause when most submits get ESME_RTHROTTLED/RMSGQFUL; default 1s (a scattered throttle is retried after a tenth of it)

	TLS           bool `yaml:"tls"`             // connect with TLS
	TLSSkipVerify bool `yaml:"tls_skip_verify"` // do not verify the SMSC certificate (lab use only)

	// DeliverConcurrency bounds the DeliverFunc calls running at once per
	// connection; default 32. Further deliver_sm wait (the SMSC's own window
	// throttles it).
	DeliverConcurrency int `yaml:"deliver_concurrency"`
}

// Defaults.
const (
	DefaultBinds              = 1
	DefaultWindow             = 64
	DefaultEnquireLink        = 30 * time.Second
	DefaultResponseTimeout    = 10 * time.Second
	DefaultReconnectMin       = 500 * time.Millisecond
	DefaultReconnectMax       = 30 * time.Second
	DefaultThrottlePause      = time.Second
	DefaultDeliverConcurrency = 32
)

// WithDefaults returns c with every zero field set to its default.
func (c Config) WithDefaults() Config {
	if c.Name == "" {
		c.Name = c.Address
	}
	if c.Bind == "" {
		c.Bind = BindTransceiver
	}
	setDefault(&c.Binds, DefaultBinds)
	setDefault(&c.Window, DefaultWindow)
	setDefault(&c.DeliverConcurrency, DefaultDeliverConcurrency)
	setDefault(&c.EnquireLink, DefaultEnquireLink)
	setDefault(&c.ResponseTimeout, DefaultResponseTimeout)
	setDefault(&c.ReconnectMin, DefaultReconnectMin)
	setDefault(&c.ReconnectMax, DefaultReconnectMax)
	setDefault(&c.ThrottlePause, DefaultThrottlePause)
	return c
}

func setDefault[T int | time.Duration](v *T, d T) {
	if *v == 0 {
		*v = d
	}
}

// Validate checks c after defaults are applied; it reports every problem.
func (c *Config) Validate() error {
	d := c.WithDefaults()
	var errs []error
	check := func(bad bool, format string, args ...any) {
		if bad {
			errs = append(errs, fmt.Errorf("smpp: config: "+format, args...))
		}
	}
	check(d.Address == "", "address is required")
	check(d.SystemID == "", "system_id is required")
	check(len(d.SystemID) > 15, "system_id longer than 15 octets")
	check(len(d.Password) > 8, "password longer than 8 octets")
	check(len(d.SystemType) > 12, "system_type longer than 12 octets")
	check(d.Bind != BindTransceiver && d.Bind != BindTransmitterReceiver,
		"bind %q is neither %q nor %q", d.Bind, BindTransceiver, BindTransmitterReceiver)
	check(d.Binds < 1 || d.Binds > 64, "binds %d outside 1..64", d.Binds)
	check(d.Window < 1 || d.Window > 10000, "window %d outside 1..10000", d.Window)
	check(d.DeliverConcurrency < 1 || d.DeliverConcurrency > 10000, "deliver_concurrency %d outside 1..10000", d.DeliverConcurrency)
	check(d.MaxRate < 0, "max_rate %v is negative", d.MaxRate)
	check(d.EnquireLink < 0 || d.ResponseTimeout < 0 || d.ThrottlePause < 0, "durations must not be negative")
	check(d.ReconnectMin < 0 || d.ReconnectMax < d.ReconnectMin, "reconnect_max must be >= reconnect_min >= 0")
	return errors.Join(errs...)
}
