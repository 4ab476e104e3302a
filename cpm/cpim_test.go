package cpm

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// sharedSpecs is the protocol reference data shared by the developers.
const sharedSpecs = "../../shared/specs"

func readShared(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(sharedSpecs, name))
	if errors.Is(err, os.ErrNotExist) {
		t.Skipf("shared reference data absent (%s): %v", sharedSpecs, err)
	}
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func mustTime(t testing.TB, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func unmarshalCPIM(t testing.TB, data []byte) *CPIM {
	t.Helper()
	var c CPIM
	if err := c.Unmarshal(data); err != nil {
		t.Fatalf("Unmarshal: %v", err)
	}
	return &c
}

func TestCPIMSharedSample(t *testing.T) {
	data := readShared(t, "cpm/samples/cpim_text-plain_imdn-positive-delivery.cpim")
	c := unmarshalCPIM(t, data)
	wantHeaders := []Header{
		{"From", "<sip:anonymous@anonymous.invalid>"},
		{"To", "<sip:anonymous@anonymous.invalid>"},
		{"NS", "imdn <urn:ietf:params:imdn>"},
		{"imdn.Message-ID", "ae6926cfcffa40a89e44252ce9e970a2"},
		{"DateTime", "2016-03-24T08:51:42+01:00"},
		{"imdn.Disposition-Notification", "positive-delivery"},
	}
	if !reflect.DeepEqual(c.Headers, wantHeaders) {
		t.Errorf("Headers = %q, want %q", c.Headers, wantHeaders)
	}
	if c.ContentType != "text/plain;charset=utf-8" || c.ContentID != "" || c.ContentDisposition != "" || c.ContentHeaders != nil {
		t.Errorf("content headers = %q %q %q %q", c.ContentType, c.ContentID, c.ContentDisposition, c.ContentHeaders)
	}
	if string(c.Body) != "Bonjour" {
		t.Errorf("Body = %q", c.Body)
	}

	m, err := MessageFromCPIM(c)
	if err != nil {
		t.Fatal(err)
	}
	want := Message{
		ID:       "ae6926cfcffa40a89e44252ce9e970a2",
		DateTime: mustTime(t, "2016-03-24T08:51:42+01:00"),
		Notify:   PositiveDelivery,
		Parts:    []Part{{ContentType: "text/plain;charset=utf-8", Body: []byte("Bonjour")}},
	}
	assertMessage(t, m, want)

	wantWire := "From: <sip:anonymous@anonymous.invalid>\r\n" +
		"To: <sip:anonymous@anonymous.invalid>\r\n" +
		"NS: imdn <urn:ietf:params:imdn>\r\n" +
		"imdn.Message-ID: ae6926cfcffa40a89e44252ce9e970a2\r\n" +
		"DateTime: 2016-03-24T08:51:42+01:00\r\n" +
		"imdn.Disposition-Notification: positive-delivery\r\n" +
		"\r\n" +
		"Content-Type: text/plain;charset=utf-8\r\n" +
		"Content-Length: 7\r\n" +
		"\r\n" +
		"Bonjour"
	if got := string(c.Marshal()); got != wantWire {
		t.Errorf("Marshal =\n%q\nwant\n%q", got, wantWire)
	}
	if got := string(m.CPIM().Marshal()); got != wantWire {
		t.Errorf("Message.CPIM().Marshal() =\n%q\nwant\n%q", got, wantWire)
	}
}

// assertMessage compares messages, times by instant and offset.
func assertMessage(t *testing.T, got, want Message) {
	t.Helper()
	sameTime(t, "DateTime", got.DateTime, want.DateTime)
	sameTime(t, "Expiry", got.Expiry, want.Expiry)
	got.DateTime, want.DateTime, got.Expiry, want.Expiry = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Message =\n%+v\nwant\n%+v", got, want)
	}
}

func sameTime(t *testing.T, what string, got, want time.Time) {
	t.Helper()
	_, go1 := got.Zone()
	_, wo := want.Zone()
	if !got.Equal(want) || go1 != wo {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

func TestCPIMRFC5438Message(t *testing.T) {
	data := readTestdata(t, "rfc5438_message_positive-delivery_display.cpim")
	c := unmarshalCPIM(t, data)
	m, err := MessageFromCPIM(c)
	if err != nil {
		t.Fatal(err)
	}
	assertMessage(t, m, Message{
		ID:       "34jk324j",
		From:     "im:alice@example.com",
		To:       "im:bob@example.com",
		DateTime: mustTime(t, "2006-04-04T12:16:49-05:00"),
		Notify:   PositiveDelivery | Display,
		Parts:    []Part{{ContentType: "text/plain", Body: []byte("Hello World")}},
	})
	lf := bytes.ReplaceAll(data, []byte("\r\n"), []byte("\n"))
	c2 := unmarshalCPIM(t, lf)
	if !reflect.DeepEqual(c.Headers, c2.Headers) || c.ContentType != c2.ContentType {
		t.Errorf("bare LF parsed differently: %q vs %q", c2.Headers, c.Headers)
	}
	if string(c2.Body) != "Hello World" {
		t.Errorf("LF body = %q", c2.Body)
	}
}

func TestCPIMPeerPrefixAndFolding(t *testing.T) {
	c := unmarshalCPIM(t, readTestdata(t, "peer_prefix_lf.cpim"))
	if v, _ := c.Get(NamespaceIMDN, "message-id"); v != "Fx7Qp2aZ" {
		t.Errorf("Message-ID by URN = %q", v)
	}
	if v, _ := c.Get("mid:MessageFeatures@id.foo.com", "VitalMessageOption"); v != "Confirmation-requested" {
		t.Errorf("MyFeatures header = %q", v)
	}
	if _, ok := c.Get(NamespaceIMDN, "VitalMessageOption"); ok {
		t.Error("header of another namespace resolved as imdn")
	}
	req, err := c.IMDNRequest()
	if err != nil {
		t.Fatal(err)
	}
	want := IMDNRequest{
		MessageID:    "Fx7Qp2aZ",
		DateTime:     mustTime(t, "2024-11-05T09:30:00.25Z"),
		Notify:       NegativeDelivery | Display,
		OriginalTo:   "tel:+447700900999",
		RecordRoutes: []string{"sip:as1.example.net;lr", "sip:as2.example.net;lr"},
	}
	if !req.DateTime.Equal(want.DateTime) || req.DateTime.Nanosecond() != 250_000_000 {
		t.Errorf("DateTime = %v", req.DateTime)
	}
	req.DateTime = want.DateTime
	if !reflect.DeepEqual(req, want) {
		t.Errorf("IMDNRequest = %+v, want %+v", req, want)
	}
	if c.ContentType != "text/plain; charset=ISO-8859-1" || c.ContentID != "<part1@example.net>" {
		t.Errorf("content = %q %q", c.ContentType, c.ContentID)
	}
	if !reflect.DeepEqual(c.ContentHeaders, []Header{{"X-Extra", "kept"}}) {
		t.Errorf("ContentHeaders = %q", c.ContentHeaders)
	}
	if !bytes.Equal(c.Body, []byte("caf\xe9")) {
		t.Errorf("Body = %q", c.Body)
	}
	m, err := MessageFromCPIM(c)
	if err != nil {
		t.Fatal(err)
	}
	if m.From != "sip:+447700900456@ims.example.net;user=phone" || m.To != "tel:+447700900123" || m.Subject != "Bonjour" {
		t.Errorf("From %q To %q Subject %q", m.From, m.To, m.Subject)
	}
	if p := m.Parts[0]; p.ContentID != "part1@example.net" {
		t.Errorf("ContentID = %q", p.ContentID)
	}
}

func TestCPIMDefaultNamespaceDeclaration(t *testing.T) {
	c := unmarshalCPIM(t, []byte("NS: <urn:ietf:params:imdn>\r\nMessage-ID: abc\r\n\r\n\r\n"))
	if v, ok := c.Get(NamespaceIMDN, "Message-ID"); !ok || v != "abc" {
		t.Errorf("default namespace: %q %v", v, ok)
	}
	c = unmarshalCPIM(t, []byte("imdn.Message-ID: undeclared\r\n\r\n\r\n"))
	if v, _ := c.Get(NamespaceIMDN, "Message-ID"); v != "undeclared" {
		t.Errorf("undeclared imdn prefix: %q", v)
	}
}

func TestCPIMErrors(t *testing.T) {
	many := strings.Repeat("X: y\r\n", MaxCPIMHeaders+1)
	tests := []struct {
		name  string
		in    string
		limit bool
	}{
		{"size", "From: <a>\r\n\r\n\r\n" + strings.Repeat("x", MaxCPIMSize), true},
		{"headers", many + "\r\n\r\n", true},
		{"content headers", "From: <a>\r\n\r\n" + many + "\r\n", true},
		{"line", "Subject: " + strings.Repeat("x", MaxCPIMHeaderLine) + "\r\n\r\n\r\n", true},
		{"folded line", "Subject: x\r\n" + strings.Repeat(" "+strings.Repeat("x", 100)+"\r\n", 41) + "\r\n\r\n", true},
		{"no colon", "From <a>\r\n\r\n\r\n", false},
		{"empty name", ": v\r\n\r\n\r\n", false},
		{"space in name", "Fr om: v\r\n\r\n\r\n", false},
		{"continuation first", " From: v\r\n\r\n\r\n", false},
		{"no empty line", "From: <a>\r\n", false},
		{"no headers", "\r\nContent-Type: text/plain\r\n\r\nx", false},
		{"CR in header", "From: <a>\rTo: <b>\r\n\r\n\r\n", false},
		{"short body", "From: <a>\r\n\r\nContent-Length: 9\r\n\r\nabc", false},
		{"long body", "From: <a>\r\n\r\nContent-Length: 2\r\n\r\nabc", false},
		{"bad length", "From: <a>\r\n\r\nContent-Length: -1\r\n\r\nabc", false},
		{"two lengths", "From: <a>\r\n\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc", false},
		{"two types", "From: <a>\r\n\r\nContent-Type: a/b\r\ncontent-type: a/b\r\n\r\nabc", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := CPIM{ContentType: "untouched"}
			err := c.Unmarshal([]byte(tt.in))
			if err == nil {
				t.Fatal("no error")
			}
			if c.ContentType != "untouched" || c.Headers != nil {
				t.Errorf("CPIM changed on error: %+v", c)
			}
			if !strings.HasPrefix(err.Error(), "cpim: ") {
				t.Errorf("error text %q lacks the cpim: prefix", err)
			}
			var le *LimitError
			var se *SyntaxError
			switch {
			case tt.limit && (!errors.Is(err, ErrTooLarge) || !errors.As(err, &le)):
				t.Errorf("err = %v, want a *LimitError matching ErrTooLarge", err)
			case !tt.limit && (!errors.Is(err, ErrMalformed) || !errors.As(err, &se) || se.Line < 1):
				t.Errorf("err = %v, want a *SyntaxError with a line matching ErrMalformed", err)
			}
		})
	}
}

func TestCPIMSyntaxErrorLine(t *testing.T) {
	var c CPIM
	err := c.Unmarshal([]byte("From: <a>\r\nTo: <b>\r\nbroken\r\n\r\n\r\n"))
	var se *SyntaxError
	if !errors.As(err, &se) || se.Line != 3 {
		t.Fatalf("err = %v, want a SyntaxError on line 3", err)
	}
	if se.Error() != "cpim: line 3: header without a name and colon" {
		t.Errorf("text = %q", se.Error())
	}
}

func TestCPIMContentLengthTolerance(t *testing.T) {
	c := unmarshalCPIM(t, []byte("From: <a>\r\n\r\nContent-Length: 3\r\n\r\nabc\r\n"))
	if string(c.Body) != "abc" {
		t.Errorf("Body = %q, want the trailing line break after Content-Length dropped", c.Body)
	}
	c = unmarshalCPIM(t, []byte("From: <a>\r\n\r\nContent-Type: text/plain\r\n"))
	if c.Body != nil || c.ContentType != "text/plain" {
		t.Errorf("content block ending at EOF: %q %q", c.ContentType, c.Body)
	}
}

func TestCPIMMarshalNeutralisesLineBreaks(t *testing.T) {
	c := CPIM{Headers: []Header{{"Subject", "a\r\nTo: <sip:evil@example.net>"}}, ContentType: "text/plain", Body: []byte("x")}
	got := unmarshalCPIM(t, c.Marshal())
	if len(got.Headers) != 1 || got.Headers[0].Value != "a  To: <sip:evil@example.net>" {
		t.Errorf("headers = %q", got.Headers)
	}
}

func TestMessageCPIMGolden(t *testing.T) {
	m := Message{
		ID:             "Msg-0001",
		From:           "tel:+447700900123",
		To:             "sip:alice@example.net",
		DateTime:       time.Date(2024, 5, 6, 7, 8, 9, 120_000_000, time.FixedZone("", 3600)),
		Subject:        "Hi",
		Notify:         PositiveDelivery | NegativeDelivery,
		Parts:          []Part{{ContentType: "text/plain;charset=UTF-8", Body: []byte("Hello \xe2\x82\xac")}},
		ConversationID: "ignored-by-cpim",
	}
	want := readTestdata(t, "message_golden.cpim")
	if got := m.CPIM().Marshal(); !bytes.Equal(got, want) {
		t.Errorf("Marshal =\n%q\nwant\n%q", got, want)
	}
}

func TestMessageCPIMRoundTrip(t *testing.T) {
	msgs := []Message{
		{
			ID: "a1", From: "tel:+447700900123", To: "sip:bob@example.net",
			DateTime: time.Date(2024, 1, 2, 3, 4, 5, 6, time.FixedZone("", -5*3600)),
			Subject:  "s", Notify: Display,
			Parts: []Part{{ContentType: "image/png", ContentID: "img@x", Filename: "a b.png", Body: []byte{0, 1, 2, '\r', '\n'}}},
		},
		{
			ID: "multi", To: "sip:bob@example.net",
			Parts: []Part{
				{ContentType: "text/plain;charset=UTF-8", Body: []byte("first\r\n")},
				{ContentType: "image/gif", Filename: "x.gif", Body: []byte("--iwf-fake\r\nGIF89a")},
				{ContentType: "text/plain", ContentID: "c3"},
			},
		},
	}
	for _, m := range msgs {
		t.Run(m.ID, func(t *testing.T) {
			wire := m.CPIM().Marshal()
			got, err := MessageFromCPIM(unmarshalCPIM(t, wire))
			if err != nil {
				t.Fatal(err)
			}
			assertMessage(t, got, m)
		})
	}
}

func TestMultipartBase64(t *testing.T) {
	body := "preamble\r\n--b1\r\nContent-Type: text/plain\r\n\r\nhello\r\n--b1\r\n" +
		"Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\nAAEC\r\nAw==\r\n--b1--\r\nepilogue"
	c := CPIM{ContentType: `multipart/mixed; boundary="b1"`, Body: []byte(body)}
	m, err := MessageFromCPIM(&c)
	if err != nil {
		t.Fatal(err)
	}
	want := []Part{{ContentType: "text/plain", Body: []byte("hello")}, {ContentType: "application/octet-stream", Body: []byte{0, 1, 2, 3}}}
	if !reflect.DeepEqual(m.Parts, want) {
		t.Errorf("Parts = %+v", m.Parts)
	}
	c.Body = []byte("--b1\r\n\r\nno end")
	if _, err := MessageFromCPIM(&c); !errors.Is(err, ErrMalformed) {
		t.Errorf("unterminated multipart: %v", err)
	}
}

func TestMessageFromCPIMRefusesIMDN(t *testing.T) {
	c := unmarshalCPIM(t, readTestdata(t, "rfc5438_delivery-notification_delivered.cpim"))
	if _, err := MessageFromCPIM(c); !errors.Is(err, ErrUnsupported) {
		t.Errorf("err = %v, want ErrUnsupported", err)
	}
}

func TestCPIMBadDateTime(t *testing.T) {
	c := unmarshalCPIM(t, []byte("DateTime: 2024-01-02 03:04:05\r\n\r\n\r\n"))
	if _, err := MessageFromCPIM(c); !errors.Is(err, ErrMalformed) {
		t.Errorf("err = %v, want ErrMalformed", err)
	}
}

func FuzzCPIM(f *testing.F) {
	for _, name := range []string{"rfc5438_message_positive-delivery_display.cpim", "peer_prefix_lf.cpim", "rfc5438_delivery-notification_delivered.cpim"} {
		f.Add(readTestdata(f, name))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var c1 CPIM
		if err := c1.Unmarshal(data); err != nil {
			return
		}
		wire := c1.Marshal()
		var c2 CPIM
		if err := c2.Unmarshal(wire); err != nil {
			t.Fatalf("re-decoding %q: %v", wire, err)
		}
		if !reflect.DeepEqual(c1, c2) {
			t.Fatalf("round trip differs:\n%+v\n%+v", c1, c2)
		}
		m1, err := MessageFromCPIM(&c1)
		if err != nil {
			return
		}
		m2, err := MessageFromCPIM(&c2)
		if err != nil || !reflect.DeepEqual(m1.Parts, m2.Parts) || m1.ID != m2.ID || !m1.DateTime.Equal(m2.DateTime) {
			t.Fatalf("message differs after round trip: %v\n%+v\n%+v", err, m1, m2)
		}
	})
}

func BenchmarkCPIMUnmarshal(b *testing.B) {
	data := readTestdata(b, "rfc5438_message_positive-delivery_display.cpim")
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		var c CPIM
		if err := c.Unmarshal(data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMessageFromCPIM(b *testing.B) {
	var c CPIM
	if err := c.Unmarshal(readTestdata(b, "rfc5438_message_positive-delivery_display.cpim")); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := MessageFromCPIM(&c); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMessageCPIMMarshal(b *testing.B) {
	m := Message{ID: "34jk324j", From: "tel:+447700900123", To: "sip:bob@example.net",
		DateTime: time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC), Notify: PositiveDelivery,
		Parts: []Part{{ContentType: "text/plain;charset=UTF-8", Body: []byte("Hello World")}}}
	b.ReportAllocs()
	for b.Loop() {
		_ = m.CPIM().Marshal()
	}
}
