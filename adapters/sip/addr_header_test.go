package sip

import (
	"errors"
	"testing"
)

func TestParseAddrHeader(t *testing.T) {
	cases := []struct {
		in   string
		want addrHeader
	}{
		{`"Alice A" <sip:+4915112345678@ims.example.net;user=phone>;tag=a1b2`,
			addrHeader{DisplayName: "Alice A", URI: "sip:+4915112345678@ims.example.net;user=phone", Params: "tag=a1b2"}},
		{`<tel:+4915112345678>`, addrHeader{URI: "tel:+4915112345678"}},
		{`tel:+4915112345678`, addrHeader{URI: "tel:+4915112345678"}},
		{`sip:bob@example.net;tag=x`, addrHeader{URI: "sip:bob@example.net", Params: "tag=x"}}, // addr-spec: params belong to the header
		{`Bob Smith <sip:bob@example.net>`, addrHeader{DisplayName: "Bob Smith", URI: "sip:bob@example.net"}},
		{`"say \"hi\" \\ " <sip:a@b>`, addrHeader{DisplayName: `say "hi" \ `, URI: "sip:a@b"}},
		{`  <sip:a@b> ; tag=1 `, addrHeader{URI: "sip:a@b", Params: "tag=1"}},
	}
	for _, tc := range cases {
		got, err := parseAddrHeader(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("parseAddrHeader(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
	}
	for _, in := range []string{``, `<>`, `<sip:a@b`, `"open <sip:a@b>`, `sip`, `:x`, `1x:y`,
		`<sip:a@b> tag`, `<sip:a b@c>`, "<sip:a@b>\r\nX: y", `"a" sip:a@b`, `a"b <sip:a@b>`} {
		if _, err := parseAddrHeader(in); !errors.Is(err, errBadAddr) {
			t.Errorf("parseAddrHeader(%q) err = %v, want errBadAddr", in, err)
		}
	}
}

func TestParseAddrHeaderList(t *testing.T) {
	got, err := parseAddrHeaderList(`"Doe, John" <sip:+49@x;user=phone>, <tel:+49>`)
	if err != nil || len(got) != 2 || got[0].DisplayName != "Doe, John" || got[1].URI != "tel:+49" {
		t.Fatalf("got %+v, %v", got, err)
	}
}

// FuzzParseAddrHeader checks that whatever parses renders back to text
// that parses to the same value.
func FuzzParseAddrHeader(f *testing.F) {
	f.Add(`"Alice A" <sip:+4915112345678@ims.example.net;user=phone>;tag=a1b2`)
	f.Add(`tel:+4915112345678`)
	f.Fuzz(func(t *testing.T, s string) {
		a, err := parseAddrHeader(s)
		if err != nil {
			return
		}
		out := a.String()
		b, err := parseAddrHeader(out)
		if err != nil {
			t.Fatalf("%q parsed to %+v, rendered %q, which fails: %v", s, a, out, err)
		}
		if a != b {
			t.Fatalf("%q: %+v rendered %q reparsed %+v", s, a, out, b)
		}
		list, err := parseAddrHeaderList(out + ", " + out)
		if err != nil || len(list) != 2 || list[0] != a || list[1] != a {
			t.Fatalf("list of %q: %+v, %v", out, list, err)
		}
	})
}
