package mm7

import (
	"bytes"
	"encoding/base64"
	"errors"
	"mime"
	"strings"
	"testing"
)

// withAttachments is a DeliverReq whose content is the first attachment.
func withAttachments(parts ...Part) Message {
	return Message{TransactionID: "t-enc", Version: REL6MM714,
		Operation: &DeliverReq{MM7Version: "6.8.0", Sender: &Address{Kind: KindNumber, Value: "+447700900123"},
			Content: &ContentRef{Href: "cid:" + parts[0].ContentID}},
		Attachments: parts}
}

// nestedPicture is a multipart/related of a text (in transfer encoding
// textCTE) and a base64 image, in a multipart/mixed.
func nestedPicture(text, textCTE string, image []byte) Message {
	return withAttachments(Part{ContentType: "multipart/mixed", ContentID: "outer", Parts: []Part{
		{ContentType: `multipart/related; start="<t>"; type="text/plain"`, Parts: []Part{
			{ContentType: "text/plain; charset=utf-8", ContentID: "t", TransferEncoding: textCTE, Body: []byte(text)},
			{ContentType: "image/png", ContentID: "i", TransferEncoding: "base64", Body: image},
		}},
	}})
}

// encodeDecode encodes m, requires the body to be written into one
// buffer of the announced size, decodes it and compares.
func encodeDecode(t *testing.T, m Message) (ct string, body []byte) {
	t.Helper()
	ct, body, err := Encode(m, REL6MM714)
	if err != nil {
		t.Fatalf("Encode: %v", err)
	}
	if len(body) != cap(body) {
		t.Errorf("body of %d bytes in a buffer of %d: the layout missed its size", len(body), cap(body))
	}
	got, err := Limits{MaxParts: 256, MaxMIMEDepth: 8}.Decode(ct, body)
	if err != nil {
		t.Fatalf("Decode: %v\n%s\n%s", err, ct, body)
	}
	if !deepEqual(got, m) {
		t.Fatalf("decoded\n%+v\nwant\n%+v", got.Attachments, m.Attachments)
	}
	return ct, body
}

// boundaries returns the boundary parameters of ct and of every
// multipart Content-Type header in body, outermost first.
func boundaries(t *testing.T, ct string, body []byte) []string {
	t.Helper()
	var out []string
	for _, v := range append([]string{ct}, headerValues(body, "Content-Type")...) {
		if _, params, err := mime.ParseMediaType(v); err == nil && params["boundary"] != "" {
			out = append(out, params["boundary"])
		}
	}
	return out
}

func headerValues(body []byte, name string) []string {
	var vs []string
	for _, line := range strings.Split(string(body), "\r\n") {
		if v, ok := strings.CutPrefix(line, name+": "); ok {
			vs = append(vs, v)
		}
	}
	return vs
}

func TestAppendBase64Lines(t *testing.T) {
	for _, n := range []int{0, 1, 2, 3, 56, 57, 58, 113, 114, 115, 171, 1000, 57*64 - 1, 57 * 64, 57*64 + 1, 57*128 + 2, 100 << 10} {
		src := bytes.Repeat([]byte{0xfb, 0xff, 0x00, 'x'}, n/4+1)[:n]
		got := appendBase64Lines([]byte("head"), src)
		if len(got) != 4+base64Size(n) {
			t.Errorf("%d bytes: wrote %d, base64Size says %d", n, len(got)-4, base64Size(n))
		}
		lines := strings.Split(string(got[4:]), "\r\n")
		for i, l := range lines {
			if len(l) > 76 || (i < len(lines)-1 && len(l) != 76) {
				t.Errorf("%d bytes: line %d has %d characters", n, i, len(l))
			}
		}
		dec, err := base64.StdEncoding.DecodeString(strings.Join(lines, ""))
		if err != nil || !bytes.Equal(dec, src) {
			t.Errorf("%d bytes: decodes to %d bytes, %v", n, len(dec), err)
		}
	}
}

// The same message encodes to the same bytes, and nested multiparts get
// distinct boundaries.
func TestEncodeDeterministic(t *testing.T) {
	m := nestedPicture("caption", "8bit", bytes.Repeat([]byte("img"), 500))
	ct1, body1 := encodeDecode(t, m)
	ct2, body2, err := Encode(m, REL6MM714)
	if err != nil || ct1 != ct2 || !bytes.Equal(body1, body2) {
		t.Fatalf("second Encode differs (%v)", err)
	}
	bs := boundaries(t, ct1, body1)
	if len(bs) != 3 || bs[0] == bs[1] || bs[1] == bs[2] || bs[0] == bs[2] {
		t.Errorf("boundaries %q, want three distinct", bs)
	}
}

// A body that is not base64 and holds the boundary Encode would choose
// makes it choose another there (and so, through the nested Content-Type,
// at the levels above); a base64 body holding it cannot clash and changes
// nothing.
func TestEncodeBoundaryClash(t *testing.T) {
	const size = 200
	filler := strings.Repeat("f", size)
	image := bytes.Repeat([]byte{0x89, 'P', 'N', 'G'}, 64)
	for _, cte := range []string{"8bit", "quoted-printable", "binary"} {
		ct, body := encodeDecode(t, nestedPicture(filler, cte, image))
		first := boundaries(t, ct, body)
		for level, b := range first {
			// Same size and headers, so the same first candidates.
			text := ("--" + b + filler)[:size]
			ct, body := encodeDecode(t, nestedPicture(text, cte, image))
			got := boundaries(t, ct, body)
			if got[level] == b {
				t.Errorf("%s text holding level %d boundary %q: kept it", cte, level, b)
			}
			for i := level + 1; i < len(got); i++ {
				if got[i] != first[i] {
					t.Errorf("%s text holding level %d boundary: level %d changed too", cte, level, i)
				}
			}
			inImage := append([]byte("--"+b+"\r\n"), image...)[:len(image)]
			ct, body = encodeDecode(t, nestedPicture(filler, cte, inImage))
			if got := boundaries(t, ct, body); !deepEqual(got, first) {
				t.Errorf("base64 image holding level %d boundary: boundaries %q, want %q", level, got, first)
			}
		}
	}
}

// A text made of the candidates that follow the first still gets a
// boundary it does not contain.
func TestEncodeBoundaryManyCandidates(t *testing.T) {
	m := withAttachments(Part{ContentType: "text/plain", ContentID: "t", Body: []byte(strings.Repeat("x", 4000))})
	ct, body := encodeDecode(t, m)
	b := boundaries(t, ct, body)[0]
	stem := strings.TrimSuffix(b, "0")
	var text strings.Builder
	for n := 0; text.Len() < 4000; n++ {
		text.WriteString("--" + stem + strings.Repeat("0", n%3) + "\r\n")
	}
	m.Attachments[0].Body = []byte(text.String()[:4000])
	ct, body = encodeDecode(t, m)
	if got := boundaries(t, ct, body)[0]; bytes.Contains(m.Attachments[0].Body, []byte(got)) {
		t.Errorf("boundary %q occurs in the text", got)
	}
}

// A container in base64 or quoted-printable (which RFC 2045 does not
// allow, but Decode takes) is written back the same way.
func TestEncodeEncodedContainer(t *testing.T) {
	for _, cte := range []string{"base64", "quoted-printable", "7bit"} {
		m := withAttachments(Part{ContentType: "multipart/mixed", ContentID: "c", TransferEncoding: cte, Parts: []Part{
			{ContentType: "text/plain", Body: []byte("one")},
			{ContentType: "application/octet-stream", TransferEncoding: "binary", Body: []byte{0, 1, 2, '\r', '\n', '-', '-'}},
		}})
		_, body := encodeDecode(t, m)
		if !bytes.Contains(body, []byte("Content-Transfer-Encoding: "+cte+"\r\n")) {
			t.Errorf("%s container: header not written", cte)
		}
	}
}

func TestEncodePartRefusals(t *testing.T) {
	tests := []struct {
		name string
		part Part
		err  error
	}{
		{"unknown transfer encoding", Part{ContentType: "text/plain", TransferEncoding: "uuencode"}, ErrTransferEncoding},
		{"multipart leaf", Part{ContentType: "multipart/mixed"}, ErrContentType},
		{"unparsable type", Part{ContentType: "text/plain; ;"}, ErrContentType},
		{"children of a leaf type", Part{ContentType: "image/png", Parts: []Part{{}}}, ErrInvalid},
		{"empty container", Part{ContentType: "multipart/mixed", Parts: []Part{{ContentType: "multipart/mixed"}}}, ErrContentType},
		{"line break in a header", Part{ContentType: "text/plain", ContentLocation: "a\r\nX-Evil: 1"}, ErrInvalid},
		{"bad child", Part{ContentType: "multipart/mixed", Parts: []Part{{ContentType: "text/plain", TransferEncoding: "x"}}}, ErrTransferEncoding},
	}
	for _, tt := range tests {
		tt.part.ContentID = "c"
		if _, _, err := Encode(withAttachments(tt.part), REL6MM714); !errors.Is(err, tt.err) {
			t.Errorf("%s: err = %v, want %v", tt.name, err, tt.err)
		}
	}
}

// FuzzEncodeParts checks that any text, in any transfer encoding, next
// to any image in nested multiparts, encodes into one buffer of the
// announced size and decodes to the same message.
func FuzzEncodeParts(f *testing.F) {
	f.Add("caption", uint8(0), []byte{0xff, 0xd8})
	f.Add("--mm7-0-0\r\n--mm7-1-0--", uint8(1), []byte("--mm7-0-0"))
	f.Add("=\r\n=3D\r\n.\r\n", uint8(2), []byte{})
	f.Add("", uint8(3), []byte("\r\n--\r\n"))
	f.Fuzz(func(t *testing.T, text string, cteIndex uint8, image []byte) {
		ctes := []string{"", "8bit", "quoted-printable", "base64", "binary"}
		encodeDecode(t, nestedPicture(text, ctes[int(cteIndex)%len(ctes)], image))
	})
}

// TestAppendEncode: AppendEncode writes after what dst holds the bytes
// Encode gives, with or without attachments.
func TestAppendEncode(t *testing.T) {
	for _, m := range []Message{deliverReq100KB(), {TransactionID: "t1", Operation: &DeliverRsp{MM7Version: "6.8.0", Status: Status{Code: 1000}}}} {
		ct, want, err := Encode(m, REL6MM714)
		if err != nil {
			t.Fatal(err)
		}
		ct2, got, err := AppendEncode(append(make([]byte, 0, 16), "prefix"...), m, REL6MM714)
		if err != nil || ct2 != ct || string(got[:6]) != "prefix" || !bytes.Equal(got[6:], want) {
			t.Errorf("AppendEncode: %q, %d bytes, %v; Encode: %q, %d bytes", ct2, len(got), err, ct, len(want))
		}
	}
}
