package imps

import (
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/iwf-gateway/iwf/adapters/imps/wv"
)

// Auth modes of Config.Auth.
const (
	// AuthPassword sends the password in the first Login-Request (and
	// answers a 401 digest challenge if the server sends one anyway).
	AuthPassword = "password"
	// AuthDigest sends the first Login-Request without a password and
	// expects a 401 challenge, answered with the digest.
	AuthDigest = "digest"
)

// Config is the IMPS server of the IWF-1 reference point. Zero values take
// the defaults documented on each field (see WithDefaults).
type Config struct {
	ServerURL string `yaml:"server_url"` // http(s) URL the CSP documents are POSTed to; required
	User      string `yaml:"user"`       // UserID of the gateway's account; required
	Password  string `yaml:"password"`   // never logged; required
	ClientID  string `yaml:"client_id"`  // ClientID URL sent at login; default "iwf"
	Version   string `yaml:"version"`    // "1.1" or "1.2"; default "1.2"
	Auth      string `yaml:"auth"`       // "password" or "digest"; default "password"

	PollInterval time.Duration `yaml:"poll_interval"` // Polling-Request interval; default 5s
	// KeepAliveTime is the TimeToLive asked for at login, in whole seconds;
	// the server's grant wins. Default 60s.
	KeepAliveTime     time.Duration `yaml:"keep_alive_time"`
	RequestTimeout    time.Duration `yaml:"request_timeout"`     // wait for one response; default 10s
	ReloginMin        time.Duration `yaml:"relogin_min"`         // first back-off before a new login; default 500ms
	ReloginMax        time.Duration `yaml:"relogin_max"`         // back-off ceiling; default 30s
	MaxImmediatePolls int           `yaml:"max_immediate_polls"` // polls in a row on Poll = T before waiting for the interval; default 16
	// MaxNotifications bounds the MessageNotifications (Notify/Get
	// delivery) of one server answer whose GetMessage-Request is in flight
	// or whose message waits for the Handler; default 4.
	MaxNotifications int `yaml:"max_notifications"`
	// MaxPosts bounds the documents carrying SendMessage-Requests in
	// flight at once, each on a keep-alive connection of its own; the
	// requests that arrive meanwhile wait and leave together. Default 4.
	MaxPosts int `yaml:"max_posts"`
	// MaxBatch is the most SendMessage-Requests (transactions) in one
	// document; 1 sends each in a document of its own, for a server that
	// takes one transaction per document. At most limits.max_transactions,
	// since the answer carries as many responses. Default 8.
	MaxBatch int `yaml:"max_batch"`

	// Domain is the wv domain the CPM users appear in (used by translate).
	Domain string `yaml:"domain"`
	// RemoteDomains lists the SIP/IM URI domains whose users are IMPS users.
	RemoteDomains []string `yaml:"remote_domains"`

	// Limits bounds the documents accepted from the server.
	Limits wv.Limits `yaml:"limits"`
}

// Defaults.
const (
	DefaultClientID          = "iwf"
	DefaultVersion           = "1.2"
	DefaultPollInterval      = 5 * time.Second
	DefaultKeepAliveTime     = 60 * time.Second
	DefaultRequestTimeout    = 10 * time.Second
	DefaultReloginMin        = 500 * time.Millisecond
	DefaultReloginMax        = 30 * time.Second
	DefaultMaxImmediatePolls = 16
	DefaultMaxNotifications  = 4
	DefaultMaxPosts          = 4
	DefaultMaxBatch          = 8
)

// WithDefaults returns c with every zero field set to its default.
func (c Config) WithDefaults() Config {
	if c.ClientID == "" {
		c.ClientID = DefaultClientID
	}
	if c.Version == "" {
		c.Version = DefaultVersion
	}
	if c.Auth == "" {
		c.Auth = AuthPassword
	}
	setDefault(&c.PollInterval, DefaultPollInterval)
	setDefault(&c.KeepAliveTime, DefaultKeepAliveTime)
	setDefault(&c.RequestTimeout, DefaultRequestTimeout)
	setDefault(&c.ReloginMin, DefaultReloginMin)
	setDefault(&c.ReloginMax, DefaultReloginMax)
	setDefault(&c.MaxImmediatePolls, DefaultMaxImmediatePolls)
	setDefault(&c.MaxNotifications, DefaultMaxNotifications)
	setDefault(&c.MaxPosts, DefaultMaxPosts)
	setDefault(&c.MaxBatch, DefaultMaxBatch)
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
			errs = append(errs, fmt.Errorf("imps: config: "+format, args...))
		}
	}
	u, err := url.Parse(d.ServerURL)
	check(d.ServerURL == "", "server_url is required")
	check(d.ServerURL != "" && (err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == ""),
		"server_url %q is not an http(s) URL", d.ServerURL)
	check(d.User == "", "user is required")
	check(d.Password == "", "password is required")
	_, verr := d.version()
	check(verr != nil, "version %q is neither \"1.1\" nor \"1.2\"", d.Version)
	check(d.Auth != AuthPassword && d.Auth != AuthDigest, "auth %q is neither %q nor %q", d.Auth, AuthPassword, AuthDigest)
	check(d.PollInterval < 0 || d.RequestTimeout < 0, "durations must not be negative")
	check(d.KeepAliveTime < time.Second, "keep_alive_time %v is under 1s", d.KeepAliveTime)
	check(d.ReloginMin < 0 || d.ReloginMax < d.ReloginMin, "relogin_max must be >= relogin_min >= 0")
	check(d.MaxImmediatePolls < 1, "max_immediate_polls %d is under 1", d.MaxImmediatePolls)
	check(d.MaxNotifications < 1, "max_notifications %d is under 1", d.MaxNotifications)
	check(d.MaxPosts < 1, "max_posts %d is under 1", d.MaxPosts)
	maxTransactions := d.Limits.MaxTransactions
	if maxTransactions == 0 {
		maxTransactions = wv.DefaultMaxTransactions
	}
	check(d.MaxBatch < 1 || d.MaxBatch > maxTransactions, "max_batch %d is not within 1..%d (limits.max_transactions)", d.MaxBatch, maxTransactions)
	for _, dom := range d.RemoteDomains {
		check(dom == "", "remote_domains holds an empty domain")
	}
	if err := d.Limits.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("imps: config: %w", err))
	}
	return errors.Join(errs...)
}

func (c Config) version() (wv.Version, error) {
	switch c.Version {
	case "1.1":
		return wv.Version11, nil
	case "1.2":
		return wv.Version12, nil
	}
	return 0, fmt.Errorf("imps: unsupported version %q", c.Version)
}
