package mm7

import (
	"bytes"
	"fmt"
	"hash"
	"hash/fnv"
	"mime"
	"mime/quotedprintable"
	"strconv"
	"strings"

	"github.com/segmentio/asm/base64"
)

// A multipart body is encoded in two passes. layoutMultipart checks every
// part, writes the header blocks, transfer-encodes the bodies that are
// not base64, chooses the boundaries and sums the sizes; appendMultipart
// then fills one buffer allocated at exactly that size, base64-encoding
// leaves straight into it. A large body is read once, by the base64
// encoder, and copied once, into the output.

// multipartLayout is a multipart body ready to be written.
type multipartLayout struct {
	boundary string
	parts    []partLayout
	size     int // bytes appendMultipart writes
}

// partLayout is one part ready to be written: its header block, blank
// line included, and its body.
type partLayout struct {
	header []byte
	// body is the leaf's body as it goes on the wire (identity or
	// quoted-printable), or its decoded bytes when base64 is set: those
	// are encoded as they are written.
	body     []byte
	base64   bool
	children *multipartLayout // a container written without transfer encoding
}

// base64LineBytes is what one 76-character base64 line holds (RFC 2045
// section 6.8).
const (
	base64LineBytes = 57
	base64LineChars = 76
)

func (p *partLayout) bodySize() int {
	switch {
	case p.children != nil:
		return p.children.size
	case p.base64:
		return base64Size(len(p.body))
	}
	return len(p.body)
}

// base64Size is the length of appendBase64Lines(nil, src) for n bytes of
// src: the encoding, with CRLF between lines and none after the last.
func base64Size(n int) int {
	if n == 0 {
		return 0
	}
	enc := base64.StdEncoding.EncodedLen(n)
	return enc + (enc-1)/76*2
}

// appendBase64Lines appends src in base64, in lines of 76 characters
// separated by CRLF, without a line end after the last. It encodes a
// block of 64 lines at a time, so that the vectorised encoder works on
// long runs, and copies the block out line by line.
func appendBase64Lines(dst, src []byte) []byte {
	const block = base64LineBytes * 64 // a whole number of lines: padding only at the end
	var scratch [block / 3 * 4]byte
	for first := true; len(src) > 0; {
		n := min(len(src), block)
		enc := scratch[:base64.StdEncoding.EncodedLen(n)]
		base64.StdEncoding.Encode(enc, src[:n])
		src = src[n:]
		for len(enc) > 0 {
			if !first {
				dst = append(dst, '\r', '\n')
			}
			first = false
			k := min(len(enc), base64LineChars)
			dst = append(dst, enc[:k]...)
			enc = enc[k:]
		}
	}
	return dst
}

// layoutMultipart lays out parts as the body of a multipart at nesting
// depth (the HTTP body is depth 0).
func layoutMultipart(parts []Part, depth int) (*multipartLayout, error) {
	if len(parts) == 0 {
		return nil, fmt.Errorf("%w: multipart without parts", ErrInvalid)
	}
	m := &multipartLayout{parts: make([]partLayout, len(parts))}
	for i := range parts {
		if err := m.parts[i].layout(&parts[i], depth); err != nil {
			return nil, err
		}
	}
	m.boundary = m.chooseBoundary(depth)
	delimiter := len("--") + len(m.boundary) + len("\r\n")
	m.size = delimiter + len("--")
	for i := range m.parts {
		m.size += delimiter + len(m.parts[i].header) + m.parts[i].bodySize() + len("\r\n")
	}
	return m, nil
}

// appendMultipart writes m laid out by layoutMultipart.
func appendMultipart(dst []byte, m *multipartLayout) []byte {
	for i := range m.parts {
		p := &m.parts[i]
		dst = append(append(append(dst, "--"...), m.boundary...), "\r\n"...)
		dst = append(dst, p.header...)
		switch {
		case p.children != nil:
			dst = appendMultipart(dst, p.children)
		case p.base64:
			dst = appendBase64Lines(dst, p.body)
		default:
			dst = append(dst, p.body...)
		}
		dst = append(dst, "\r\n"...)
	}
	return append(append(append(dst, "--"...), m.boundary...), "--\r\n"...)
}

// encodeMultipart writes parts between a boundary that occurs in none of
// them and returns the boundary and the body.
func encodeMultipart(parts []Part) (string, []byte, error) {
	return appendMultipartBody(nil, parts)
}

// appendMultipartBody is encodeMultipart appending the body to dst, grown
// once to the size needed.
func appendMultipartBody(dst []byte, parts []Part) (string, []byte, error) {
	m, err := layoutMultipart(parts, 0)
	if err != nil {
		return "", nil, err
	}
	if cap(dst)-len(dst) < m.size {
		dst = append(make([]byte, 0, len(dst)+m.size), dst...) // exactly: no size class rounding
	}
	return m.boundary, appendMultipart(dst, m), nil
}

// layout checks src and lays it out as a part at depth within its
// multipart.
func (p *partLayout) layout(src *Part, depth int) error {
	cte := src.TransferEncoding
	switch cte {
	case "", "7bit", "8bit", "binary", "base64", "quoted-printable":
	default:
		return fmt.Errorf("%w: %q", ErrTransferEncoding, cte)
	}
	mt, params, err := src.MediaType()
	isMultipart := err == nil && strings.HasPrefix(mt, "multipart/")
	if len(src.Parts) == 0 {
		if err != nil || isMultipart {
			return fmt.Errorf("%w: %q without parts or unparsable", ErrContentType, src.ContentType)
		}
		if p.header, err = appendHeaderBlock(nil, src.ContentType, src, cte); err != nil {
			return err
		}
		return p.setBody(cte, src.Body)
	}
	if err != nil {
		return err
	}
	if !isMultipart {
		return fmt.Errorf("%w: %s with child parts", ErrInvalid, mt)
	}
	return p.layoutContainer(src, mt, params, depth)
}

// layoutContainer lays out a multipart container of media type mt.
func (p *partLayout) layoutContainer(src *Part, mt string, params map[string]string, depth int) error {
	children, err := layoutMultipart(src.Parts, depth+1)
	if err != nil {
		return err
	}
	params["boundary"] = children.boundary
	ct := mime.FormatMediaType(mt, params)
	if ct == "" {
		return fmt.Errorf("%w: %q cannot be written", ErrContentType, src.ContentType)
	}
	if p.header, err = appendHeaderBlock(nil, ct, src, src.TransferEncoding); err != nil {
		return err
	}
	switch src.TransferEncoding {
	case "base64", "quoted-printable":
		// RFC 2045 section 6.4 allows only identity encodings on a
		// multipart, but what Decode takes Encode writes back.
		return p.setBody(src.TransferEncoding, appendMultipart(make([]byte, 0, children.size), children))
	}
	p.children = children
	return nil
}

// setBody keeps body for writing in transfer encoding cte.
func (p *partLayout) setBody(cte string, body []byte) error {
	switch cte {
	case "base64":
		p.body, p.base64 = body, true
	case "quoted-printable":
		var b bytes.Buffer
		b.Grow(len(body) + len(body)/8)
		w := quotedprintable.NewWriter(&b)
		w.Binary = true
		if _, err := w.Write(body); err != nil {
			return err
		}
		if err := w.Close(); err != nil {
			return err
		}
		p.body = b.Bytes()
	default:
		p.body = body
	}
	return nil
}

// appendHeaderBlock appends the headers of src with Content-Type ct and
// Content-Transfer-Encoding cte, and the blank line after them.
func appendHeaderBlock(dst []byte, ct string, src *Part, cte string) ([]byte, error) {
	for _, f := range [...]struct{ name, value string }{
		{"Content-Type", ct},
		{"Content-ID", angle(src.ContentID)},
		{"Content-Location", src.ContentLocation},
		{"Content-Disposition", src.ContentDisposition},
		{"Content-Transfer-Encoding", cte},
	} {
		var err error
		if dst, err = appendHeader(dst, f.name, f.value); err != nil {
			return nil, err
		}
	}
	return append(dst, "\r\n"...), nil
}

func angle(id string) string {
	if id == "" {
		return ""
	}
	return "<" + id + ">"
}

// appendHeader appends one header line, refusing values that would break
// the header block.
func appendHeader(dst []byte, name, value string) ([]byte, error) {
	if value == "" {
		return dst, nil
	}
	if value != strings.TrimSpace(value) || strings.ContainsAny(value, "\r\n\x00") {
		return nil, fmt.Errorf("%w: %s value %q cannot be written", ErrInvalid, name, value)
	}
	dst = append(append(append(dst, name...), ": "...), value...)
	return append(dst, "\r\n"...), nil
}

// chooseBoundary returns a boundary that occurs nowhere in m's parts.
//
// The first candidate is seeded from the depth, the header blocks and the
// body sizes: cheap to compute, and the same input gives the same output.
// Should some body contain it, the bodies that can (see clashes) are
// hashed into the seed of further candidates, which content cannot
// predict, so a crafted body cannot make the search long.
func (m *multipartLayout) chooseBoundary(depth int) string {
	h := fnv.New64a()
	h.Write(strconv.AppendInt(nil, int64(depth), 10))
	for i := range m.parts {
		h.Write(m.parts[i].header)
		h.Write(strconv.AppendInt(nil, int64(m.parts[i].bodySize()), 10))
	}
	seed := h.Sum64()
	if b := boundaryCandidate(seed, 0); !m.clashes(b) {
		return b
	}
	m.hashExposed(h)
	seed = h.Sum64()
	for n := 1; ; n++ {
		if b := boundaryCandidate(seed, n); !m.clashes(b) {
			return b
		}
	}
}

// boundaryCandidate is "mm7-<seed>-<n>". The '-' matters: base64 never
// writes one, so a base64 body cannot contain a boundary.
func boundaryCandidate(seed uint64, n int) string {
	return "mm7-" + strconv.FormatUint(seed, 36) + "-" + strconv.Itoa(n)
}

// clashes reports whether boundary occurs in a header block, a body that
// is not base64, or a nested boundary, at any depth under m.
func (m *multipartLayout) clashes(boundary string) bool {
	b := []byte(boundary)
	for i := range m.parts {
		p := &m.parts[i]
		if bytes.Contains(p.header, b) || (!p.base64 && bytes.Contains(p.body, b)) {
			return true
		}
		if p.children != nil && (strings.Contains(p.children.boundary, boundary) || p.children.clashes(boundary)) {
			return true
		}
	}
	return false
}

// hashExposed writes into h the bytes clashes searches.
func (m *multipartLayout) hashExposed(h hash.Hash64) {
	for i := range m.parts {
		p := &m.parts[i]
		if !p.base64 {
			h.Write(p.body)
		}
		if p.children != nil {
			p.children.hashExposed(h)
		}
	}
}
