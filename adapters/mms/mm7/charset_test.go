package mm7

import (
	"strings"
	"testing"
)

const latin1Rsp = `<DeliverRsp xmlns="` + string(REL6MM714) + `"><MM7Version>6.8.0</MM7Version>` +
	"<Status><StatusCode>1000</StatusCode><StatusText>re\xe7u</StatusText></Status></DeliverRsp>"

func rspText(t *testing.T, ct string, body []byte) string {
	t.Helper()
	m, err := Decode(ct, body)
	if err != nil {
		t.Fatal(err)
	}
	return m.Operation.(*DeliverRsp).Status.Text
}

// The charset parameter of the SOAP part applies when the XML declaration
// names no encoding.
func TestSOAPCharsetParameter(t *testing.T) {
	body := []byte(soapWith(latin1Rsp)[21:])
	if got := rspText(t, `text/xml; charset="ISO-8859-1"`, body); got != "reçu" {
		t.Errorf("bare text/xml: %q", got)
	}
	ct, mp := related("b", "", `Content-Type: text/xml; charset=iso-8859-1`+"\r\n\r\n"+string(body))
	if got := rspText(t, ct, mp); got != "reçu" {
		t.Errorf("multipart start part: %q", got)
	}
	decl := []byte(`<?xml version="1.0" encoding="ISO-8859-1"?>` + string(body))
	if got := rspText(t, "text/xml", decl); got != "reçu" {
		t.Errorf("xml declaration: %q", got)
	}
	if _, err := Decode(`text/xml; charset=x-klingon`, body); err == nil || !strings.Contains(err.Error(), "charset") {
		t.Errorf("unknown charset: %v", err)
	}
}
