package addressmap

import (
	"errors"
	"testing"
)

// fuzzMaps are the configurations the fuzz targets run under, picked by a
// fuzzed byte: UK defaults, NANP, Germany with national bare digits, and no
// country code at all.
func fuzzMaps(t testing.TB) []*Map {
	return []*Map{
		mustMap(t, Config{CountryCode: "44"}),
		mustMap(t, Config{CountryCode: "1", NationalPrefix: "1", InternationalPrefix: "011", CPMForm: CPMFormSIP}),
		mustMap(t, Config{CountryCode: "49", BareDigits: BareNational, Rules: testRules}),
		mustMap(t, Config{BareDigits: BareInternational, NationalPrefix: NoPrefix}),
	}
}

// checkCanonical fails unless every canonical form of n, as m writes it,
// normalises back to n, and n holds the invariants of its kind.
func checkCanonical(t *testing.T, m *Map, in string, n Number) {
	t.Helper()
	var forms []string
	switch n.Kind {
	case International:
		if len(n.Digits) < minE164Len || len(n.Digits) > maxE164Len || n.Digits[0] == '0' || !allDigits(n.Digits) {
			t.Fatalf("%q: bad E.164 digits %#v", in, n)
		}
		forms = []string{n.TelURI(), n.SIPURI("ims.example.net"), n.String()}
	case ShortCode:
		if n.Digits == "" || len(n.Digits) > m.shortMax || !allDigits(n.Digits) {
			t.Fatalf("%q: bad short code %#v", in, n)
		}
		forms = []string{n.TelURI(), n.SIPURI("ims.example.net")}
	case Alphanumeric, SIPIdentity, IMPS:
		forms = []string{n.Text}
	default:
		t.Fatalf("%q: normalised to kind %v", in, n.Kind)
	}
	forms = append(forms, m.CPMAddress(n, "ims.example.net"))
	for _, f := range forms {
		if n.Kind == Alphanumeric && f != n.Text {
			continue // its CPM form is a SIP identity by design
		}
		back, err := m.Normalize(f)
		if err != nil || back != n {
			t.Fatalf("%q -> %#v -> %q -> %#v, %v", in, n, f, back, err)
		}
	}
}

// checkSMPP fails unless n survives ToSMPP and FromSMPP unchanged, when it
// has an SMPP form.
func checkSMPP(t *testing.T, m *Map, in string, n Number) {
	t.Helper()
	if n.Kind == ShortCode && n.Context != m.ccContext {
		return // a short code of another numbering plan has no SMPP form here
	}
	for _, p := range []SMPPPolicy{{}, {Format: FormatNational, ShortCodeTON: TONAbbreviated}} {
		addr, ton, npi, err := m.ToSMPP(n, p)
		if err != nil {
			if n.Kind == International || n.Kind == ShortCode || n.Kind == Alphanumeric {
				t.Fatalf("%q: ToSMPP(%#v): %v", in, n, err)
			}
			continue
		}
		back, err := m.FromSMPP(addr, ton, npi)
		if err != nil || back != n {
			t.Fatalf("%q -> %#v -> SMPP %q %d %d -> %#v, %v", in, n, addr, ton, npi, back, err)
		}
	}
}

func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"+447700900123", "07700900123", "tel:40404;phone-context=+44",
		"sip:alice@example.net", "wv:bob@imps.example.net", "MyBank"} {
		f.Add(s, byte(0))
	}
	maps := fuzzMaps(f)
	f.Fuzz(func(t *testing.T, in string, which byte) {
		m := maps[int(which)%len(maps)]
		n, err := m.Normalize(in)
		if err != nil {
			if n != (Number{}) {
				t.Fatalf("%q: error %v with a non-zero Number %#v", in, err, n)
			}
			return
		}
		checkCanonical(t, m, in, n)
		checkSMPP(t, m, in, n)
		if _, err := m.OwnerOf(n); err != nil && !errors.Is(err, ErrNoRoute) {
			t.Fatalf("%q: OwnerOf: %v", in, err)
		}
	})
}

func FuzzFromSMPP(f *testing.F) {
	f.Add("447700900123", byte(1), byte(1), byte(0))
	f.Add("07700900123", byte(2), byte(1), byte(0))
	f.Add("40404", byte(3), byte(0), byte(0))
	f.Add("MyBank", byte(5), byte(0), byte(0))
	maps := fuzzMaps(f)
	f.Fuzz(func(t *testing.T, addr string, ton, npi, which byte) {
		m := maps[int(which)%len(maps)]
		n, err := m.FromSMPP(addr, ton, npi)
		if err != nil {
			return
		}
		if n.Kind == Alphanumeric {
			if ton != TONAlphanumeric && ton != TONUnknown {
				t.Fatalf("%q TON %d gave a name", addr, ton)
			}
		} else {
			checkCanonical(t, m, addr, n)
		}
		checkSMPP(t, m, addr, n)
	})
}
