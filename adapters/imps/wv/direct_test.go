package wv

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// directVariants are documents in the form the direct decoder knows,
// beyond the golden files: references, white space, both versions, lists.
func directVariants() map[string]string {
	sendReq := `<SendMessage-Request><DeliveryReport>F</DeliveryReport><MessageInfo><MessageID>m&amp;1</MessageID>` +
		`<MessageURI>http://x/y?a=1&amp;b=2</MessageURI><ContentType>text/plain</ContentType><ContentEncoding>BASE64</ContentEncoding>` +
		`<ContentSize>000012</ContentSize><Recipient><User><UserID>wv:a@x</UserID></User><User><UserID></UserID></User>` +
		`<Group><GroupID>wv:g@x</GroupID></Group><Group><ScreenName><SName>n</SName><GroupID>wv:g@x</GroupID></ScreenName></Group>` +
		`<ContactList>wv:c@x</ContactList><ContactList></ContactList></Recipient>` +
		`<Sender><Group><ScreenName><SName>Wicked &quot;V&quot;</SName><GroupID>g</GroupID></ScreenName></Group></Sender>` +
		`<DateTime>20010925T1340Z</DateTime><Validity>999999999</Validity></MessageInfo>` +
		`<ContentData>  a&lt;b&gt;c &#x1F600;&#233;&#xD;&#10;&apos;&#x9;
	tail "quoted" 'single' ü😀</ContentData></SendMessage-Request>`
	return map[string]string{
		"references and lists":         doc(sendReq),
		"white space between elements": "\n \t" + strings.ReplaceAll(strings.TrimPrefix(doc(sendReq), `<?xml version="1.0"?>`), "><", ">\n\t <") + "\r\n",
		"no declaration":               strings.TrimPrefix(doc(`<Status><Result><Code>200</Code></Result></Status>`), `<?xml version="1.0"?>`),
		"lower-case encoding": `<?xml version="1.0" encoding="utf-8"?>` +
			strings.TrimPrefix(doc(`<SendMessage-Response><Result><Code>200</Code></Result></SendMessage-Response>`), `<?xml version="1.0"?>`),
		"version 1.2 content in 1.1": strings.Replace(doc(`<SendMessage-Response><MessageID>x</MessageID><Result><Code>531</Code></Result></SendMessage-Response>`),
			NamespaceTRC11, NamespaceTRC12, 1),
		"content without namespace": strings.Replace(doc(`<Status><Result><Code>200</Code></Result></Status>`), ` xmlns="`+NamespaceTRC11+`"`, "", 1),
		"content in the root namespace": strings.Replace(doc(`<Status><Result><Code>200</Code></Result></Status>`),
			NamespaceTRC11, NamespaceCSP11, 1),
		"detailed results": doc(`<Status><Result><Code>201</Code><Description>Partially</Description><DetailedResult><Code>531</Code>` +
			`<UserID>wv:a</UserID><UserID>wv:b</UserID><GroupID>g</GroupID><ScreenName><SName>s</SName><GroupID>g</GroupID></ScreenName>` +
			`<MessageID>m1</MessageID><Description>Unknown</Description></DetailedResult><DetailedResult><Code>532</Code></DetailedResult></Result></Status>`),
		"several transactions": head11 + transaction("1", `<Status><Result><Code>200</Code></Result></Status>`) +
			transaction("2", `<SendMessage-Response><Result><Code>200</Code></Result><MessageID>a</MessageID></SendMessage-Response>`) + tail11,
		"poll and empty id": strings.Replace(doc(`<Status><Result><Code>200</Code></Result></Status>`),
			"<TransactionID>t1</TransactionID>", "<TransactionID></TransactionID><Poll>T</Poll>", 1),
		"outband":                   strings.Replace(strings.Replace(doc(`<Status><Result><Code>200</Code></Result></Status>`), "Inband", "Outband", 1), "<SessionID>s</SessionID>", "", 1),
		"no transaction descriptor": head11 + `<Transaction><TransactionContent><Status><Result><Code>200</Code></Result></Status></TransactionContent></Transaction>` + tail11,
		"bad code, valid syntax":    doc(`<Status><Result><Code>42</Code></Result></Status>`),
		"client ids": doc(`<Status><Result><Code>200</Code></Result><ClientID> id &amp; <URL>u</URL> more <MSISDN>+1</MSISDN>` +
			"\n</ClientID></Status>"),
		"client id of white space": doc(`<SendMessage-Request><MessageInfo><Recipient><User><UserID>u</UserID><ClientID>` +
			" \n\t<URL>u</URL>\u00a0</ClientID></User></Recipient></MessageInfo></SendMessage-Request>"),
	}
}

// indirectVariants are documents the direct decoder leaves to
// encoding/xml, valid or not.
func indirectVariants() map[string]string {
	ok := doc(`<SendMessage-Response><Result><Code>200</Code></Result><MessageID>m</MessageID></SendMessage-Response>`)
	return map[string]string{
		"empty element":            doc(`<Status><Result><Code>200</Code><Description/></Result></Status>`),
		"comment":                  strings.Replace(ok, "<Result>", "<!-- c --><Result>", 1),
		"cdata":                    strings.Replace(ok, "<MessageID>m", "<MessageID><![CDATA[m]]>", 1),
		"raw greater-than":         strings.Replace(ok, "<MessageID>m", "<MessageID>a>b", 1),
		"carriage return":          strings.Replace(ok, "<MessageID>m", "<MessageID>a\r\nb", 1),
		"prefix":                   strings.Replace(strings.Replace(ok, "<WV-CSP-Message xmlns=", "<c:WV-CSP-Message xmlns:c=", 1), "</WV-CSP-Message>", "</c:WV-CSP-Message>", 1),
		"client id with cr":        doc(`<Status><Result><Code>200</Code></Result><ClientID>a` + "\r" + `<URL>u</URL></ClientID></Status>`),
		"unmodelled child":         strings.Replace(ok, "<MessageID>m", "<Extra>x</Extra><MessageID>m", 1),
		"repeated child":           strings.Replace(ok, "<MessageID>m</MessageID>", "<MessageID>m</MessageID><MessageID>n</MessageID>", 1),
		"attribute":                strings.Replace(ok, "<Result>", `<Result a="1">`, 1),
		"space in end tag":         strings.Replace(ok, "</Result>", "</Result >", 1),
		"byte order mark":          "\uFEFF" + ok,
		"space before declaration": " " + ok,
		"other primitive":          doc(`<GetMessage-Request><MessageID>x</MessageID></GetMessage-Request>`),
		"number with spaces":       strings.Replace(ok, "<Code>200", "<Code> 200 ", 1),
		"signed number":            strings.Replace(ok, "<Code>200", "<Code>+200", 1),
		"long number":              strings.Replace(ok, "<Code>200", "<Code>0000000000200", 1),
		"bool with spaces":         strings.Replace(ok, "</TransactionID>", "</TransactionID><Poll> T </Poll>", 1),
		"unknown entity":           strings.Replace(ok, "<MessageID>m", "<MessageID>&nbsp;", 1),
		"control reference":        strings.Replace(ok, "<MessageID>m", "<MessageID>&#1;", 1),
		"surrogate reference":      strings.Replace(ok, "<MessageID>m", "<MessageID>&#xD800;", 1),
		"long reference":           strings.Replace(ok, "<MessageID>m", "<MessageID>&#0000000065;", 1),
		"invalid utf-8":            strings.Replace(ok, "<MessageID>m", "<MessageID>\xff", 1),
		"text in a struct":         strings.Replace(ok, "<Result>", "<Result>x", 1),
		"trailing comment":         ok + "<!-- end -->",
		"foreign namespace":        strings.Replace(ok, NamespaceTRC11, "urn:other", 1),
		"root without xmlns":       strings.Replace(ok, ` xmlns="`+NamespaceCSP11+`"`, "", 1),
		"doctype":                  `<!DOCTYPE x>` + ok,
		"truncated":                ok[:len(ok)-10],
		"mismatched end":           strings.Replace(ok, "</Result>", "</Resul>", 1),
		"two primitives":           doc(`<Status><Result><Code>200</Code></Result></Status><Status><Result><Code>200</Code></Result></Status>`),
		"latin-1 declaration":      `<?xml version="1.0" encoding="ISO-8859-1"?>` + strings.TrimPrefix(ok, `<?xml version="1.0"?>`),
		"content after root":       ok + "<x/>",
		"sender user repeated":     doc(`<SendMessage-Request><MessageInfo><Sender><User><UserID>a</UserID></User><User><UserID>b</UserID></User></Sender></MessageInfo></SendMessage-Request>`),
	}
}

func TestDirectDecodeMatchesEncodingXML(t *testing.T) {
	l := Limits{}.withDefaults()
	for name, in := range directVariants() {
		t.Run(name, func(t *testing.T) {
			assertDirectMatches(t, []byte(in), true)
		})
	}
	for _, name := range []string{"sendmessage-request", "sendmessage-response"} {
		b, err := os.ReadFile(filepath.Join("testdata", "golden", name+".xml"))
		if err != nil {
			t.Fatal(err)
		}
		assertDirectMatches(t, b, true)
	}
	for name, in := range indirectVariants() {
		t.Run(name, func(t *testing.T) {
			if _, _, ok := decodeDirect([]byte(in), l); ok {
				t.Fatalf("the direct decoder took %q", in)
			}
		})
	}
}

// assertDirectMatches checks that the direct decoder takes in (when
// taken is set) and that what it decodes is what encoding/xml decodes.
func assertDirectMatches(t *testing.T, in []byte, taken bool) {
	t.Helper()
	l := Limits{}.withDefaults()
	s, v, ok := decodeDirect(in, l)
	if !ok {
		if taken {
			t.Fatalf("the direct decoder gave up on\n%s", in)
		}
		return
	}
	want, wantV, err := decodeReflect(in, l)
	if err != nil {
		t.Fatalf("the direct decoder took what encoding/xml refuses (%v):\n%q", err, in)
	}
	if v != wantV || !reflect.DeepEqual(s, want) {
		t.Fatalf("direct and encoding/xml differ on\n%q\n got %v %#v\nwant %v %#v", in, v, s, wantV, want)
	}
}

// FuzzDirectDecode checks that whatever the direct decoder takes,
// encoding/xml decodes to the same session and version.
func FuzzDirectDecode(f *testing.F) {
	golden, _ := filepath.Glob(filepath.Join("testdata", "golden", "*.xml"))
	for _, g := range golden {
		if b, err := os.ReadFile(g); err == nil {
			f.Add(b)
		}
	}
	for _, in := range directVariants() {
		f.Add([]byte(in))
	}
	for _, in := range indirectVariants() {
		f.Add([]byte(in))
	}
	f.Fuzz(func(t *testing.T, in []byte) { assertDirectMatches(t, in, false) })
}

// directMessages are messages the direct encoder writes.
func directMessages() map[string]Message {
	ms := map[string]Message{}
	for name, m := range goldenCases() {
		if directEncodable(m) {
			ms["golden "+name] = m
		}
	}
	odd := sendMessageRequest()
	odd.DeliveryReport = false
	odd.ContentData = "'quotes' \"both\" & <tags> \t\r\n ]]> \uFFFD \u2028 end"
	odd.MessageInfo.Sender = Sender{Group: &Group{ScreenName: &ScreenName{}}}
	odd.MessageInfo.Recipient.Users[1].ClientID = &ClientID{Text: " raw & text ", URL: "http://c", MSISDN: "+1"}
	odd.MessageInfo.Validity, odd.MessageInfo.DateTime = 0, ""
	ms["odd request"] = request("x&y", odd)
	ms["empty request"] = request("", &SendMessageRequest{})
	batch := request("1", sendMessageRequest())
	batch.Transactions = append(batch.Transactions, request("2", &SendMessageRequest{ContentData: "b"}).Transactions...)
	ms["two requests"] = batch
	ms["status with client id"] = response("s", &Status{Result: Result{Code: 503, DetailedResults: []DetailedResult{{Code: 100}}},
		ClientID: &ClientID{Text: "\n\t"}})
	ms["response without id"] = outband(response("r", &SendMessageResponse{Result: Result{Code: 999, Description: "<x>"}}))
	return ms
}

func TestDirectEncodeMatches(t *testing.T) {
	for name, m := range directMessages() {
		t.Run(name, func(t *testing.T) {
			for _, v := range []Version{Version11, Version12} {
				assertEncodersAgree(t, m, v)
			}
		})
	}
	// A message with invalid text reports the same string either way: the
	// first in the order of the fields.
	bad := sendMessageRequest()
	bad.MessageInfo.Recipient.Users[0].UserID = "a\x01"
	bad.ContentData = "\xff"
	assertEncodersAgree(t, request("t", bad), Version11)
}

// assertEncodersAgree checks that Encode (direct) writes what
// encoding/xml writes, or fails with the same error.
func assertEncodersAgree(t *testing.T, m Message, v Version) {
	t.Helper()
	if !directEncodable(m) {
		t.Fatalf("not a message for the direct encoder: %+v", m)
	}
	got, err := Encode(m, v)
	want, wantErr := encodeWithEncodingXML(m, v)
	switch {
	case (err == nil) != (wantErr == nil) || err != nil && err.Error() != wantErr.Error():
		t.Fatalf("Encode error %v, encoding/xml %v", err, wantErr)
	case string(got) != string(want):
		t.Fatalf("Encode:\n got %s\nwant %s", got, want)
	}
}

func encodeWithEncodingXML(m Message, v Version) ([]byte, error) {
	csp, trc, _ := v.namespaces()
	if err := validStructure(m); err != nil {
		return nil, err
	}
	if err := validText(reflect.ValueOf(m)); err != nil {
		return nil, err
	}
	return encodeReflect(m, csp, trc)
}

// FuzzDirectEncode builds hot-path messages from fuzzed text and numbers
// and checks that the direct encoder writes encoding/xml's bytes (or its
// error), and that the document decodes back to the message.
func FuzzDirectEncode(f *testing.F) {
	f.Add("im.user.com#48815@server.com", "IMApp01#7", "wv:john@smith.com", "Grüße <&> \"ok\" 😀\r\n\ttab", "text/plain", 200, uint32(27), true)
	f.Add("", "", "", "", "", 100, uint32(0), false)
	f.Add("s\x00", "\xff", "a'b", "]]>", "\uFFFE", 531, uint32(1<<32-1), true)
	f.Fuzz(func(t *testing.T, sid, txID, user, text, ctype string, code int, size uint32, report bool) {
		req := &SendMessageRequest{DeliveryReport: Bool(report), ContentData: text,
			MessageInfo: MessageInfo{ContentType: ctype, ContentSize: size, Validity: size / 2,
				Recipient: Recipient{Users: []User{{UserID: user}}, ContactLists: []string{text}},
				Sender:    Sender{User: &User{UserID: user, ClientID: &ClientID{Text: text, URL: ctype}}}}}
		m := Message{Session: SessionDescriptor{SessionType: SessionInband, SessionID: sid}, Transactions: []Transaction{
			{Descriptor: TransactionDescriptor{TransactionMode: ModeRequest, TransactionID: txID}, Primitive: req},
			{Descriptor: TransactionDescriptor{TransactionMode: ModeResponse, TransactionID: txID, Poll: NewBool(report)},
				Primitive: &SendMessageResponse{Result: Result{Code: code, Description: text}, MessageID: user}},
			{Descriptor: TransactionDescriptor{TransactionMode: ModeResponse},
				Primitive: &Status{Result: Result{Code: code, DetailedResults: []DetailedResult{{Code: code, UserIDs: []string{user}}}}}},
		}}
		for _, v := range []Version{Version11, Version12} {
			assertEncodersAgree(t, m, v)
			b, err := Encode(m, v)
			if err != nil {
				continue
			}
			back, err := (Limits{MaxSize: 1 << 30}).Decode(b)
			if err != nil {
				t.Fatalf("Decode(Encode): %v\n%s", err, b)
			}
			want := m
			want.Version = v
			// Decoding drops a ClientID's white-space-only text.
			if strings.TrimSpace(text) == "" {
				req.MessageInfo.Sender.User.ClientID.Text = ""
			}
			if !reflect.DeepEqual(back, want) {
				t.Fatalf("round trip:\n got %#v\nwant %#v", back, want)
			}
		}
	})
}

// TestModelledMatchesNewPrimitive keeps modelled (the type check of
// Encode) in step with newPrimitive (what Decode makes).
func TestModelledMatchesNewPrimitive(t *testing.T) {
	for _, g := range goldenCases() {
		for _, tr := range g.Transactions {
			p := newPrimitive(tr.Primitive.PrimitiveName())
			if p == nil || !modelled(p) || reflect.TypeOf(p) != reflect.TypeOf(tr.Primitive) {
				t.Errorf("%s: newPrimitive %T, modelled %v", tr.Primitive.PrimitiveName(), p, p != nil && modelled(p))
			}
		}
	}
	for _, name := range []string{"Login-Request", "Login-Response", "Logout-Request", "Disconnect", "KeepAlive-Request",
		"KeepAlive-Response", "Polling-Request", "Status", "SendMessage-Request", "SendMessage-Response", "NewMessage",
		"MessageDelivered", "DeliveryReport-Request", "GetMessage-Request", "GetMessage-Response", "MessageNotification"} {
		if p := newPrimitive(name); p == nil || !modelled(p) || p.PrimitiveName() != name {
			t.Errorf("%s: %T", name, p)
		}
	}
}

func BenchmarkDecodeSendMessageResponse(b *testing.B) {
	data, err := Encode(response("IMApp01#7", &SendMessageResponse{Result: Result{Code: CodeOK}, MessageID: "sent-12345"}), Version12)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode(data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeReflectSendMessageRequest is the encoding/xml path, for
// comparison with BenchmarkDecodeSendMessageRequest.
func BenchmarkDecodeReflectSendMessageRequest(b *testing.B) {
	data, err := Encode(request("IMApp01#7", sendMessageRequest()), Version11)
	if err != nil {
		b.Fatal(err)
	}
	l := Limits{}.withDefaults()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := decodeReflect(data, l); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEncodeReflectSendMessageRequest is the encoding/xml path, for
// comparison with BenchmarkEncodeSendMessageRequest.
func BenchmarkEncodeReflectSendMessageRequest(b *testing.B) {
	m := request("IMApp01#7", sendMessageRequest())
	b.ReportAllocs()
	for b.Loop() {
		if _, err := encodeWithEncodingXML(m, Version11); err != nil {
			b.Fatal(err)
		}
	}
}
