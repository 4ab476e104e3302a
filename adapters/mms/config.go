package mms

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"time"

	"github.com/iwf-gateway/iwf/adapters/mms/mm7"
)

// Defaults applied to zero fields of Config.
const (
	// DefaultListen is where the relay posts to iwf.
	DefaultListen = "127.0.0.1:8081"
	// DefaultVersion is the MM7 schema iwf writes.
	DefaultVersion = "REL-6-MM7-1-4"
	// DefaultMaxMessageBytes bounds one HTTP body in either direction
	// (600 KiB, a common MMSC message size limit).
	DefaultMaxMessageBytes = 614400
	// DefaultRequestTimeout bounds one outbound HTTP exchange and the
	// reading of one inbound request.
	DefaultRequestTimeout = 30 * time.Second
	// DefaultMaxConns bounds the idle keep-alive connections to the relay.
	DefaultMaxConns = 16

	// maxMessageLimit is the largest MaxMessageBytes Validate accepts.
	maxMessageLimit = 64 << 20
)

// Config is the mm7 section of the configuration file. Zero fields take
// the defaults documented on each field.
type Config struct {
	// RelayURL is where SubmitReq, CancelReq and ReplaceReq go (http or
	// https). Required.
	RelayURL string `yaml:"relay_url"`
	// Listen is the host:port the relay posts to; default 127.0.0.1:8081.
	// Port 0 picks a free port (see VASP.Addr).
	Listen string `yaml:"listen"`
	// VASPID and VASID fill SenderIdentification when a request leaves
	// them empty.
	VASPID string `yaml:"vasp_id"`
	VASID  string `yaml:"vas_id"`
	// Username and Password are the HTTP Basic credentials sent to the
	// relay. Never logged.
	Username string `yaml:"username"`
	Password string `yaml:"password"`
	// InboundUsername and InboundPassword are the HTTP Basic credentials
	// required from the relay. Both are required: iwf does not accept
	// unauthenticated MM7. Never logged.
	InboundUsername string `yaml:"inbound_username"`
	InboundPassword string `yaml:"inbound_password"`
	// Version is the MM7 schema name written on output, e.g.
	// "REL-6-MM7-1-4" (default) or "REL-5-MM7-1-3". Input is accepted in
	// any schema version.
	Version string `yaml:"version"`
	// MaxMessageBytes bounds one HTTP body, inbound and outbound answers;
	// default 614400, at most 64 MiB.
	MaxMessageBytes int `yaml:"max_message_bytes"`
	// RequestTimeout bounds one outbound exchange and the reading of one
	// inbound request; default 30s.
	RequestTimeout time.Duration `yaml:"request_timeout"`
	// MaxConns bounds the idle keep-alive connections kept to the relay;
	// default 16.
	MaxConns int `yaml:"max_conns"`
	// TLSSkipVerify does not verify the relay's certificate (lab use only).
	TLSSkipVerify bool `yaml:"tls_skip_verify"`
	// LenientContentRef accepts a Content href naming no part when there
	// is a single attachment (see mm7.Limits).
	LenientContentRef bool `yaml:"lenient_content_ref"`
}

// WithDefaults returns c with every zero field set to its default.
func (c Config) WithDefaults() Config {
	if c.Listen == "" {
		c.Listen = DefaultListen
	}
	if c.Version == "" {
		c.Version = DefaultVersion
	}
	if c.MaxMessageBytes == 0 {
		c.MaxMessageBytes = DefaultMaxMessageBytes
	}
	if c.RequestTimeout == 0 {
		c.RequestTimeout = DefaultRequestTimeout
	}
	if c.MaxConns == 0 {
		c.MaxConns = DefaultMaxConns
	}
	return c
}

// Validate checks c after defaults are applied; it reports every problem.
func (c *Config) Validate() error {
	d := c.WithDefaults()
	var errs []error
	check := func(bad bool, format string, args ...any) {
		if bad {
			errs = append(errs, fmt.Errorf("mms: config: "+format, args...))
		}
	}
	u, err := url.Parse(d.RelayURL)
	check(d.RelayURL == "", "relay_url is required")
	check(d.RelayURL != "" && (err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == ""),
		"relay_url %q is not an http or https URL", d.RelayURL)
	_, _, err = net.SplitHostPort(d.Listen)
	check(err != nil, "listen %q is not host:port", d.Listen)
	check(d.InboundUsername == "" || d.InboundPassword == "", "inbound_username and inbound_password are required")
	_, err = mm7.ParseVersion(mm7.NamespacePrefix + d.Version)
	check(err != nil, "version %q is not an MM7 schema name such as %q", d.Version, DefaultVersion)
	check(d.MaxMessageBytes < 1024 || d.MaxMessageBytes > maxMessageLimit,
		"max_message_bytes %d outside 1024..%d", d.MaxMessageBytes, maxMessageLimit)
	check(d.RequestTimeout < 0, "request_timeout must not be negative")
	check(d.MaxConns < 1 || d.MaxConns > 1024, "max_conns %d outside 1..1024", d.MaxConns)
	return errors.Join(errs...)
}

// version is the namespace written on output.
func (c Config) version() mm7.Version { return mm7.Version(mm7.NamespacePrefix + c.Version) }

// limits are the codec limits for both directions.
func (c Config) limits() mm7.Limits {
	return mm7.Limits{MaxSize: c.MaxMessageBytes, LenientContentRef: c.LenientContentRef}
}
