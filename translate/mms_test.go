package translate

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"flag"
	"mime"
	"net/textproto"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/iwf-gateway/iwf/adapters/mms/mm7"
	"github.com/iwf-gateway/iwf/cpm"
)

var updateMMSGolden = flag.Bool("update-mms", false, "rewrite translate/testdata/mms/*.golden")

const (
	mm7SamplesDir = "../../shared/specs/mm7/samples"
	mmsTestdata   = "testdata/mms"
	nestedDeliver = "deliver-req_nested-mixed_latin1-qp_base64-png.http"
)

// roomyLimits decode what SubmitFromMessage builds from any input the
// default limits let in: base64 and percent-encoding make it larger.
var roomyLimits = mm7.Limits{MaxSize: 64 << 20, MaxParts: 1 << 10, MaxMIMEDepth: 8, MaxHeaderBytes: 1 << 20}

// readMM7File returns the Content-Type and body of an MM7 sample: an .http
// file is a whole request, a .mime file a multipart/related body whose
// boundary is its first delimiter line.
func readMM7File(t testing.TB, path string) (string, []byte) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Ext(path) == ".mime" {
		for line := range strings.SplitSeq(string(data), "\n") {
			if b, ok := strings.CutPrefix(strings.TrimRight(line, " \r"), "--"); ok {
				return `multipart/related; type="text/xml"; boundary="` + b + `"`, data
			}
		}
		t.Fatalf("%s: no boundary line", path)
	}
	r := textproto.NewReader(bufio.NewReader(bytes.NewReader(data)))
	if _, err := r.ReadLine(); err != nil {
		t.Fatal(err)
	}
	h, err := r.ReadMIMEHeader()
	if err != nil {
		t.Fatal(err)
	}
	// The published Content-Length values do not always match: the body
	// is everything after the first empty line.
	i, skip := bytes.Index(data, []byte("\r\n\r\n")), 4
	if j := bytes.Index(data, []byte("\n\n")); i < 0 || (j >= 0 && j < i) {
		i, skip = j, 2
	}
	return h.Get("Content-Type"), data[i+skip:]
}

func sharedMM7(t *testing.T, name string) (string, []byte) {
	t.Helper()
	path := filepath.Join(mm7SamplesDir, name)
	if _, err := os.Stat(path); err != nil {
		t.Skipf("shared MM7 samples not available at %s: %v", mm7SamplesDir, err)
	}
	return readMM7File(t, path)
}

var mmsTestRoute = MMSRoute{
	Sender:      mm7.Address{Kind: mm7.KindNumber, Value: "+447700900123"},
	Recipient:   mm7.Address{Kind: mm7.KindNumber, Value: "+447700900456"},
	VASPID:      "iwf",
	ServiceCode: "cpm-iw",
	Priority:    "high",
	Validity:    48 * time.Hour,
	Now:         time.Date(2024, 5, 6, 7, 8, 9, 0, time.FixedZone("", 3600)),
}

// fakeJPEG is enough of a JPEG for a media type to be believed.
var fakeJPEG = append(append([]byte{0xff, 0xd8, 0xff, 0xe0, 0, 0x10, 'J', 'F', 'I', 'F', 0}, bytes.Repeat([]byte{0x00, 0x80, 0xff, 0x0d, 0x0a}, 40)...), 0xff, 0xd9)

func pictureCaption() cpm.Message {
	return cpm.Message{
		ID: "msg-1", From: "sip:alice@example.net", To: "tel:+447700900456", Subject: "Holiday",
		Notify: cpm.PositiveDelivery | cpm.NegativeDelivery,
		Parts: []cpm.Part{
			{ContentType: "image/jpeg", Body: fakeJPEG},
			{ContentType: "text/plain;charset=UTF-8", Body: []byte("Sunset at the beach ☀")},
		},
	}
}

// submitRoundTrip encodes what SubmitFromMessage returned, decodes it
// again and returns the request and the content's leaves.
func submitRoundTrip(t testing.TB, req mm7.SubmitReq, atts []mm7.Part) (*mm7.SubmitReq, *mm7.Part, []cpm.Part) {
	t.Helper()
	ct, body, err := mm7.Encode(mm7.Message{TransactionID: "t-1", Operation: &req, Attachments: atts}, mm7.REL6MM714)
	if err != nil {
		t.Fatalf("Encode: %v", err)
	}
	back, err := roomyLimits.Decode(ct, body)
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	got, ok := back.Operation.(*mm7.SubmitReq)
	content := back.Content()
	if !ok || content == nil {
		t.Fatalf("decoded %T, content %v", back.Operation, content)
	}
	return got, content, partsFromMM7(content)
}

func TestSubmitFromMessagePictureCaption(t *testing.T) {
	m := pictureCaption()
	req, atts, err := SubmitFromMessage(&m, mmsTestRoute)
	if err != nil {
		t.Fatal(err)
	}
	if req.Subject != "Holiday" || req.MessageClass != "Personal" || req.Priority != "High" ||
		req.TimeStamp != "2024-05-06T06:08:09Z" || req.ExpiryDate != "2024-05-08T06:08:09Z" ||
		req.DeliveryReport == nil || !*req.DeliveryReport || req.ReadReply == nil || *req.ReadReply ||
		req.ServiceCode != "cpm-iw" || req.SenderIdentification.VASPID != "iwf" ||
		*req.SenderIdentification.SenderAddress != mmsTestRoute.Sender ||
		len(req.Recipients.To) != 1 || req.Recipients.To[0] != mmsTestRoute.Recipient ||
		req.Content == nil || req.Content.Href != "cid:mms-content" {
		t.Errorf("SubmitReq = %+v", req)
	}
	if len(atts) != 1 || atts[0].ContentID != "mms-content" || len(atts[0].Parts) != 3 {
		t.Fatalf("attachments = %+v", atts)
	}
	mt, params, err := mime.ParseMediaType(atts[0].ContentType)
	if err != nil || mt != "multipart/related" || params["type"] != "application/smil" || params["start"] != "<smil>" {
		t.Errorf("container Content-Type %q", atts[0].ContentType)
	}
	smil, img, text := atts[0].Parts[0], atts[0].Parts[1], atts[0].Parts[2]
	if smil.ContentType != "application/smil" || smil.ContentID != "smil" || smil.ContentLocation != "mms.smil" {
		t.Errorf("smil part %+v", smil)
	}
	if img.ContentID != "part1" || img.ContentLocation != "image1.jpg" || img.TransferEncoding != "base64" {
		t.Errorf("image part %+v", img)
	}
	if text.ContentID != "part2" || text.ContentLocation != "text1.txt" || text.TransferEncoding != "8bit" {
		t.Errorf("text part %+v", text)
	}
	slides := parseSMIL(t, smil.Body)
	want := [][]string{{"img cid:part1 Image", "text cid:part2 Text"}}
	if !equalSlides(slides, want) {
		t.Errorf("SMIL slides %q, want %q\n%s", slides, want, smil.Body)
	}
	ct, body, err := mm7.Encode(mm7.Message{TransactionID: "t-1", Operation: &req, Attachments: atts}, mm7.REL6MM714)
	if err != nil {
		t.Fatal(err)
	}
	checkMMSGolden(t, "submit-req_picture-caption.golden", append([]byte("Content-Type: "+ct+"\r\n\r\n"), body...))
}

// parseSMIL checks that a presentation is well-formed XML and returns its
// slides as "element src region" strings.
func parseSMIL(t *testing.T, doc []byte) [][]string {
	t.Helper()
	var smil struct {
		Layout struct {
			Root    struct{ Width string } `xml:"root-layout"`
			Regions []struct {
				ID string `xml:"id,attr"`
			} `xml:"region"`
		} `xml:"head>layout"`
		Pars []struct {
			Media []struct {
				XMLName xml.Name
				Src     string `xml:"src,attr"`
				Region  string `xml:"region,attr"`
			} `xml:",any"`
		} `xml:"body>par"`
	}
	if err := xml.Unmarshal(doc, &smil); err != nil {
		t.Fatalf("SMIL is not XML: %v\n%s", err, doc)
	}
	if len(smil.Layout.Regions) != 2 || smil.Layout.Regions[0].ID != "Image" || smil.Layout.Regions[1].ID != "Text" {
		t.Errorf("layout %+v", smil.Layout)
	}
	var slides [][]string
	for _, p := range smil.Pars {
		var slide []string
		for _, m := range p.Media {
			slide = append(slide, strings.TrimSpace(m.XMLName.Local+" "+m.Src+" "+m.Region))
		}
		slides = append(slides, slide)
	}
	return slides
}

func equalSlides(a, b [][]string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if strings.Join(a[i], "|") != strings.Join(b[i], "|") {
			return false
		}
	}
	return true
}

func checkMMSGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join(mmsTestdata, name)
	if *updateMMSGolden {
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

func TestSubmitFromMessageRoundTrip(t *testing.T) {
	m := cpm.Message{
		Subject: "Mixed", Notify: cpm.Display,
		Parts: []cpm.Part{
			{ContentType: "text/plain; charset=utf-8", Body: []byte("line one\nline two\n")},
			{ContentType: "text/plain;charset=us-ascii", ContentID: "crlf", Body: []byte("a\r\nb\r\n")},
			{ContentType: "text/plain; charset=ISO-8859-1", Filename: "latin.txt", Body: []byte("caf\xe9")},
			{ContentType: "image/jpeg", ContentID: "photo@example.net", Filename: "my photo.jpg", Body: fakeJPEG},
			{ContentType: "audio/amr", Filename: "Grüße 100%.amr", Body: []byte("#!AMR\n\x3c\x48\xf5")},
			{ContentType: "video/3gpp", Body: []byte{0, 0, 0, 0x18, 'f', 't', 'y', 'p'}},
			{ContentType: "text/x-vcard; charset=utf-8", Body: []byte("BEGIN:VCARD\r\nEND:VCARD\r\n")},
			{ContentType: "application/octet-stream", Body: []byte{}},
			{ContentType: "text/plain;charset=utf-8", Body: []byte(strings.Repeat("x", 1200))},
		},
	}
	req, atts, err := SubmitFromMessage(&m, mmsTestRoute)
	if err != nil {
		t.Fatal(err)
	}
	wantCTE := []string{"7bit", "quoted-printable", "7bit", "8bit", "base64", "base64", "base64", "7bit", "base64", "quoted-printable"}
	for i, p := range atts[0].Parts {
		if p.TransferEncoding != wantCTE[i] {
			t.Errorf("part %d (%s) travels %s, want %s", i, p.ContentType, p.TransferEncoding, wantCTE[i])
		}
	}
	got, _, leaves := submitRoundTrip(t, req, atts)
	if got.ReadReply == nil || !*got.ReadReply || got.DeliveryReport == nil || *got.DeliveryReport || got.Subject != "Mixed" {
		t.Errorf("flags after round trip: %+v", got)
	}
	if len(leaves) != len(m.Parts)+1 || !strings.HasPrefix(leaves[0].ContentType, "application/smil") {
		t.Fatalf("%d leaves, first %q", len(leaves), leaves[0].ContentType)
	}
	wantIDs := []string{"part1", "crlf", "part2", "photo@example.net", "part3", "part4", "part5", "part6", "part7"}
	for i, want := range m.Parts {
		g := leaves[i+1]
		if !bytes.Equal(g.Body, want.Body) && !(want.Filename == "latin.txt" && string(g.Body) == "café") {
			t.Errorf("part %d body %q, want %q", i, g.Body, want.Body)
		}
		wantType := want.ContentType
		if want.Filename == "latin.txt" {
			wantType = "text/plain; charset=utf-8" // converted on the way back in
		}
		if g.ContentType != wantType || g.ContentID != wantIDs[i] {
			t.Errorf("part %d = %q <%s>, want %q <%s>", i, g.ContentType, g.ContentID, wantType, wantIDs[i])
		}
		if want.Filename != "" && g.Filename != want.Filename {
			t.Errorf("part %d filename %q, want %q", i, g.Filename, want.Filename)
		}
	}
	if leaves[4].Filename != "my photo.jpg" || atts[0].Parts[4].ContentLocation != "my%20photo.jpg" ||
		atts[0].Parts[5].ContentLocation != "Gr%C3%BC%C3%9Fe%20100%25.amr" || leaves[6].Filename != "video1.3gp" ||
		leaves[7].Filename != "text1.vcf" || leaves[8].Filename != "part1.bin" {
		t.Errorf("locations: %q %q %q %q %q", atts[0].Parts[4].ContentLocation, atts[0].Parts[5].ContentLocation,
			leaves[6].Filename, leaves[7].Filename, leaves[8].Filename)
	}
	slides := parseSMIL(t, leaves[0].Body)
	want := [][]string{
		{"text cid:part1 Text"}, {"text cid:crlf Text"},
		{"text cid:part2 Text", "img cid:photo@example.net Image", "audio cid:part3"},
		{"video cid:part4 Image"}, {"ref cid:part5"}, {"ref cid:part6"}, {"text cid:part7 Text"},
	}
	if !equalSlides(slides, want) {
		t.Errorf("slides %q\nwant %q", slides, want)
	}
}

func TestSubmitFromMessageOwnSMIL(t *testing.T) {
	own := []byte(`<smil><body><par dur="3s"><img src="cid:pic"/></par></body></smil>`)
	m := cpm.Message{Parts: []cpm.Part{
		{ContentType: "image/gif", ContentID: "pic", Body: []byte("GIF89a")},
		{ContentType: "application/smil", ContentID: "pres", Body: own},
	}}
	_, atts, err := SubmitFromMessage(&m, mmsTestRoute)
	if err != nil {
		t.Fatal(err)
	}
	c := atts[0]
	_, params, _ := mime.ParseMediaType(c.ContentType)
	if params["start"] != "<pres>" || len(c.Parts) != 2 || !bytes.Equal(c.Parts[1].Body, own) ||
		c.Parts[1].ContentID != "pres" || c.Parts[1].TransferEncoding != "7bit" || c.Parts[0].ContentID != "pic" {
		t.Errorf("container %q with %+v", c.ContentType, c.Parts)
	}
}

func TestSubmitFromMessageNames(t *testing.T) {
	m := cpm.Message{Parts: []cpm.Part{
		{ContentType: "text/plain", ContentID: "smil", Filename: "text1.txt", Body: []byte("a")},
		{ContentType: "text/plain", ContentID: "smil", Body: []byte("b")},              // duplicate id
		{ContentType: "text/plain", ContentID: "mm7-soap-envelope", Body: []byte("c")}, // the envelope's
		{ContentType: "text/plain", ContentID: "has space", Filename: "mms.smil", Body: []byte("d")},
		{ContentType: "text/plain", ContentID: "mms-content", Body: []byte("e")},
		{ContentType: "text/plain", ContentID: "part1", Body: []byte("f")},
	}}
	_, atts, err := SubmitFromMessage(&m, mmsTestRoute)
	if err != nil {
		t.Fatal(err)
	}
	c := atts[0]
	var ids, locs []string
	for _, p := range c.Parts {
		ids, locs = append(ids, p.ContentID), append(locs, p.ContentLocation)
	}
	wantIDs := "smil1 smil part2 part3 part4 mms-content part1"
	wantLocs := "mms1.smil text1.txt text2.txt text3.txt mms.smil text4.txt text5.txt"
	if strings.Join(ids, " ") != wantIDs || strings.Join(locs, " ") != wantLocs || c.ContentID != "mms-content1" {
		t.Errorf("ids %q (container %q)\nlocations %q", ids, c.ContentID, locs)
	}
	if c.Parts[1].ContentType != "text/plain; charset=utf-8" {
		t.Errorf("charset not added: %q", c.Parts[1].ContentType)
	}
	_, _, leaves := submitRoundTrip(t, mm7.SubmitReq{Content: &mm7.ContentRef{Href: "cid:" + c.ContentID}}, atts)
	if len(leaves) != 7 || string(leaves[6].Body) != "f" {
		t.Errorf("round trip %+v", leaves)
	}
}

func TestSubmitFromMessageExpiry(t *testing.T) {
	own := time.Date(2024, 6, 1, 0, 0, 0, 0, time.FixedZone("", -5*3600))
	tests := []struct {
		name     string
		expiry   time.Time
		route    func(*MMSRoute)
		want     string
		wantTime string
	}{
		{"message expiry wins", own, func(*MMSRoute) {}, "2024-06-01T05:00:00Z", "2024-05-06T06:08:09Z"},
		{"validity", time.Time{}, func(*MMSRoute) {}, "2024-05-08T06:08:09Z", "2024-05-06T06:08:09Z"},
		{"no validity", time.Time{}, func(r *MMSRoute) { r.Validity = 0 }, "", "2024-05-06T06:08:09Z"},
		{"no clock", time.Time{}, func(r *MMSRoute) { r.Now = time.Time{} }, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := pictureCaption()
			m.Expiry = tc.expiry
			r := mmsTestRoute
			tc.route(&r)
			req, _, err := SubmitFromMessage(&m, r)
			if err != nil || req.ExpiryDate != tc.want || req.TimeStamp != tc.wantTime {
				t.Errorf("ExpiryDate %q TimeStamp %q err %v, want %q %q", req.ExpiryDate, req.TimeStamp, err, tc.want, tc.wantTime)
			}
		})
	}
}

func TestSubmitFromMessageRefuses(t *testing.T) {
	text := cpm.Part{ContentType: "text/plain", Body: []byte("hello")}
	tests := []struct {
		name  string
		parts []cpm.Part
		route func(*MMSRoute)
		want  error
	}{
		{"no parts", nil, nil, ErrMMSEmpty},
		{"over MaxBytes", []cpm.Part{text, text}, func(r *MMSRoute) { r.MaxBytes = 9 }, ErrTooLarge},
		{"imdn", []cpm.Part{{ContentType: "message/imdn+xml", Body: []byte("<imdn/>")}}, nil, ErrUnsupportedType},
		{"multipart", []cpm.Part{text, {ContentType: "multipart/mixed; boundary=x", Body: []byte("--x--")}}, nil, ErrUnsupportedType},
		{"bad type", []cpm.Part{{ContentType: "image/", Body: []byte{1}}}, nil, ErrMalformed},
		{"no recipient", []cpm.Part{text}, func(r *MMSRoute) { r.Recipient = mm7.Address{} }, ErrMMSAddress},
		{"priority", []cpm.Part{text}, func(r *MMSRoute) { r.Priority = "Urgent" }, ErrMMSRoute},
		{"class", []cpm.Part{text}, func(r *MMSRoute) { r.MessageClass = "Spam" }, ErrMMSRoute},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := mmsTestRoute
			if tc.route != nil {
				tc.route(&r)
			}
			m := cpm.Message{Parts: tc.parts}
			if _, _, err := SubmitFromMessage(&m, r); !errors.Is(err, tc.want) {
				t.Errorf("err = %v, want %v", err, tc.want)
			}
		})
	}
	if _, _, err := SubmitFromMessage(nil, mmsTestRoute); !errors.Is(err, ErrMMSEmpty) {
		t.Errorf("nil message: %v", err)
	}
	m := pictureCaption()
	r := mmsTestRoute
	r.MaxBytes = m.Size()
	r.MessageClass, r.Priority = "informational", ""
	req, _, err := SubmitFromMessage(&m, r)
	if err != nil || req.MessageClass != "Informational" || req.Priority != "" {
		t.Errorf("at MaxBytes: %v %q %q", err, req.MessageClass, req.Priority)
	}
}

// dotPNG is the image of the nested DeliverReq in testdata.
const dotPNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC"

func TestMessageFromDeliverNested(t *testing.T) {
	ct, body := readMM7File(t, filepath.Join(mmsTestdata, nestedDeliver))
	msg, err := mm7.Decode(ct, body)
	if err != nil {
		t.Fatal(err)
	}
	m, err := MessageFromDeliver(&msg)
	if err != nil {
		t.Fatal(err)
	}
	if m.Subject != "Grüße aus Köln" || !m.DateTime.Equal(time.Date(2024, 5, 1, 10, 30, 0, 0, time.UTC)) ||
		m.ID != "" || m.From != "" || m.To != "" || m.Notify != 0 {
		t.Errorf("message %+v", m)
	}
	png, _ := base64.StdEncoding.DecodeString(dotPNG)
	want := []cpm.Part{
		{ContentType: "application/smil; name=pres.smil", ContentID: "pres", Filename: "pres.smil"},
		{ContentType: "text/plain; charset=utf-8", Filename: "greeting.txt", Body: []byte("Grüße aus Köln, ça va? 20 °C\r\nBis bald!")},
		{ContentType: "image/png", ContentID: "dot", Filename: "Pünktchen.png", Body: png},
		{ContentType: "audio/amr", Filename: "hello world.amr"},
	}
	if len(m.Parts) != len(want) {
		t.Fatalf("%d parts: %+v", len(m.Parts), m.Parts)
	}
	for i, w := range want {
		g := m.Parts[i]
		if g.ContentType != w.ContentType || g.ContentID != w.ContentID || g.Filename != w.Filename ||
			(w.Body != nil && !bytes.Equal(g.Body, w.Body)) {
			t.Errorf("part %d = %q <%s> %q %q\nwant %q <%s> %q %q", i, g.ContentType, g.ContentID, g.Filename, g.Body,
				w.ContentType, w.ContentID, w.Filename, w.Body)
		}
	}
	if !bytes.HasPrefix(m.Parts[0].Body, []byte("<smil>")) || !bytes.HasPrefix(m.Parts[3].Body, []byte("#!AMR\n")) ||
		len(m.Parts[3].Body) != 38 {
		t.Errorf("smil %q, amr %q", m.Parts[0].Body, m.Parts[3].Body)
	}
	req := msg.Operation.(*mm7.DeliverReq)
	if from, err := MM7AddressText(*req.Sender); from != "+447700900123" || err != nil {
		t.Errorf("sender %q %v", from, err)
	}
	if to, err := MM7AddressText(req.Recipients.To[0]); to != "40404" || err != nil {
		t.Errorf("recipient %q %v", to, err)
	}
	checkForwardBodies(t, &m)
}

// checkForwardBodies sends m on as an MMS, as a message from an MMS user
// to another MMS user goes, and checks that every body arrives: the
// message's own SMIL is the start, so no part is added.
func checkForwardBodies(t testing.TB, m *cpm.Message) {
	t.Helper()
	req, atts, err := SubmitFromMessage(m, mmsTestRoute)
	if err != nil {
		t.Fatalf("SubmitFromMessage: %v", err)
	}
	_, _, leaves := submitRoundTrip(t, req, atts)
	if !hasSMIL(m.Parts) {
		if len(leaves) == 0 || !strings.HasPrefix(leaves[0].ContentType, "application/smil") {
			t.Fatalf("no generated SMIL first: %+v", leaves)
		}
		leaves = leaves[1:]
	}
	if len(leaves) != len(m.Parts) {
		t.Fatalf("%d parts came back, want %d", len(leaves), len(m.Parts))
	}
	for i := range leaves {
		if !bytes.Equal(leaves[i].Body, m.Parts[i].Body) {
			t.Fatalf("part %d body %q, want %q", i, leaves[i].Body, m.Parts[i].Body)
		}
	}
}

func hasSMIL(parts []cpm.Part) bool {
	for _, p := range parts {
		if mt, _, err := mime.ParseMediaType(p.ContentType); err == nil && mt == "application/smil" {
			return true
		}
	}
	return false
}

func TestMessageFromDeliverSharedSamples(t *testing.T) {
	lenient := mm7.Limits{LenientContentRef: true}
	t.Run("http post, dangling cid", func(t *testing.T) {
		ct, body := sharedMM7(t, "deliver-req_rel6-1-4_http-post_spec-example.http")
		msg, err := lenient.Decode(ct, body)
		if err != nil {
			t.Fatal(err)
		}
		m, err := MessageFromDeliver(&msg)
		want := cpm.Part{ContentType: `text/plain;charset="utf-8"`, ContentID: "forecast-location2000102-86453", Body: []byte("Los Angeles, Calif, USA ")}
		if err != nil || m.Subject != "Weather Forecast" || len(m.Parts) != 1 || !equalPart(m.Parts[0], want) ||
			!m.DateTime.Equal(time.Date(2002, 4, 15, 19, 35, 21, 0, time.UTC)) {
			t.Errorf("message %+v, %v", m, err)
		}
		if _, err := MM7AddressText(*msg.Operation.(*mm7.DeliverReq).Sender); !errors.Is(err, ErrMMSAddress) {
			t.Errorf("e-mail sender: %v", err)
		}
		checkForwardBodies(t, &m)
	})
	t.Run("multipart/mixed with base64 gif", func(t *testing.T) {
		ct, body := sharedMM7(t, "deliver-req_rel6-1-4_multipart-mixed-base64-gif_spec-example.mime")
		msg, err := lenient.Decode(ct, body)
		if err != nil {
			t.Fatal(err)
		}
		m, err := MessageFromDeliver(&msg)
		if err != nil || len(m.Parts) != 2 {
			t.Fatalf("message %+v, %v", m, err)
		}
		text, gif := m.Parts[0], m.Parts[1]
		if text.ContentType != `text/plain; charset="us-ascii"` || string(text.Body) != "Science news, new Saturn pictures...\n" {
			t.Errorf("text %+v", text)
		}
		if gif.ContentType != "image/gif;" || gif.ContentID != "saturn.gif" || !bytes.HasPrefix(gif.Body, []byte("GIF87a")) {
			t.Errorf("gif %q <%s> %q", gif.ContentType, gif.ContentID, gif.Body)
		}
		checkForwardBodies(t, &m)
	})
	t.Run("nokia smil", func(t *testing.T) {
		ct, body := sharedMM7(t, "deliver-req_rel6-1-4_nokia-mmsc_smil-base64.mime")
		msg, err := mm7.Decode(ct, body)
		if err != nil {
			t.Fatal(err)
		}
		m, err := MessageFromDeliver(&msg)
		if err != nil || len(m.Parts) != 2 || m.Subject != "Bomb" || !m.DateTime.Equal(time.Date(2010, 4, 2, 10, 52, 26, 0, time.UTC)) {
			t.Fatalf("message %+v, %v", m, err)
		}
		smil, gif := m.Parts[0], m.Parts[1]
		if smil.ContentType != "application/smil; Name=main.smil; Charset=UTF-8" || smil.ContentID != "AAAA" ||
			smil.Filename != "main.smil" || !bytes.HasPrefix(smil.Body, []byte("<smil>")) {
			t.Errorf("smil %q <%s> %q", smil.ContentType, smil.ContentID, smil.Filename)
		}
		if gif.ContentType != "image/gif; Name=Bomb.gif" || gif.Filename != "Bomb.gif" || !bytes.HasPrefix(gif.Body, []byte("GIF89a")) {
			t.Errorf("gif %q %q", gif.ContentType, gif.Filename)
		}
		req := msg.Operation.(*mm7.DeliverReq)
		from, err1 := MM7AddressText(*req.Sender)
		to, err2 := MM7AddressText(req.Recipients.To[0])
		if from != "+3859100010010" || to != "88888" || err1 != nil || err2 != nil {
			t.Errorf("addresses %q %v, %q %v", from, err1, to, err2)
		}
		checkForwardBodies(t, &m)
	})
}

func equalPart(a, b cpm.Part) bool {
	return a.ContentType == b.ContentType && a.ContentID == b.ContentID && a.Filename == b.Filename && bytes.Equal(a.Body, b.Body)
}

func TestMessageFromDeliverEdges(t *testing.T) {
	deliver := func(content ...mm7.Part) *mm7.Message {
		c := mm7.Part{ContentType: "multipart/mixed", ContentID: "c", Parts: content}
		if len(content) == 1 {
			c = content[0]
			c.ContentID = "c"
		}
		return &mm7.Message{Operation: &mm7.DeliverReq{Content: &mm7.ContentRef{Href: "cid:c"}}, Attachments: []mm7.Part{c}}
	}
	t.Run("single leaf", func(t *testing.T) {
		m, err := MessageFromDeliver(deliver(mm7.Part{ContentType: "text/plain; charset=windows-1252", Body: []byte("\x80 5")}))
		if err != nil || len(m.Parts) != 1 || !equalPart(m.Parts[0], cpm.Part{ContentType: "text/plain; charset=utf-8", ContentID: "c", Body: []byte("€ 5")}) {
			t.Errorf("%+v %v", m.Parts, err)
		}
	})
	t.Run("unknown charset kept", func(t *testing.T) {
		p := mm7.Part{ContentType: "text/plain; charset=x-unknown", Body: []byte{0xfe, 0xff}}
		m, err := MessageFromDeliver(deliver(p, p))
		if err != nil || len(m.Parts) != 2 || !equalPart(m.Parts[0], cpm.Part{ContentType: p.ContentType, Body: p.Body}) {
			t.Errorf("%+v %v", m.Parts, err)
		}
	})
	t.Run("no content type", func(t *testing.T) {
		m, err := MessageFromDeliver(deliver(mm7.Part{Body: []byte("hi")}, mm7.Part{ContentType: "image/gif; name=\"=?utf-8?q?caf=C3=A9.gif?=\"", Body: []byte("G")}))
		if err != nil || m.Parts[0].ContentType != "text/plain;charset=us-ascii" || m.Parts[1].Filename != "café.gif" {
			t.Errorf("%+v %v", m.Parts, err)
		}
	})
	t.Run("unreadable timestamp", func(t *testing.T) {
		msg := deliver(mm7.Part{ContentType: "text/plain", Body: []byte("x")})
		msg.Operation.(*mm7.DeliverReq).TimeStamp = "2024-05-01T12:30:00" // no zone
		if m, err := MessageFromDeliver(msg); err != nil || !m.DateTime.IsZero() {
			t.Errorf("%v %v", m.DateTime, err)
		}
	})
	refusals := []struct {
		name string
		msg  *mm7.Message
		want error
	}{
		{"nil", nil, ErrMMSEmpty},
		{"no operation", &mm7.Message{}, ErrMMSEmpty},
		{"no content", &mm7.Message{Operation: &mm7.DeliverReq{}}, ErrMMSEmpty},
		{"submit", &mm7.Message{Operation: &mm7.SubmitReq{}}, ErrMalformed},
	}
	for _, tc := range refusals {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := MessageFromDeliver(tc.msg); !errors.Is(err, tc.want) {
				t.Errorf("err = %v, want %v", err, tc.want)
			}
		})
	}
}

// FuzzMessageFromDeliver decodes arbitrary MM7 bodies, maps every
// DeliverReq to a CPM message and sends that on as a SubmitReq: every
// part body must come back unchanged through mm7.Encode and mm7.Decode.
func FuzzMessageFromDeliver(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join(mmsTestdata, "*.http"))
	shared, _ := filepath.Glob(filepath.Join(mm7SamplesDir, "deliver-req_*"))
	for _, path := range append(files, shared...) {
		ct, body := readMM7File(f, path)
		f.Add(ct, body)
	}
	lenient := mm7.Limits{LenientContentRef: true}
	f.Fuzz(func(t *testing.T, contentType string, body []byte) {
		msg, err := lenient.Decode(contentType, body)
		if err != nil {
			return
		}
		m, err := MessageFromDeliver(&msg)
		if err != nil {
			if !errors.Is(err, ErrMMSEmpty) && !errors.Is(err, ErrMalformed) {
				t.Fatalf("MessageFromDeliver: unexpected error %v", err)
			}
			return
		}
		if _, _, err := SubmitFromMessage(&m, mmsTestRoute); errors.Is(err, ErrUnsupportedType) || errors.Is(err, ErrMalformed) {
			return // a part MMS cannot carry, or a type that cannot be written again
		}
		checkForwardBodies(t, &m)
	})
}

func BenchmarkSubmitFromMessage(b *testing.B) {
	m := pictureCaption()
	m.Parts[0].Body = bytes.Repeat(fakeJPEG, 200) // about 50 kB
	b.SetBytes(int64(m.Size()))
	for b.Loop() {
		req, atts, err := SubmitFromMessage(&m, mmsTestRoute)
		if err != nil {
			b.Fatal(err)
		}
		if _, _, err := mm7.Encode(mm7.Message{TransactionID: "t", Operation: &req, Attachments: atts}, mm7.REL6MM714); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMessageFromDeliver(b *testing.B) {
	ct, body := readMM7File(b, filepath.Join(mmsTestdata, nestedDeliver))
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		msg, err := mm7.Decode(ct, body)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := MessageFromDeliver(&msg); err != nil {
			b.Fatal(err)
		}
	}
}
