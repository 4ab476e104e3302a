package translate

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/iwf-gateway/iwf/adapters/sip"
	"github.com/iwf-gateway/iwf/cpm"
)

var updateSIPGolden = flag.Bool("update-sip", false, "rewrite translate/testdata/sip_*.golden")

func textRequest(body, contentType string) *sip.Request {
	return &sip.Request{
		CallID: "a84b4c76e66710@pc33.example.net", CSeq: 314159,
		RequestURI: "tel:+447700900123", From: "sip:alice@example.net", To: "tel:+447700900123",
		ContentType: contentType, Body: []byte(body),
		ConversationID: "conv-1", ContributionID: "contrib-1",
	}
}

func TestMessageFromSIPText(t *testing.T) {
	r := textRequest("caf\xe9", "text/plain; charset=ISO-8859-1")
	r.PAssertedIdentity = "sip:+447700900456@ims.example.net;user=phone"
	m, err := MessageFromSIP(r)
	if err != nil {
		t.Fatal(err)
	}
	want := cpm.Message{
		ID:    SIPMessageID(r),
		From:  "sip:+447700900456@ims.example.net;user=phone",
		To:    "tel:+447700900123",
		Parts: []cpm.Part{{ContentType: "text/plain;charset=UTF-8", Body: []byte("café")}},

		ConversationID: "conv-1", ContributionID: "contrib-1",
	}
	if !reflect.DeepEqual(m, want) {
		t.Errorf("Message =\n%+v\nwant\n%+v", m, want)
	}
	if len(m.ID) != 32 {
		t.Errorf("ID %q is not 32 hex digits", m.ID)
	}

	r2 := textRequest("Hi", "text/plain")
	m2, err := MessageFromSIP(r2)
	if err != nil {
		t.Fatal(err)
	}
	if m2.From != "sip:alice@example.net" || string(m2.Parts[0].Body) != "Hi" {
		t.Errorf("no PAI: From %q body %q", m2.From, m2.Parts[0].Body)
	}
	if m2.ID != m.ID {
		t.Errorf("retransmission got id %q, first %q", m2.ID, m.ID)
	}
	r2.CSeq++
	if m3, _ := MessageFromSIP(r2); m3.ID == m.ID {
		t.Error("a new CSeq kept the id")
	}
}

func TestMessageFromSIPErrors(t *testing.T) {
	big := strings.Repeat("x", MaxSIPBody+1)
	tests := []struct {
		name, body, contentType string
		want                    error
	}{
		{"image", "x", "image/png", ErrUnsupportedType},
		{"unknown charset", "x", "text/plain;charset=x-klingon", ErrUnsupportedType},
		{"invalid utf-8", "\xff\xfe", "text/plain;charset=utf-8", ErrMalformed},
		{"ascii with 8 bit", "\xe9", "text/plain;charset=us-ascii", ErrMalformed},
		{"no content type", "x", "", ErrMalformed},
		{"bad content type", "x", "text/plain;;=", ErrMalformed},
		{"too large", big, "text/plain", ErrTooLarge},
		{"cpim too many headers", strings.Repeat("X: y\r\n", 100) + "\r\n\r\n", "message/cpim", ErrTooLarge},
		{"cpim malformed", "no colon\r\n\r\n\r\n", "message/cpim", ErrMalformed},
		{"cpim bad datetime", "DateTime: now\r\n\r\nContent-Type: text/plain\r\n\r\nx", "message/cpim", ErrMalformed},
		{"cpim imdn", "From: <a:b>\r\n\r\nContent-Type: message/imdn+xml\r\n\r\n<imdn/>", "message/cpim", ErrUnsupportedType},
		{"cpim latin1 invalid utf8 claim", "From: <a:b>\r\n\r\nContent-Type: text/plain;charset=utf-8\r\n\r\n\xe9", "message/cpim", ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := MessageFromSIP(textRequest(tt.body, tt.contentType))
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if !strings.HasPrefix(err.Error(), "translate: ") {
				t.Errorf("error text %q", err)
			}
		})
	}
}

func TestMessageFromSIPSharedCPIM(t *testing.T) {
	body, err := os.ReadFile("../../shared/specs/cpm/samples/cpim_text-plain_imdn-positive-delivery.cpim")
	if errors.Is(err, os.ErrNotExist) {
		t.Skipf("shared reference data absent: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	r := textRequest(string(body), "message/cpim")
	r.PAssertedIdentity = "tel:+447700900456"
	m, err := MessageFromSIP(r)
	if err != nil {
		t.Fatal(err)
	}
	if m.ID != "ae6926cfcffa40a89e44252ce9e970a2" || m.Notify != cpm.PositiveDelivery {
		t.Errorf("ID %q Notify %v", m.ID, m.Notify)
	}
	if m.From != "tel:+447700900456" || m.To != "tel:+447700900123" {
		t.Errorf("anonymous CPIM From/To not replaced by SIP identities: %q %q", m.From, m.To)
	}
	if !m.DateTime.Equal(time.Date(2016, 3, 24, 7, 51, 42, 0, time.UTC)) {
		t.Errorf("DateTime = %v", m.DateTime)
	}
	if text, ok := m.Text(); !ok || text != "Bonjour" {
		t.Errorf("Text = %q %v", text, ok)
	}
}

func TestMessageFromSIPCPIMCharset(t *testing.T) {
	body := "From: <sip:bob@example.net>\r\nNS: imdn <urn:ietf:params:imdn>\r\nimdn.Message-ID: m1\r\n\r\n" +
		"Content-Type: text/plain; charset=windows-1252\r\n\r\n\x80 5"
	m, err := MessageFromSIP(textRequest(body, "message/cpim"))
	if err != nil {
		t.Fatal(err)
	}
	want := []cpm.Part{{ContentType: "text/plain;charset=UTF-8", Body: []byte("€ 5")}}
	if !reflect.DeepEqual(m.Parts, want) || m.From != "sip:bob@example.net" || m.ID != "m1" {
		t.Errorf("Message = %+v", m)
	}
}

func TestReportFromSIP(t *testing.T) {
	if _, ok, err := ReportFromSIP(textRequest("Hi", "text/plain")); ok || err != nil {
		t.Errorf("text: ok %v err %v", ok, err)
	}
	cp := "From: <sip:anonymous@anonymous.invalid>\r\nTo: <sip:anonymous@anonymous.invalid>\r\nNS: imdn <urn:ietf:params:imdn>\r\n" +
		"imdn.Message-ID: n1\r\nDateTime: 2024-01-02T03:04:05Z\r\n\r\nContent-Type: message/imdn+xml\r\nContent-Disposition: notification\r\n\r\n" +
		`<imdn xmlns="urn:ietf:params:xml:ns:imdn"><message-id>orig</message-id><datetime>2024-01-02T03:00:00Z</datetime>` +
		`<delivery-notification><status><delivered/></status></delivery-notification></imdn>`
	r := textRequest(cp, "message/cpim")
	rep, ok, err := ReportFromSIP(r)
	if !ok || err != nil {
		t.Fatalf("ok %v err %v", ok, err)
	}
	want := cpm.Report{ID: "n1", MessageID: "orig", From: "sip:alice@example.net", To: "tel:+447700900123", Status: cpm.Delivered,
		DateTime: time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC), OriginalDateTime: time.Date(2024, 1, 2, 3, 0, 0, 0, time.UTC)}
	if !rep.DateTime.Equal(want.DateTime) || !rep.OriginalDateTime.Equal(want.OriginalDateTime) {
		t.Errorf("times %v %v", rep.DateTime, rep.OriginalDateTime)
	}
	rep.DateTime, rep.OriginalDateTime, want.DateTime, want.OriginalDateTime = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	if rep != want {
		t.Errorf("Report = %+v, want %+v", rep, want)
	}
	bad := textRequest(strings.Replace(cp, "<delivered/>", "<displayed/>", 1), "message/cpim")
	if _, ok, err := ReportFromSIP(bad); !ok || !errors.Is(err, ErrMalformed) {
		t.Errorf("bad IMDN: ok %v err %v", ok, err)
	}
}

// renderOutgoing writes an Outgoing as the golden files hold it: one
// "Field: value" line per field, an empty line, the body.
func renderOutgoing(o sip.Outgoing) []byte {
	var b bytes.Buffer
	for _, f := range [][2]string{
		{"Request-URI", o.RequestURI}, {"From", o.From}, {"To", o.To},
		{"P-Asserted-Identity", o.PAssertedIdentity}, {"Content-Type", o.ContentType},
		{"Conversation-ID", o.ConversationID}, {"Contribution-ID", o.ContributionID},
	} {
		b.WriteString(f[0] + ": " + f[1] + "\n")
	}
	b.WriteString("\n")
	b.Write(o.Body)
	return b.Bytes()
}

func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *updateSIPGolden {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs:\ngot\n%q\nwant\n%q", name, got, want)
	}
}

var outboundConfig = SIPOutboundConfig{Domain: "ims.example.net", CPIM: true}

func legacyMessage() cpm.Message {
	return cpm.Message{
		ID: "iwf-0001", From: "tel:+447700900123", To: "sip:alice@example.net",
		DateTime: time.Date(2024, 5, 6, 7, 8, 9, 500_000_000, time.FixedZone("", 3600)),
		Parts:    []cpm.Part{{ContentType: "text/plain;charset=UTF-8", Body: []byte("Hello € world")}},
		Notify:   cpm.PositiveDelivery | cpm.NegativeDelivery, ConversationID: "conv-9",
	}
}

func TestSIPFromMessageGolden(t *testing.T) {
	m := legacyMessage()
	out, err := SIPFromMessage(&m, outboundConfig)
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "sip_message_cpim.golden", renderOutgoing(out))

	plain := outboundConfig
	plain.CPIM = false
	out, err = SIPFromMessage(&m, plain)
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "sip_message_text.golden", renderOutgoing(out))

	r := cpm.Report{ID: "iwf-r-1", MessageID: "34jk324j", From: "tel:+447700900123", To: "sip:alice@example.net",
		Status: cpm.Delivered, DateTime: time.Date(2024, 5, 6, 7, 9, 0, 0, time.UTC),
		OriginalDateTime: time.Date(2024, 5, 6, 7, 8, 9, 0, time.FixedZone("", -5*3600))}
	out, err = SIPFromReport(&r, plain)
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "sip_report_delivered.golden", renderOutgoing(out))
}

func TestSIPIdentity(t *testing.T) {
	tests := []struct{ in, from, pai string }{
		{"tel:+447700900123", "sip:+447700900123@ims.example.net;user=phone", "tel:+447700900123"},
		{"tel:+44-7700-900123", "sip:+447700900123@ims.example.net;user=phone", "tel:+447700900123"},
		{"tel:12345;phone-context=example.net", "sip:12345@ims.example.net;user=phone", "tel:12345"},
		{"sip:bob@example.net", "sip:bob@example.net", "sip:bob@example.net"},
		{"ACME", "sip:ACME@ims.example.net", "sip:ACME@ims.example.net"},
		{"My Bank", "sip:My%20Bank@ims.example.net", "sip:My%20Bank@ims.example.net"},
		{"wv:bob@imps.example.net", "sip:bob%40imps.example.net@ims.example.net", "sip:bob%40imps.example.net@ims.example.net"},
	}
	for _, tt := range tests {
		from, pai, err := sipIdentity(cpm.Address(tt.in), "ims.example.net")
		if err != nil || from != tt.from || pai != tt.pai {
			t.Errorf("sipIdentity(%q) = %q, %q, %v; want %q, %q", tt.in, from, pai, err, tt.from, tt.pai)
		}
	}
	for _, bad := range []string{"", "tel:+44abc", "tel:+"} {
		if _, _, err := sipIdentity(cpm.Address(bad), "d"); !errors.Is(err, ErrSIPAddress) {
			t.Errorf("sipIdentity(%q) err = %v", bad, err)
		}
	}
}

func TestSIPOutboundRefuses(t *testing.T) {
	m := legacyMessage()
	if _, err := SIPFromMessage(&m, SIPOutboundConfig{}); err == nil {
		t.Error("empty domain accepted")
	}
	m.To = "mailto:x@example.net"
	if _, err := SIPFromMessage(&m, outboundConfig); !errors.Is(err, ErrSIPAddress) {
		t.Errorf("mailto recipient: %v", err)
	}
	m = legacyMessage()
	m.Parts = append(m.Parts, cpm.Part{ContentType: "image/gif", Body: []byte("GIF")})
	if _, err := SIPFromMessage(&m, SIPOutboundConfig{Domain: "d"}); !errors.Is(err, ErrUnsupportedType) {
		t.Errorf("two parts without CPIM: %v", err)
	}
	r := cpm.Report{MessageID: "m", From: "tel:+1", To: "sip:a@b", Status: cpm.Delivered}
	if _, err := SIPFromReport(&r, outboundConfig); err == nil {
		t.Error("report without OriginalDateTime encoded")
	}
	if err := (SIPOutboundConfig{Domain: "a b"}).Validate(); err == nil {
		t.Error("domain with a space validated")
	}
}

func requestFrom(o sip.Outgoing) *sip.Request {
	return &sip.Request{CallID: "c", CSeq: 1, RequestURI: o.RequestURI, From: o.From, To: o.To,
		PAssertedIdentity: o.PAssertedIdentity, ContentType: o.ContentType, Body: o.Body,
		ConversationID: o.ConversationID, ContributionID: o.ContributionID}
}

func TestSIPRoundTrip(t *testing.T) {
	multi := legacyMessage()
	multi.ID, multi.Subject, multi.Notify = "iwf-0002", "photo", cpm.Display
	multi.ContributionID = "contrib-2"
	multi.Parts = []cpm.Part{
		{ContentType: "text/plain;charset=UTF-8", Body: []byte("see")},
		{ContentType: "image/jpeg", ContentID: "img1@iwf", Filename: "a.jpg", Body: []byte{0xff, 0xd8, 0xff, 0, '\r', '\n'}},
	}
	alpha := legacyMessage()
	alpha.From = "ACME"
	alpha.DateTime = time.Time{}
	for _, m := range []cpm.Message{legacyMessage(), multi, alpha} {
		out, err := SIPFromMessage(&m, outboundConfig)
		if err != nil {
			t.Fatal(err)
		}
		got, err := MessageFromSIP(requestFrom(out))
		if err != nil {
			t.Fatal(err)
		}
		if !got.DateTime.Equal(m.DateTime) {
			t.Errorf("DateTime %v, want %v", got.DateTime, m.DateTime)
		}
		got.DateTime, m.DateTime = time.Time{}, time.Time{}
		if !reflect.DeepEqual(got, m) {
			t.Errorf("round trip:\n%+v\nwant\n%+v", got, m)
		}
	}

	r := cpm.Report{ID: "iwf-r-2", MessageID: "orig-1", From: "tel:+447700900123", To: "sip:alice@example.net",
		Status: cpm.Displayed, Display: true, DateTime: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC),
		OriginalDateTime: time.Date(2023, 12, 31, 23, 0, 0, 0, time.UTC)}
	out, err := SIPFromReport(&r, outboundConfig)
	if err != nil {
		t.Fatal(err)
	}
	got, ok, err := ReportFromSIP(requestFrom(out))
	if !ok || err != nil {
		t.Fatalf("ok %v err %v", ok, err)
	}
	if !got.DateTime.Equal(r.DateTime) || !got.OriginalDateTime.Equal(r.OriginalDateTime) {
		t.Errorf("report times %v %v", got.DateTime, got.OriginalDateTime)
	}
	got.DateTime, got.OriginalDateTime, r.DateTime, r.OriginalDateTime = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	if got != r {
		t.Errorf("report round trip %+v, want %+v", got, r)
	}
}

func BenchmarkMessageFromSIPCPIM(b *testing.B) {
	m := legacyMessage()
	out, err := SIPFromMessage(&m, outboundConfig)
	if err != nil {
		b.Fatal(err)
	}
	req := requestFrom(out)
	b.SetBytes(int64(len(req.Body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := MessageFromSIP(req); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSIPFromMessageCPIM(b *testing.B) {
	m := legacyMessage()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := SIPFromMessage(&m, outboundConfig); err != nil {
			b.Fatal(err)
		}
	}
}

// FromSIP gives what MessageFromSIP or ReportFromSIP gives, from one parse.
func TestFromSIPMatchesTheSeparateMappings(t *testing.T) {
	when := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	msg := cpm.Message{ID: "m1", From: "tel:+447700900999", To: "tel:+447700900123", DateTime: when,
		Parts: []cpm.Part{{ContentType: "text/plain;charset=utf-8", Body: []byte("hi")}}}
	rep := cpm.Report{ID: "r1", MessageID: "m0", From: "tel:+447700900123", To: "tel:+447700900999",
		Status: cpm.Delivered, DateTime: when, OriginalDateTime: when}
	repCPIM, err := rep.CPIM()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []*sip.Request{
		{RequestURI: "tel:+447700900123", From: "sip:a@x", ContentType: "message/cpim", Body: msg.CPIM().Marshal()},
		{RequestURI: "tel:+447700900999", From: "sip:b@x", ContentType: "message/cpim", Body: repCPIM.Marshal()},
		{RequestURI: "tel:+447700900123", From: "sip:a@x", CallID: "c", CSeq: 1, ContentType: "text/plain", Body: []byte("plain")},
		{RequestURI: "tel:+447700900123", From: "sip:a@x", ContentType: "message/cpim", Body: []byte("not cpim")},
	} {
		m, gotRep, isReport, err := FromSIP(r)
		wantRep, wantIsReport, repErr := ReportFromSIP(r)
		if wantIsReport || repErr != nil {
			if isReport != wantIsReport || (err == nil) != (repErr == nil) || !reflect.DeepEqual(gotRep, wantRep) {
				t.Errorf("%s: FromSIP report %+v %v %v; ReportFromSIP %+v %v %v", r.Body, gotRep, isReport, err, wantRep, wantIsReport, repErr)
			}
			continue
		}
		wantMsg, msgErr := MessageFromSIP(r)
		if isReport || (err == nil) != (msgErr == nil) || !reflect.DeepEqual(m, wantMsg) {
			t.Errorf("%s: FromSIP message %+v %v; MessageFromSIP %+v %v", r.Body, m, err, wantMsg, msgErr)
		}
	}
}
