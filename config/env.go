package config

import (
	"fmt"
	"strings"
)

// The environment variables ApplyEnv reads. They override the file and
// are overridden by flags.
var envKeys = []struct {
	name, doc string
	apply     func(c *Config, v string) error
}{
	{"IWF_DATA_DIR", "data_dir", func(c *Config, v string) error { c.DataDir = v; return nil }},
	{"IWF_LOG_LEVEL", "log_level", func(c *Config, v string) error { c.LogLevel = v; return nil }},
	{"IWF_SIP_LISTEN", "sip.listen (comma-separated)", func(c *Config, v string) error {
		c.SIP.Listen = splitList(v)
		return nil
	}},
	{"IWF_SIP_OUTBOUND_PROXY", "sip.outbound_proxy", func(c *Config, v string) error { c.SIP.OutboundProxy = v; return nil }},
	{"IWF_CONSOLE_LISTEN", "console.listen", func(c *Config, v string) error { c.Console.Listen = v; return nil }},
	{"IWF_CONSOLE_TOKEN", "console.token (also read by iwf replay --console)", func(c *Config, v string) error { c.Console.Token = v; return nil }},
	{"IWF_MM7_PASSWORD", "mm7.password (when there is an mm7 section)", func(c *Config, v string) error {
		if c.MM7 != nil {
			c.MM7.Password = v
		}
		return nil
	}},
	{"IWF_MM7_INBOUND_PASSWORD", "mm7.inbound_password", func(c *Config, v string) error {
		if c.MM7 != nil {
			c.MM7.InboundPassword = v
		}
		return nil
	}},
	{"IWF_IMPS_PASSWORD", "imps.password (when there is an imps section)", func(c *Config, v string) error {
		if c.IMPS != nil {
			c.IMPS.Password = v
		}
		return nil
	}},
}

// EnvDoc lists the environment variables and the keys they set, for help
// texts and the README.
func EnvDoc() string {
	var b strings.Builder
	for _, k := range envKeys {
		fmt.Fprintf(&b, "  %-24s %s\n", k.name, k.doc)
	}
	b.WriteString("  IWF_SMPP_<NAME>_PASSWORD smpp[name=<name>].password (NAME upper-case, '-' as '_')\n")
	return b.String()
}

// ApplyEnv overrides settings from the environment (lookup is
// os.LookupEnv in production). SMSC passwords can come from
// IWF_SMPP_<NAME>_PASSWORD so they need not be written in the file.
func (c *Config) ApplyEnv(lookup func(string) (string, bool)) error {
	for _, k := range envKeys {
		if v, ok := lookup(k.name); ok {
			if err := k.apply(c, v); err != nil {
				return fmt.Errorf("config: %s: %w", k.name, err)
			}
		}
	}
	for i := range c.SMPP {
		name := "IWF_SMPP_" + strings.ToUpper(strings.ReplaceAll(c.SMPP[i].Name, "-", "_")) + "_PASSWORD"
		if v, ok := lookup(name); ok {
			c.SMPP[i].Password = v
		}
	}
	return nil
}

func splitList(v string) []string {
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}
