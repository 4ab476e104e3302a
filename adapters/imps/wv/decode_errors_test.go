package wv

import (
	"errors"
	"strings"
	"testing"
)

const (
	head11 = `<?xml version="1.0"?><WV-CSP-Message xmlns="http://www.wireless-village.org/CSP1.1"><Session>` +
		`<SessionDescriptor><SessionType>Inband</SessionType><SessionID>s</SessionID></SessionDescriptor>`
	tail11 = `</Session></WV-CSP-Message>`
)

func transaction(id, content string) string {
	return `<Transaction><TransactionDescriptor><TransactionMode>Request</TransactionMode><TransactionID>` + id +
		`</TransactionID></TransactionDescriptor><TransactionContent xmlns="http://www.wireless-village.org/TRC1.1">` +
		content + `</TransactionContent></Transaction>`
}

func doc(content string) string { return head11 + transaction("t1", content) + tail11 }

func TestDecodeRefusesDoctype(t *testing.T) {
	cases := map[string]string{
		"public doctype": `<?xml version="1.0"?><!DOCTYPE WV-CSP-Message PUBLIC "-//OMA//DTD WV-CSP 1.1//EN" "http://www.openmobilealliance.org/DTD/WV-CSP.XML">` +
			strings.TrimPrefix(doc(`<Logout-Request/>`), `<?xml version="1.0"?>`),
		"entity expansion": `<?xml version="1.0"?><!DOCTYPE WV-CSP-Message [<!ENTITY a "aaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>` +
			strings.Replace(strings.TrimPrefix(doc(`<Logout-Request/>`), `<?xml version="1.0"?>`), "<SessionID>s", "<SessionID>&b;", 1),
		"system entity": `<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>` + doc(`<Logout-Request/>`),
	}
	for name, in := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := Decode([]byte(in))
			if !errors.Is(err, ErrDoctype) {
				t.Fatalf("err = %v, want ErrDoctype", err)
			}
			if r := ResultFor(err); r.Code != CodeBadRequest {
				t.Errorf("ResultFor = %d, want 400", r.Code)
			}
		})
	}
}

func TestDecodeLimits(t *testing.T) {
	deep := strings.Repeat("<X>", 40) + strings.Repeat("</X>", 40)
	many := strings.Repeat("<UserID>wv:u</UserID>", 50)
	var txs strings.Builder
	for range 3 {
		txs.WriteString(transaction("t", `<Polling-Request/>`))
	}
	small := Limits{MaxElements: 40, MaxTransactions: 2}
	cases := []struct {
		name   string
		limits Limits
		in     string
	}{
		{"size", Limits{MaxSize: 100}, doc(`<Logout-Request/>`)},
		{"depth", Limits{}, doc(`<Logout-Request>` + deep + `</Logout-Request>`)},
		{"elements", small, doc(`<Status><Result><Code>201</Code><DetailedResult><Code>531</Code>` + many + `</DetailedResult></Result></Status>`)},
		{"transactions", small, head11 + txs.String() + tail11},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := c.limits.Decode([]byte(c.in))
			if !errors.Is(err, ErrTooLarge) {
				t.Fatalf("err = %v, want ErrTooLarge", err)
			}
		})
	}
	if _, err := (Limits{MaxDepth: -1}).Decode([]byte(doc(`<Logout-Request/>`))); err == nil {
		t.Error("negative limits accepted")
	}
}

func TestDecodeUnknownPrimitive(t *testing.T) {
	_, err := Decode([]byte(head11 + transaction("t7", `<GetList-Request><x/></GetList-Request>`) + tail11))
	var u *UnknownPrimitiveError
	if !errors.As(err, &u) {
		t.Fatalf("err = %v, want *UnknownPrimitiveError", err)
	}
	if u.Primitive != "GetList-Request" || u.Transaction.TransactionID != "t7" || u.Session.SessionID != "s" || u.Version != Version11 {
		t.Errorf("got %+v", u)
	}
	r := ResultFor(err)
	if r.Code != CodeServiceNotSupported || r.Err() == nil {
		t.Errorf("ResultFor = %+v, want 405", r)
	}
	reply := Message{Session: u.Session, Transactions: []Transaction{{
		Descriptor: TransactionDescriptor{TransactionMode: ModeResponse, TransactionID: u.Transaction.TransactionID},
		Primitive:  &Status{Result: r}}}}
	b, err := Encode(reply, u.Version)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `<Status><Result><Code>405</Code>`) || !strings.Contains(string(b), `<TransactionID>t7</TransactionID>`) {
		t.Errorf("reply: %s", b)
	}
}

func TestDecodeRefusesBadInput(t *testing.T) {
	cases := []struct {
		name string
		in   string
		want error
	}{
		{"empty", ``, ErrSyntax},
		{"not xml", `hello`, ErrSyntax},
		{"truncated", doc(`<Logout-Request/>`)[:200], ErrSyntax},
		{"wrong root", `<Envelope xmlns="http://www.wireless-village.org/CSP1.1"/>`, ErrSyntax},
		{"unknown namespace", strings.Replace(doc(`<Logout-Request/>`), "wireless-village.org/CSP1.1", "example.com/CSP9", 1), ErrVersion},
		{"no namespace", strings.Replace(doc(`<Logout-Request/>`), ` xmlns="http://www.wireless-village.org/CSP1.1"`, "", 1), ErrVersion},
		{"foreign TRC namespace", strings.Replace(doc(`<Logout-Request/>`), "TRC1.1", "TRC7", 1), ErrVersion},
		{"text before root", `junk` + doc(`<Logout-Request/>`), ErrSyntax},
		{"element after root", doc(`<Logout-Request/>`) + `<WV-CSP-Message/>`, ErrSyntax},
		{"no transaction", head11 + tail11, ErrSyntax},
		{"empty content", doc(``), ErrSyntax},
		{"two primitives", doc(`<Logout-Request/><Polling-Request/>`), ErrSyntax},
		{"bad bool", doc(`<SendMessage-Request><DeliveryReport>yes</DeliveryReport></SendMessage-Request>`), ErrInvalid},
		{"bad number", doc(`<KeepAlive-Request><TimeToLive>-5</TimeToLive></KeepAlive-Request>`), ErrSyntax},
		{"code out of range", doc(`<Status><Result><Code>42</Code></Result></Status>`), ErrInvalid},
		{"detailed code out of range", doc(`<Status><Result><Code>201</Code><DetailedResult><Code>1000</Code></DetailedResult></Result></Status>`), ErrInvalid},
		{"bad session type", strings.Replace(doc(`<Logout-Request/>`), "Inband", "Sideband", 1), ErrInvalid},
		{"bad mode", strings.Replace(doc(`<Logout-Request/>`), ">Request<", ">Req<", 1), ErrInvalid},
		{"invalid utf-8", doc(`<GetMessage-Request><MessageID>a` + "\xff" + `</MessageID></GetMessage-Request>`), ErrSyntax},
		{"control character", doc(`<GetMessage-Request><MessageID>a&#1;</MessageID></GetMessage-Request>`), ErrSyntax},
		{"undeclared entity", doc(`<GetMessage-Request><MessageID>&x;</MessageID></GetMessage-Request>`), ErrSyntax},
		{"latin-1 declaration", `<?xml version="1.0" encoding="ISO-8859-1"?>` + strings.TrimPrefix(doc(`<Logout-Request/>`), `<?xml version="1.0"?>`), ErrSyntax},
		{"mismatched tags", strings.Replace(doc(`<Logout-Request/>`), "</Session>", "</Sessio>", 1), ErrSyntax},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var m Message
			err := Unmarshal([]byte(c.in), &m)
			if !errors.Is(err, c.want) {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
			if !strings.HasPrefix(err.Error(), "wv: ") {
				t.Errorf("error text %q lacks the package prefix", err)
			}
			if m.Transactions != nil || m.Version != 0 {
				t.Errorf("Unmarshal changed m on error: %+v", m)
			}
			if r := ResultFor(err); r.Success() {
				t.Errorf("ResultFor = %+v, want an error code", r)
			}
		})
	}
}

func TestDecodeAcceptsVariants(t *testing.T) {
	v12 := `<WV-CSP-Message xmlns="http://www.openmobilealliance.org/DTD/WV-CSP1.2"><Session><SessionDescriptor>` +
		`<SessionType>Outband</SessionType></SessionDescriptor><Transaction><TransactionDescriptor>` +
		`<TransactionMode>Request</TransactionMode><TransactionID>x</TransactionID><Poll> T </Poll></TransactionDescriptor>` +
		`<TransactionContent xmlns="http://www.openmobilealliance.org/DTD/WV-TRC1.2"><KeepAlive-Request><TimeToLive> 30 </TimeToLive>` +
		`<Unmodelled>ignored</Unmodelled></KeepAlive-Request></TransactionContent></Transaction></Session></WV-CSP-Message>` +
		"\n<!-- trailing comment -->\n"
	m, err := Decode([]byte(v12))
	if err != nil {
		t.Fatal(err)
	}
	ka, ok := m.Transactions[0].Primitive.(*KeepAliveRequest)
	if m.Version != Version12 || !ok || ka.TimeToLive != 30 || m.Transactions[0].Descriptor.Poll == nil || !bool(*m.Transactions[0].Descriptor.Poll) {
		t.Fatalf("got %+v %+v", m, m.Transactions[0])
	}
	prefixed := `<c:WV-CSP-Message xmlns:c="http://www.wireless-village.org/CSP1.1"><c:Session><c:SessionDescriptor>` +
		`<c:SessionType>Inband</c:SessionType></c:SessionDescriptor><c:Transaction><c:TransactionDescriptor>` +
		`<c:TransactionMode>Request</c:TransactionMode></c:TransactionDescriptor>` +
		`<c:TransactionContent><c:Polling-Request/></c:TransactionContent></c:Transaction></c:Session></c:WV-CSP-Message>`
	m, err = Decode([]byte(prefixed))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := m.Transactions[0].Primitive.(*PollingRequest); !ok || m.Version != Version11 {
		t.Fatalf("got %+v", m)
	}
}
