package mm7

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"errors"
	"net/textproto"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const sharedSamples = "../../../../shared/specs/mm7/samples"

// readSample returns the Content-Type and body of a sample: an .http file
// is a whole request whose headers are parsed here; a .mime file is a
// multipart body whose boundary is taken from its first delimiter line; an
// .xml file is a bare SOAP envelope.
func readSample(t testing.TB, path string) (string, []byte) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	switch filepath.Ext(path) {
	case ".http":
		r := textproto.NewReader(bufio.NewReader(bytes.NewReader(data)))
		if _, err := r.ReadLine(); err != nil {
			t.Fatal(err)
		}
		h, err := r.ReadMIMEHeader()
		if err != nil {
			t.Fatal(err)
		}
		i := bytes.Index(data, []byte("\r\n\r\n"))
		skip := 4
		if j := bytes.Index(data, []byte("\n\n")); i < 0 || (j >= 0 && j < i) {
			i, skip = j, 2
		}
		return h.Get("Content-Type"), data[i+skip:]
	case ".mime":
		for _, line := range strings.Split(string(data), "\n") {
			if b, ok := strings.CutPrefix(strings.TrimRight(line, " \r"), "--"); ok {
				return `multipart/related; type="text/xml"; boundary="` + b + `"`, data
			}
		}
		t.Fatalf("%s: no boundary line", path)
	}
	return "text/xml; charset=utf-8", data
}

func sharedSample(t *testing.T, name string) (string, []byte) {
	t.Helper()
	path := filepath.Join(sharedSamples, name)
	if _, err := os.Stat(path); err != nil {
		t.Skipf("shared MM7 samples not available at %s: %v", sharedSamples, err)
	}
	return readSample(t, path)
}

const rel614 = Version(NamespacePrefix + "REL-6-MM7-1-4")

var lenient = Limits{LenientContentRef: true}

// checkDangling asserts that strict decoding refuses the sample with 4004
// and returns the lenient decoding.
func checkDangling(t *testing.T, ct string, body []byte) Message {
	t.Helper()
	_, err := Decode(ct, body)
	var de *DecodeError
	if !errors.As(err, &de) || de.Status != StatusValidationError || !errors.Is(err, ErrDanglingCID) ||
		!errors.Is(err, StatusValidationError) {
		t.Fatalf("strict Decode = %v, want 4004 dangling cid", err)
	}
	msg, err := lenient.Decode(ct, body)
	if err != nil {
		t.Fatalf("lenient Decode: %v", err)
	}
	return msg
}

func TestSampleHTTPPost(t *testing.T) {
	ct, body := sharedSample(t, "deliver-req_rel6-1-4_http-post_spec-example.http")
	// The href names forecast-location200102-86453, the part is …2000102….
	msg := checkDangling(t, ct, body)
	if msg.TransactionID != "vas00324-dlvr" || msg.Version != rel614 {
		t.Errorf("header = %q %q", msg.TransactionID, msg.Version)
	}
	checkWeatherDeliverReq(t, msg.Operation, "cid:forecast-location200102-86453")
	want := []Part{{ContentType: `text/plain;charset="utf-8"`, ContentID: "forecast-location2000102-86453",
		Body: []byte("Los Angeles, Calif, USA ")}}
	if !deepEqual(msg.Attachments, want) || msg.Content() != &msg.Attachments[0] {
		t.Errorf("attachments = %+v", msg.Attachments)
	}
	if txt, err := msg.Content().Text(); err != nil || txt != "Los Angeles, Calif, USA " {
		t.Errorf("Text = %q, %v", txt, err)
	}
}

func checkWeatherDeliverReq(t *testing.T, op Operation, href string) {
	t.Helper()
	r, ok := op.(*DeliverReq)
	if !ok {
		t.Fatalf("operation = %T", op)
	}
	want := DeliverReq{MM7Version: "6.7.0", VASPID: "TNN", VASID: "Reminder", MMSRelayServerID: "240.110.75.34",
		LinkedID: "wthr8391", Sender: &Address{Kind: KindRFC2822, Value: "97254265781@OMMS.com"},
		TimeStamp: "2002-04-15T14:35:21-05:00", Priority: "Normal", Subject: "Weather Forecast",
		Content: &ContentRef{Href: href}}
	if !deepEqual(*r, want) {
		t.Errorf("DeliverReq = %+v\nwant %+v", *r, want)
	}
}

func TestSampleMultipartMixedGIF(t *testing.T) {
	ct, body := sharedSample(t, "deliver-req_rel6-1-4_multipart-mixed-base64-gif_spec-example.mime")
	// The href names forecast-location2000102-86453, the part is SaturnPics-….
	msg := checkDangling(t, ct, body)
	if msg.TransactionID != "vas00324-dlvr" || msg.Version != rel614 {
		t.Errorf("header = %q %q", msg.TransactionID, msg.Version)
	}
	checkWeatherDeliverReq(t, msg.Operation, "cid:forecast-location2000102-86453")
	gif, _ := base64.StdEncoding.DecodeString("R0lGODdhZAAwAOMAAAAAAIGJjGltcDE0OOfWo6Ochbi1n1pmcbGojpKbnP/lpW54fBMTE1RYXEFO")
	want := []Part{{ContentType: `multipart/mixed`, ContentID: "SaturnPics-01020930@news.tnn.com",
		Parts: []Part{
			{ContentType: `text/plain; charset="us-ascii"`, Body: []byte("Science news, new Saturn pictures...\n")},
			{ContentType: `image/gif;`, ContentID: "saturn.gif", TransferEncoding: "base64", Body: gif},
		}}}
	if !deepEqual(msg.Attachments, want) {
		t.Errorf("attachments = %+v\nwant %+v", msg.Attachments, want)
	}
}

func TestSampleNokiaSMIL(t *testing.T) {
	ct, body := sharedSample(t, "deliver-req_rel6-1-4_nokia-mmsc_smil-base64.mime")
	msg, err := Decode(ct, body)
	if err != nil {
		t.Fatal(err)
	}
	if msg.TransactionID == "" || msg.Version != rel614 {
		t.Errorf("header = %q %q", msg.TransactionID, msg.Version)
	}
	want := &DeliverReq{MM7Version: "6.8.0", MMSRelayServerID: "Nokia MMS Center MC5.0",
		LinkedID: "0402105226100000000000000", Sender: &Address{Kind: KindNumber, Value: "+3859100010010/TYPE=PLMN"},
		Recipients: &Recipients{To: AddressList{{Kind: KindNumber, Value: "88888/TYPE=PLMN"}}},
		TimeStamp:  "2010-04-02T10:52:26Z", Priority: "Normal", Subject: "Bomb",
		Content: &ContentRef{Href: "cid:57626X20-1VO9-A93941F7"}}
	if !deepEqual(msg.Operation, want) {
		t.Errorf("DeliverReq = %+v\nwant %+v", msg.Operation, want)
	}
	c := msg.Content()
	if c == nil || c.ContentType != `multipart/related; start="<AAAA>"; type="application/smil"` || len(c.Parts) != 2 {
		t.Fatalf("content = %+v", c)
	}
	smil, gif := c.Parts[0], c.Parts[1]
	if smil.ContentType != "application/smil; Name=main.smil; Charset=UTF-8" || smil.ContentID != "AAAA" ||
		smil.TransferEncoding != "base64" || !bytes.HasPrefix(smil.Body, []byte("<smil><head><layout>")) ||
		!bytes.HasSuffix(smil.Body, []byte("</smil>\r\n")) {
		t.Errorf("smil = %+v / %q", smil, smil.Body)
	}
	if gif.ContentType != "image/gif; Name=Bomb.gif" || gif.ContentLocation != "Bomb.gif" ||
		!bytes.HasPrefix(gif.Body, []byte("GIF89a")) || gif.Body[len(gif.Body)-1] != 0x3b {
		t.Errorf("gif = %+v", gif.ContentType)
	}
}

func TestSampleSOAPFault4002(t *testing.T) {
	ct, body := sharedSample(t, "rs-error-rsp_rel6-1-4_soap-fault-4002.xml")
	msg, err := Decode(ct, body)
	if err != nil {
		t.Fatal(err)
	}
	want := &RSErrorRsp{MM7Version: "6.8.0", Status: Status{Code: 4002, Text: "Unsupported version"},
		Fault: Fault{Code: "Client", String: "Client error"}}
	if msg.TransactionID != "123456" || msg.Version != rel614 || !deepEqual(msg.Operation, want) {
		t.Errorf("msg = %+v / %+v", msg, msg.Operation)
	}
	st := msg.Operation.(*RSErrorRsp).Status
	if !errors.Is(st.Err(), StatusUnsupportedVersion) || st.Code.Temporary() {
		t.Errorf("status err = %v temporary %v", st.Err(), st.Code.Temporary())
	}
}

// TestSamplesRoundTrip re-encodes every shared sample and decodes it again.
func TestSamplesRoundTrip(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(sharedSamples, "*"))
	if len(files) == 0 {
		t.Skipf("shared MM7 samples not available at %s", sharedSamples)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			ct, body := readSample(t, f)
			checkRoundTrip(t, lenient, ct, body)
		})
	}
}
