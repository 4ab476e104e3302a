package mm7

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

const soapHead = `<?xml version="1.0"?><e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/">` +
	`<e:Header><TransactionID xmlns="` + string(REL6MM714) + `" e:mustUnderstand="1">t1</TransactionID></e:Header><e:Body>`
const soapTail = `</e:Body></e:Envelope>`

func soapWith(body string) string { return soapHead + body + soapTail }

const deliverRsp = `<DeliverRsp xmlns="` + string(REL6MM714) + `"><MM7Version>6.8.0</MM7Version><Status><StatusCode>1000</StatusCode></Status></DeliverRsp>`

func related(boundary, start string, parts ...string) (string, []byte) {
	ct := `multipart/related; type="text/xml"; boundary="` + boundary + `"`
	if start != "" {
		ct += `; start="<` + start + `>"`
	}
	var b strings.Builder
	for _, p := range parts {
		b.WriteString("--" + boundary + "\r\n" + p + "\r\n")
	}
	b.WriteString("--" + boundary + "--\r\n")
	return ct, []byte(b.String())
}

const submitWithContent = `<SubmitReq xmlns="` + string(REL6MM714) + `"><MM7Version>6.8.0</MM7Version>` +
	`<SenderIdentification/><Content href="cid:c1"/></SubmitReq>`

// Every refusal carries the sentinel and the MM7 status to answer with.
func TestDecodeRefusals(t *testing.T) {
	soapPart := "Content-Type: text/xml\r\nContent-ID: <s>\r\n\r\n" + soapWith(submitWithContent)
	okCT, okBody := related("b", "s", soapPart, "Content-Type: text/plain\r\nContent-ID: <c1>\r\n\r\nhi")
	if _, err := Decode(okCT, okBody); err != nil {
		t.Fatalf("control message refused: %v", err)
	}
	type tc struct {
		name   string
		ct     string
		body   []byte
		err    error
		status StatusCode
	}
	xmlCase := func(name, body string, err error, st StatusCode) tc {
		return tc{name, "text/xml", []byte(body), err, st}
	}
	mp := func(name string, err error, st StatusCode, start string, parts ...string) tc {
		ct, b := related("b", start, parts...)
		return tc{name, ct, b, err, st}
	}
	deep := strings.Repeat("<a>", 40) + strings.Repeat("</a>", 40)
	tests := []tc{
		xmlCase("doctype", `<?xml version="1.0"?><!DOCTYPE e [<!ENTITY x "y">]>`+soapWith(deliverRsp)[21:], ErrDoctype, 4004),
		xmlCase("lowercase doctype", `<!doctype e>`+soapWith(deliverRsp), ErrDoctype, 4004),
		xmlCase("unknown operation", soapWith(`<FooReq xmlns="`+string(REL6MM714)+`"/>`), ErrUnknownOperation, 4003),
		xmlCase("empty body", soapWith(``), ErrUnknownOperation, 4003),
		xmlCase("foreign namespace", soapWith(`<DeliverRsp xmlns="urn:x"><MM7Version>1</MM7Version></DeliverRsp>`), ErrUnsupportedVersion, 4002),
		xmlCase("REL-4 namespace", soapWith(strings.ReplaceAll(deliverRsp, "REL-6-MM7-1-4", "REL-4-MM7-1-0")), ErrUnsupportedVersion, 4002),
		xmlCase("no transaction id", `<e:Envelope xmlns:e="`+SOAPNamespace+`"><e:Body>`+deliverRsp+soapTail, ErrNoTransactionID, 4004),
		xmlCase("unknown mustUnderstand header", strings.Replace(soapWith(deliverRsp), "<e:Header>", `<e:Header><x:Y xmlns:x="urn:x" e:mustUnderstand="1"/>`, 1), ErrMustUnderstand, 4004),
		xmlCase("soap 1.2 envelope", `<e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope"/>`, ErrNotEnvelope, 4004),
		xmlCase("malformed xml", soapWith(deliverRsp)[:100], ErrBadXML, 4004),
		xmlCase("xml too deep", soapWith(deep), ErrTooDeep, 4004),
		xmlCase("fault without detail", soapWith(`<e:Fault><faultcode>e:Client</faultcode></e:Fault>`), ErrUnknownOperation, 4003),
		xmlCase("fault around a request", soapWith(`<e:Fault><faultcode>e:Client</faultcode><detail>`+deliverRsp+`</detail></e:Fault>`), ErrUnknownOperation, 4003),
		xmlCase("no MM7Version", soapWith(`<ReadReplyRsp xmlns="`+string(REL6MM714)+`"><Status><StatusCode>1000</StatusCode></Status></ReadReplyRsp>`), ErrInvalid, 4004),
		xmlCase("two addresses in Sender", soapWith(`<DeliverReq xmlns="`+string(REL6MM714)+`"><Sender><Number>1</Number><Number>2</Number></Sender></DeliverReq>`), ErrInvalid, 4004),
		{"unsupported content type", "application/json", []byte("{}"), ErrContentType, 4004},
		{"bad content type", "multipart/related; boundary=", []byte("x"), ErrContentType, 4004},
		{"too large", "text/xml", make([]byte, DefaultMaxSize+1), ErrTooLarge, 4004},
		mp("missing start part", ErrNoStartPart, 4004, "nope", soapPart),
		mp("start part not xml", ErrNoStartPart, 4004, "", "Content-Type: text/plain\r\n\r\nhello"),
		mp("dangling cid", ErrDanglingCID, 4004, "s", soapPart, "Content-Type: text/plain\r\nContent-ID: <c2>\r\n\r\nhi"),
		mp("bad base64", ErrTransferEncoding, 4004, "s", soapPart, "Content-ID: <c1>\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!!"),
		mp("unknown transfer encoding", ErrTransferEncoding, 4004, "s", soapPart, "Content-ID: <c1>\r\nContent-Transfer-Encoding: x-uue\r\n\r\nhi"),
		mp("nested multipart without boundary", ErrBrokenMultipart, 4004, "s", soapPart, "Content-Type: multipart/mixed\r\nContent-ID: <c1>\r\n\r\nhi"),
		mp("header too long", ErrHeaderTooLong, 4004, "s", soapPart, "X-Pad: "+strings.Repeat("p", DefaultMaxHeaderBytes)+"\r\nContent-ID: <c1>\r\n\r\nhi"),
		{"broken boundary", okCT, []byte(strings.TrimSuffix(string(okBody), "--b--\r\n")), ErrBrokenMultipart, 4004},
		{"no boundary line", okCT, []byte("just text"), ErrBrokenMultipart, 4004},
		{"too many parts", okCT, tooManyParts(DefaultMaxParts + 1), ErrTooManyParts, 4004},
		{"mime too deep", okCT, nestedMultipart(DefaultMaxMIMEDepth + 1), ErrTooDeep, 4004},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode(tt.ct, tt.body)
			var de *DecodeError
			if !errors.As(err, &de) || !errors.Is(err, tt.err) || de.Status != tt.status || !errors.Is(err, tt.status) {
				t.Fatalf("Decode error = %v (%#v), want %v with status %d", err, de, tt.err, tt.status)
			}
			if de.Temporary() || !strings.HasPrefix(err.Error(), "mm7: ") {
				t.Errorf("error %q: temporary or unprefixed", err)
			}
		})
	}
}

func tooManyParts(n int) []byte {
	parts := []string{"Content-Type: text/xml\r\nContent-ID: <s>\r\n\r\n" + soapWith(deliverRsp)}
	for i := 1; i < n; i++ {
		parts = append(parts, fmt.Sprintf("Content-ID: <p%d>\r\n\r\nx", i))
	}
	_, b := related("b", "", parts...)
	return b
}

func nestedMultipart(depth int) []byte {
	inner := "Content-Type: text/plain\r\n\r\nleaf"
	for i := depth; i > 1; i-- {
		bnd := fmt.Sprintf("n%d", i)
		_, b := related(bnd, "", inner)
		inner = "Content-Type: multipart/mixed; boundary=" + bnd + "\r\n\r\n" + string(b)
	}
	_, b := related("b", "", "Content-Type: text/xml\r\n\r\n"+soapWith(deliverRsp), inner)
	return b
}

func TestLimitsValidate(t *testing.T) {
	if err := (Limits{}).Validate(); err != nil {
		t.Errorf("zero Limits: %v", err)
	}
	if err := (Limits{MaxParts: -1}).Validate(); err == nil || !strings.Contains(err.Error(), "max_parts") {
		t.Errorf("negative max_parts: %v", err)
	}
	ct, body := related("b", "", "Content-Type: text/xml\r\n\r\n"+soapWith(deliverRsp), "Content-ID: <x>\r\n\r\nx")
	if _, err := (Limits{MaxParts: 1}).Decode(ct, body); !errors.Is(err, ErrTooManyParts) {
		t.Errorf("MaxParts 1: %v", err)
	}
}

func TestStatusCode(t *testing.T) {
	tests := []struct {
		code               StatusCode
		success, temporary bool
		text               string
	}{
		{1000, true, false, "mm7: status 1000 success"},
		{1100, true, false, "mm7: status 1100 partial success"},
		{2002, false, false, "mm7: status 2002 address error"},
		{3000, false, true, "mm7: status 3000 server error"},
		{3003, false, true, "mm7: status 3003 multiple addresses not supported"},
		{4004, false, false, "mm7: status 4004 validation error"},
		{4006, false, true, "mm7: status 4006 service unavailable"},
		{4008, false, false, "mm7: status 4008 application denied"},
		{4999, false, false, "mm7: status 4999"},
	}
	for _, tt := range tests {
		if tt.code.Success() != tt.success || tt.code.Temporary() != tt.temporary || tt.code.Error() != tt.text {
			t.Errorf("%d: success %v temporary %v %q", tt.code, tt.code.Success(), tt.code.Temporary(), tt.code.Error())
		}
		err := Status{Code: tt.code}.Err()
		if (err == nil) != tt.success || (err != nil && !errors.Is(err, tt.code)) {
			t.Errorf("%d: Status.Err = %v", tt.code, err)
		}
	}
}

func TestParseVersion(t *testing.T) {
	for _, name := range []string{"REL-5-MM7-1-0", "REL-5-MM7-1-3", "REL-6-MM7-1-0", "REL-6-MM7-1-4", "REL-7-MM7-1-5", "REL-12-MM7-1-10"} {
		if v, err := ParseVersion(NamespacePrefix + name); err != nil || v.Name() != name {
			t.Errorf("%s: %v %v", name, v, err)
		}
	}
	for _, bad := range []string{"", "REL-6-MM7-1-4", NamespacePrefix + "REL-4-MM7-1-0", NamespacePrefix + "REL-6-MM7-1-4x", "urn:x"} {
		if _, err := ParseVersion(bad); !errors.Is(err, ErrUnsupportedVersion) {
			t.Errorf("%q accepted", bad)
		}
	}
}
