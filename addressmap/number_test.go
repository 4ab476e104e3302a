package addressmap

import "testing"

func TestNumberForms(t *testing.T) {
	cases := []struct {
		n                         Number
		tel, sip, e164, str, name string
		replyable                 bool
	}{
		{intl("447700900123"), "tel:+447700900123", "sip:+447700900123@ims.example.net;user=phone",
			"447700900123", "+447700900123", "international", true},
		{short("40404", "+44"), "tel:40404;phone-context=+44", "sip:40404;phone-context=+44@ims.example.net;user=phone",
			"", "40404", "short-code", true},
		{short("40404", ""), "tel:40404", "sip:40404@ims.example.net;user=phone", "", "40404", "short-code", true},
		{Number{Kind: Alphanumeric, Text: "MyBank"}, "", "", "", "MyBank", "alphanumeric", false},
		{Number{Kind: SIPIdentity, Text: "sip:alice@example.net"}, "", "sip:alice@example.net", "",
			"sip:alice@example.net", "sip-identity", true},
		{Number{Kind: IMPS, Text: "wv:bob@imps.example.net"}, "", "", "", "wv:bob@imps.example.net", "imps", true},
		{Number{}, "", "", "", "", "unknown", false},
	}
	for _, c := range cases {
		if got := c.n.TelURI(); got != c.tel {
			t.Errorf("%#v.TelURI() = %q, want %q", c.n, got, c.tel)
		}
		if got := c.n.SIPURI("ims.example.net"); got != c.sip {
			t.Errorf("%#v.SIPURI() = %q, want %q", c.n, got, c.sip)
		}
		if got := c.n.E164(); got != c.e164 {
			t.Errorf("%#v.E164() = %q, want %q", c.n, got, c.e164)
		}
		if got := c.n.String(); got != c.str {
			t.Errorf("%#v.String() = %q, want %q", c.n, got, c.str)
		}
		if got := c.n.Kind.String(); got != c.name {
			t.Errorf("%#v.Kind.String() = %q, want %q", c.n, got, c.name)
		}
		if got := c.n.Replyable(); got != c.replyable {
			t.Errorf("%#v.Replyable() = %v, want %v", c.n, got, c.replyable)
		}
	}
	if got := Kind(42).String(); got != "kind(42)" {
		t.Errorf("Kind(42).String() = %q", got)
	}
}

// TestCanonicalFormsNormalizeBack checks that what iwf writes toward CPM
// reads back as the same Number, under every CPM form.
func TestCanonicalFormsNormalizeBack(t *testing.T) {
	for _, form := range []string{CPMFormTel, CPMFormSIP} {
		m := mustMap(t, Config{CountryCode: "44", CPMForm: form})
		for _, in := range []string{"+447700900123", "40404", "sip:alice@example.net", "wv:bob@imps.example.net"} {
			n, err := m.Normalize(in)
			if err != nil {
				t.Fatalf("Normalize(%q): %v", in, err)
			}
			out := m.CPMAddress(n, "ims.example.net")
			back, err := m.Normalize(out)
			if err != nil || back != n {
				t.Errorf("form %s: %q -> %q -> %#v, %v; want %#v", form, in, out, back, err, n)
			}
		}
	}
}

func TestCPMAddress(t *testing.T) {
	tel := mustMap(t, Config{CountryCode: "44"})
	sip := mustMap(t, Config{CountryCode: "44", CPMForm: CPMFormSIP})
	cases := []struct {
		m      *Map
		n      Number
		domain string
		want   string
	}{
		{tel, intl("447700900123"), "ims.example.net", "tel:+447700900123"},
		{sip, intl("447700900123"), "ims.example.net", "sip:+447700900123@ims.example.net;user=phone"},
		{sip, intl("447700900123"), "", "tel:+447700900123"},
		{tel, short("40404", "+44"), "ims.example.net", "tel:40404;phone-context=+44"},
		{sip, short("40404", "+44"), "ims.example.net", "sip:40404;phone-context=+44@ims.example.net;user=phone"},
		{tel, Number{Kind: Alphanumeric, Text: "My Bank"}, "iwf.example.net", "sip:My%20Bank@iwf.example.net"},
		{tel, Number{Kind: Alphanumeric, Text: "Café"}, "iwf.example.net", "sip:Caf%C3%A9@iwf.example.net"},
		{tel, Number{Kind: Alphanumeric, Text: "MyBank"}, "", ""},
		{tel, Number{Kind: SIPIdentity, Text: "sip:alice@example.net"}, "x", "sip:alice@example.net"},
		{tel, Number{Kind: IMPS, Text: "wv:bob"}, "x", "wv:bob"},
		{tel, Number{}, "x", ""},
	}
	for _, c := range cases {
		if got := c.m.CPMAddress(c.n, c.domain); got != c.want {
			t.Errorf("CPMAddress(%#v, %q) = %q, want %q", c.n, c.domain, got, c.want)
		}
	}
	// An escaped alphanumeric sender reads back as a SIP identity in the
	// gateway's domain, which has no route to SMS: it cannot be answered.
	n, err := tel.Normalize("sip:My%20Bank@iwf.example.net")
	if err != nil || n.Kind != SIPIdentity {
		t.Errorf("escaped alphanumeric reads back as %#v, %v", n, err)
	}
}
