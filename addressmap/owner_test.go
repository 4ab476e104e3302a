package addressmap

import (
	"errors"
	"testing"
)

var testRules = []Rule{
	{Match: "+4477009", Network: "cpm"},
	{Match: "+44", Network: "sms", Route: "smsc1"},
	{Match: "+1", Network: "sms", Route: "smsc-us"},
	{Match: "40404", Network: "sms", Route: "smsc1"},
	{Match: "8*", Network: "sms", Route: "premium"},
	{Match: "sip:*@ims.example.net", Network: "cpm"},
	{Match: "sip:bot-*@*.Example.org", Network: "cpm", Route: "bots"},
	{Match: "wv:*@imps.example.net", Network: "imps"},
}

func TestOwner(t *testing.T) {
	m := mustMap(t, Config{CountryCode: "44", Rules: testRules})
	cases := []struct {
		addr string
		want Route
	}{
		{"+447700900999", Route{"cpm", ""}},
		{"07700800123", Route{"sms", "smsc1"}},
		{"sip:+447700800123@ims.example.net;user=phone", Route{"sms", "smsc1"}},
		{"tel:+1-415-555-0100", Route{"sms", "smsc-us"}},
		{"40404", Route{"sms", "smsc1"}},
		{"tel:40404;phone-context=+44", Route{"sms", "smsc1"}},
		{"81234", Route{"sms", "premium"}},
		{"sip:alice@ims.example.net", Route{"cpm", ""}},
		{"sip:alice@IMS.example.net;transport=tcp", Route{"cpm", ""}},
		{"sip:bot-1@a.example.org", Route{"cpm", "bots"}},
		{"sip:bot-@b.c.example.org", Route{"cpm", "bots"}},
		{"wv:bob@IMPS.example.net", Route{"imps", ""}},
		{"wv:Bob@imps.example.net", Route{"imps", ""}},
	}
	for _, c := range cases {
		got, err := m.Owner(c.addr)
		if err != nil || got != c.want {
			t.Errorf("Owner(%q) = %+v, %v; want %+v", c.addr, got, err, c.want)
		}
	}
	for _, addr := range []string{
		"40405", "+33612345678", "sips:alice@ims.example.net", "sip:Bot-1@a.example.org",
		"sip:bot-1@example.org", "wv:bob", "MyBank",
		"sip:+33612345678@ims.example.net;user=phone", // numbers route by number rules
	} {
		if got, err := m.Owner(addr); !errors.Is(err, ErrNoRoute) {
			t.Errorf("Owner(%q) = %+v, %v; want ErrNoRoute", addr, got, err)
		}
	}
	if _, err := m.Owner("not@valid"); !errors.Is(err, ErrInvalid) {
		t.Errorf("Owner of bad input: %v, want ErrInvalid", err)
	}
}

func TestOwnerDefaultAndCatchAll(t *testing.T) {
	m := mustMap(t, Config{CountryCode: "44", Rules: testRules, DefaultNetwork: "sms", DefaultRoute: "smsc2"})
	if got, err := m.Owner("+33612345678"); err != nil || got != (Route{"sms", "smsc2"}) {
		t.Errorf("default route: %+v, %v", got, err)
	}
	if _, err := m.Owner("MyBank"); !errors.Is(err, ErrNoRoute) {
		t.Errorf("an alphanumeric recipient must have no route even with a default: %v", err)
	}
	all := mustMap(t, Config{CountryCode: "44", Rules: []Rule{{Match: "*", Network: "cpm"}}})
	for _, addr := range []string{"+33612345678", "40404", "sip:a@b.example", "wv:x"} {
		if got, err := all.Owner(addr); err != nil || got != (Route{"cpm", ""}) {
			t.Errorf("catch-all Owner(%q) = %+v, %v", addr, got, err)
		}
	}
}

func TestGlob(t *testing.T) {
	cases := []struct {
		p, s string
		fold bool
		want bool
	}{
		{"*", "", false, true},
		{"*", "abc", false, true},
		{"a*c", "abbbc", false, true},
		{"a*c", "abbbd", false, false},
		{"*.example.net", "ims.example.net", false, true},
		{"*.example.net", "example.net", false, false},
		{"a**b", "ab", false, true},
		{"*a*a*a", "aaaa", false, true},
		{"*a*a*a", "aab", false, false},
		{"ABC", "abc", false, false},
		{"ABC", "abc", true, true},
		{"a@b", "a`b", true, false},
	}
	for _, c := range cases {
		if got := glob(c.p, c.s, c.fold); got != c.want {
			t.Errorf("glob(%q, %q, %v) = %v", c.p, c.s, c.fold, got)
		}
	}
}
