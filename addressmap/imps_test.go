package addressmap

import (
	"errors"
	"strings"
	"testing"
)

// impsConfig is the scenario of the IWF-1 issue: IMPS users live in
// imps.example.net (and a second domain), CPM users appear in IMPS as
// cpm.example.net and are SIP users of cpm.example.net.
func impsConfig() IMPSConfig {
	return IMPSConfig{
		Domain:        "cpm.example.net",
		RemoteDomains: []string{"imps.example.net", "IM.Example.ORG"},
		CPMDomain:     "cpm.example.net",
	}
}

func TestIMPSConfigValidate(t *testing.T) {
	if err := impsConfig().Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	bad := map[string]func(*IMPSConfig){
		"no domain":            func(c *IMPSConfig) { c.Domain = "" },
		"domain not a host":    func(c *IMPSConfig) { c.Domain = "cpm example.net" },
		"domain with user":     func(c *IMPSConfig) { c.Domain = "bob@cpm.example.net" },
		"cpm domain not host":  func(c *IMPSConfig) { c.CPMDomain = "-cpm.example.net" },
		"no remote domains":    func(c *IMPSConfig) { c.RemoteDomains = nil },
		"remote not a host":    func(c *IMPSConfig) { c.RemoteDomains = []string{"imps.example.net:80"} },
		"remote repeated":      func(c *IMPSConfig) { c.RemoteDomains = []string{"imps.example.net", "IMPS.example.net."} },
		"remote is domain":     func(c *IMPSConfig) { c.RemoteDomains = []string{"CPM.example.net"} },
		"remote is cpm domain": func(c *IMPSConfig) { c.Domain = "wv.example.net"; c.RemoteDomains = []string{"cpm.example.net"} },
	}
	for name, change := range bad {
		c := impsConfig()
		change(&c)
		if err := c.Validate(); !errors.Is(err, ErrConfig) {
			t.Errorf("%s: Validate = %v, want ErrConfig", name, err)
		}
	}
	c := impsConfig()
	c.CPMDomain = ""
	if err := c.Validate(); err != nil {
		t.Errorf("without cpm_domain: %v", err)
	}
}

func TestIMPSRecipient(t *testing.T) {
	c := impsConfig()
	alice := "wv:alice@imps.example.net"
	cases := map[string]string{
		"sip:alice@imps.example.net":                                 alice,
		"im:alice@imps.example.net":                                  alice,
		"wv:alice@imps.example.net":                                  alice,
		"sips:alice@imps.example.net":                                alice,
		"SIP:alice@IMPS.Example.NET":                                 alice,
		"IM:alice@Imps.Example.Net.":                                 alice,
		"WV:alice@IMPS.EXAMPLE.NET":                                  alice,
		"  <sip:alice@imps.example.net>  ":                           alice,
		"Alice <im:alice@imps.example.net>":                          alice,
		`"Alice Liddell" <sip:alice@imps.example.net;transport=tcp>`: alice,
		"sip:alice@imps.example.net:5061;transport=tls?subject=hi":   alice,
		"im:alice@imps.example.net?subject=hi":                       alice,
		"sip:al%69ce@imps.example.net":                               alice,
		"wv:Alice@IMPS.example.net":                                  "wv:Alice@imps.example.net",
		"sip:Alice.Liddell@imps.example.net":                         "wv:Alice.Liddell@imps.example.net",
		"sip:a%25b@imps.example.net":                                 "wv:a%b@imps.example.net",
		"sip:+447700900123@imps.example.net;user=phone":              "wv:+447700900123@imps.example.net",
		"sip:carol@im.example.org":                                   "wv:carol@im.example.org",
	}
	for in, want := range cases {
		got, ok, err := c.IMPSRecipient(in)
		if err != nil || !ok || got != want {
			t.Errorf("IMPSRecipient(%q) = %q, %v, %v; want %q", in, got, ok, err, want)
		}
	}
	notIMPS := []string{
		"sip:alice@other.example.net",
		"sip:bob@cpm.example.net",
		"wv:bob@cpm.example.net",
		"wv:alice@other.example.net",
		"wv:alice",
		"wv:john/chatgroup@imps.example.net",
		"sip:john/chat@imps.example.net",
		"tel:+447700900123",
		"+447700900123",
		"alice",
		"mailto:alice@imps.example.net",
		"pres:alice@imps.example.net",
	}
	for _, in := range notIMPS {
		if got, ok, err := c.IMPSRecipient(in); ok || err != nil || got != "" {
			t.Errorf("IMPSRecipient(%q) = %q, %v, %v; want not an IMPS user", in, got, ok, err)
		}
	}
	invalidInputs := []string{
		"", "   ", "<>",
		"sip:@imps.example.net", "sip:alice", "sip:alice:secret@imps.example.net",
		"sip:alice@imps_example.net", "sip:al%20ice@imps.example.net", "sip:alice%z1@imps.example.net",
		"sip:al\"ice@imps.example.net",
		"im:alice", "im:@imps.example.net", "im:alice@", "im:a%3Cb@imps.example.net",
		"wv:", "wv:@imps.example.net", "wv:alice@", "wv:a b@imps.example.net", "wv:a@b@imps.example.net",
		"wv:alice@-imps.example.net", "wv:ålice@imps.example.net",
		"sip:" + strings.Repeat("a", MaxAddressLen) + "@imps.example.net",
	}
	for _, in := range invalidInputs {
		if got, ok, err := c.IMPSRecipient(in); !errors.Is(err, ErrInvalid) || ok || got != "" {
			t.Errorf("IMPSRecipient(%q) = %q, %v, %v; want ErrInvalid", in, got, ok, err)
		}
	}
}

func TestIMPSSender(t *testing.T) {
	m := mustMap(t, Config{CountryCode: "44"})
	c := impsConfig()
	cases := map[string]string{
		"tel:+447700900123":                              "wv:+447700900123@cpm.example.net",
		"sip:+447700900123@cpm.example.net;user=phone":   "wv:+447700900123@cpm.example.net",
		"sip:07700900123@cpm.example.net;user=phone":     "wv:+447700900123@cpm.example.net",
		"tel:+1-202-555-0143":                            "wv:+12025550143@cpm.example.net",
		"40404":                                          "wv:40404@cpm.example.net",
		"tel:40404;phone-context=+44":                    "wv:40404@cpm.example.net",
		"sip:bob@cpm.example.net":                        "wv:bob@cpm.example.net",
		"SIP:Bob@CPM.Example.NET":                        "wv:Bob@cpm.example.net",
		"sips:bob@cpm.example.net:5061;transport=tls":    "wv:bob@cpm.example.net",
		"sip:b%6Fb@cpm.example.net":                      "wv:bob@cpm.example.net",
		"sip:bob.o'hara@cpm.example.net":                 "wv:bob.o'hara@cpm.example.net",
		"sip:a%25b@cpm.example.net":                      "wv:a%b@cpm.example.net",
		"<sip:+447700900123@ims.example.net;user=phone>": "wv:+447700900123@cpm.example.net",
	}
	for in, want := range cases {
		n, err := m.Normalize(in)
		if err != nil {
			t.Fatalf("Normalize(%q): %v", in, err)
		}
		got, err := c.IMPSSender(n)
		if err != nil || got != want {
			t.Errorf("IMPSSender(%q) = %q, %v; want %q", in, got, err, want)
		}
	}

	noForm := []string{
		"sip:bob@other.example.net", // not a CPM user of ours: two users would share wv:bob
		"sip:alice@imps.example.net",
		"MyBank",
		"wv:bob@cpm.example.net",
		"sip:b%20ob@cpm.example.net",
		"sip:team/chat@cpm.example.net",
	}
	for _, in := range noForm {
		n, err := m.Normalize(in)
		if err != nil {
			t.Fatalf("Normalize(%q): %v", in, err)
		}
		if got, err := c.IMPSSender(n); !errors.Is(err, ErrNoForm) || got != "" {
			t.Errorf("IMPSSender(%q) = %q, %v; want ErrNoForm", in, got, err)
		}
	}
	if _, err := c.IMPSSender(Number{}); !errors.Is(err, ErrNoForm) {
		t.Errorf("IMPSSender(zero) = %v, want ErrNoForm", err)
	}
	noCPMDomain := c
	noCPMDomain.CPMDomain = ""
	bob, _ := m.Normalize("sip:bob@cpm.example.net")
	if _, err := noCPMDomain.IMPSSender(bob); !errors.Is(err, ErrNoForm) {
		t.Errorf("IMPSSender without cpm_domain = %v, want ErrNoForm", err)
	}
	if _, err := (IMPSConfig{}).IMPSSender(intl("447700900123")); !errors.Is(err, ErrConfig) {
		t.Errorf("IMPSSender without domain = %v, want ErrConfig", err)
	}
}

func TestCPMFromIMPS(t *testing.T) {
	c := impsConfig()
	sipID := func(s string) Number { return Number{Kind: SIPIdentity, Text: s} }
	cases := map[string]Number{
		"wv:alice@imps.example.net":         sipID("sip:alice@imps.example.net"),
		"WV:Alice@IMPS.Example.NET":         sipID("sip:Alice@imps.example.net"),
		" wv:carol@im.example.org. ":        sipID("sip:carol@im.example.org"),
		"wv:a%b@imps.example.net":           sipID("sip:a%25b@imps.example.net"),
		"wv:a[b]@imps.example.net":          sipID("sip:a%5Bb%5D@imps.example.net"),
		"wv:+447700900123@imps.example.net": sipID("sip:+447700900123@imps.example.net"),
		"wv:+447700900123@cpm.example.net":  intl("447700900123"),
		"wv:+447700900123@CPM.example.net":  intl("447700900123"),
		"wv:bob@cpm.example.net":            sipID("sip:bob@cpm.example.net"),
		"wv:Bob@Cpm.Example.Net":            sipID("sip:Bob@cpm.example.net"),
		"wv:40404@cpm.example.net":          sipID("sip:40404@cpm.example.net"),
	}
	m := mustMap(t, Config{CountryCode: "44"})
	for in, want := range cases {
		got, err := c.CPMFromIMPS(in)
		if err != nil || got != want {
			t.Errorf("CPMFromIMPS(%q) = %#v, %v; want %#v", in, got, err, want)
			continue
		}
		// What the gateway writes toward CPM reads back as the same Number,
		// but for an IMPS user named like a number (see CPMFromIMPS).
		if got.Kind == SIPIdentity && !strings.HasPrefix(got.Text, "sip:+") {
			if back, err := m.Normalize(m.CPMAddress(got, "cpm.example.net")); err != nil || back != got {
				t.Errorf("Normalize(CPMAddress(%#v)) = %#v, %v", got, back, err)
			}
		}
	}
	mSIP := mustMap(t, Config{CountryCode: "44", CPMForm: CPMFormSIP})
	n, _ := c.CPMFromIMPS("wv:+447700900123@cpm.example.net")
	if got := m.CPMAddress(n, "cpm.example.net"); got != "tel:+447700900123" {
		t.Errorf("CPMAddress tel form = %q", got)
	}
	if got := mSIP.CPMAddress(n, "cpm.example.net"); got != "sip:+447700900123@cpm.example.net;user=phone" {
		t.Errorf("CPMAddress sip form = %q", got)
	}

	noForm := []string{
		"wv:alice@other.example.net", // the IMPS side may not name SIP users elsewhere
		"wv:alice",
		"wv:john/chatgroup@imps.example.net",
		"wv:/happy@imps.example.net",
	}
	for _, in := range noForm {
		if got, err := c.CPMFromIMPS(in); !errors.Is(err, ErrNoForm) || got != (Number{}) {
			t.Errorf("CPMFromIMPS(%q) = %#v, %v; want ErrNoForm", in, got, err)
		}
	}
	invalidIDs := []string{
		"", "sip:alice@imps.example.net", "alice@imps.example.net", "wv:", "wv:@imps.example.net",
		"wv:a b@imps.example.net", "wv:alice@", "wv:alice@imps_example.net",
		"wv:+123@cpm.example.net", "wv:+0447700900123@cpm.example.net", "wv:+44770090012345678@cpm.example.net",
		"wv:+44-7700@cpm.example.net",
		"wv:" + strings.Repeat("a", MaxAddressLen) + "@imps.example.net",
	}
	for _, in := range invalidIDs {
		if got, err := c.CPMFromIMPS(in); !errors.Is(err, ErrInvalid) || got != (Number{}) {
			t.Errorf("CPMFromIMPS(%q) = %#v, %v; want ErrInvalid", in, got, err)
		}
	}
	noCPMDomain := c
	noCPMDomain.CPMDomain = ""
	if _, err := noCPMDomain.CPMFromIMPS("wv:bob@cpm.example.net"); !errors.Is(err, ErrNoForm) {
		t.Errorf("CPMFromIMPS without cpm_domain = %v, want ErrNoForm", err)
	}
	if n, err := noCPMDomain.CPMFromIMPS("wv:+447700900123@cpm.example.net"); err != nil || n != intl("447700900123") {
		t.Errorf("CPMFromIMPS number without cpm_domain = %#v, %v", n, err)
	}
}

// TestIMPSScenario walks the scenario both ways through a Map.
func TestIMPSScenario(t *testing.T) {
	m := mustMap(t, Config{CountryCode: "44", CPMForm: CPMFormSIP})
	c := impsConfig()

	// A CPM user writes to the IMPS user; the IMPS user answers.
	for _, to := range []string{"sip:alice@imps.example.net", "im:alice@imps.example.net"} {
		id, ok, err := c.IMPSRecipient(to)
		if err != nil || !ok || id != "wv:alice@imps.example.net" {
			t.Fatalf("IMPSRecipient(%q) = %q, %v, %v", to, id, ok, err)
		}
		from, err := c.CPMFromIMPS(id)
		if err != nil {
			t.Fatal(err)
		}
		if got := m.CPMAddress(from, "cpm.example.net"); got != "sip:alice@imps.example.net" {
			t.Errorf("IMPS user seen by CPM as %q", got)
		}
		if again, ok, err := c.IMPSRecipient(m.CPMAddress(from, "cpm.example.net")); err != nil || !ok || again != id {
			t.Errorf("reply to the IMPS user reaches %q, %v, %v", again, ok, err)
		}
	}

	// CPM users as IMPS sees them, and back.
	for in, wantCPM := range map[string]string{
		"tel:+447700900123":                            "sip:+447700900123@cpm.example.net;user=phone",
		"sip:+447700900123@cpm.example.net;user=phone": "sip:+447700900123@cpm.example.net;user=phone",
		"sip:bob@cpm.example.net":                      "sip:bob@cpm.example.net",
	} {
		n, err := m.Normalize(in)
		if err != nil {
			t.Fatal(err)
		}
		id, err := c.IMPSSender(n)
		if err != nil {
			t.Fatalf("IMPSSender(%q): %v", in, err)
		}
		if c.SideOf(id) != SideCPM {
			t.Errorf("SideOf(%q) = %v, want SideCPM", id, c.SideOf(id))
		}
		back, err := c.CPMFromIMPS(id)
		if err != nil || back != n {
			t.Errorf("CPMFromIMPS(IMPSSender(%q)=%q) = %#v, %v; want %#v", in, id, back, err, n)
		}
		if got := m.CPMAddress(back, "cpm.example.net"); got != wantCPM {
			t.Errorf("%q comes back to CPM as %q, want %q", in, got, wantCPM)
		}
	}
}

func TestIMPSSideOf(t *testing.T) {
	c := impsConfig()
	cases := map[string]IMPSSide{
		"wv:alice@imps.example.net":          SideIMPS,
		"wv:alice@IM.EXAMPLE.ORG":            SideIMPS,
		"wv:+447700900123@cpm.example.net":   SideCPM,
		"wv:bob@Cpm.Example.Net":             SideCPM,
		"wv:alice@other.example.net":         SideNone,
		"wv:alice":                           SideNone,
		"wv:john/chatgroup@imps.example.net": SideNone,
		"sip:alice@imps.example.net":         SideNone,
		"wv:a b@imps.example.net":            SideNone,
		"":                                   SideNone,
	}
	for in, want := range cases {
		if got := c.SideOf(in); got != want {
			t.Errorf("SideOf(%q) = %v, want %v", in, got, want)
		}
	}
}

// FuzzIMPSAddresses checks that whatever IMPSRecipient accepts maps to a
// CPM address that leads back to the same IMPS id, and that CPMFromIMPS
// and SideOf agree.
func FuzzIMPSAddresses(f *testing.F) {
	for _, s := range []string{
		"sip:alice@imps.example.net", "im:alice@imps.example.net?subject=x", "wv:Alice@IMPS.example.net",
		"Alice <sips:al%69ce@imps.example.net:5061;transport=tls>", "sip:a%25b@imps.example.net",
		"wv:+447700900123@cpm.example.net", "wv:bob@cpm.example.net", "wv:john/chatgroup@imps.example.net",
		"sip:alice:pw@imps.example.net", "wv:a@b@c", "im:alice@", "tel:+447700900123",
	} {
		f.Add(s)
	}
	c := impsConfig()
	m := mustMap(f, Config{CountryCode: "44"})
	f.Fuzz(func(t *testing.T, addr string) {
		id, ok, err := c.IMPSRecipient(addr)
		if err != nil && !errors.Is(err, ErrInvalid) {
			t.Fatalf("IMPSRecipient(%q): error %v does not wrap ErrInvalid", addr, err)
		}
		if ok {
			if c.SideOf(id) != SideIMPS {
				t.Fatalf("IMPSRecipient(%q) = %q, on side %v", addr, id, c.SideOf(id))
			}
			n, err := c.CPMFromIMPS(id)
			if err != nil || n.Kind != SIPIdentity {
				t.Fatalf("CPMFromIMPS(%q) = %#v, %v", id, n, err)
			}
			again, ok, err := c.IMPSRecipient(m.CPMAddress(n, ""))
			if err != nil || !ok || again != id {
				t.Fatalf("%q -> %q -> %q -> %q, %v, %v", addr, id, n.Text, again, ok, err)
			}
		}
		n, err := c.CPMFromIMPS(addr)
		side := c.SideOf(addr)
		switch {
		case err != nil:
			if !errors.Is(err, ErrInvalid) && !errors.Is(err, ErrNoForm) {
				t.Fatalf("CPMFromIMPS(%q): error %v wraps neither ErrInvalid nor ErrNoForm", addr, err)
			}
			if side == SideIMPS {
				t.Fatalf("CPMFromIMPS(%q) failed (%v) for an IMPS user", addr, err)
			}
		case side == SideNone:
			t.Fatalf("CPMFromIMPS(%q) = %#v for an id on no side", addr, n)
		case side == SideCPM:
			if back, err := c.IMPSSender(n); err != nil || c.SideOf(back) != SideCPM {
				t.Fatalf("IMPSSender(CPMFromIMPS(%q) = %#v) = %q, %v", addr, n, back, err)
			}
		}
	})
}
