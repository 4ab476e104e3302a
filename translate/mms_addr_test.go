package translate

import (
	"errors"
	"strings"
	"testing"

	"github.com/iwf-gateway/iwf/adapters/mms/mm7"
	"github.com/iwf-gateway/iwf/addressmap"
	"github.com/iwf-gateway/iwf/cpm"
)

func mmsAddressMap(t *testing.T) *addressmap.Map {
	t.Helper()
	m, err := addressmap.New(addressmap.Config{CountryCode: "44"})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestMM7AddressText(t *testing.T) {
	amap := mmsAddressMap(t)
	tests := []struct {
		addr mm7.Address
		want string // "" means ErrMMSAddress
		norm string // what addressmap makes of it
	}{
		{mm7.Address{Kind: mm7.KindNumber, Value: "+447700900123"}, "+447700900123", "+447700900123"},
		{mm7.Address{Kind: mm7.KindNumber, Value: "447700900123/TYPE=PLMN"}, "447700900123", "+447700900123"},
		{mm7.Address{Kind: mm7.KindNumber, Value: " 00447700900123/type=plmn "}, "00447700900123", "+447700900123"},
		{mm7.Address{Kind: mm7.KindNumber, Value: "07700900123/TYPE=IPv4"}, "07700900123", "+447700900123"},
		{mm7.Address{Kind: mm7.KindShortCode, Value: "12345"}, "12345", "12345"},
		{mm7.Address{Kind: mm7.KindShortCode, Value: "40404/TYPE=PLMN"}, "40404", "40404"},
		{mm7.Address{Kind: mm7.KindRFC2822, Value: "+447700900123/TYPE=PLMN@mms.example.net"}, "+447700900123", "+447700900123"},
		{mm7.Address{Kind: mm7.KindRFC2822, Value: `"Bob" <+447700900123/TYPE=PLMN@mms.example.net>`}, "+447700900123", "+447700900123"},
		{mm7.Address{Kind: mm7.KindRFC2822, Value: "alice@example.net"}, "", ""},
		{mm7.Address{Kind: mm7.KindRFC2822, Value: "Alice <alice@example.net>"}, "", ""},
		{mm7.Address{Kind: mm7.KindRFC2822, Value: "+4477/TYPE=IPv4@example.net"}, "", ""},
		{mm7.Address{Kind: mm7.KindRFC2822, Value: "Alice <+447700900123/TYPE=PLMN@x"}, "", ""},
		{mm7.Address{Kind: mm7.KindRFC2822, Value: "+447700900123/TYPE=PLMN"}, "", ""},
		{mm7.Address{Kind: mm7.KindNumber, Value: ""}, "", ""},
		{mm7.Address{Kind: mm7.KindNumber, Value: "/TYPE=PLMN"}, "", ""},
		{mm7.Address{Kind: mm7.KindNumber, Value: "k3j4h5", AddressCoding: "obfuscated"}, "", ""},
		{mm7.Address{Kind: "Fax", Value: "123"}, "", ""},
	}
	for _, tc := range tests {
		got, err := MM7AddressText(tc.addr)
		if tc.want == "" {
			if !errors.Is(err, ErrMMSAddress) {
				t.Errorf("%+v: %q, %v; want ErrMMSAddress", tc.addr, got, err)
			}
			continue
		}
		if got != tc.want || err != nil {
			t.Errorf("%+v: %q, %v; want %q", tc.addr, got, err, tc.want)
			continue
		}
		if n, err := amap.Normalize(got); err != nil || n.String() != tc.norm {
			t.Errorf("Normalize(%q) = %v, %v; want %s", got, n, err, tc.norm)
		}
	}
}

func TestMM7AddressOf(t *testing.T) {
	amap := mmsAddressMap(t)
	tests := []struct {
		in   string
		want mm7.Address // zero: ErrMMSAddress
	}{
		{"tel:+447700900123", mm7.Address{Kind: mm7.KindNumber, Value: "+447700900123"}},
		{"sip:+447700900123@ims.example.net;user=phone", mm7.Address{Kind: mm7.KindNumber, Value: "+447700900123"}},
		{"40404", mm7.Address{Kind: mm7.KindShortCode, Value: "40404"}},
		{"sip:alice@example.net", mm7.Address{Kind: mm7.KindRFC2822, Value: "alice@example.net"}},
		{"sips:al%69ce@Example.net:5061;transport=tls?subject=x", mm7.Address{Kind: mm7.KindRFC2822, Value: "alice@example.net"}},
		{"wv:bob@imps.example.net", mm7.Address{}},
		{"sip:a%20b@example.net", mm7.Address{}},
	}
	for _, tc := range tests {
		n, err := amap.Normalize(tc.in)
		if err != nil {
			t.Fatalf("Normalize(%q): %v", tc.in, err)
		}
		got, err := MM7AddressOf(n)
		if tc.want == (mm7.Address{}) {
			if !errors.Is(err, ErrMMSAddress) {
				t.Errorf("%q: %+v, %v; want ErrMMSAddress", tc.in, got, err)
			}
			continue
		}
		if got != tc.want || err != nil {
			t.Errorf("%q: %+v, %v; want %+v", tc.in, got, err, tc.want)
			continue
		}
		// Numbers make the whole round: addressmap -> MM7 -> addressmap.
		if got.Kind != mm7.KindRFC2822 {
			text, err := MM7AddressText(got)
			if back, nerr := amap.Normalize(text); err != nil || nerr != nil || back != n {
				t.Errorf("%q: back to %+v (%v %v), want %+v", tc.in, back, err, nerr, n)
			}
		}
	}
	for _, n := range []addressmap.Number{
		{Kind: addressmap.Alphanumeric, Text: "MyBank"},
		{Kind: addressmap.IMPS, Text: "wv:bob@imps.example.net"},
		{},
		{Kind: addressmap.International},
		{Kind: addressmap.SIPIdentity, Text: "tel:+44"},
		{Kind: addressmap.SIPIdentity, Text: "sip:example.net"},
	} {
		if got, err := MM7AddressOf(n); !errors.Is(err, ErrMMSAddress) {
			t.Errorf("%+v: %+v, %v; want ErrMMSAddress", n, got, err)
		}
	}
}

func TestDeliveryReportStatus(t *testing.T) {
	tests := []struct {
		mmStatus string
		status   cpm.Status
		final    bool
	}{
		{"Retrieved", cpm.Delivered, true},
		{"Forwarded", cpm.Delivered, true},
		{"Rejected", cpm.Failed, true},
		{"Expired", cpm.Failed, true},
		{"Unrecognised", cpm.Failed, true},
		{"Unrecognized", cpm.Failed, true},
		{"Indeterminate", cpm.Error, true},
		{"Deferred", "", false},
		{" retrieved ", cpm.Delivered, true},
		{"EXPIRED", cpm.Failed, true},
	}
	for _, tc := range tests {
		status, final, err := DeliveryReportStatus(tc.mmStatus)
		if status != tc.status || final != tc.final || err != nil {
			t.Errorf("%q: %q %v %v; want %q %v", tc.mmStatus, status, final, err, tc.status, tc.final)
		}
	}
	for _, bad := range []string{"", "Read", "Delivered", strings.Repeat("x", 500)} {
		status, final, err := DeliveryReportStatus(bad)
		if status != cpm.Error || !final || !errors.Is(err, ErrMMSStatus) || len(err.Error()) > 200 {
			t.Errorf("%.20q: %q %v %v; want error, final, ErrMMSStatus", bad, status, final, err)
		}
	}
}

func TestReadReplyDisplayed(t *testing.T) {
	for s, want := range map[string]bool{
		"Read": true, "read": true, " READ ": true,
		"Deleted": false, "Indeterminate": false, "": false, "Retrieved": false, "Reads": false,
	} {
		if got := ReadReplyDisplayed(s); got != want {
			t.Errorf("ReadReplyDisplayed(%q) = %v, want %v", s, got, want)
		}
	}
}
