package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/iwf-gateway/iwf/adapters/sip"
	"github.com/iwf-gateway/iwf/addressmap"
	"github.com/iwf-gateway/iwf/console"
	"github.com/iwf-gateway/iwf/gateway"
	"github.com/iwf-gateway/iwf/journal/kafka"
	"github.com/iwf-gateway/iwf/journal/local"
)

// Config is the whole iwf configuration file.
type Config struct {
	// DataDir holds the local journal. Default ./iwf-data.
	DataDir string `yaml:"data_dir"`
	// LogLevel is debug, info (default), warn or error.
	LogLevel string `yaml:"log_level"`
	// Sandbox starts the in-process simulators (SMSC, a CPM user agent)
	// and points iwf at them. It is what `iwf serve` runs with no file.
	Sandbox bool `yaml:"sandbox"`

	SIP        SIP               `yaml:"sip"`
	SMPP       []SMSC            `yaml:"smpp"`
	MM7        *MM7              `yaml:"mm7"`
	IMPS       *IMPS             `yaml:"imps"`
	AddressMap addressmap.Config `yaml:"addressmap"`
	Gateway    gateway.Config    `yaml:"gateway"`
	Journal    Journal           `yaml:"journal"`
	Charging   Charging          `yaml:"charging"`
	Console    console.Config    `yaml:"console"`
}

// SIP is the CM-7 section: the endpoint's settings plus how iwf writes
// messages toward CPM users.
type SIP struct {
	sip.Config `yaml:",inline"`
	// CPIM wraps messages toward CPM users in message/cpim with IMDN
	// headers (default true); false sends bare text/plain.
	CPIM *bool `yaml:"cpim"`
	// Sessions accepts and opens MSRP sessions (default true): large
	// messages and files from CPM users, and messages toward them over the
	// pager-mode limit (gateway.pager_max_bytes).
	Sessions *bool `yaml:"sessions"`
}

// SessionsEnabled reports the effective value of Sessions.
func (s SIP) SessionsEnabled() bool { return s.Sessions == nil || *s.Sessions }

// CPIMEnabled reports the effective value of CPIM.
func (s SIP) CPIMEnabled() bool { return s.CPIM == nil || *s.CPIM }

// Charging is the charging records section (the CH-x interface): JSON
// lines in rotating files, on by default.
type Charging struct {
	gateway.ChargingConfig `yaml:",inline"`
	// Kafka tunes the charging topic (<topic_prefix>.charging) used
	// instead of the files when journal.backend is kafka; the files then
	// take what the topic cannot while it is unreachable.
	Kafka gateway.ChargingKafkaConfig `yaml:"kafka"`
	// Enabled writes charging records (default true).
	Enabled *bool `yaml:"enabled"`
}

// On reports the effective value of Enabled.
func (c Charging) On() bool { return c.Enabled == nil || *c.Enabled }

// Journal selects and configures the journal backend.
type Journal struct {
	// Backend is "local" (default: bbolt under data_dir) or "kafka".
	Backend string       `yaml:"backend"`
	Local   local.Config `yaml:"local"`
	Kafka   kafka.Config `yaml:"kafka"`
}

// Defaults that Load and Sandbox apply.
const (
	DefaultDataDir  = "./iwf-data"
	DefaultLogLevel = "info"
)

// Load reads a YAML file, applies defaults and the environment, and
// validates. Unknown keys are an error.
func Load(path string) (*Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return Parse(b, os.LookupEnv)
}

// Parse decodes YAML (strictly), then applies the environment through
// lookup (os.LookupEnv in production), defaults, and validation.
func Parse(b []byte, lookup func(string) (string, bool)) (*Config, error) {
	c := &Config{}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(c); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("config: %w", err)
	}
	if err := c.ApplyEnv(lookup); err != nil {
		return nil, err
	}
	c.applyDefaults()
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *Config) applyDefaults() {
	if c.DataDir == "" {
		c.DataDir = DefaultDataDir
	}
	if c.LogLevel == "" {
		c.LogLevel = DefaultLogLevel
	}
	if c.Journal.Backend == "" {
		c.Journal.Backend = "local"
	}
	if c.Charging.Dir == "" {
		c.Charging.Dir = filepath.Join(c.DataDir, "charging")
	}
	if c.Charging.MaxBytes == 0 {
		c.Charging.MaxBytes = 64 << 20
	}
	if c.Charging.MaxAge == 0 {
		c.Charging.MaxAge = time.Hour
	}
	if c.Charging.Flush == 0 {
		c.Charging.Flush = time.Second
	}
	if c.Journal.Local.Path == "" {
		c.Journal.Local.Path = filepath.Join(c.DataDir, "journal.db")
	}
	for i := range c.SMPP {
		c.SMPP[i].applyDefaults()
	}
	if c.MM7 != nil {
		c.MM7.applyDefaults()
	}
	if c.IMPS != nil {
		c.IMPS.applyDefaults()
	}
}

// Validate checks every section with its own package's rules and the
// cross-references between them.
func (c *Config) Validate() error {
	var errs []error
	add := func(section string, err error) {
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", section, err))
		}
	}
	switch strings.ToLower(c.LogLevel) {
	case "debug", "info", "warn", "error":
	default:
		add("log_level", fmt.Errorf("%q: want debug, info, warn or error", c.LogLevel))
	}
	add("sip", c.SIP.Config.Validate())
	add("addressmap", c.AddressMap.Validate())
	add("gateway", c.Gateway.Validate())
	add("console", c.Console.Validate())
	if c.Charging.MaxBytes < 0 || c.Charging.MaxAge < 0 || c.Charging.Flush < 0 {
		add("charging", errors.New("max_bytes, max_age and flush must not be negative"))
	}
	add("charging.kafka", c.Charging.Kafka.Validate())
	switch c.Journal.Backend {
	case "local":
		add("journal.local", c.Journal.Local.Validate())
	case "kafka":
		k := c.Journal.Kafka.WithDefaults()
		add("journal.kafka", k.Validate())
	default:
		add("journal.backend", fmt.Errorf("%q: want local or kafka", c.Journal.Backend))
	}
	names := map[string]bool{}
	for i, s := range c.SMPP {
		section := fmt.Sprintf("smpp[%d]", i)
		add(section, s.Validate())
		if names[s.Name] {
			add(section, fmt.Errorf("name %q used twice", s.Name))
		}
		names[s.Name] = true
	}
	if c.MM7 != nil {
		add("mm7", c.MM7.Validate())
		if names[c.MM7.Name] {
			add("mm7", fmt.Errorf("name %q is also an SMSC's", c.MM7.Name))
		}
	}
	if c.IMPS != nil {
		add("imps", c.IMPS.Validate())
		if names[c.IMPS.Name] || (c.MM7 != nil && c.MM7.Name == c.IMPS.Name) {
			add("imps", fmt.Errorf("name %q is also another route's", c.IMPS.Name))
		}
	}
	add("addressmap.rules", c.checkRoutes(names))
	if len(c.SMPP) == 0 && c.MM7 == nil && c.IMPS == nil && !c.Sandbox {
		add("smpp", errors.New("no SMSC, MM7 relay or IMPS server configured"))
	}
	return errors.Join(errs...)
}

// checkRoutes makes sure every route a rule names exists.
func (c *Config) checkRoutes(smscs map[string]bool) error {
	rules := append([]addressmap.Rule(nil), c.AddressMap.Rules...)
	if c.AddressMap.DefaultNetwork != "" {
		rules = append(rules, addressmap.Rule{Match: "*", Network: c.AddressMap.DefaultNetwork, Route: c.AddressMap.DefaultRoute})
	}
	for _, r := range rules {
		switch r.Network {
		case gateway.NetworkSMS:
			if !smscs[r.Route] && !c.Sandbox {
				return fmt.Errorf("rule %q names SMS route %q, but no smpp entry has that name", r.Match, r.Route)
			}
		case gateway.NetworkMMS:
			if c.MM7 == nil {
				return fmt.Errorf("rule %q sends to MMS, but there is no mm7 section", r.Match)
			}
		case gateway.NetworkAuto:
			if !smscs[r.Route] && !c.Sandbox {
				return fmt.Errorf("rule %q names SMS route %q for auto, but no smpp entry has that name", r.Match, r.Route)
			}
			if c.MM7 == nil {
				return fmt.Errorf("rule %q is auto (SMS or MMS), but there is no mm7 section", r.Match)
			}
		case gateway.NetworkIMPS:
			if c.IMPS == nil {
				return fmt.Errorf("rule %q sends to IMPS, but there is no imps section", r.Match)
			}
		case gateway.NetworkCPM:
		default:
			return fmt.Errorf("rule %q: network %q is not one this build serves (sms, mms, auto, imps, cpm)", r.Match, r.Network)
		}
	}
	return nil
}

// Marshal renders the configuration as YAML, passwords masked.
func (c *Config) Marshal() ([]byte, error) {
	masked := *c
	masked.SMPP = append([]SMSC(nil), c.SMPP...)
	for i := range masked.SMPP {
		mask(&masked.SMPP[i].Password)
	}
	if c.MM7 != nil {
		m := *c.MM7
		mask(&m.Password)
		mask(&m.InboundPassword)
		masked.MM7 = &m
	}
	if c.IMPS != nil {
		p := *c.IMPS
		mask(&p.Password)
		masked.IMPS = &p
	}
	mask(&masked.Journal.Kafka.SASL.Password)
	mask(&masked.Console.Token)
	return yaml.Marshal(&masked)
}

func mask(s *string) {
	if *s != "" {
		*s = "********"
	}
}

// Finish re-applies defaults and validates after a caller changed fields
// (flags override the file and the environment).
func (c *Config) Finish() error {
	c.applyDefaults()
	return c.Validate()
}
