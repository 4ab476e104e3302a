package sdp

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func chatMedia(attrs ...Attribute) *Media {
	base := []Attribute{attr("path", "msrp://192.0.2.1:2855/abcd;tcp"), attr("accept-types", "message/cpim")}
	return &Media{Type: "message", Port: 2855, Proto: "TCP/MSRP", Formats: []string{"*"}, Attributes: append(base, attrs...)}
}

func TestMSRPMediaOfRefuses(t *testing.T) {
	cases := []struct {
		name  string
		media *Media
		attr  string // AttributeError.Name; "" for ErrNotMSRP
	}{
		{"audio", &Media{Type: "audio", Port: 1, Proto: "RTP/AVP", Formats: []string{"0"}}, ""},
		{"udp", &Media{Type: "message", Port: 1, Proto: "UDP/MSRP", Formats: []string{"*"}}, ""},
		{"missing path", &Media{Type: "message", Port: 1, Proto: "TCP/MSRP", Formats: []string{"*"},
			Attributes: []Attribute{attr("accept-types", "*")}}, "path"},
		{"missing accept-types", &Media{Type: "message", Port: 1, Proto: "TCP/MSRP", Formats: []string{"*"},
			Attributes: []Attribute{attr("path", "msrp://a/b;tcp")}}, "accept-types"},
		{"path repeated", chatMedia(attr("path", "msrp://a/b;tcp")), "path"},
		{"path case-folded repeat", chatMedia(attr("PATH", "msrp://a/b;tcp")), "path"},
		{"path not msrp", &Media{Type: "message", Port: 1, Proto: "TCP/MSRP", Formats: []string{"*"},
			Attributes: []Attribute{attr("path", "sip:a@b"), attr("accept-types", "*")}}, "path"},
		{"path without transport", &Media{Type: "message", Port: 1, Proto: "TCP/MSRP", Formats: []string{"*"},
			Attributes: []Attribute{attr("path", "msrp://a:1/b"), attr("accept-types", "*")}}, "path"},
		{"path bad port", &Media{Type: "message", Port: 1, Proto: "TCP/MSRP", Formats: []string{"*"},
			Attributes: []Attribute{attr("path", "msrp://a:99999/b;tcp"), attr("accept-types", "*")}}, "path"},
		{"path too long", &Media{Type: "message", Port: 1, Proto: "TCP/MSRP", Formats: []string{"*"},
			Attributes: []Attribute{attr("path", strings.Repeat("msrp://a/b;tcp ", MaxPathURIs+1)), attr("accept-types", "*")}}, "path"},
		{"accept-types bad entry", &Media{Type: "message", Port: 1, Proto: "TCP/MSRP", Formats: []string{"*"},
			Attributes: []Attribute{attr("path", "msrp://a/b;tcp"), attr("accept-types", "text")}}, "accept-types"},
		{"accept-types only spaces", &Media{Type: "message", Port: 1, Proto: "TCP/MSRP", Formats: []string{"*"},
			Attributes: []Attribute{attr("path", "msrp://a/b;tcp"), attr("accept-types", "  ")}}, "accept-types"},
		{"wrapped */*", chatMedia(attr("accept-wrapped-types", "*/*")), "accept-wrapped-types"},
		{"max-size not a number", chatMedia(attr("max-size", "12x")), "max-size"},
		{"max-size overflow", chatMedia(attr("max-size", "9223372036854775808")), "max-size"},
		{"setup unknown", chatMedia(attr("setup", "both")), "setup"},
		{"two directions", chatMedia(attr("sendonly", ""), attr("recvonly", "")), "recvonly"},
		{"direction with value", chatMedia(attr("sendonly", "yes")), "sendonly"},
		{"cema with value", chatMedia(attr("msrp-cema", "1")), "msrp-cema"},
		{"file-selector unknown selector", chatMedia(attr("file-selector", "colour:red")), "file-selector"},
		{"file-transfer-id not a token", chatMedia(attr("file-transfer-id", "a b")), "file-transfer-id"},
		{"file-range reversed", chatMedia(attr("file-range", "9-1")), "file-range"},
		{"fingerprint empty", chatMedia(attr("fingerprint", " ")), "fingerprint"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			mm, err := MSRPMediaOf(c.media)
			if c.attr == "" {
				if !errors.Is(err, ErrNotMSRP) {
					t.Fatalf("MSRPMediaOf = %+v, %v; want ErrNotMSRP", mm, err)
				}
				return
			}
			var ae *AttributeError
			if !errors.As(err, &ae) || ae.Name != c.attr || !errors.Is(err, ErrMalformed) ||
				!strings.HasPrefix(err.Error(), "sdp: bad a="+c.attr) {
				t.Fatalf("MSRPMediaOf = %+v, %v; want AttributeError for %s", mm, err, c.attr)
			}
		})
	}
}

func TestMSRPMediaOfReads(t *testing.T) {
	m := &Media{Type: "Message", Port: 2855, Proto: "tcp/tls/msrp", Formats: []string{"*"}, Attributes: []Attribute{
		attr("Path", "msrps://relay.example.net:2855/r1;tcp  msrps://[2001:db8::5]:2855/x;tcp"),
		attr("accept-types", "message/cpim text/*"),
		attr("max-size", "0"),
		attr("setup", "holdconn"),
		attr("inactive", ""),
		attr("msrp-cema", ""),
		attr("fingerprint", "SHA-256 4A:AD"),
		attr("file-selector", ""),
		attr("file-range", "5-*"),
		attr("connection", "new"),
		attr("sendrecv-ish", "ignored"),
	}}
	got, err := MSRPMediaOf(m)
	if err != nil {
		t.Fatal(err)
	}
	want := MSRPMedia{TLS: true,
		Path:        []string{"msrps://relay.example.net:2855/r1;tcp", "msrps://[2001:db8::5]:2855/x;tcp"},
		AcceptTypes: []string{"message/cpim", "text/*"}, Setup: SetupHoldConn, Direction: Inactive,
		CEMA: true, Fingerprint: "SHA-256 4A:AD", FileSelector: &FileSelector{Size: -1}, FileRange: &FileRange{5, -1},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("MSRPMediaOf:\n got %+v\nwant %+v", got, want)
	}
	back, err := got.Media(m.Port)
	if err != nil {
		t.Fatal(err)
	}
	again, err := MSRPMediaOf(&back)
	if err != nil || !reflect.DeepEqual(again, got) {
		t.Fatalf("round trip: %v\n got %+v\nwant %+v", err, again, got)
	}
}

func TestMSRPMediaWriteRefuses(t *testing.T) {
	good := func() MSRPMedia {
		return MSRPMedia{Path: []string{"msrp://a/b;tcp"}, AcceptTypes: []string{"*"}, Direction: SendRecv}
	}
	cases := map[string]func(*MSRPMedia){
		"no path":            func(m *MSRPMedia) { m.Path = nil },
		"bad path":           func(m *MSRPMedia) { m.Path = []string{"msrp://a b;tcp"} },
		"no accept-types":    func(m *MSRPMedia) { m.AcceptTypes = []string{} },
		"bad wrapped":        func(m *MSRPMedia) { m.AcceptWrappedTypes = []string{"x"} },
		"negative max-size":  func(m *MSRPMedia) { m.MaxSize = -1 },
		"bad setup":          func(m *MSRPMedia) { m.Setup = "both" },
		"bad direction":      func(m *MSRPMedia) { m.Direction = "up" },
		"padded fingerprint": func(m *MSRPMedia) { m.Fingerprint = " SHA-1 00" },
		"bad transfer id":    func(m *MSRPMedia) { m.FileTransferID = "a b" },
		"bad file type":      func(m *MSRPMedia) { m.FileSelector = &FileSelector{Type: "image", Size: -1} },
		"bad file range":     func(m *MSRPMedia) { m.FileRange = &FileRange{Start: 0, Stop: -1} },
	}
	for name, breakIt := range cases {
		mm := good()
		breakIt(&mm)
		if m, err := mm.Media(1); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: Media = %+v, %v", name, m, err)
		}
	}
	mm := good()
	if _, err := mm.Media(70000); !errors.Is(err, ErrInvalid) {
		t.Errorf("port 70000: %v", err)
	}
}

func TestFileSelector(t *testing.T) {
	cases := []struct {
		in   string
		want FileSelector
		out  string // String(); "" means in
	}{
		{"", FileSelector{Size: -1}, ""},
		{`name:"a b.jpg"`, FileSelector{Name: "a b.jpg", Size: -1}, ""},
		{`name:"100%25 %22real%22.txt"`, FileSelector{Name: `100% "real".txt`, Size: -1}, ""},
		{`name:"%c3%a9t%C3%A9"`, FileSelector{Name: "été", Size: -1}, `name:"été"`},
		{`size:0`, FileSelector{Size: 0}, ""},
		{`hash:sha-1:0a:FF type:text/plain;charset="utf 8"`,
			FileSelector{Type: `text/plain;charset="utf 8"`, Size: -1, Hash: "sha-1:0a:FF"},
			`type:text/plain;charset="utf 8" hash:sha-1:0a:FF`},
		{`type:image/jpeg name:"x" size:12`, FileSelector{Name: "x", Type: "image/jpeg", Size: 12}, `name:"x" type:image/jpeg size:12`},
		{`type:a/b;c=d;e="f;\" g"`, FileSelector{Type: `a/b;c=d;e="f;\" g"`, Size: -1}, ""},
	}
	for _, c := range cases {
		got, err := ParseFileSelector(c.in)
		if err != nil || got != c.want {
			t.Errorf("ParseFileSelector(%q) = %+v, %v; want %+v", c.in, got, err, c.want)
			continue
		}
		out := c.out
		if out == "" {
			out = c.in
		}
		if s := got.String(); s != out {
			t.Errorf("String() = %q, want %q", s, out)
		}
	}
	for _, bad := range []string{
		`name:""`, `name:"x`, `name:x`, `name:"%zz"`, `name:"%4"`, `name:"x"size:1`,
		`size:-1`, `size:1.5`, `size:`, `type:image`, `type:/jpeg`, `type:a/b;c`,
		`type:a/b;c=`, `type:a/b;c="x`, `type:a/b;c=d;`, `type:a/b;c="x"y`, `type:a/b;c=d e`,
		`hash:sha-1`, `hash:sha-1:0`, `hash:sha-1:0g`, `hash::00`,
		`size:1 size:2`, `size:1  type:a/b`, `size:1 `, `colour:red`, `name`,
	} {
		if f, err := ParseFileSelector(bad); err == nil {
			t.Errorf("ParseFileSelector(%q) = %+v, want an error", bad, f)
		}
	}
}

func TestFileRange(t *testing.T) {
	for in, want := range map[string]FileRange{"1-1": {1, 1}, "1-32349": {1, 32349}, "10-*": {10, -1}} {
		got, err := ParseFileRange(in)
		if err != nil || got != want || got.String() != in {
			t.Errorf("ParseFileRange(%q) = %+v, %v", in, got, err)
		}
	}
	for _, bad := range []string{"", "0-5", "5-4", "1", "-5", "1-", "a-b", "1-*-2", "*-5"} {
		if r, err := ParseFileRange(bad); err == nil {
			t.Errorf("ParseFileRange(%q) = %+v, want an error", bad, r)
		}
	}
}

func TestDirectionReverse(t *testing.T) {
	for d, want := range map[Direction]Direction{SendOnly: RecvOnly, RecvOnly: SendOnly, SendRecv: SendRecv, Inactive: Inactive} {
		if got := d.Reverse(); got != want {
			t.Errorf("%s.Reverse() = %s", d, got)
		}
	}
}
