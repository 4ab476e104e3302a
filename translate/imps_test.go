package translate

import (
	"bytes"
	"encoding/base64"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/iwf-gateway/iwf/adapters/imps/wv"
	"github.com/iwf-gateway/iwf/cpm"
)

var updateIMPSGolden = flag.Bool("update-imps", false, "rewrite translate/testdata/imps/sendmessage_*.xml")

const (
	impsTestdata   = "testdata/imps"
	impsSamplesDir = "../../shared/specs/imps/samples"
)

// impsGIF is a 1x1 GIF89a.
var impsGIF = []byte("GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;")

func impsEnvelope(p wv.Primitive) wv.Message {
	return wv.Message{
		Session: wv.SessionDescriptor{SessionType: wv.SessionInband, SessionID: "iwf-session-1"},
		Transactions: []wv.Transaction{{
			Descriptor: wv.TransactionDescriptor{TransactionMode: wv.ModeRequest, TransactionID: "iwf-1"},
			Primitive:  p,
		}},
	}
}

func impsTestRoute() IMPSRoute {
	return IMPSRoute{
		Sender:    "wv:+447700900123@cpm.example.net",
		Recipient: "wv:alice@imps.example.net",
		Validity:  10 * time.Minute,
		Now:       time.Date(2024, 3, 1, 12, 34, 56, 789e6, time.FixedZone("CET", 3600)),
	}
}

func impsText(charset string, body string) cpm.Message {
	ct := "text/plain"
	if charset != "" {
		ct += ";charset=" + charset
	}
	return cpm.Message{ID: "m1", From: "tel:+447700900123", To: "sip:alice@imps.example.net",
		Parts: []cpm.Part{{ContentType: ct, Body: []byte(body)}}}
}

// impsNewMessageOf reads the message primitives that carry MessageInfo and
// ContentData as the NewMessage the server would push for them.
func impsNewMessageOf(p wv.Primitive) (wv.NewMessage, bool) {
	switch p := p.(type) {
	case *wv.NewMessage:
		return *p, true
	case *wv.SendMessageRequest:
		return wv.NewMessage{MessageInfo: p.MessageInfo, ContentData: p.ContentData}, true
	case *wv.GetMessageResponse:
		return wv.NewMessage{MessageInfo: p.MessageInfo, ContentData: p.ContentData}, true
	}
	return wv.NewMessage{}, false
}

func checkIMPSGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join(impsTestdata, name)
	if *updateIMPSGolden {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs:\ngot\n%s\nwant\n%s", name, got, want)
	}
}

// TestSendMessageGoldens encodes SendMessageFromMessage's requests with the
// wv codec, compares them with the goldens, and reads each back as the
// server would deliver it: same octets, same type, same parties.
func TestSendMessageGoldens(t *testing.T) {
	display := impsTestRoute()
	display.SenderForm = IMPSDisplayForm
	display.DisplayPrefix = "[+447700900123] "
	display.Account = "wv:iwf@cpm.example.net"
	anonymous := display
	anonymous.Account = ""
	notify := func(m cpm.Message, d cpm.Disposition) cpm.Message { m.Notify = d; return m }
	image := cpm.Message{Parts: []cpm.Part{{ContentType: "Image/GIF", Filename: "dot.gif", Body: impsGIF}},
		Notify: cpm.NegativeDelivery}

	cases := []struct {
		golden   string
		msg      cpm.Message
		route    IMPSRoute
		ctype    string
		encoding string
		size     uint32
		report   bool
		sender   string // "" for an empty Sender
		wantType string // of the part read back
		wantBody []byte
	}{
		{"sendmessage_text.xml", notify(impsText("UTF-8", "Hello Alice <&> \"18:00\" 🚲\r\n\tok"), cpm.PositiveDelivery|cpm.NegativeDelivery|cpm.Display),
			impsTestRoute(), "text/plain", "None", 33, true, "wv:+447700900123@cpm.example.net",
			"text/plain;charset=UTF-8", []byte("Hello Alice <&> \"18:00\" 🚲\r\n\tok")},
		{"sendmessage_latin1.xml", notify(impsText("ISO-8859-1", "Gr\xfc\xdfe aus K\xf6ln"), cpm.Display),
			impsTestRoute(), "text/plain", "None", 17, false, "wv:+447700900123@cpm.example.net",
			"text/plain;charset=UTF-8", []byte("Grüße aus Köln")},
		{"sendmessage_image.xml", image, impsTestRoute(), "image/gif", "BASE64", uint32(len(impsGIF)), true,
			"wv:+447700900123@cpm.example.net", "image/gif", impsGIF},
		{"sendmessage_controls.xml", impsText("", "bell\x07 escape\x1b[0m"), impsTestRoute(),
			"text/plain; charset=utf-8", "BASE64", 16, false, "wv:+447700900123@cpm.example.net",
			"text/plain;charset=UTF-8", []byte("bell\x07 escape\x1b[0m")},
		{"sendmessage_display.xml", impsText("", "Running late"), display, "text/plain", "None", 28, false,
			"wv:iwf@cpm.example.net", "text/plain;charset=UTF-8", []byte("[+447700900123] Running late")},
		{"sendmessage_display_no_account.xml", impsText("", "Running late"), anonymous, "text/plain", "None", 28, false,
			"", "", nil},
	}
	for _, c := range cases {
		t.Run(c.golden, func(t *testing.T) {
			req, err := SendMessageFromMessage(&c.msg, c.route)
			if err != nil {
				t.Fatalf("SendMessageFromMessage: %v", err)
			}
			info := req.MessageInfo
			if info.ContentType != c.ctype || info.ContentEncoding != c.encoding || info.ContentSize != c.size ||
				bool(req.DeliveryReport) != c.report {
				t.Errorf("type %q encoding %q size %d report %v; want %q %q %d %v",
					info.ContentType, info.ContentEncoding, info.ContentSize, req.DeliveryReport, c.ctype, c.encoding, c.size, c.report)
			}
			if got := impsSenderID(info.Sender); got != c.sender {
				t.Errorf("sender %q, want %q", got, c.sender)
			}
			if len(info.Recipient.Users) != 1 || info.Recipient.Users[0].UserID != "wv:alice@imps.example.net" {
				t.Errorf("recipient %+v", info.Recipient)
			}
			if info.DateTime != "20240301T113456Z" || info.Validity != 600 || info.MessageID != "" {
				t.Errorf("DateTime %q Validity %d MessageID %q", info.DateTime, info.Validity, info.MessageID)
			}
			doc, err := wv.Encode(impsEnvelope(&req), wv.Version12)
			if err != nil {
				t.Fatalf("wv.Encode: %v", err)
			}
			checkIMPSGolden(t, c.golden, doc)

			back, err := wv.Decode(doc)
			if err != nil {
				t.Fatalf("wv.Decode: %v", err)
			}
			nm, _ := impsNewMessageOf(back.Transactions[0].Primitive)
			m, sender, rcpts, err := MessageFromNewMessage(&nm)
			if c.sender == "" {
				if !errors.Is(err, ErrMalformed) {
					t.Fatalf("read back without Sender: %v, want ErrMalformed", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("MessageFromNewMessage: %v", err)
			}
			if sender != c.sender || len(rcpts) != 1 || rcpts[0] != "wv:alice@imps.example.net" {
				t.Errorf("read back from %q to %q", sender, rcpts)
			}
			if p := m.Parts[0]; p.ContentType != c.wantType || !bytes.Equal(p.Body, c.wantBody) {
				t.Errorf("read back %q %q, want %q %q", p.ContentType, p.Body, c.wantType, c.wantBody)
			}
			if !m.DateTime.Equal(time.Date(2024, 3, 1, 11, 34, 56, 0, time.UTC)) {
				t.Errorf("read back DateTime %v", m.DateTime)
			}
		})
	}
}

func impsSenderID(s wv.Sender) string {
	if s.User == nil {
		return ""
	}
	return s.User.UserID
}

func TestSendMessageFromMessageRefuses(t *testing.T) {
	route := impsTestRoute()
	display := route
	display.SenderForm = IMPSDisplayForm
	display.DisplayPrefix = "[Bob] "
	part := func(ct, body string) cpm.Part { return cpm.Part{ContentType: ct, Body: []byte(body)} }
	msg := func(parts ...cpm.Part) cpm.Message { return cpm.Message{Parts: parts} }
	withRoute := func(f func(*IMPSRoute)) IMPSRoute { r := impsTestRoute(); f(&r); return r }

	cases := []struct {
		name  string
		msg   cpm.Message
		route IMPSRoute
		want  error
	}{
		{"no parts", msg(), route, ErrMalformed},
		{"empty text", msg(part("text/plain", "")), route, ErrMalformed},
		{"two parts", msg(part("text/plain", "a"), part("image/gif", "b")), route, ErrUnsupportedType},
		{"imdn", msg(part(cpm.IMDNContentType, "<imdn/>")), route, ErrUnsupportedType},
		{"cpim", msg(part("message/cpim", "From: x")), route, ErrUnsupportedType},
		{"multipart", msg(part("multipart/mixed; boundary=x", "--x--")), route, ErrUnsupportedType},
		{"unknown charset", msg(part("text/plain;charset=x-klingon", "abc")), route, ErrUnsupportedType},
		{"bad utf-8", msg(part("text/plain;charset=utf-8", "a\xffb")), route, ErrMalformed},
		{"bad content type", msg(part("image/", "b")), route, ErrMalformed},
		{"image in display form", msg(part("image/gif", "GIF89a")), display, ErrUnsupportedType},
		{"no sender", msg(part("text/plain", "a")), withRoute(func(r *IMPSRoute) { r.Sender = "" }), ErrBadIMPSRoute},
		{"sender not wv", msg(part("text/plain", "a")), withRoute(func(r *IMPSRoute) { r.Sender = "tel:+447700900123" }), ErrBadIMPSRoute},
		{"recipient not wv", msg(part("text/plain", "a")), withRoute(func(r *IMPSRoute) { r.Recipient = "sip:alice@imps.example.net" }), ErrBadIMPSRoute},
		{"account not wv", msg(part("text/plain", "a")), withRoute(func(r *IMPSRoute) { r.SenderForm = IMPSDisplayForm; r.Account = "iwf" }), ErrBadIMPSRoute},
		{"unknown form", msg(part("text/plain", "a")), withRoute(func(r *IMPSRoute) { r.SenderForm = "nick" }), ErrBadIMPSRoute},
		{"negative max", msg(part("text/plain", "a")), withRoute(func(r *IMPSRoute) { r.MaxBytes = -1 }), ErrBadIMPSRoute},
		{"negative validity", msg(part("text/plain", "a")), withRoute(func(r *IMPSRoute) { r.Validity = -time.Second }), ErrBadIMPSRoute},
	}
	for _, c := range cases {
		if req, err := SendMessageFromMessage(&c.msg, c.route); !errors.Is(err, c.want) {
			t.Errorf("%s: %+v, %v; want %v", c.name, req, err, c.want)
		}
	}

	// Display form without a prefix carries any type; the sender form
	// needs no Account and display form no Sender.
	img := msg(part("image/png", "\x89PNG"))
	noPrefix := display
	noPrefix.DisplayPrefix, noPrefix.Sender = "", ""
	if req, err := SendMessageFromMessage(&img, noPrefix); err != nil || req.MessageInfo.Sender.User != nil {
		t.Errorf("image in display form without prefix: %+v, %v", req, err)
	}
}

func TestSendMessageSizes(t *testing.T) {
	route := impsTestRoute()
	at := func(n int) cpm.Message { return impsText("", strings.Repeat("a", n)) }
	for _, c := range []struct {
		max, size int
		ok        bool
	}{
		{0, DefaultIMPSMaxBytes, true}, {0, DefaultIMPSMaxBytes + 1, false},
		{10, 10, true}, {10, 11, false},
	} {
		route.MaxBytes = c.max
		m := at(c.size)
		req, err := SendMessageFromMessage(&m, route)
		if c.ok != (err == nil) || (!c.ok && !errors.Is(err, ErrTooLarge)) || (c.ok && int(req.MessageInfo.ContentSize) != c.size) {
			t.Errorf("max %d size %d: ContentSize %d, %v", c.max, c.size, req.MessageInfo.ContentSize, err)
		}
	}

	// UTF-8 octets count, not characters; the display prefix counts.
	route.MaxBytes = 8
	euro := impsText("", "€€") // 6 octets
	if req, err := SendMessageFromMessage(&euro, route); err != nil || req.MessageInfo.ContentSize != 6 {
		t.Errorf("€€: %d, %v", req.MessageInfo.ContentSize, err)
	}
	route.SenderForm, route.DisplayPrefix = IMPSDisplayForm, "[B] "
	if _, err := SendMessageFromMessage(&euro, route); !errors.Is(err, ErrTooLarge) {
		t.Errorf("€€ with prefix over 8: %v", err)
	}

	// A binary part is bounded and counted before base64 (which grows it
	// by a third).
	route = impsTestRoute()
	route.MaxBytes = 90
	img := cpm.Message{Parts: []cpm.Part{{ContentType: "image/jpeg", Body: bytes.Repeat([]byte{0xff}, 90)}}}
	req, err := SendMessageFromMessage(&img, route)
	if err != nil || req.MessageInfo.ContentSize != 90 || len(req.ContentData) != 120 {
		t.Errorf("image: size %d data %d, %v", req.MessageInfo.ContentSize, len(req.ContentData), err)
	}
}

func TestSendMessageValidityAndDate(t *testing.T) {
	m := impsText("", "hi")
	for d, want := range map[time.Duration]uint32{0: 0, 1500 * time.Millisecond: 2, time.Hour: 3600, 1 << 62: 1<<32 - 1} {
		r := impsTestRoute()
		r.Validity = d
		req, err := SendMessageFromMessage(&m, r)
		if err != nil || req.MessageInfo.Validity != want {
			t.Errorf("Validity(%v) = %d, %v; want %d", d, req.MessageInfo.Validity, err, want)
		}
	}
	r := impsTestRoute()
	r.Now = time.Time{}
	req, err := SendMessageFromMessage(&m, r)
	if err != nil || req.MessageInfo.DateTime != "" {
		t.Errorf("zero Now: DateTime %q, %v", req.MessageInfo.DateTime, err)
	}
	for d, want := range map[cpm.Disposition]bool{0: false, cpm.Display: false, cpm.NegativeDelivery: true, cpm.PositiveDelivery: true} {
		m.Notify = d
		if req, _ := SendMessageFromMessage(&m, impsTestRoute()); bool(req.DeliveryReport) != want {
			t.Errorf("Notify %v: DeliveryReport %v", d, req.DeliveryReport)
		}
	}
}

func readIMPSNewMessage(t *testing.T, path string) wv.NewMessage {
	t.Helper()
	doc, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	msg, err := wv.Decode(doc)
	if err != nil {
		t.Fatalf("wv.Decode(%s): %v", path, err)
	}
	nm, ok := impsNewMessageOf(msg.Transactions[0].Primitive)
	if !ok {
		t.Fatalf("%s holds %s", path, msg.Transactions[0].Primitive.PrimitiveName())
	}
	return nm
}

func TestMessageFromNewMessageTestdata(t *testing.T) {
	cases := map[string]struct {
		sender     string
		recipients []string
		ctype      string
		body       string
		date       time.Time
	}{
		"newmessage_text.xml": {"wv:alice@imps.example.net", []string{"wv:+447700900123@cpm.example.net"},
			"text/plain;charset=UTF-8", "Hi Bob <3 — on my way 🚲\r\nsee you", time.Date(2024, 3, 1, 12, 34, 56, 0, time.UTC)},
		"newmessage_base64_latin1.xml": {"wv:alice@imps.example.net", []string{"wv:bob@cpm.example.net"},
			"text/plain;charset=UTF-8", "Grüße aus Köln, à bientôt", time.Date(2024, 3, 1, 11, 34, 56, 0, time.UTC)},
		"newmessage_image.xml": {"wv:carol@imps.example.net", []string{"wv:bob@cpm.example.net", "wv:+447700900123@cpm.example.net"},
			"image/gif", string(impsGIF), time.Date(2024, 3, 1, 12, 34, 0, 0, time.UTC)},
		"newmessage_pretty.xml": {"wv:alice@imps.example.net", []string{"wv:bob@cpm.example.net"},
			"text/plain;charset=UTF-8", "Lunch at noon? Bring the slides & the <draft>.", time.Date(2024, 3, 1, 12, 34, 0, 0, time.UTC)},
	}
	for name, want := range cases {
		nm := readIMPSNewMessage(t, filepath.Join(impsTestdata, name))
		m, sender, rcpts, err := MessageFromNewMessage(&nm)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if sender != want.sender || strings.Join(rcpts, ",") != strings.Join(want.recipients, ",") {
			t.Errorf("%s: from %q to %q", name, sender, rcpts)
		}
		if len(m.Parts) != 1 || m.Parts[0].ContentType != want.ctype || string(m.Parts[0].Body) != want.body {
			t.Errorf("%s: parts %q", name, m.Parts)
		}
		if !m.DateTime.Equal(want.date) {
			t.Errorf("%s: DateTime %v, want %v", name, m.DateTime, want.date)
		}
		if m.ID != "" || m.From != "" || m.To != "" || m.Notify != 0 || !m.Expiry.IsZero() {
			t.Errorf("%s: filled %+v", name, m)
		}
	}
}

// impsDoctype matches the DOCTYPE the WV-CSP examples carry; wv.Decode
// refuses it in production input, so the test strips it.
var impsDoctype = regexp.MustCompile(`<!DOCTYPE[^>]*>`)

func readIMPSSample(t *testing.T, name string) wv.Primitive {
	t.Helper()
	if _, err := os.Stat(impsSamplesDir); err != nil {
		t.Skipf("shared IMPS samples not available at %s: %v", impsSamplesDir, err)
	}
	doc, err := os.ReadFile(filepath.Join(impsSamplesDir, name))
	if err != nil {
		t.Fatal(err)
	}
	msg, err := wv.Decode(impsDoctype.ReplaceAll(doc, nil))
	if err != nil {
		t.Fatalf("wv.Decode(%s): %v", name, err)
	}
	return msg.Transactions[0].Primitive
}

func TestMessageFromNewMessageSharedSamples(t *testing.T) {
	nm, _ := impsNewMessageOf(readIMPSSample(t, "wv-070_NewMessage.xml"))
	// The example is a group chat: Wicked Vicky writes to the group.
	if _, _, _, err := MessageFromNewMessage(&nm); !errors.Is(err, ErrIMPSGroup) {
		t.Fatalf("group NewMessage: %v, want ErrIMPSGroup", err)
	}
	// Between users, its content (indented in the document, ContentSize 41
	// counting the text alone) and DateTime read as meant.
	oneToOne := func(nm wv.NewMessage) wv.NewMessage {
		nm.MessageInfo.Sender = wv.Sender{User: &wv.User{UserID: "wv:vicky@there.com"}}
		nm.MessageInfo.Recipient = wv.Recipient{Users: []wv.User{{UserID: "wv:john@there.com"}}}
		return nm
	}
	for _, name := range []string{"wv-070_NewMessage.xml", "wv-067_GetMessage-Response.xml"} {
		nm, _ := impsNewMessageOf(readIMPSSample(t, name))
		nm = oneToOne(nm)
		m, sender, rcpts, err := MessageFromNewMessage(&nm)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if text, ok := m.Text(); !ok || text != "Hi guys, just arrived... How is it going?" {
			t.Errorf("%s: text %q", name, text)
		}
		if sender != "wv:vicky@there.com" || len(rcpts) != 1 || rcpts[0] != "wv:john@there.com" {
			t.Errorf("%s: from %q to %q", name, sender, rcpts)
		}
		if !m.DateTime.Equal(time.Date(2001, 9, 25, 13, 40, 0, 0, time.UTC)) {
			t.Errorf("%s: DateTime %v", name, m.DateTime)
		}
	}
	// The SendMessage-Request example says ContentSize 58 for its 57
	// octets: a count that does not match the content is refused.
	sm, _ := impsNewMessageOf(readIMPSSample(t, "wv-056_SendMessage-Request.xml"))
	if _, _, _, err := MessageFromNewMessage(&sm); !errors.Is(err, ErrMalformed) {
		t.Errorf("wv-056 with ContentSize 58 for 57 octets: %v, want ErrMalformed", err)
	}
	sm.MessageInfo.ContentSize = 57
	if m, sender, rcpts, err := MessageFromNewMessage(&sm); err != nil || sender != "wv:john@smith.com" ||
		strings.Join(rcpts, ",") != "wv:he@there.com" || string(m.Parts[0].Body) != "Hurry up; they are ringing the bells in the WV already..." {
		t.Errorf("wv-056 counted right: %q %q %+v, %v", sender, rcpts, m.Parts, err)
	}
}

func TestMessageFromNewMessageRefuses(t *testing.T) {
	base := func() wv.NewMessage {
		return wv.NewMessage{
			MessageInfo: wv.MessageInfo{MessageID: "m", ContentType: "text/plain", ContentSize: 5,
				Sender:    wv.Sender{User: &wv.User{UserID: "wv:alice@imps.example.net"}},
				Recipient: wv.Recipient{Users: []wv.User{{UserID: "wv:bob@cpm.example.net"}}}},
			ContentData: "hello",
		}
	}
	with := func(f func(*wv.NewMessage)) wv.NewMessage { nm := base(); f(&nm); return nm }
	group := &wv.Group{GroupID: "wv:alice/friends@imps.example.net"}
	cases := []struct {
		name string
		nm   wv.NewMessage
		want error
	}{
		{"no content", with(func(nm *wv.NewMessage) { nm.ContentData = ""; nm.MessageInfo.ContentSize = 0 }), ErrMalformed},
		{"white space only, not counted", with(func(nm *wv.NewMessage) { nm.ContentData = "\n\t"; nm.MessageInfo.ContentSize = 0 }), nil},
		{"size too big", with(func(nm *wv.NewMessage) { nm.MessageInfo.ContentSize = 6 }), ErrMalformed},
		{"size too small", with(func(nm *wv.NewMessage) { nm.MessageInfo.ContentSize = 4 }), ErrMalformed},
		{"size counts characters", with(func(nm *wv.NewMessage) { nm.ContentData = "héllo" }), ErrMalformed},
		{"unknown encoding", with(func(nm *wv.NewMessage) { nm.MessageInfo.ContentEncoding = "quoted-printable" }), ErrUnsupportedType},
		{"bad base64", with(func(nm *wv.NewMessage) { nm.MessageInfo.ContentEncoding = "BASE64"; nm.ContentData = "aGVsbG8*" }), ErrMalformed},
		{"empty base64", with(func(nm *wv.NewMessage) {
			nm.MessageInfo.ContentEncoding = "BASE64"
			nm.ContentData, nm.MessageInfo.ContentSize = " \n", 0
		}), ErrMalformed},
		{"base64 size wrong", with(func(nm *wv.NewMessage) {
			nm.MessageInfo.ContentEncoding = "BASE64"
			nm.ContentData, nm.MessageInfo.ContentSize = "aGVsbG8=", 7
		}), ErrMalformed},
		{"unknown charset", with(func(nm *wv.NewMessage) {
			nm.MessageInfo.ContentType, nm.MessageInfo.ContentEncoding = "text/plain; charset=x-klingon", "BASE64"
			nm.ContentData = "aGVsbG8="
		}), ErrUnsupportedType},
		{"bad utf-8 in base64", with(func(nm *wv.NewMessage) {
			nm.MessageInfo.ContentEncoding = "BASE64"
			nm.ContentData, nm.MessageInfo.ContentSize = "aP9sbG8=", 5
		}), ErrMalformed},
		{"bad content type", with(func(nm *wv.NewMessage) { nm.MessageInfo.ContentType = "text/" }), ErrMalformed},
		{"imdn content", with(func(nm *wv.NewMessage) { nm.MessageInfo.ContentType = "message/imdn+xml" }), ErrUnsupportedType},
		{"multipart content", with(func(nm *wv.NewMessage) { nm.MessageInfo.ContentType = "multipart/mixed; boundary=b" }), ErrUnsupportedType},
		{"group sender", with(func(nm *wv.NewMessage) { nm.MessageInfo.Sender = wv.Sender{Group: group} }), ErrIMPSGroup},
		{"no sender", with(func(nm *wv.NewMessage) { nm.MessageInfo.Sender = wv.Sender{} }), ErrMalformed},
		{"empty sender id", with(func(nm *wv.NewMessage) { nm.MessageInfo.Sender.User.UserID = " " }), ErrMalformed},
		{"group recipient only", with(func(nm *wv.NewMessage) { nm.MessageInfo.Recipient = wv.Recipient{Groups: []wv.Group{*group}} }), ErrIMPSGroup},
		{"contact list only", with(func(nm *wv.NewMessage) {
			nm.MessageInfo.Recipient = wv.Recipient{ContactLists: []string{"wv:alice/friends@imps.example.net"}}
		}), ErrIMPSGroup},
		{"no recipient", with(func(nm *wv.NewMessage) { nm.MessageInfo.Recipient = wv.Recipient{} }), ErrMalformed},
		{"empty recipient id", with(func(nm *wv.NewMessage) { nm.MessageInfo.Recipient.Users[0].UserID = "" }), ErrMalformed},
	}
	for _, c := range cases {
		_, _, _, err := MessageFromNewMessage(&c.nm)
		if (c.want == nil) != (err == nil) || (c.want != nil && !errors.Is(err, c.want)) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
}

func TestMessageFromNewMessageContent(t *testing.T) {
	nm := func(ct, enc, data string, size uint32) wv.NewMessage {
		return wv.NewMessage{
			MessageInfo: wv.MessageInfo{ContentType: ct, ContentEncoding: enc, ContentSize: size,
				Sender:    wv.Sender{User: &wv.User{UserID: "wv:alice@imps.example.net"}},
				Recipient: wv.Recipient{Users: []wv.User{{UserID: "wv:bob@cpm.example.net"}}}},
			ContentData: data,
		}
	}
	b64 := base64.StdEncoding.EncodeToString(impsGIF)
	cases := []struct {
		name  string
		nm    wv.NewMessage
		ctype string
		body  string
	}{
		{"no ContentType is text", nm("", "", "hi", 2), "text/plain;charset=UTF-8", "hi"},
		{"no ContentSize keeps white space", nm("text/plain", "None", "  hi\n", 0), "text/plain;charset=UTF-8", "  hi\n"},
		{"counted white space is kept", nm("text/plain", "None", "  hi\n", 5), "text/plain;charset=UTF-8", "  hi\n"},
		{"uncounted white space is trimmed", nm("text/plain", "None", "\n\t\thi\n\t", 2), "text/plain;charset=UTF-8", "hi"},
		{"charset is moot without base64", nm("text/plain; charset=iso-8859-1", "None", "Köln", 5), "text/plain;charset=UTF-8", "Köln"},
		{"base64 counted decoded", nm("image/gif", "BASE64", b64, uint32(len(impsGIF))), "image/gif", string(impsGIF)},
		{"base64 counted encoded", nm("image/gif", "base64", b64, uint32(len(b64))), "image/gif", string(impsGIF)},
		{"base64 with line breaks", nm("image/gif", "Base64", b64[:20]+"\r\n"+b64[20:]+"\n", uint32(len(impsGIF))), "image/gif", string(impsGIF)},
		{"base64 unpadded", nm("text/plain", "BASE64", "aGk", 2), "text/plain;charset=UTF-8", "hi"},
		{"base64 utf-16", nm("text/plain; charset=UTF-16BE", "BASE64", "AEsA9gBsAG4=", 8), "text/plain;charset=UTF-8", "Köln"},
		{"type parameters kept", nm("Text/HTML; Charset=UTF-8", "None", "<b>hi</b>", 9), "text/html; charset=UTF-8", "<b>hi</b>"},
	}
	for _, c := range cases {
		m, _, _, err := MessageFromNewMessage(&c.nm)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if p := m.Parts[0]; p.ContentType != c.ctype || string(p.Body) != c.body {
			t.Errorf("%s: %q %q, want %q %q", c.name, p.ContentType, p.Body, c.ctype, c.body)
		}
	}
}

func TestParseIMPSDateTime(t *testing.T) {
	utc := func(h, m, s int) time.Time { return time.Date(2001, 9, 25, h, m, s, 0, time.UTC) }
	cases := map[string]time.Time{
		"20010925T1340Z":            utc(13, 40, 0),
		"20010925T134005Z":          utc(13, 40, 5),
		" 20010925T134005Z\n":       utc(13, 40, 5),
		"20010925T134005":           utc(13, 40, 5),
		"20010925T1340":             utc(13, 40, 0),
		"20010925T154005+0200":      utc(13, 40, 5),
		"20010925T134005.250Z":      utc(13, 40, 5).Add(250 * time.Millisecond),
		"2001-09-25T13:40:05Z":      utc(13, 40, 5),
		"2001-09-25T08:40:05-05:00": utc(13, 40, 5),
		"2001-09-25T13:40Z":         utc(13, 40, 0),
		"2001-09-25T13:40:05":       utc(13, 40, 5),
		"":                          {},
		"yesterday":                 {},
		"20011325T1340Z":            {},
		"20010925":                  {},
	}
	for in, want := range cases {
		if got := ParseIMPSDateTime(in); !got.Equal(want) {
			t.Errorf("ParseIMPSDateTime(%q) = %v, want %v", in, got, want)
		}
	}
	now := time.Date(2024, 3, 1, 13, 34, 56, 999e6, time.FixedZone("CET", 3600))
	if got := FormatIMPSDateTime(now); got != "20240301T123456Z" {
		t.Errorf("FormatIMPSDateTime = %q", got)
	}
	if got := ParseIMPSDateTime(FormatIMPSDateTime(now)); !got.Equal(now.Truncate(time.Second)) {
		t.Errorf("round trip = %v", got)
	}
}

func TestIMPSReportStatus(t *testing.T) {
	type outcome struct {
		status cpm.Status
		final  bool
	}
	delivered, failed, errored, pending := outcome{cpm.Delivered, true}, outcome{cpm.Failed, true}, outcome{cpm.Error, true}, outcome{"", false}
	cases := map[int]outcome{
		wv.CodeOK: delivered, wv.CodePartiallySuccessful: delivered, 299: delivered,
		100: pending, 199: pending, 541: pending,
		wv.CodeBadRequest: failed, 410: failed, 415: failed,
		wv.CodeInternalServerError: failed, wv.CodeServiceUnavailable: failed, wv.CodeMessageQueueFull: failed,
		wv.CodeUnknownUser: failed, wv.CodeRecipientBlocked: failed, wv.CodeRecipientNotLoggedIn: failed,
		534: failed, 538: failed, 542: failed,
		wv.CodeSessionExpired: failed, 700: failed, 800: failed, 900: failed, 920: failed, 999: failed,
		0: errored, 99: errored, 300: errored, 399: errored, 1000: errored, -200: errored,
	}
	for code, want := range cases {
		if s, f := IMPSReportStatus(code); (outcome{s, f}) != want {
			t.Errorf("IMPSReportStatus(%d) = %q, %v; want %q, %v", code, s, f, want.status, want.final)
		}
	}
}

func TestIMPSDeliveryFromReport(t *testing.T) {
	dr, _ := readIMPSSample(t, "wv-072_DeliveryReport-Request.xml").(*wv.DeliveryReportRequest)
	if dr == nil {
		t.Fatal("wv-072 is not a DeliveryReport-Request")
	}
	d, err := IMPSDeliveryFromReport(dr)
	want := IMPSDelivery{MessageID: "0x0000f132", Code: 200, Status: cpm.Delivered, Final: true,
		Time: time.Date(2001, 9, 25, 13, 41, 0, 0, time.UTC)}
	if err != nil || d != want {
		t.Errorf("wv-072: %+v, %v; want %+v", d, err, want)
	}

	own := &wv.DeliveryReportRequest{Result: wv.Result{Code: wv.CodeUnknownUser, Description: "Unknown user."},
		MessageInfo: wv.MessageInfo{MessageID: " sent-7 ", Recipient: wv.Recipient{Users: []wv.User{{UserID: "wv:alice@imps.example.net"}}}}}
	d, err = IMPSDeliveryFromReport(own)
	want = IMPSDelivery{MessageID: "sent-7", Code: 531, Status: cpm.Failed, Final: true, Recipient: "wv:alice@imps.example.net"}
	if err != nil || d != want {
		t.Errorf("531: %+v, %v; want %+v", d, err, want)
	}
	own.MessageInfo.MessageID = ""
	if _, err := IMPSDeliveryFromReport(own); !errors.Is(err, ErrMalformed) {
		t.Errorf("no MessageID: %v, want ErrMalformed", err)
	}
}

// FuzzMessageFromNewMessage decodes a CSP document, maps its message
// primitive to a CPM message and, for text, maps that back through
// SendMessageFromMessage and the codec: the text comes back unchanged.
func FuzzMessageFromNewMessage(f *testing.F) {
	seeds, err := filepath.Glob(filepath.Join(impsTestdata, "*.xml"))
	if err != nil || len(seeds) == 0 {
		f.Fatalf("no seeds in %s: %v", impsTestdata, err)
	}
	for _, path := range seeds {
		doc, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(doc)
	}
	route := IMPSRoute{Sender: "wv:+447700900123@cpm.example.net", Recipient: "wv:alice@imps.example.net", MaxBytes: 1 << 20}
	f.Fuzz(func(t *testing.T, doc []byte) {
		msg, err := wv.Decode(doc)
		if err != nil {
			return
		}
		for _, tr := range msg.Transactions {
			nm, ok := impsNewMessageOf(tr.Primitive)
			if !ok {
				continue
			}
			m, sender, rcpts, err := MessageFromNewMessage(&nm)
			if err != nil {
				if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrUnsupportedType) && !errors.Is(err, ErrIMPSGroup) {
					t.Fatalf("unexpected error %v", err)
				}
				continue
			}
			if sender == "" || len(rcpts) == 0 || len(m.Parts) != 1 || len(m.Parts[0].Body) == 0 {
				t.Fatalf("mapped to %q %q %+v", sender, rcpts, m)
			}
			text, ok := m.Text()
			if !ok {
				continue
			}
			impsRoundTripText(t, &m, route, text)
		}
	})
}

// impsRoundTripText sends m as SendMessage-Request through the codec and
// reads it back as a NewMessage: the text must come back unchanged.
func impsRoundTripText(t *testing.T, m *cpm.Message, route IMPSRoute, text string) {
	t.Helper()
	req, err := SendMessageFromMessage(m, route)
	if err != nil {
		t.Fatalf("SendMessageFromMessage(%q): %v", text, err)
	}
	doc, err := wv.Encode(impsEnvelope(&req), wv.Version11)
	if err != nil {
		t.Fatalf("wv.Encode(%q): %v", text, err)
	}
	back, err := wv.Decode(doc)
	if err != nil {
		t.Fatalf("wv.Decode: %v\n%s", err, doc)
	}
	nm, _ := impsNewMessageOf(back.Transactions[0].Primitive)
	m2, _, _, err := MessageFromNewMessage(&nm)
	if err != nil {
		t.Fatalf("read back %q: %v\n%s", text, err, doc)
	}
	if again, ok := m2.Text(); !ok || again != text {
		t.Fatalf("text %q came back as %q", text, again)
	}
}

func BenchmarkSendMessageFromMessage(b *testing.B) {
	m := impsText("UTF-8", strings.Repeat("Grüße, see you at 18:00. ", 20))
	r := impsTestRoute()
	for b.Loop() {
		if _, err := SendMessageFromMessage(&m, r); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMessageFromNewMessage(b *testing.B) {
	doc, err := os.ReadFile(filepath.Join(impsTestdata, "newmessage_base64_latin1.xml"))
	if err != nil {
		b.Fatal(err)
	}
	msg, err := wv.Decode(doc)
	if err != nil {
		b.Fatal(err)
	}
	nm, _ := impsNewMessageOf(msg.Transactions[0].Primitive)
	for b.Loop() {
		if _, _, _, err := MessageFromNewMessage(&nm); err != nil {
			b.Fatal(err)
		}
	}
}
