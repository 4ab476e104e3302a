package addressmap

import (
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFromSMPP(t *testing.T) {
	m := mustMap(t, Config{CountryCode: "44"})
	cases := []struct {
		addr     string
		ton, npi uint8
		want     Number
	}{
		{"447700900123", 1, 1, intl("447700900123")},
		{"+447700900123", 1, 1, intl("447700900123")},
		{"447700900123", 1, 0, intl("447700900123")},
		{"40404", 1, 1, short("40404", "+44")}, // short code mislabelled international
		{"7700900123", 2, 1, intl("447700900123")},
		{"07700900123", 2, 1, intl("447700900123")},
		{"40404", 2, 1, short("40404", "+44")},
		{"40404", 3, 0, short("40404", "+44")},
		{"40404", 6, 9, short("40404", "+44")},
		{"MyBank", 5, 0, Number{Kind: Alphanumeric, Text: "MyBank"}},
		{"12345", 5, 0, Number{Kind: Alphanumeric, Text: "12345"}},
		{" My Bank", 5, 0, Number{Kind: Alphanumeric, Text: " My Bank"}},
		{"447700900123", 0, 0, intl("447700900123")},
		{"07700900123", 0, 1, intl("447700900123")},
		{"+447700900123", 0, 0, intl("447700900123")},
		{"40404", 0, 0, short("40404", "+44")},
		{"Info", 0, 0, Number{Kind: Alphanumeric, Text: "Info"}},
	}
	for _, c := range cases {
		got, err := m.FromSMPP(c.addr, c.ton, c.npi)
		if err != nil || got != c.want {
			t.Errorf("FromSMPP(%q, %d, %d) = %#v, %v; want %#v", c.addr, c.ton, c.npi, got, err, c.want)
		}
	}
}

func TestFromSMPPInvalid(t *testing.T) {
	m := mustMap(t, Config{CountryCode: "44"})
	cases := []struct {
		addr     string
		ton, npi uint8
	}{
		{"", 1, 1}, {"+", 1, 1}, {"44-7700", 1, 1}, {"447700900123", 1, 9}, {"447700900123", 2, 6},
		{"0447700900123", 1, 1}, {"1234567890123456", 1, 1}, {"077009A0123", 2, 1},
		{"1234567", 3, 0}, {"4040A", 6, 0}, {"MyVeryLongBank", 5, 0}, {"Ban\xffk", 5, 0}, {"", 5, 0},
		{"40404", 4, 9}, {"40404", 7, 0}, {"sip:a@b", 0, 0}, {"a@b", 0, 0},
		{strings.Repeat("4", MaxAddressLen+1), 1, 1},
	}
	for _, c := range cases {
		if n, err := m.FromSMPP(c.addr, c.ton, c.npi); !errors.Is(err, ErrInvalid) {
			t.Errorf("FromSMPP(%q, %d, %d) = %#v, %v; want ErrInvalid", c.addr, c.ton, c.npi, n, err)
		}
	}
	noCC := mustMap(t, Config{})
	if _, err := noCC.FromSMPP("7700900123", 2, 1); !errors.Is(err, ErrInvalid) {
		t.Errorf("national TON with no country code: %v, want ErrInvalid", err)
	}
}

func TestToSMPP(t *testing.T) {
	m := mustMap(t, Config{CountryCode: "44"})
	national := SMPPPolicy{Format: FormatNational}
	abbreviated := SMPPPolicy{ShortCodeTON: TONAbbreviated, ShortCodeNPI: 1}
	cases := []struct {
		n        Number
		p        SMPPPolicy
		addr     string
		ton, npi uint8
	}{
		{intl("447700900123"), SMPPPolicy{}, "447700900123", 1, 1},
		{intl("447700900123"), national, "7700900123", 2, 1},
		{intl("33612345678"), national, "33612345678", 1, 1},
		{short("40404", "+44"), SMPPPolicy{}, "40404", 3, 0},
		{short("40404", "+44"), abbreviated, "40404", 6, 1},
		{Number{Kind: Alphanumeric, Text: "MyBank"}, national, "MyBank", 5, 0},
	}
	for _, c := range cases {
		addr, ton, npi, err := m.ToSMPP(c.n, c.p)
		if err != nil || addr != c.addr || ton != c.ton || npi != c.npi {
			t.Errorf("ToSMPP(%#v, %+v) = %q %d %d %v; want %q %d %d", c.n, c.p, addr, ton, npi, err, c.addr, c.ton, c.npi)
			continue
		}
		back, err := m.FromSMPP(addr, ton, npi)
		if err != nil || back != c.n {
			t.Errorf("FromSMPP(ToSMPP(%#v)) = %#v, %v", c.n, back, err)
		}
	}
	for _, n := range []Number{{Kind: SIPIdentity, Text: "sip:a@b"}, {Kind: IMPS, Text: "wv:a"}, {}} {
		if _, _, _, err := m.ToSMPP(n, SMPPPolicy{}); !errors.Is(err, ErrNoForm) {
			t.Errorf("ToSMPP(%#v): %v, want ErrNoForm", n, err)
		}
	}
	if _, _, _, err := m.ToSMPP(Number{Kind: Alphanumeric, Text: "MyVeryLongBank"}, SMPPPolicy{}); !errors.Is(err, ErrInvalid) {
		t.Errorf("ToSMPP of a too long name: %v, want ErrInvalid", err)
	}
	for _, p := range []SMPPPolicy{{Format: "e164"}, {ShortCodeTON: 1}, {ShortCodeNPI: 2}} {
		if _, _, _, err := m.ToSMPP(intl("447700900123"), p); !errors.Is(err, ErrConfig) {
			t.Errorf("ToSMPP with policy %+v: %v, want ErrConfig", p, err)
		}
	}
}

// smppAddresses returns source and destination (addr, TON, NPI) of a
// submit_sm or deliver_sm given as hex: after the 16-byte header come
// service_type, then each address as TON, NPI and a C-octet string (SMPP
// 3.4 section 4.4.1).
type smppAddr struct {
	addr     string
	ton, npi uint8
}

func smppAddresses(t *testing.T, hexPDU string) (src, dst smppAddr) {
	t.Helper()
	b, err := hex.DecodeString(strings.TrimSpace(hexPDU))
	if err != nil || len(b) < 16 {
		t.Fatalf("bad PDU hex: %v", err)
	}
	b = b[16:]
	cstring := func() string {
		i := strings.IndexByte(string(b), 0)
		if i < 0 {
			t.Fatalf("unterminated C-octet string")
		}
		s := string(b[:i])
		b = b[i+1:]
		return s
	}
	cstring() // service_type
	for _, a := range []*smppAddr{&src, &dst} {
		if len(b) < 3 {
			t.Fatalf("PDU body too short")
		}
		a.ton, a.npi = b[0], b[1]
		b = b[2:]
		a.addr = cstring()
	}
	return src, dst
}

// TestFromSMPPSharedSamples reads the addresses of the SMPP samples in
// ../../shared/specs/smpp/samples as an SMSC would send them.
func TestFromSMPPSharedSamples(t *testing.T) {
	dir := filepath.Join("..", "..", "shared", "specs", "smpp", "samples")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("shared specs not present (%v); skipping sample addresses", err)
	}
	m := mustMap(t, Config{CountryCode: "44"})
	cases := []struct {
		file     string
		src, dst Number
		dstErr   bool
	}{
		{"submit_sm.hex", short("40404", "+44"), intl("44951361920"), false},
		{"deliver_sm_receipt_standard.hex", intl("44951361920"), short("40404", "+44"), false},
		{"deliver_sm_syniverse_mo_latin1.hex", intl("16505551234"), intl("17735554070"), false},
		{"deliver_sm_sybase_mo_class2.hex", intl("3411149500001"), intl("12345455"), false},
		{"submit_sm_class2.hex", Number{Kind: Alphanumeric, Text: "mobileway"}, intl("1208230"), false},
		{"deliver_sm_tlvs_dest_network_type.hex", intl("4487654321"), Number{}, true}, // dest TON 4 NPI 9
	}
	for _, c := range cases {
		raw, err := os.ReadFile(filepath.Join(dir, c.file))
		if err != nil {
			t.Fatalf("%s: %v", c.file, err)
		}
		src, dst := smppAddresses(t, string(raw))
		got, err := m.FromSMPP(src.addr, src.ton, src.npi)
		if err != nil || got != c.src {
			t.Errorf("%s source %v = %#v, %v; want %#v", c.file, src, got, err, c.src)
		}
		got, err = m.FromSMPP(dst.addr, dst.ton, dst.npi)
		if c.dstErr {
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("%s dest %v = %#v, %v; want ErrInvalid", c.file, dst, got, err)
			}
		} else if err != nil || got != c.dst {
			t.Errorf("%s dest %v = %#v, %v; want %#v", c.file, dst, got, err, c.dst)
		}
	}
}
