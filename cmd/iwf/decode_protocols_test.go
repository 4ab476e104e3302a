package main

import (
	"bytes"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http/httputil"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/iwf-gateway/iwf/adapters/imps/wv"
	"github.com/iwf-gateway/iwf/adapters/mms/mm7"
)

var updateGoldens = flag.Bool("update", false, "rewrite testdata/decode/*.golden from the decoders' output")

// runDecode runs `iwf decode args...` in process with stdin and returns
// what it printed and its error.
func runDecode(t *testing.T, stdin []byte, args ...string) (string, error) {
	t.Helper()
	cmd := newRootCmd()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetIn(bytes.NewReader(stdin))
	cmd.SetArgs(append([]string{"decode"}, args...))
	err := cmd.Execute()
	return out.String(), err
}

// goldenOutput is what a golden file holds: the output, then the error
// line of a refusal.
func goldenOutput(out string, err error) string {
	if err != nil {
		out += "error: " + err.Error() + "\n"
	}
	return out
}

func checkGolden(t *testing.T, golden, got string) {
	t.Helper()
	path := filepath.Join("testdata", "decode", golden)
	if *updateGoldens {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run TestDecodeGoldens -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s:\n--- got\n%s--- want\n%s", path, got, want)
	}
}

// TestDecodeGoldens runs each decoder over its codec's sample files and
// compares the output with testdata/decode/<protocol>_<sample>.golden.
func TestDecodeGoldens(t *testing.T) {
	sets := []struct {
		protocol, glob string
		args           []string
	}{
		{"mm7", "../../adapters/mms/mm7/testdata/*.http", nil},
		{"imps", "../../adapters/imps/wv/testdata/golden/*.xml", nil},
		{"msrp", "../../adapters/sip/msrp/testdata/*.msrp", nil},
	}
	for _, set := range sets {
		files, err := filepath.Glob(set.glob)
		if err != nil || len(files) == 0 {
			t.Fatalf("%s: no samples at %s (%v)", set.protocol, set.glob, err)
		}
		for _, file := range files {
			base := filepath.Base(file)
			t.Run(set.protocol+"/"+base, func(t *testing.T) {
				out, err := runDecode(t, nil, append([]string{set.protocol, file}, set.args...)...)
				if err != nil {
					t.Errorf("refused: %v", err)
				}
				checkGolden(t, set.protocol+"_"+strings.TrimSuffix(base, filepath.Ext(base))+".golden", goldenOutput(out, err))
			})
		}
	}
}

// TestDecodeMM7SharedSamples runs decode mm7 over the spec examples in
// ../shared, which come as an HTTP request, a MIME body starting with its
// boundary and a bare SOAP fault; their Content hrefs name no part, so
// they need --lenient-content-ref.
func TestDecodeMM7SharedSamples(t *testing.T) {
	const dir = "../../../shared/specs/mm7/samples"
	files, _ := filepath.Glob(filepath.Join(dir, "*"))
	if len(files) == 0 {
		t.Skipf("shared MM7 samples not available at %s", dir)
	}
	for _, file := range files {
		base := filepath.Base(file)
		t.Run(base, func(t *testing.T) {
			out, err := runDecode(t, nil, "mm7", "--lenient-content-ref", file)
			if err != nil {
				t.Errorf("refused: %v", err)
			}
			checkGolden(t, "mm7_shared_"+strings.TrimSuffix(base, filepath.Ext(base))+".golden", goldenOutput(out, err))
		})
	}
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestDecodeMM7InputForms gives the same message as an HTTP request, an
// HTTP response, a chunked request, a MIME body with its own header block
// and a body that starts with its boundary; each prints the same.
func TestDecodeMM7InputForms(t *testing.T) {
	req := readFile(t, "../../adapters/mms/mm7/testdata/submit-req_rel5-1-3_mixed-qp-latin1.http")
	head, body, ok := bytes.Cut(req, []byte("\r\n\r\n"))
	if !ok {
		t.Fatal("sample has no header block")
	}
	headers := head[bytes.Index(head, []byte("\r\n"))+2:]
	ct := string(bytes.TrimSpace(bytes.SplitN(headers[bytes.Index(headers, []byte("Content-Type:"))+13:], []byte("\r\n"), 2)[0]))
	var chunked bytes.Buffer
	cw := httputil.NewChunkedWriter(&chunked)
	cw.Write(body[:100])
	cw.Write(body[100:])
	cw.Close()
	chunked.WriteString("\r\n")

	want, err := runDecode(t, req, "mm7", "-")
	if err != nil {
		t.Fatal(err)
	}
	forms := map[string][]byte{
		"response":       append([]byte("HTTP/1.1 200 OK\r\nContent-Type: "+ct+"\r\n\r\n"), body...),
		"chunked":        append([]byte("POST /mm7 HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Type: "+ct+"\r\n\r\n"), chunked.Bytes()...),
		"mime headers":   append([]byte("MIME-Version: 1.0\nContent-Type: "+ct+"\n\n"), body...),
		"boundary first": body,
	}
	for name, in := range forms {
		if got, err := runDecode(t, in, "mm7", "-"); err != nil || got != want {
			t.Errorf("%s: %v\n%s\nwant\n%s", name, err, got, want)
		}
	}
	// A bare envelope is text/xml.
	cancel := readFile(t, "../../adapters/mms/mm7/testdata/cancel-req_rel6-1-4.http")
	_, envelope, _ := bytes.Cut(cancel, []byte("\r\n\r\n"))
	if got, err := runDecode(t, envelope, "mm7", "-"); err != nil || !strings.Contains(got, "operation:         CancelReq") {
		t.Errorf("bare envelope: %v\n%s", err, got)
	}
	if _, err := runDecode(t, []byte("POST /mm7 HTTP/1.1\r\nHost: x\r\n\r\n<x/>"), "mm7", "-"); err == nil ||
		!strings.Contains(err.Error(), "no Content-Type") {
		t.Errorf("request without Content-Type: %v", err)
	}
}

// mm7WithText encodes a DeliverReq whose Content href is href and whose
// single attachment is a text part with id "t".
func mm7WithText(t *testing.T, href, text string) []byte {
	t.Helper()
	msg := mm7.Message{TransactionID: "tx-1", Operation: &mm7.DeliverReq{
		Sender:  &mm7.Address{Kind: mm7.KindNumber, Value: "+447700900123"},
		Content: &mm7.ContentRef{Href: href},
	}, Attachments: []mm7.Part{{ContentType: `text/plain; charset="utf-8"`, ContentID: "t", Body: []byte(text)}}}
	ct, body, err := mm7.Encode(msg, mm7.REL6MM714)
	if err != nil {
		t.Fatal(err)
	}
	return append([]byte("Content-Type: "+ct+"\r\n\r\n"), body...)
}

func TestDecodeMM7LenientContentRef(t *testing.T) {
	in := mm7WithText(t, "cid:elsewhere", "hi")
	_, err := runDecode(t, in, "mm7", "-")
	if err == nil || !strings.Contains(err.Error(), "mm7: content href names no part") ||
		!strings.Contains(err.Error(), "MM7 status 4004 validation error") {
		t.Fatalf("dangling href: %v, want a 4004 refusal", err)
	}
	out, err := runDecode(t, in, "mm7", "--lenient-content-ref", "-")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Content:           cid:elsewhere", `part 1: text/plain; charset="utf-8"  [Content]`, `text: "hi"`} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestDecodeMM7LongTextTruncated(t *testing.T) {
	// 'é' is two bytes, so the 1 KiB cut falls inside a character
	// unless it is moved back to a character boundary.
	text := "x" + strings.Repeat("é", 1500)
	out, err := runDecode(t, mm7WithText(t, "cid:t", text), "mm7", "-")
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf(`text: "x%s"`, strings.Repeat("é", 511)); !strings.Contains(out, want) {
		t.Errorf("output lacks the first 1023 bytes:\n%s", out)
	}
	if !strings.Contains(out, fmt.Sprintf("(truncated: 1023 of %d bytes shown)", len(text))) {
		t.Errorf("output lacks the truncation note:\n%s", out)
	}
}

// cspDocument encodes one NewMessage transaction.
func cspDocument(t *testing.T, m *wv.NewMessage) []byte {
	t.Helper()
	b, err := wv.Encode(wv.Message{Session: wv.SessionDescriptor{SessionType: wv.SessionInband, SessionID: "s-1"},
		Transactions: []wv.Transaction{{Descriptor: wv.TransactionDescriptor{TransactionMode: wv.ModeRequest,
			TransactionID: "t-1", Poll: wv.NewBool(true)}, Primitive: m}}}, wv.Version12)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDecodeIMPSContent(t *testing.T) {
	gif := append([]byte("GIF89a"), bytes.Repeat([]byte{0xff}, 40)...)
	image := &wv.NewMessage{ContentData: base64.StdEncoding.EncodeToString(gif), MessageInfo: wv.MessageInfo{
		MessageID: "m-1", ContentType: "image/gif", ContentEncoding: "BASE64", ContentSize: uint32(len(gif)),
		Sender: wv.Sender{User: &wv.User{UserID: "wv:bob@imps.example.net"}}}}
	text := &wv.NewMessage{ContentData: base64.StdEncoding.EncodeToString([]byte("Grüße\n")), MessageInfo: wv.MessageInfo{
		ContentType: "text/plain; charset=utf-8", ContentEncoding: "BASE64", ContentSize: 8}}
	withHeaders := append([]byte("POST /imps HTTP/1.1\r\nContent-Type: application/vnd.wv.csp.xml\r\n\r\n"), cspDocument(t, image)...)

	out, err := runDecode(t, withHeaders, "imps", "-")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"http type: application/vnd.wv.csp.xml", "csp version: 1.2", "session: Inband s-1",
		"poll: T", "primitive: NewMessage", "sender: wv:bob@imps.example.net", "encoding: BASE64",
		"size: 46 bytes (declared)",
		"content: 46 bytes, head: 47 49 46 38 39 61 ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff ... (14 more bytes)"} {
		if !strings.Contains(collapse(out), want) {
			t.Errorf("image: output lacks %q:\n%s", want, out)
		}
	}
	out, err = runDecode(t, cspDocument(t, text), "imps", "-")
	if err != nil {
		t.Fatal(err)
	}
	if want := `text: "Grüße\n"`; !strings.Contains(collapse(out), want) {
		t.Errorf("base64 text: output lacks %q:\n%s", want, out)
	}
}

func TestDecodeIMPSUnknownPrimitive(t *testing.T) {
	doc := `<?xml version="1.0"?><WV-CSP-Message xmlns="http://www.wireless-village.org/CSP1.1"><Session>` +
		`<SessionDescriptor><SessionType>Inband</SessionType><SessionID>s</SessionID></SessionDescriptor><Transaction>` +
		`<TransactionDescriptor><TransactionMode>Request</TransactionMode><TransactionID>t9</TransactionID></TransactionDescriptor>` +
		`<TransactionContent xmlns="http://www.wireless-village.org/TRC1.1"><GetList-Request/></TransactionContent>` +
		`</Transaction></Session></WV-CSP-Message>`
	_, err := runDecode(t, []byte(doc), "imps", "-")
	if err == nil || !strings.Contains(err.Error(), "GetList-Request") || !strings.Contains(err.Error(), `CSP result 405 in transaction "t9"`) {
		t.Errorf("unknown primitive: %v, want a 405 refusal naming the transaction", err)
	}
}

func TestDecodeMSRPFramesThenTruncated(t *testing.T) {
	send := readFile(t, "../../adapters/sip/msrp/testdata/rfc4975_7.1.1_send.msrp")
	binary := []byte("MSRP bin1 SEND\r\nTo-Path: msrp://b.example.com:8888/s;tcp\r\nFrom-Path: msrp://a.example.com:7777/s;tcp\r\n" +
		"Message-ID: msg1\r\nByte-Range: 1-3/3\r\nContent-Type: image/png\r\n\r\n\x89PN\r\n-------bin1#\r\n")
	in := append(append(append([]byte{}, send...), binary...), send[:len(send)-12]...)
	out, err := runDecode(t, in, "msrp", "-")
	if err == nil || !strings.Contains(err.Error(), "frame 3: msrp: incomplete frame") {
		t.Errorf("truncated third frame: %v", err)
	}
	for _, want := range []string{"frame 1:", `text: "Hey Bob, are you there?"`, "frame 2:", "Content-Type: image/png",
		"body: 3 bytes", "head: 89 50 4e", "flag: # (message aborted by the sender)"} {
		if !strings.Contains(collapse(out), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "frame 3:") {
		t.Errorf("the truncated frame was printed:\n%s", out)
	}
	if _, err := runDecode(t, nil, "msrp", "-"); err == nil {
		t.Error("empty input decoded")
	}
}

// TestDecodeRefusalsExitNonZero runs the built iwf over inputs each codec
// refuses and checks the exit status and the message on stderr.
func TestDecodeRefusalsExitNonZero(t *testing.T) {
	cases := []struct {
		protocol, file string
		want           []string
	}{
		{"mm7", "refused_mm7_doctype.xml", []string{"mm7: doctype not allowed in xml", "refused with MM7 status 4004 validation error"}},
		{"imps", "refused_imps_doctype.xml", []string{"wv: doctype refused", "refused with CSP result 400"}},
		{"msrp", "refused_msrp_truncated.msrp", []string{"frame 1: msrp: incomplete frame"}},
	}
	for _, tc := range cases {
		t.Run(tc.protocol, func(t *testing.T) {
			path := filepath.Join("testdata", "decode", tc.file)
			if _, err := runDecode(t, nil, tc.protocol, path); err == nil {
				t.Errorf("in process: decoded")
			}
			var stdout, stderr bytes.Buffer
			cmd := exec.Command(iwfBinary, "decode", tc.protocol, "-")
			cmd.Stdin = bytes.NewReader(readFile(t, path))
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() == 0 {
				t.Fatalf("exit: %v, want a non-zero status", err)
			}
			for _, want := range tc.want {
				if !strings.Contains(stderr.String(), want) {
					t.Errorf("stderr lacks %q: %s", want, stderr.String())
				}
			}
			if stdout.Len() != 0 {
				t.Errorf("stdout: %s", stdout.String())
			}
		})
	}
}

// FuzzSplitDecodeHTTP checks that a header block put in front of any body
// is split off exactly: the Content-Type comes back trimmed and the body
// byte for byte.
func FuzzSplitDecodeHTTP(f *testing.F) {
	for _, glob := range []string{"../../adapters/mms/mm7/testdata/*.http"} {
		files, _ := filepath.Glob(glob)
		for _, file := range files {
			data, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			head, body, _ := bytes.Cut(data, []byte("\r\n\r\n"))
			_, ct, _ := strings.Cut(string(head), "Content-Type: ")
			ct, _, _ = strings.Cut(ct, "\r\n")
			f.Add(ct, body)
		}
	}
	f.Add("text/xml", []byte("\r\n\r\nPOST / HTTP/1.1\r\n"))
	f.Fuzz(func(t *testing.T, ct string, body []byte) {
		// A header value is visible characters, blanks and obs-text
		// (RFC 9110 section 5.5); the rest is refused, rightly.
		if strings.TrimSpace(ct) == "" || strings.ContainsFunc(ct, func(r rune) bool { return r < ' ' && r != '\t' || r == 0x7f }) {
			return
		}
		for _, start := range []string{"POST /mm7 HTTP/1.1\r\n", "HTTP/1.1 500 Internal Server Error\r\n", ""} {
			in := append([]byte(start+"Content-Type: "+ct+"\r\n\r\n"), body...)
			h, got, err := splitDecodeHTTP(in)
			if err != nil {
				t.Fatalf("%q: %v", start, err)
			}
			if h.Get("Content-Type") != strings.Trim(ct, " \t") || !bytes.Equal(got, body) {
				t.Fatalf("%q: split into %q and %q", start, h.Get("Content-Type"), got)
			}
		}
	})
}

// FuzzDecodeCommands feeds any bytes to the three decoders: each either
// refuses or prints, and prints the same output again for the same input.
func FuzzDecodeCommands(f *testing.F) {
	for _, glob := range []string{"../../adapters/mms/mm7/testdata/*.http", "../../adapters/imps/wv/testdata/golden/*.xml",
		"../../adapters/sip/msrp/testdata/*.msrp", "testdata/decode/refused_*"} {
		files, _ := filepath.Glob(glob)
		for _, file := range files {
			data, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
	decoders := map[string]func(io.Writer, []byte) error{
		"mm7":  func(w io.Writer, b []byte) error { return decodeMM7(w, b, mm7.Limits{LenientContentRef: true}) },
		"imps": decodeIMPS,
		"msrp": decodeMSRP,
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for name, decode := range decoders {
			var first, second bytes.Buffer
			err1 := decode(&first, data)
			err2 := decode(&second, data)
			if first.String() != second.String() || fmt.Sprint(err1) != fmt.Sprint(err2) {
				t.Fatalf("%s: two runs differ: %q, %v / %q, %v", name, first.String(), err1, second.String(), err2)
			}
			if err1 == nil && first.Len() == 0 {
				t.Fatalf("%s: accepted and printed nothing", name)
			}
		}
	})
}
