package mm7

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
)

func ns(name string) Version { return Version(NamespacePrefix + name) }

func yes() *bool { b := true; return &b }
func no() *bool  { b := false; return &b }

// Every operation this package knows, decoded from testdata/ and compared
// field by field with the value the file was written to carry.
func TestOperationsFromTestdata(t *testing.T) {
	png := []byte("\x89PNG\r\n\x1a\n")
	tests := []struct {
		file    string
		tx      string
		version Version
		op      Operation
	}{
		{"submit-req_rel5-1-3_mixed-qp-latin1.http", "vasp-tx-0001", ns("REL-5-MM7-1-3"), &SubmitReq{
			MM7Version: "5.3.0",
			SenderIdentification: SenderIdentification{VASPID: "TNN", VASID: "News",
				SenderAddress: &Address{Kind: KindShortCode, Value: "4545"}},
			Recipients: &Recipients{
				To: AddressList{{Kind: KindNumber, Value: "+15551230001"},
					{Kind: KindRFC2822, Value: "ed@example.com", DisplayOnly: true},
					{Kind: KindNumber, Value: "XYZ", AddressCoding: "obfuscated", ID: "r2"}},
				Cc:  AddressList{{Kind: KindShortCode, Value: "777"}},
				Bcc: AddressList{{Kind: KindRFC2822, Value: "audit@example.net"}}},
			ServiceCode: "gold-sp33-im42", LinkedID: "mms00016666", MessageClass: "Informational",
			TimeStamp:            "2002-01-02T09:30:47-05:00",
			ReplyCharging:        &ReplyCharging{ReplyChargingSize: "32000", ReplyDeadline: "P3D"},
			EarliestDeliveryTime: "2002-01-02T09:30:47-05:00", ExpiryDate: "P1D",
			DeliveryReport: yes(), ReadReply: no(), Priority: "High", Subject: "Café & news",
			ChargedParty: "Recipient", DistributionIndicator: yes(),
			Content: &ContentRef{Href: "cid:story@news.tnn.com", AllowAdaptations: yes()}}},
		{"submit-rsp_rel6-1-0.http", "vasp-tx-0001", ns("REL-6-MM7-1-0"), &SubmitRsp{MM7Version: "6.3.0",
			Status: Status{Code: StatusSuccess, Text: "Success"}, MessageID: "041502073667"}},
		{"deliver-rsp_rel6-1-4.http", "vas00324-dlvr", rel614, &DeliverRsp{MM7Version: "6.8.0",
			Status: Status{Code: 1000, Text: "Message received"}, ServiceCode: "weather-ny"}},
		{"delivery-report-req_rel5-1-0.http", "tx-dr-77", ns("REL-5-MM7-1-0"), &DeliveryReportReq{
			MM7Version: "5.3.0", MMSRelayServerID: "240.110.75.34", MessageID: "041502073667",
			Recipient: &Address{Kind: KindNumber, Value: "7255441234"},
			Sender:    &Address{Kind: KindShortCode, Value: "4545"},
			Date:      "2002-04-15T14:35:21-05:00", MMStatus: "Retrieved", StatusText: "delivered",
			UACapabilities: &UACapabilities{UAProf: "http://uaprof.example/n95.xml", TimeStamp: "2002-04-15T14:30:00Z"}}},
		{"delivery-report-rsp_rel6-1-4.http", "tx-dr-77", rel614, &DeliveryReportRsp{MM7Version: "6.8.0",
			Status: Status{Code: 1000}}},
		{"read-reply-req_rel6-1-4.http", "tx-rr-1", rel614, &ReadReplyReq{MM7Version: "6.8.0",
			MMSRelayServerID: "relay.example", MessageID: "msg-42",
			Recipient: &Address{Kind: KindRFC2822, Value: "vasp@example.com"},
			Sender:    &Address{Kind: KindNumber, Value: "+15551230001"},
			TimeStamp: "2005-07-01T12:00:00Z", MMStatus: "Read"}},
		{"read-reply-rsp_rel6-1-4.http", "tx-rr-1", rel614, &ReadReplyRsp{MM7Version: "6.8.0",
			Status: Status{Code: StatusServerError, Text: "Server error", Details: "try later"}}},
		{"cancel-req_rel6-1-4.http", "tx-c-9", rel614, &CancelReq{MM7Version: "6.8.0",
			SenderIdentification: SenderIdentification{VASPID: "TNN", VASID: "News"}, MessageID: "msg-42"}},
		{"cancel-rsp_rel6-1-4.http", "tx-c-9", rel614, &CancelRsp{MM7Version: "6.8.0",
			Status: Status{Code: StatusMessageIDNotFound, Text: "Message ID not found"}}},
		{"replace-req_rel6-1-4_base64-image.http", "tx-r-5", rel614, &ReplaceReq{MM7Version: "6.8.0",
			SenderIdentification: SenderIdentification{VASPID: "TNN"}, MessageID: "msg-42", ServiceCode: "svc",
			TimeStamp: "2005-07-01T12:00:00Z", ReadReply: yes(), EarliestDeliveryTime: "2005-07-01T13:00:00Z",
			DistributionIndicator: no(), Content: &ContentRef{Href: "cid:new%40content"}}},
		{"replace-rsp_rel6-1-4.http", "tx-r-5", rel614, &ReplaceRsp{MM7Version: "6.8.0", Status: Status{Code: 1000}}},
		{"vasp-error-rsp_rel6-1-4_fault-4006.http", "tx-d-3", rel614, &VASPErrorRsp{MM7Version: "6.8.0",
			Status: Status{Code: StatusServiceUnavailable, Text: "Service unavailable"},
			Fault:  Fault{Code: "Server", String: "Server error"}}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			ct, body := readSample(t, filepath.Join("testdata", tt.file))
			msg, err := Decode(ct, body)
			if err != nil {
				t.Fatal(err)
			}
			if msg.TransactionID != tt.tx || msg.Version != tt.version {
				t.Errorf("header = %q %q, want %q %q", msg.TransactionID, msg.Version, tt.tx, tt.version)
			}
			if !deepEqual(msg.Operation, tt.op) {
				t.Errorf("operation =\n%+v\nwant\n%+v", msg.Operation, tt.op)
			}
			if strings.HasPrefix(tt.file, "replace-req") {
				c := msg.Content()
				if c == nil || c.ContentType != "image/png" || !bytes.HasPrefix(c.Body, png) || len(c.Body) != 70 {
					t.Errorf("content = %+v", c)
				}
			}
			checkRoundTrip(t, Limits{}, ct, body)
		})
	}
}

func TestSubmitReqQuotedPrintableLatin1(t *testing.T) {
	ct, body := readSample(t, "testdata/submit-req_rel5-1-3_mixed-qp-latin1.http")
	msg, err := Decode(ct, body)
	if err != nil {
		t.Fatal(err)
	}
	c := msg.Content()
	if c == nil || c.ContentType != "multipart/mixed" || len(c.Parts) != 2 {
		t.Fatalf("content = %+v", c)
	}
	qp, eight := c.Parts[0], c.Parts[1]
	if string(qp.Body) != "Caf\xe9 cr\xe8me, soft break." || qp.TransferEncoding != "quoted-printable" {
		t.Errorf("qp body = %q", qp.Body)
	}
	if txt, err := qp.Text(); err != nil || txt != "Café crème, soft break." {
		t.Errorf("qp Text = %q, %v", txt, err)
	}
	if txt, err := eight.Text(); err != nil || txt != "naïve" || eight.TransferEncoding != "8bit" {
		t.Errorf("8bit Text = %q, %v", txt, err)
	}
}

// Encoding in another version rewrites every namespace and keeps values.
func TestEncodeInConfiguredVersion(t *testing.T) {
	ct, body := readSample(t, "testdata/submit-req_rel5-1-3_mixed-qp-latin1.http")
	m1, err := Decode(ct, body)
	if err != nil {
		t.Fatal(err)
	}
	ct2, body2, err := Encode(m1, REL6MM714)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(ct2, "multipart/related;") || bytes.Contains(body2, []byte("REL-5-MM7")) {
		t.Fatalf("encoded %s\n%s", ct2, body2)
	}
	m2, err := Decode(ct2, body2)
	if err != nil {
		t.Fatal(err)
	}
	if m2.Version != REL6MM714 || !deepEqual(m1.Operation, m2.Operation) || !deepEqual(m1.Attachments, m2.Attachments) {
		t.Errorf("re-decoded %+v", m2)
	}
}

// An empty MM7Version is written as the version's default without
// touching the caller's value; an unknown version is refused.
func TestEncodeFillsMM7Version(t *testing.T) {
	rsp := &SubmitRsp{Status: Status{Code: 1000}, MessageID: "m1"}
	_, body, err := Encode(Message{TransactionID: "t<&>", Operation: rsp}, REL5MM713)
	if err != nil {
		t.Fatal(err)
	}
	m, err := Decode("text/xml", body)
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Operation.(*SubmitRsp); got.MM7Version != "5.3.0" || m.TransactionID != "t<&>" || rsp.MM7Version != "" {
		t.Errorf("got %+v tx %q, caller's %q", got, m.TransactionID, rsp.MM7Version)
	}
	if _, _, err := Encode(Message{Operation: rsp}, "urn:other"); err == nil {
		t.Error("Encode accepted an unknown namespace")
	}
}

func TestOperationMarshalUnmarshal(t *testing.T) {
	in := &DeliverRsp{MM7Version: "6.8.0", Status: Status{Code: 1000, Text: "ok"}, ServiceCode: "s"}
	b, err := in.Marshal(REL6MM714)
	if err != nil {
		t.Fatal(err)
	}
	want := `<DeliverRsp xmlns="` + string(REL6MM714) + `"><MM7Version>6.8.0</MM7Version><Status><StatusCode>1000</StatusCode><StatusText>ok</StatusText></Status><ServiceCode>s</ServiceCode></DeliverRsp>`
	if string(b) != want {
		t.Errorf("Marshal =\n%s\nwant\n%s", b, want)
	}
	var out DeliverRsp
	if err := out.Unmarshal(b); err != nil || !deepEqual(&out, in) {
		t.Errorf("Unmarshal = %+v, %v", out, err)
	}
	if err := new(SubmitRsp).Unmarshal(b); err == nil {
		t.Error("SubmitRsp.Unmarshal accepted a DeliverRsp")
	}
}

// The exact bytes Encode puts on the wire for a bare response.
func TestEncodeEnvelopeBytes(t *testing.T) {
	msg := Message{TransactionID: "tx-1", Operation: &DeliverRsp{MM7Version: "6.8.0", Status: Status{Code: 1000}}}
	ct, body, err := Encode(msg, REL6MM714)
	if err != nil {
		t.Fatal(err)
	}
	want := `<?xml version="1.0" encoding="UTF-8"?>` + "\n" +
		`<env:Envelope xmlns:env="http://schemas.xmlsoap.org/soap/envelope/"><env:Header>` +
		`<mm7:TransactionID xmlns:mm7="` + string(REL6MM714) + `" env:mustUnderstand="1">tx-1</mm7:TransactionID>` +
		`</env:Header><env:Body><DeliverRsp xmlns="` + string(REL6MM714) + `"><MM7Version>6.8.0</MM7Version>` +
		`<Status><StatusCode>1000</StatusCode></Status></DeliverRsp></env:Body></env:Envelope>` + "\n"
	if ct != `text/xml; charset="utf-8"` || string(body) != want {
		t.Errorf("Encode =\n%s\n%s\nwant\n%s", ct, body, want)
	}
	fault := Message{TransactionID: "tx-2", Operation: &RSErrorRsp{Status: Status{Code: 4004}, Fault: Fault{Code: "Client", String: "bad"}}}
	_, body, err = Encode(fault, REL6MM714)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(body, []byte(`<env:Body><env:Fault><faultcode>env:Client</faultcode><faultstring>bad</faultstring><detail><RSErrorRsp xmlns="`)) {
		t.Errorf("fault = %s", body)
	}
}
