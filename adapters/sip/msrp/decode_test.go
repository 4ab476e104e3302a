package msrp

import (
	"errors"
	"strings"
	"testing"
)

const (
	toFrom = "To-Path: msrp://bob.example.com:8888/9di4eae923wzd;tcp\r\n" +
		"From-Path: msrp://alicepc.example.com:7777/iau39soe2843z;tcp\r\n"
	sendHead = "MSRP abcd1234 SEND\r\n" + toFrom + "Message-ID: m1234567\r\n"
)

func TestUnmarshalBodies(t *testing.T) {
	tests := []struct {
		name, wire, body string
		flag             Flag
	}{
		{"empty body", sendHead + "Content-Type: text/plain\r\n\r\n\r\n-------abcd1234$\r\n", "", FlagEnd},
		{"empty body without its CRLF", sendHead + "Content-Type: text/plain\r\n\r\n-------abcd1234+\r\n", "", FlagMore},
		{"Content-Type and no body section", sendHead + "Content-Type: text/plain\r\n-------abcd1234$\r\n", "", FlagEnd},
		{"body of CRLFs", sendHead + "Content-Type: a/b\r\n\r\n\r\n\r\n\r\n-------abcd1234$\r\n", "\r\n\r\n", FlagEnd},
		{"end-line look-alikes", sendHead + "Content-Type: a/b\r\n\r\n" +
			"-------abcd1234x\r\n-------abcd12345$\r\nx-------abcd1234$\r\n-------abcd123\r\n-------abcd1234#\r\n",
			"-------abcd1234x\r\n-------abcd12345$\r\nx-------abcd1234$\r\n-------abcd123", FlagAbort},
		{"binary body", sendHead + "Content-Type: application/octet-stream\r\n\r\n\x00\xff\r\x1b\n\r\n-------abcd1234$\r\n", "\x00\xff\r\x1b\n", FlagEnd},
		{"lower-case typed names", "MSRP abcd1234 SEND\r\nto-path: msrp://h;tcp\r\nFROM-PATH: msrp://g;tcp\r\ncontent-type: t/p\r\n\r\nx\r\n-------abcd1234$\r\n", "x", FlagEnd},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Unmarshal([]byte(tt.wire), Config{})
			if err != nil {
				t.Fatalf("Unmarshal: %v", err)
			}
			if string(f.Body) != tt.body || f.Flag != tt.flag {
				t.Fatalf("body %q flag %c, want %q %c", f.Body, f.Flag, tt.body, tt.flag)
			}
			if len(f.Body) == 0 && f.Body != nil {
				t.Fatal("empty body is not nil")
			}
			assertRoundTrip(t, f)
		})
	}
}

func TestUnmarshalHeaders(t *testing.T) {
	wire := "MSRP x7Y.-+%= 403 Action not allowed  \r\n" +
		"To-Path: msrps://alice@[2001:db8::1]:2855/s+=/x;tcp;a=b msrp://relay.example.net;sctp\r\n" +
		"From-Path:msrp://10.0.0.1:9/x;tcp\r\n" +
		"X-Ext:\tvalue with\ttab \r\n" +
		"Empty:\r\n" +
		"-------x7Y.-+%=$\r\n"
	f, err := Unmarshal([]byte(wire), Config{})
	if err != nil {
		t.Fatalf("Unmarshal: %v", err)
	}
	if !f.IsResponse() || f.Code != StatusActionNotAllowed || f.Comment != "Action not allowed" {
		t.Errorf("start line decoded as code %d comment %q", f.Code, f.Comment)
	}
	if !errors.Is(f.Err(), StatusActionNotAllowed) || f.Err().(StatusCode).Temporary() {
		t.Errorf("Err() = %v", f.Err())
	}
	want := URI{Secure: true, User: "alice", Host: "[2001:db8::1]", Port: 2855, SessionID: "s+=/x", Transport: "tcp", Params: []string{"a=b"}}
	if len(f.ToPath) != 2 || f.ToPath[0].String() != want.String() || f.ToPath[1].Host != "relay.example.net" || f.ToPath[1].Port != 0 {
		t.Errorf("To-Path = %+v", f.ToPath)
	}
	if f.FromPath[0].Host != "10.0.0.1" || f.FromPath[0].Port != 9 {
		t.Errorf("From-Path = %+v", f.FromPath)
	}
	wantExtra := []Header{{"X-Ext", "value with\ttab"}, {"Empty", ""}}
	if len(f.Extra) != 2 || f.Extra[0] != wantExtra[0] || f.Extra[1] != wantExtra[1] {
		t.Errorf("Extra = %q", f.Extra)
	}
	assertRoundTrip(t, f)
}

func TestUnmarshalRejects(t *testing.T) {
	body := "Content-Type: t/p\r\n\r\nx\r\n-------abcd1234$\r\n"
	tests := []struct {
		name, wire string
		want       error
	}{
		{"not MSRP", "HTTP abcd1234 SEND\r\n" + toFrom + "-------abcd1234$\r\n", ErrSyntax},
		{"short tid", "MSRP abc SEND\r\n" + toFrom + "-------abc$\r\n", ErrSyntax},
		{"lower-case method", "MSRP abcd1234 send\r\n" + toFrom + "-------abcd1234$\r\n", ErrSyntax},
		{"two-digit code", "MSRP abcd1234 20 OK\r\n" + toFrom + "-------abcd1234$\r\n", ErrSyntax},
		{"no To-Path", "MSRP abcd1234 SEND\r\nFrom-Path: msrp://h;tcp\r\n-------abcd1234$\r\n", ErrMissingHeader},
		{"no From-Path", "MSRP abcd1234 SEND\r\nTo-Path: msrp://h;tcp\r\n-------abcd1234$\r\n", ErrMissingHeader},
		{"two Message-IDs", sendHead + "Message-ID: m1234567\r\n-------abcd1234$\r\n", ErrDuplicateHeader},
		{"body without Content-Type", sendHead + "\r\nx\r\n-------abcd1234$\r\n", ErrMissingHeader},
		{"response with body", "MSRP abcd1234 200 OK\r\n" + toFrom + body, ErrSyntax},
		{"bad Byte-Range", sendHead + "Byte-Range: 0-1/1\r\n" + body, ErrSyntax},
		{"Byte-Range end beyond total", sendHead + "Byte-Range: 1-9/8\r\n" + body, ErrSyntax},
		{"bad Status", sendHead + "Status: 00 200\r\n" + body, ErrSyntax},
		{"bad Success-Report", sendHead + "Success-Report: maybe\r\n" + body, ErrSyntax},
		{"bad Failure-Report", sendHead + "Failure-Report: always\r\n" + body, ErrSyntax},
		{"bad URI scheme", "MSRP abcd1234 SEND\r\nTo-Path: sip:bob@h\r\nFrom-Path: msrp://h;tcp\r\n-------abcd1234$\r\n", ErrSyntax},
		{"URI without transport", "MSRP abcd1234 SEND\r\nTo-Path: msrp://h:1/s\r\nFrom-Path: msrp://h;tcp\r\n-------abcd1234$\r\n", ErrSyntax},
		{"URI port too big", "MSRP abcd1234 SEND\r\nTo-Path: msrp://h:65536/s;tcp\r\nFrom-Path: msrp://h;tcp\r\n-------abcd1234$\r\n", ErrSyntax},
		{"header without colon", sendHead + "Bogus\r\n" + body, ErrSyntax},
		{"bare LF in header", sendHead + "X: a\nb\r\n" + body, ErrSyntax},
		{"wrong tid in end-line", sendHead + "-------abcd9999$\r\n", ErrSyntax},
		{"bad flag", sendHead + "-------abcd1234!\r\n", ErrSyntax},
		{"end-line without CRLF", sendHead + "Content-Type: t/p\r\n\r\nx\r\n-------abcd1234$xx", ErrSyntax},
		{"truncated head", sendHead, ErrIncomplete},
		{"truncated body", sendHead + "Content-Type: t/p\r\n\r\nxyz\r\n-------abcd12", ErrIncomplete},
		{"trailing data", sendHead + body + "MSRP", ErrTrailingData},
		{"too many headers", sendHead + strings.Repeat("X: y\r\n", 64) + body, ErrHeaderTooLarge},
		{"header block too large", sendHead + "X: " + strings.Repeat("y", 20000) + "\r\n" + body, ErrHeaderTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Unmarshal([]byte(tt.wire), Config{})
			if !errors.Is(err, tt.want) {
				t.Fatalf("Unmarshal = %v, %v; want error %v", f, err, tt.want)
			}
			if !strings.HasPrefix(err.Error(), "msrp: ") {
				t.Errorf("error %q lacks the msrp: prefix", err)
			}
		})
	}
}

func TestUnmarshalBodyLimit(t *testing.T) {
	wire := sendHead + "Content-Type: t/p\r\n\r\n" + strings.Repeat("z", 101) + "\r\n-------abcd1234$\r\n"
	if _, err := Unmarshal([]byte(wire), Config{MaxBodyBytes: 100}); !errors.Is(err, ErrBodyTooLarge) {
		t.Fatalf("101-byte body with limit 100: %v", err)
	}
	if _, err := Unmarshal([]byte(wire), Config{MaxBodyBytes: 101}); err != nil {
		t.Fatalf("101-byte body with limit 101: %v", err)
	}
}

// assertRoundTrip checks that f marshals and decodes to an equal frame.
func assertRoundTrip(t testing.TB, f *Frame) {
	t.Helper()
	enc, err := f.Marshal()
	if err != nil {
		t.Fatalf("Marshal of decoded frame: %v", err)
	}
	g, err := Unmarshal(enc, Config{})
	if err != nil {
		t.Fatalf("Unmarshal of %q: %v", enc, err)
	}
	if msg := frameDiff(f, g); msg != "" {
		t.Fatalf("round trip changed the frame: %s\nwire %q", msg, enc)
	}
}
