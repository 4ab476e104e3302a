package config

import (
	"strings"
	"testing"
)

const minimal = `
smpp:
  - name: smsc1
    address: 127.0.0.1:2775
    system_id: iwf
    password: secret
addressmap:
  country_code: "44"
  rules:
    - {match: "+44", network: sms, route: smsc1}
`

func noEnv(string) (string, bool) { return "", false }

func TestParseDefaults(t *testing.T) {
	c, err := Parse([]byte(minimal), noEnv)
	if err != nil {
		t.Fatal(err)
	}
	if c.DataDir != DefaultDataDir || c.Journal.Local.Path != "iwf-data/journal.db" || c.SMPP[0].Concatenation != "udh8" ||
		c.SMPP[0].Workers != 64 || !c.SIP.CPIMEnabled() || c.LogLevel != "info" {
		t.Errorf("defaults not applied: %+v", c)
	}
}

func TestParseRefuses(t *testing.T) {
	cases := map[string]string{
		"unknown key":       minimal + "colour: blue\n",
		"unknown SMSC key":  strings.Replace(minimal, "system_id: iwf", "system_id: iwf\n    sytem_type: x", 1),
		"rule to no SMSC":   strings.Replace(minimal, "route: smsc1}", "route: smsc2}", 1),
		"unknown network":   strings.Replace(minimal, "network: sms", "network: fax", 1),
		"bad concatenation": strings.Replace(minimal, "password: secret", "password: secret\n    concatenation: udh7", 1),
		"bad log level":     minimal + "log_level: loud\n",
		"no SMSC":           "addressmap: {country_code: \"44\"}\n",
		"bad duration":      minimal + "gateway: {validity: soon}\n",
	}
	for name, doc := range cases {
		if _, err := Parse([]byte(doc), noEnv); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestEnvironmentOverridesFile(t *testing.T) {
	env := map[string]string{
		"IWF_DATA_DIR":            "/var/lib/iwf",
		"IWF_SIP_LISTEN":          "udp:0.0.0.0:5060, tcp:0.0.0.0:5060",
		"IWF_SMPP_SMSC1_PASSWORD": "fromenv",
	}
	c, err := Parse([]byte(minimal), func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	if c.DataDir != "/var/lib/iwf" || len(c.SIP.Listen) != 2 || c.SIP.Listen[1] != "tcp:0.0.0.0:5060" || c.SMPP[0].Password != "fromenv" {
		t.Errorf("environment not applied: %+v", c)
	}
	b, err := c.Marshal()
	if err != nil || strings.Contains(string(b), "fromenv") {
		t.Errorf("Marshal leaks the password: %s", b)
	}
}

func TestSandboxIsValid(t *testing.T) {
	c, err := Sandbox(noEnv)
	if err != nil {
		t.Fatal(err)
	}
	if !c.Sandbox || c.SMPP[0].Name != SandboxSMSC || c.Console.Listen != "127.0.0.1:8080" {
		t.Errorf("sandbox = %+v", c)
	}
}
