package addressmap

import (
	"errors"
	"strings"
	"testing"
)

func mustMap(t testing.TB, cfg Config) *Map {
	t.Helper()
	m, err := New(cfg)
	if err != nil {
		t.Fatalf("New(%+v): %v", cfg, err)
	}
	return m
}

func intl(d string) Number { return Number{Kind: International, Digits: d} }

func short(d, ctx string) Number { return Number{Kind: ShortCode, Digits: d, Context: ctx} }

type normalizeCase struct {
	in   string
	want Number
}

func runNormalize(t *testing.T, m *Map, cases []normalizeCase) {
	t.Helper()
	for _, c := range cases {
		got, err := m.Normalize(c.in)
		if err != nil {
			t.Errorf("Normalize(%q): %v", c.in, err)
			continue
		}
		if got != c.want {
			t.Errorf("Normalize(%q) = %#v, want %#v", c.in, got, c.want)
		}
	}
}

func TestNormalizeUK(t *testing.T) {
	m := mustMap(t, Config{CountryCode: "44"})
	uk := intl("447700900123")
	runNormalize(t, m, []normalizeCase{
		{"+447700900123", uk},
		{"00447700900123", uk},
		{"07700900123", uk},
		{"447700900123", uk},
		{"7700900123", uk},
		{"+44 (0)7700 900-123", uk},
		{"+44 7700.900.123", uk},
		{"(07700) 900123", uk},
		{"  <tel:+44-7700-900123>  ", uk},
		{"tel:+447700900123", uk},
		{"TEL:+44.7700.(900).123", uk},
		{"tel:+447700900123;npdi;rn=+447700900999", uk},
		{"tel:07700900123;phone-context=+44", uk},
		{"tel:7700900123;phone-context=+44", uk},
		{"tel:07700900123;phone-context=ims.example.net", uk},
		{"tel:07700900123", uk},
		{"sip:+447700900123@ims.example.net;user=phone", uk},
		{"sips:+447700900123@ims.example.net;user=phone", uk},
		{"sip:+44-7700-900123@ims.example.net", uk},
		{"sip:07700900123@ims.example.net;user=phone", uk},
		{"sip:07700900123;phone-context=+44@ims.example.net;user=PHONE", uk},
		{"sip:+447700900123@ims.example.net:5060;transport=tcp;user=phone?subject=hi", uk},
		{"<sip:+447700900123@[2001:db8::1]:5061;user=phone>", uk},
		{"40404", short("40404", "+44")},
		{"118 118", short("118118", "+44")},
		{"tel:40404;phone-context=+44", short("40404", "+44")},
		{"tel:40404;phone-context=ims.example.net", short("40404", "+44")},
		{"sip:40404@ims.example.net;user=phone", short("40404", "+44")},
		{"sip:alice@example.net", Number{Kind: SIPIdentity, Text: "sip:alice@example.net"}},
		{"SIP:alice@Example.NET;transport=tls", Number{Kind: SIPIdentity, Text: "sip:alice@example.net"}},
		{"sips:alice@example.net", Number{Kind: SIPIdentity, Text: "sips:alice@example.net"}},
		{"sip:%61lice@example.net", Number{Kind: SIPIdentity, Text: "sip:alice@example.net"}},
		{"sip:bob%2fx@example.net:5060", Number{Kind: SIPIdentity, Text: "sip:bob%2Fx@example.net:5060"}},
		{"sip:07700900123@host.example", Number{Kind: SIPIdentity, Text: "sip:07700900123@host.example"}},
		{"wv:bob@imps.example.net", Number{Kind: IMPS, Text: "wv:bob@imps.example.net"}},
		{"WV:Bob@imps.example.net", Number{Kind: IMPS, Text: "wv:Bob@imps.example.net"}},
		{"wv:bob", Number{Kind: IMPS, Text: "wv:bob"}},
		{"MyBank", Number{Kind: Alphanumeric, Text: "MyBank"}},
		{"  Info SMS ", Number{Kind: Alphanumeric, Text: "Info SMS"}},
		{"Café 2", Number{Kind: Alphanumeric, Text: "Café 2"}},
		{"ABC€[]", Number{Kind: Alphanumeric, Text: "ABC€[]"}},
	})
}

func TestNormalizeNANP(t *testing.T) {
	m := mustMap(t, Config{CountryCode: "1", NationalPrefix: "1", InternationalPrefix: "011"})
	us := intl("14155550100")
	runNormalize(t, m, []normalizeCase{
		{"+1 (415) 555-0100", us},
		{"1-415-555-0100", us},
		{"415-555-0100", us},
		{"14155550100", us},
		{"tel:+1-415-555-0100", us},
		{"tel:415-555-0100;phone-context=+1", us},
		{"sip:+14155550100@ims.example.com;user=phone", us},
		{"011 44 7700 900123", intl("447700900123")},
		{"72345", short("72345", "+1")},
	})
}

func TestNormalizeFrance(t *testing.T) {
	m := mustMap(t, Config{CountryCode: "33"})
	fr := intl("33612345678")
	runNormalize(t, m, []normalizeCase{
		{"+33 (0)6 12 34 56 78", fr},
		{"06 12 34 56 78", fr},
		{"06.12.34.56.78", fr},
		{"0033612345678", fr},
		{"33612345678", fr},
		{"612345678", fr},
		{"tel:06-12-34-56-78;phone-context=+33", fr},
		{"sip:0612345678@ims.example.fr;user=phone", fr},
		{"36665", short("36665", "+33")},
	})
}

func TestNormalizeGermanyBareDigits(t *testing.T) {
	m := mustMap(t, Config{CountryCode: "49", BareDigits: BareNational})
	berlin := intl("49301234567")
	runNormalize(t, m, []normalizeCase{
		{"+49 30 1234567", berlin},
		{"030 1234567", berlin},
		{"0049301234567", berlin},
		{"301234567", berlin},
		{"sip:030-1234567@ims.example.de;user=phone", berlin},
		// "national" means what it says, even for digits that start with 49.
		{"4930123456", intl("494930123456")},
	})
	mi := mustMap(t, Config{CountryCode: "49", BareDigits: BareInternational})
	runNormalize(t, mi, []normalizeCase{
		{"49301234567", berlin},
		{"030 1234567", berlin},
	})
}

func TestNormalizeNoNationalPrefix(t *testing.T) {
	m := mustMap(t, Config{CountryCode: "39", NationalPrefix: NoPrefix})
	runNormalize(t, m, []normalizeCase{
		{"3123456789", intl("393123456789")},
		{"06 1234 5678", intl("390612345678")},
		{"+39 06 1234 5678", intl("390612345678")},
		{"00 39 06 1234 5678", intl("390612345678")},
	})
}

func TestNormalizeNoCountryCode(t *testing.T) {
	m := mustMap(t, Config{})
	runNormalize(t, m, []normalizeCase{
		{"+447700900123", intl("447700900123")},
		{"00447700900123", intl("447700900123")},
		{"40404", short("40404", "")},
		{"tel:40404", short("40404", "")},
		{"tel:07700900123;phone-context=+44", intl("447700900123")},
		{"tel:40404;phone-context=+44", short("40404", "+44")},
	})
	for _, in := range []string{"07700900123", "7700900123", "tel:07700900123"} {
		if _, err := m.Normalize(in); !errors.Is(err, ErrInvalid) {
			t.Errorf("Normalize(%q) with no country code: err %v, want ErrInvalid", in, err)
		}
	}
}

func TestNormalizeInvalid(t *testing.T) {
	m := mustMap(t, Config{CountryCode: "44"})
	for _, in := range []string{
		"", "   ", "<>", "+", "---", "+40404", "+0447700900123", "+4477009001234567",
		strings.Repeat("1", MaxAddressLen+1), strings.Repeat("1", 40),
		"tel:", "tel:+", "tel:+447700900123;ext=12", "tel:+447700900123;isub=1",
		"tel:07700900123;phone-context=+33", "tel:07700900123;phone-context=+",
		"tel:07700900123;phone-context=bad_domain", "tel:0770A900123", "tel:+44 7700 900123",
		"tel:+447700900123;;x", "tel:123;phone-context=+44;phone-context=+44",
		"sip:example.net", "sip:@example.net", "sip:alice:pw@example.net", "sip:alice@",
		"sip:alice@exa mple.net", "sip:al ice@example.net", "sip:alice@example.net;user=phone",
		"sip:alice@-example.net", "sip:alice@example.net:port", "sip:alice@[zz]", "sip:a@b@c",
		"sip:+447700900123@example.net:99999999",
		"mailto:a@example.net", "alice@example.net", "wv:", "wv:@x", "wv:a@", "wv:a b", "wv:a@b@c",
		"Привет", "MyVeryLongBank", "Bank`", "AB[]{}~^|", "Bank\x00", "Ban\xffk",
	} {
		n, err := m.Normalize(in)
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("Normalize(%q) = %#v, %v; want ErrInvalid", in, n, err)
			continue
		}
		var ie *InvalidError
		if !errors.As(err, &ie) || ie.Input != in || ie.Reason == "" {
			t.Errorf("Normalize(%q): error %#v carries no input or reason", in, err)
		}
		if !strings.HasPrefix(err.Error(), "addressmap: ") {
			t.Errorf("Normalize(%q): error %q lacks the package prefix", in, err)
		}
	}
}

func TestInvalidErrorShortensInput(t *testing.T) {
	m := mustMap(t, Config{CountryCode: "44"})
	_, err := m.Normalize(strings.Repeat("x", 300))
	if err == nil || len(err.Error()) > 160 {
		t.Fatalf("error %q: want a short message", err)
	}
}
