package addressmap

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

func TestConfigValidate(t *testing.T) {
	good := []Config{
		{},
		{CountryCode: "44", Rules: testRules, DefaultNetwork: "sms"},
		{CountryCode: "1", NationalPrefix: "1", InternationalPrefix: "011", ShortCodeMaxLen: 6},
		{CountryCode: "39", NationalPrefix: NoPrefix, BareDigits: BareInternational, CPMForm: CPMFormSIP},
	}
	for _, c := range good {
		if err := c.Validate(); err != nil {
			t.Errorf("Validate(%+v): %v", c, err)
		}
	}
	bad := []Config{
		{CountryCode: "044"}, {CountryCode: "4444"}, {CountryCode: "+44"},
		{NationalPrefix: "x"}, {NationalPrefix: "00000"}, {InternationalPrefix: "+"},
		{NationalPrefix: "00"}, // same as the default international prefix
		{ShortCodeMaxLen: -1}, {ShortCodeMaxLen: 9}, {MaxNationalLen: 3}, {MaxNationalLen: 15},
		{BareDigits: "guess"}, {CPMForm: "mailto"},
		{DefaultRoute: "smsc1"}, {DefaultNetwork: "s m s"},
		{Rules: []Rule{{Match: "+44", Network: ""}}},
		{Rules: []Rule{{Match: "+44", Network: "sms", Route: "smsc 1"}}},
		{Rules: []Rule{{Match: "", Network: "sms"}}},
		{Rules: []Rule{{Match: "+44x", Network: "sms"}}},
		{Rules: []Rule{{Match: "4040a", Network: "sms"}}},
		{Rules: []Rule{{Match: "123456789", Network: "sms"}}},
		{Rules: []Rule{{Match: "sip:example.net", Network: "cpm"}}},
		{Rules: []Rule{{Match: "wv:", Network: "imps"}}},
		{Rules: []Rule{{Match: "mailto:*@x", Network: "cpm"}}},
	}
	for _, c := range bad {
		err := c.Validate()
		if !errors.Is(err, ErrConfig) || !strings.HasPrefix(err.Error(), "addressmap: ") {
			t.Errorf("Validate(%+v) = %v, want ErrConfig", c, err)
		}
		if m, err := New(c); m != nil || !errors.Is(err, ErrConfig) {
			t.Errorf("New(%+v) = %v, %v; want ErrConfig", c, m, err)
		}
	}
}

func TestConfigValidateDoesNotChangeConfig(t *testing.T) {
	c := Config{CountryCode: "44"}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.NationalPrefix != "" || c.InternationalPrefix != "" || c.ShortCodeMaxLen != 0 || c.BareDigits != "" || c.CPMForm != "" {
		t.Errorf("Validate changed the config: %+v", c)
	}
}

func TestConfigYAML(t *testing.T) {
	const doc = `
country_code: "44"
national_prefix: "0"
international_prefix: "00"
short_code_max_len: 5
bare_digits: international
max_national_len: 10
cpm_form: sip
default_network: sms
default_route: smsc2
rules:
  - {match: "+44", network: sms, route: smsc1}
  - {match: "sip:*@ims.example.net", network: cpm}
`
	var c Config
	dec := yaml.NewDecoder(strings.NewReader(doc))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		t.Fatal(err)
	}
	want := Config{CountryCode: "44", NationalPrefix: "0", InternationalPrefix: "00", ShortCodeMaxLen: 5,
		BareDigits: BareInternational, MaxNationalLen: 10, CPMForm: CPMFormSIP, DefaultNetwork: "sms",
		DefaultRoute: "smsc2", Rules: []Rule{{"+44", "sms", "smsc1"}, {"sip:*@ims.example.net", "cpm", ""}}}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("decoded %+v, want %+v", c, want)
	}
	var p SMPPPolicy
	if err := yaml.Unmarshal([]byte("{format: national, short_code_ton: 6, short_code_npi: 1}"), &p); err != nil {
		t.Fatal(err)
	}
	if p != (SMPPPolicy{Format: FormatNational, ShortCodeTON: 6, ShortCodeNPI: 1}) {
		t.Errorf("decoded policy %+v", p)
	}
}
