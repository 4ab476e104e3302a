package cpm

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func unmarshalIMDN(t testing.TB, data []byte) IMDN {
	t.Helper()
	var n IMDN
	if err := n.Unmarshal(data); err != nil {
		t.Fatalf("Unmarshal: %v", err)
	}
	return n
}

func assertIMDN(t *testing.T, got, want IMDN) {
	t.Helper()
	sameTime(t, "DateTime", got.DateTime, want.DateTime)
	got.DateTime, want.DateTime = time.Time{}, time.Time{}
	if got != want {
		t.Errorf("IMDN = %+v, want %+v", got, want)
	}
}

func TestIMDNSharedSample(t *testing.T) {
	n := unmarshalIMDN(t, readShared(t, "cpm/samples/imdn_display-notification_displayed.xml"))
	assertIMDN(t, n, IMDN{
		MessageID: "34jk324j",
		DateTime:  mustTime(t, "2008-04-04T12:16:49-05:00"),
		Kind:      DisplayNotification,
		Status:    Displayed,
	})
}

func TestIMDNExtensionsAndSubject(t *testing.T) {
	n := unmarshalIMDN(t, readTestdata(t, "imdn_rfc5438_display_forbidden.xml"))
	want := IMDN{
		MessageID:            "34jk324j",
		DateTime:             mustTime(t, "2008-04-04T12:16:49.5-05:00"),
		RecipientURI:         "im:bob@example.com",
		OriginalRecipientURI: "im:bob@example.com",
		Subject:              "Weekly report & plans",
		Kind:                 DisplayNotification,
		Status:               Forbidden,
	}
	assertIMDN(t, n, want)
	out, err := n.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	const wantXML = `<?xml version="1.0" encoding="UTF-8"?>` + "\n" +
		`<imdn xmlns="urn:ietf:params:xml:ns:imdn"><message-id>34jk324j</message-id>` +
		`<datetime>2008-04-04T12:16:49.5-05:00</datetime><recipient-uri>im:bob@example.com</recipient-uri>` +
		`<original-recipient-uri>im:bob@example.com</original-recipient-uri><subject>Weekly report &amp; plans</subject>` +
		`<display-notification><status><forbidden/></status></display-notification></imdn>` + "\n"
	if string(out) != wantXML {
		t.Errorf("Marshal =\n%s\nwant\n%s", out, wantXML)
	}
}

func TestIMDNErrors(t *testing.T) {
	const head = `<imdn xmlns="urn:ietf:params:xml:ns:imdn"><message-id>m</message-id><datetime>2008-04-04T12:16:49Z</datetime>`
	deep := head + strings.Repeat("<x:a xmlns:x='urn:x'>", MaxIMDNDepth) + strings.Repeat("</x:a>", MaxIMDNDepth) + "</imdn>"
	tests := []struct {
		name  string
		in    string
		limit bool
	}{
		{"size", head + "<subject>" + strings.Repeat("x", MaxIMDNSize) + "</subject></imdn>", true},
		{"depth", deep, true},
		{"doctype", `<?xml version="1.0"?><!DOCTYPE imdn [<!ENTITY a "aaaaaaaa">]>` + head + "<subject>&a;</subject></imdn>", false},
		{"wrong namespace", `<imdn xmlns="urn:other"><message-id>m</message-id><datetime>2008-04-04T12:16:49Z</datetime></imdn>`, false},
		{"no message-id", `<imdn xmlns="urn:ietf:params:xml:ns:imdn"><datetime>2008-04-04T12:16:49Z</datetime></imdn>`, false},
		{"no datetime", `<imdn xmlns="urn:ietf:params:xml:ns:imdn"><message-id>m</message-id></imdn>`, false},
		{"bad datetime", `<imdn xmlns="urn:ietf:params:xml:ns:imdn"><message-id>m</message-id><datetime>yesterday</datetime></imdn>`, false},
		{"no status", head + "<delivery-notification><status/></delivery-notification></imdn>", false},
		{"status of other kind", head + "<delivery-notification><status><displayed/></status></delivery-notification></imdn>", false},
		{"two statuses", head + "<delivery-notification><status><delivered/><failed/></status></delivery-notification></imdn>", false},
		{"two notifications", head + "<delivery-notification><status><delivered/></status></delivery-notification><display-notification><status><displayed/></status></display-notification></imdn>", false},
		{"unclosed", head, false},
		{"two roots", head + "</imdn>" + head + "</imdn>", false},
		{"empty", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := IMDN{MessageID: "untouched"}
			err := n.Unmarshal([]byte(tt.in))
			if err == nil {
				t.Fatal("no error")
			}
			if n.MessageID != "untouched" {
				t.Error("IMDN changed on error")
			}
			if !strings.HasPrefix(err.Error(), "imdn: ") {
				t.Errorf("error text %q lacks the imdn: prefix", err)
			}
			if tt.limit != errors.Is(err, ErrTooLarge) || tt.limit == errors.Is(err, ErrMalformed) {
				t.Errorf("err = %v, limit error wanted: %v", err, tt.limit)
			}
			if tt.name == "doctype" && !errors.Is(err, ErrDTD) {
				t.Errorf("err = %v, want ErrDTD", err)
			}
		})
	}
}

func TestIMDNMarshalRefuses(t *testing.T) {
	d := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, n := range []IMDN{
		{DateTime: d, Kind: DeliveryNotification, Status: Delivered},
		{MessageID: "m", Kind: DeliveryNotification, Status: Delivered},
		{MessageID: "m", DateTime: d, Kind: DeliveryNotification, Status: Displayed},
		{MessageID: "m", DateTime: d, Kind: DisplayNotification},
		{MessageID: "m", DateTime: d, Status: Delivered},
		{MessageID: "m", DateTime: d, Kind: 9, Status: Error},
	} {
		if _, err := n.Marshal(); err == nil || !strings.HasPrefix(err.Error(), "imdn: ") {
			t.Errorf("Marshal(%+v) err = %v", n, err)
		}
	}
}

// TestIMDNMarshalValidatesAgainstSchema checks every notification iwf
// writes against the normative RELAX NG schema of RFC 5438 section 7.
func TestIMDNMarshalValidatesAgainstSchema(t *testing.T) {
	schema := filepath.Join(sharedSpecs, "cpm/schemas/imdn.rng")
	if _, err := os.Stat(schema); err != nil {
		t.Skipf("schema absent (%v)", err)
	}
	xmllint, err := exec.LookPath("xmllint")
	if err != nil {
		t.Skip("xmllint not installed (apt-get install libxml2-utils)")
	}
	d := time.Date(2008, 4, 4, 12, 16, 49, 5e8, time.FixedZone("", -5*3600))
	cases := []IMDN{{MessageID: "m1", DateTime: d}}
	for _, k := range []NotificationKind{DeliveryNotification, DisplayNotification, ProcessingNotification} {
		for _, s := range []Status{Delivered, Failed, Forbidden, Error, Displayed, Processed, Stored} {
			if validStatus(k, s) {
				cases = append(cases, IMDN{MessageID: "34jk324j", DateTime: d, RecipientURI: "tel:+447700900123",
					OriginalRecipientURI: "tel:+447700900123", Subject: "a <b> & c", Kind: k, Status: s})
			}
		}
	}
	dir := t.TempDir()
	for i, n := range cases {
		out, err := n.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		file := filepath.Join(dir, "imdn.xml")
		if err := os.WriteFile(file, out, 0o600); err != nil {
			t.Fatal(err)
		}
		if msg, err := exec.Command(xmllint, "--noout", "--nonet", "--relaxng", schema, file).CombinedOutput(); err != nil {
			t.Errorf("case %d %s: %v\n%s", i, out, err, msg)
		}
	}
}

func TestReportFromCPIMRFC5438(t *testing.T) {
	c := unmarshalCPIM(t, readTestdata(t, "rfc5438_delivery-notification_delivered.cpim"))
	r, err := ReportFromCPIM(c)
	if err != nil {
		t.Fatal(err)
	}
	want := Report{
		ID: "d834jied93rf", MessageID: "34jk324j",
		From: "im:bob@example.com", To: "im:alice@example.com", Status: Delivered,
		DateTime:         mustTime(t, "2008-04-04T12:16:49.125+02:00"),
		OriginalDateTime: mustTime(t, "2008-04-04T12:16:49-05:00"),
	}
	assertReport(t, r, want)
	if _, err := ReportFromCPIM(unmarshalCPIM(t, readTestdata(t, "rfc5438_message_positive-delivery_display.cpim"))); !errors.Is(err, ErrUnsupported) {
		t.Errorf("text message as report: %v", err)
	}
}

func assertReport(t *testing.T, got, want Report) {
	t.Helper()
	sameTime(t, "DateTime", got.DateTime, want.DateTime)
	sameTime(t, "OriginalDateTime", got.OriginalDateTime, want.OriginalDateTime)
	got.DateTime, want.DateTime, got.OriginalDateTime, want.OriginalDateTime = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	if got != want {
		t.Errorf("Report = %+v, want %+v", got, want)
	}
}

func TestReportCPIMRoundTrip(t *testing.T) {
	r := Report{
		ID: "rep-1", MessageID: "msg-1", From: "tel:+447700900123", To: "sip:alice@example.net",
		Status: Displayed, Display: true,
		DateTime:         time.Date(2024, 3, 4, 5, 6, 7, 0, time.UTC),
		OriginalDateTime: time.Date(2024, 3, 4, 5, 0, 0, 1000, time.FixedZone("", 7200)),
	}
	c, err := r.CPIM()
	if err != nil {
		t.Fatal(err)
	}
	if c.ContentType != IMDNContentType || c.ContentDisposition != "notification" {
		t.Errorf("content = %q %q", c.ContentType, c.ContentDisposition)
	}
	got, err := ReportFromCPIM(unmarshalCPIM(t, c.Marshal()))
	if err != nil {
		t.Fatal(err)
	}
	assertReport(t, got, r)
	if _, err := (&Report{MessageID: "m"}).CPIM(); err == nil {
		t.Error("report without OriginalDateTime encoded")
	}
}

func TestDisposition(t *testing.T) {
	if d := ParseDisposition(" Display ,bogus,positive-delivery"); d != Display|PositiveDelivery {
		t.Errorf("ParseDisposition = %v", d)
	}
	if s := (PositiveDelivery | NegativeDelivery | Display).String(); s != "positive-delivery, negative-delivery, display" {
		t.Errorf("String = %q", s)
	}
}

func FuzzIMDN(f *testing.F) {
	f.Add(readTestdata(f, "imdn_rfc5438_display_forbidden.xml"))
	f.Add([]byte(`<imdn xmlns="urn:ietf:params:xml:ns:imdn"><message-id>a</message-id><datetime>2008-04-04T12:16:49Z</datetime><delivery-notification><status><failed/></status></delivery-notification></imdn>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var n1 IMDN
		if err := n1.Unmarshal(data); err != nil {
			return
		}
		out, err := n1.Marshal()
		if err != nil {
			t.Fatalf("Marshal of decoded %+v: %v", n1, err)
		}
		var n2 IMDN
		if err := n2.Unmarshal(out); err != nil {
			t.Fatalf("re-decoding %s: %v", out, err)
		}
		_, o1 := n1.DateTime.Zone()
		_, o2 := n2.DateTime.Zone()
		if !n1.DateTime.Equal(n2.DateTime) || o1 != o2 {
			t.Fatalf("datetime %v became %v", n1.DateTime, n2.DateTime)
		}
		n1.DateTime, n2.DateTime = time.Time{}, time.Time{}
		if !reflect.DeepEqual(n1, n2) {
			t.Fatalf("round trip differs:\n%+v\n%+v", n1, n2)
		}
	})
}

func BenchmarkIMDNUnmarshal(b *testing.B) {
	data := readTestdata(b, "imdn_rfc5438_display_forbidden.xml")
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		var n IMDN
		if err := n.Unmarshal(data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkIMDNMarshal(b *testing.B) {
	n := IMDN{MessageID: "34jk324j", DateTime: time.Date(2008, 4, 4, 12, 16, 49, 0, time.UTC),
		RecipientURI: "tel:+447700900123", OriginalRecipientURI: "tel:+447700900123", Kind: DeliveryNotification, Status: Delivered}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := n.Marshal(); err != nil {
			b.Fatal(err)
		}
	}
}
