package cpm

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// pictureCPIM is a message/cpim body holding multipart/mixed: a caption
// and a binary image of size bytes, as CPM clients send pictures.
func pictureCPIM(size int) []byte {
	img := make([]byte, size)
	for i := range img {
		img[i] = byte(i*7 + i>>8)
	}
	const boundary = "pic-boundary"
	var mp bytes.Buffer
	fmt.Fprintf(&mp, "--%s\r\nContent-Type: text/plain;charset=utf-8\r\n\r\ncaption\r\n", boundary)
	fmt.Fprintf(&mp, "--%s\r\nContent-Type: image/jpeg\r\nContent-Disposition: attachment; filename=p.jpg\r\n\r\n", boundary)
	mp.Write(img)
	fmt.Fprintf(&mp, "\r\n--%s--\r\n", boundary)
	return fmt.Appendf(nil, "From: <sip:alice@example.net>\r\nTo: <tel:+447700900123>\r\nNS: imdn <urn:ietf:params:imdn>\r\n"+
		"imdn.Message-ID: pic-1\r\n\r\nContent-Type: multipart/mixed;boundary=\"%s\"\r\nContent-Length: %d\r\n\r\n%s",
		boundary, mp.Len(), mp.Bytes())
}

// The parts of a multipart are slices of the CPIM body, not copies; each
// ends at its own end, so appending to one leaves the next alone.
func TestMultipartPartsShareBody(t *testing.T) {
	var c CPIM
	if err := c.Unmarshal(pictureCPIM(1000)); err != nil {
		t.Fatal(err)
	}
	m, err := MessageFromCPIM(&c)
	if err != nil || len(m.Parts) != 2 {
		t.Fatalf("%d parts, %v", len(m.Parts), err)
	}
	caption, image := m.Parts[0], m.Parts[1]
	if string(caption.Body) != "caption" || len(image.Body) != 1000 || image.Filename != "p.jpg" {
		t.Fatalf("parts %q, %d bytes %q", caption.Body, len(image.Body), image.Filename)
	}
	for _, p := range m.Parts {
		if cap(p.Body) != len(p.Body) {
			t.Errorf("%s: capacity %d past its %d bytes", p.ContentType, cap(p.Body), len(p.Body))
		}
	}
	at := bytes.Index(c.Body, []byte("caption"))
	c.Body[at] = 'C'
	if string(caption.Body) != "Caption" {
		t.Errorf("caption %q is a copy, not a slice of the CPIM body", caption.Body)
	}
	before := bytes.Clone(c.Body)
	grown := append(caption.Body, " and more"...)
	if !bytes.Equal(c.Body, before) || string(grown) != "Caption and more" {
		t.Error("appending to a part wrote into the CPIM body")
	}
}

// A base64 part is decoded into memory of its own.
func TestMultipartBase64PartOwnsBody(t *testing.T) {
	body := "--b\r\nContent-Transfer-Encoding: base64\r\n\r\naGk=\r\n--b--\r\n"
	c := CPIM{ContentType: `multipart/mixed; boundary="b"`, Body: []byte(body)}
	m, err := MessageFromCPIM(&c)
	if err != nil || len(m.Parts) != 1 || string(m.Parts[0].Body) != "hi" {
		t.Fatalf("parts %+v, %v", m.Parts, err)
	}
	for i := range c.Body {
		c.Body[i] = 0
	}
	if string(m.Parts[0].Body) != "hi" {
		t.Errorf("decoded part changed with the CPIM body: %q", m.Parts[0].Body)
	}
}

// The bounds and refusals of the split: at most MaxParts parts, a
// boundary of 1..70 characters, a closing delimiter, known transfer
// encodings, valid base64.
func TestMultipartRefusals(t *testing.T) {
	mixed := func(boundary string, parts ...string) *CPIM {
		var b strings.Builder
		for _, p := range parts {
			b.WriteString("--" + boundary + "\r\n" + p + "\r\n")
		}
		b.WriteString("--" + boundary + "--\r\n")
		return &CPIM{ContentType: `multipart/mixed; boundary="` + boundary + `"`, Body: []byte(b.String())}
	}
	text := "Content-Type: text/plain\r\n\r\nx"
	many := func(n int) []string {
		ps := make([]string, n)
		for i := range ps {
			ps[i] = text
		}
		return ps
	}
	if m, err := MessageFromCPIM(mixed("b", many(MaxParts)...)); err != nil || len(m.Parts) != MaxParts {
		t.Errorf("%d parts: %d, %v", MaxParts, len(m.Parts), err)
	}
	tests := []struct {
		name string
		c    *CPIM
		err  error
	}{
		{"too many parts", mixed("b", many(MaxParts+1)...), ErrTooLarge},
		{"boundary over 70", mixed(strings.Repeat("b", 71), text), ErrMalformed},
		{"no closing delimiter", &CPIM{ContentType: `multipart/mixed; boundary="b"`, Body: []byte("--b\r\n" + text + "\r\n")}, ErrMalformed},
		{"unknown transfer encoding", mixed("b", "Content-Transfer-Encoding: x-uue\r\n\r\nx"), ErrUnsupported},
		{"bad base64", mixed("b", "Content-Transfer-Encoding: base64\r\n\r\n!!!!"), ErrMalformed},
	}
	for _, tt := range tests {
		if _, err := MessageFromCPIM(tt.c); !errors.Is(err, tt.err) {
			t.Errorf("%s: err = %v, want %v", tt.name, err, tt.err)
		}
	}
}

func BenchmarkMessageFromCPIMPicture100KB(b *testing.B) {
	data := pictureCPIM(100 << 10)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		var c CPIM
		if err := c.Unmarshal(data); err != nil {
			b.Fatal(err)
		}
		m, err := MessageFromCPIM(&c)
		if err != nil || len(m.Parts) != 2 {
			b.Fatalf("%d parts, %v", len(m.Parts), err)
		}
	}
}
