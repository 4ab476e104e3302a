package sdp

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// chat is a valid CPM chat offer with LF endings; the refusal cases edit
// it.
const chat = "v=0\n" +
	"o=- 1 1 IN IP4 192.0.2.1\n" +
	"s=-\n" +
	"c=IN IP4 192.0.2.1\n" +
	"t=0 0\n" +
	"m=message 2855 TCP/MSRP *\n" +
	"a=path:msrp://192.0.2.1:2855/abcd;tcp\n" +
	"a=accept-types:message/cpim\n"

func TestParseRefuses(t *testing.T) {
	many := func(prefix, l string, n int) string { return prefix + strings.Repeat(l, n) }
	cases := []struct {
		name string
		in   string
		line int
		big  bool // ErrTooLarge
	}{
		{"empty", "", 0, false},
		{"too large", chat + many("", "a=x:"+strings.Repeat("y", 100)+"\n", 170), 0, true},
		{"too many lines", many(chat, "a=sendrecv\n", MaxLines), MaxLines + 1, true},
		{"too many attributes", many(chat, "a=sendrecv\n", MaxAttributes), 8 + MaxAttributes - 1, true},
		{"too many media", many(chat, "m=message 1 TCP/MSRP *\n", MaxMedia), 6 + MaxMedia*1 + 2, true},
		{"too many formats", strings.Replace(chat, "TCP/MSRP *", "TCP/MSRP"+strings.Repeat(" *", MaxFormats+1), 1), 6, true},
		{"version 1", strings.Replace(chat, "v=0", "v=1", 1), 1, false},
		{"no version", strings.TrimPrefix(chat, "v=0\n"), 1, false},
		{"no type letter", strings.Replace(chat, "s=-", "=-", 1), 3, false},
		{"upper-case type", strings.Replace(chat, "s=-", "S=-", 1), 3, false},
		{"space before =", strings.Replace(chat, "s=-", "s =-", 1), 3, false},
		{"empty line", strings.Replace(chat, "t=0 0\n", "t=0 0\n\n", 1), 6, false},
		{"trailing empty line", chat + "\n", 9, false},
		{"stray CR", strings.Replace(chat, "s=-", "s=-\r-", 1), 3, false},
		{"CR line ending only", strings.ReplaceAll(chat, "\n", "\r"), 1, false},
		{"NUL", strings.Replace(chat, "s=-", "s=\x00", 1), 3, false},
		{"origin 5 fields", strings.Replace(chat, "o=- 1 1 IN", "o=- 1 IN", 1), 2, false},
		{"origin double space", strings.Replace(chat, "o=- 1 1", "o=-  1 1", 1), 2, false},
		{"origin sess-id not digits", strings.Replace(chat, "o=- 1 1", "o=- x1 1", 1), 2, false},
		{"no session name", strings.Replace(chat, "s=-\n", "", 1), 3, false},
		{"empty i=", strings.Replace(chat, "s=-\n", "s=-\ni=\n", 1), 4, false},
		{"no time", strings.Replace(chat, "t=0 0\n", "", 1), 5, false},
		{"bad time", strings.Replace(chat, "t=0 0", "t=0", 1), 5, false},
		{"time overflows", strings.Replace(chat, "t=0 0", "t=0 18446744073709551616", 1), 5, false},
		{"c= after t=", strings.Replace(chat, "c=IN IP4 192.0.2.1\nt=0 0\n", "t=0 0\nc=IN IP4 192.0.2.1\n", 1), 5, false},
		{"a= before t=", strings.Replace(chat, "t=0 0\n", "a=x\nt=0 0\n", 1), 5, false},
		{"unknown type", chat + "x=1\n", 9, false},
		{"bad connection", strings.Replace(chat, "c=IN IP4 192.0.2.1", "c=IN IP4", 1), 4, false},
		{"two media c=", strings.Replace(chat, "TCP/MSRP *\n", "TCP/MSRP *\nc=IN IP4 a\nc=IN IP4 b\n", 1), 8, false},
		{"no c= anywhere", strings.Replace(chat, "c=IN IP4 192.0.2.1\n", "", 1), 5, false},
		{"bad bandwidth", strings.Replace(chat, "t=0 0", "b=AS\nt=0 0", 1), 5, false},
		{"port too big", strings.Replace(chat, "2855 TCP", "65536 TCP", 1), 6, false},
		{"negative port", strings.Replace(chat, "2855 TCP", "-1 TCP", 1), 6, false},
		{"port not a number", strings.Replace(chat, "2855 TCP", "x TCP", 1), 6, false},
		{"port count 0", strings.Replace(chat, "2855 TCP", "2855/0 TCP", 1), 6, false},
		{"no format", strings.Replace(chat, "TCP/MSRP *", "TCP/MSRP", 1), 6, false},
		{"empty proto part", strings.Replace(chat, "TCP/MSRP", "TCP//MSRP", 1), 6, false},
		{"attribute name", strings.Replace(chat, "a=path:", "a=pa th:", 1), 7, false},
		{"empty attribute value", chat + "a=max-size:\n", 9, false},
		{"empty attribute", chat + "a=\n", 9, false},
		{"line of one letter", chat + "a\n", 9, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, err := Parse([]byte(c.in))
			if err == nil {
				t.Fatalf("Parse accepted %q: %+v", c.in, s)
			}
			if !errors.Is(err, ErrMalformed) || errors.Is(err, ErrTooLarge) != c.big {
				t.Errorf("error %v: ErrMalformed %t, ErrTooLarge %t (want %t)",
					err, errors.Is(err, ErrMalformed), errors.Is(err, ErrTooLarge), c.big)
			}
			var le *LineError
			if !errors.As(err, &le) || le.Line != c.line {
				t.Errorf("error %v: want line %d", err, c.line)
			}
			if !strings.HasPrefix(err.Error(), "sdp: ") || strings.Contains(err.Error(), "sdp: sdp:") {
				t.Errorf("error text %q lacks the package prefix", err)
			}
		})
	}
}

// TestParseAccepts covers the optional lines and their round trip.
func TestParseAccepts(t *testing.T) {
	in := "v=0\r\n" +
		"o=jdoe 2890844526 2890842807 IN IP6 2001:db8::1\r\n" +
		"s=SDP Seminar\r\n" +
		"i=A Seminar on the session description protocol\r\n" +
		"u=http://www.example.com/seminars/sdp.pdf\r\n" +
		"e=j.doe@example.com (Jane Doe)\r\n" +
		"p=+1 617 555-6011\r\n" +
		"b=AS:128\r\n" +
		"t=2873397496 2873404696\r\n" +
		"r=7d 1h 0 25h\r\n" +
		"t=0 0\r\n" +
		"z=2882844526 -1h\r\n" +
		"k=prompt\r\n" +
		"a=recvonly\r\n" +
		"m=message 2855/2 TCP/TLS/MSRP *\r\n" +
		"i=chat\r\n" +
		"c=IN IP6 2001:db8::2\r\n" +
		"b=TIAS:64000\r\n" +
		"k=prompt\r\n" +
		"a=path:msrps://[2001:db8::2]:2855/x;tcp\r\n" +
		"a=accept-types:*\r\n" +
		"m=audio 0 RTP/AVP 0\r\n" +
		"c=IN IP6 2001:db8::2\r\n"
	s := mustParse(t, []byte(in))
	want := &Session{
		Origin: Origin{Username: "jdoe", SessionID: "2890844526", SessionVersion: "2890842807", NetType: "IN", AddrType: "IP6", Address: "2001:db8::1"},
		Name:   "SDP Seminar", Info: "A Seminar on the session description protocol",
		URI:    "http://www.example.com/seminars/sdp.pdf",
		Emails: []string{"j.doe@example.com (Jane Doe)"}, Phones: []string{"+1 617 555-6011"},
		Bandwidths: []Bandwidth{{"AS", 128}},
		Times:      []Time{{Start: 2873397496, Stop: 2873404696, Repeats: []string{"7d 1h 0 25h"}}, {}},
		TimeZones:  "2882844526 -1h", Key: "prompt",
		Attributes: []Attribute{{Name: "recvonly"}},
		Media: []Media{
			{Type: "message", Port: 2855, PortCount: 2, Proto: "TCP/TLS/MSRP", Formats: []string{"*"}, Info: "chat",
				Connection: &Connection{"IN", "IP6", "2001:db8::2"}, Bandwidths: []Bandwidth{{"TIAS", 64000}}, Key: "prompt",
				Attributes: []Attribute{{"path", "msrps://[2001:db8::2]:2855/x;tcp"}, {"accept-types", "*"}}},
			{Type: "audio", Port: 0, Proto: "RTP/AVP", Formats: []string{"0"}, Connection: &Connection{"IN", "IP6", "2001:db8::2"}},
		},
	}
	if !reflect.DeepEqual(s, want) {
		t.Fatalf("Parse:\n got %+v\nwant %+v", s, want)
	}
	enc, err := s.Marshal()
	if err != nil || string(enc) != in {
		t.Fatalf("Marshal = %v\n%q\nwant\n%q", err, enc, in)
	}
	if v, ok := s.Value("recvonly"); !ok || v != "" {
		t.Errorf("Session.Value(recvonly) = %q, %t", v, ok)
	}
	if v, ok := s.Media[0].Value("accept-types"); !ok || v != "*" {
		t.Errorf("Media.Value(accept-types) = %q, %t", v, ok)
	}
	if _, ok := s.Media[0].Value("max-size"); ok {
		t.Error("Media.Value found an absent attribute")
	}
	if c := s.ConnectionOf(&s.Media[1]); c.Address != "2001:db8::2" {
		t.Errorf("ConnectionOf = %+v", c)
	}
}

func TestMarshalRefuses(t *testing.T) {
	good := func() *Session { return mustParse(t, []byte(chat)) }
	cases := []struct {
		name   string
		break_ func(s *Session)
	}{
		{"CRLF in name", func(s *Session) { s.Name = "a\r\nm=audio 1 RTP/AVP 0" }},
		{"space in username", func(s *Session) { s.Origin.Username = "a b" }},
		{"sess-id not digits", func(s *Session) { s.Origin.SessionID = "" }},
		{"no time", func(s *Session) { s.Times = nil }},
		{"empty email", func(s *Session) { s.Emails = []string{""} }},
		{"LF in repeat", func(s *Session) { s.Times[0].Repeats = []string{"1\n"} }},
		{"no connection", func(s *Session) { s.Connection = nil }},
		{"bad connection", func(s *Session) { s.Connection.Address = "a b" }},
		{"bad bandwidth type", func(s *Session) { s.Bandwidths = []Bandwidth{{Type: "A:S"}} }},
		{"bad attribute name", func(s *Session) { s.Attributes = []Attribute{{Name: "a:b"}} }},
		{"LF in attribute", func(s *Session) { s.Media[0].Attributes[0].Value = "x\ny" }},
		{"port", func(s *Session) { s.Media[0].Port = 65536 }},
		{"no formats", func(s *Session) { s.Media[0].Formats = nil }},
		{"space in proto", func(s *Session) { s.Media[0].Proto = "TCP MSRP" }},
		{"too many attributes", func(s *Session) { s.Attributes = make([]Attribute, MaxAttributes+1) }},
		{"too many media", func(s *Session) { s.Media = make([]Media, MaxMedia+1) }},
		{"too large", func(s *Session) {
			for i := 0; i < 60; i++ {
				s.Attributes = append(s.Attributes, Attribute{"x", strings.Repeat("y", 300)})
			}
		}},
	}
	for _, c := range cases {
		s := good()
		c.break_(s)
		if b, err := s.Marshal(); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: Marshal = %q, %v", c.name, b, err)
		}
	}
}
