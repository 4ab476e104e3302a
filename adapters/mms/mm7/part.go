package mm7

import (
	"bytes"
	stdbase64 "encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/quotedprintable"
	"slices"
	"strings"
	"sync"

	"github.com/segmentio/asm/base64"
	"golang.org/x/text/encoding/ianaindex"
)

// Part is one MIME part of an MM7 message (RFC 2045/2387): a leaf with
// its decoded Body, or a multipart/* container with Parts (a SMIL
// presentation in multipart/related, or multipart/mixed content).
type Part struct {
	// ContentType is the Content-Type value as received for a leaf. For a
	// multipart container it is normalised by mime.FormatMediaType without
	// the boundary parameter, which Encode chooses afresh.
	ContentType        string
	ContentID          string // Content-ID without the angle brackets
	ContentLocation    string
	ContentDisposition string
	// TransferEncoding is the Content-Transfer-Encoding, lower case:
	// "base64", "quoted-printable", "7bit", "8bit", "binary" or "".
	// Encode applies it to Body again.
	TransferEncoding string
	Body             []byte // decoded bytes of a leaf
	Parts            []Part // children of a multipart container
}

// MediaType parses ContentType; an empty ContentType is text/plain in
// us-ascii (RFC 2045 5.2).
func (p *Part) MediaType() (string, map[string]string, error) {
	if p.ContentType == "" {
		return "text/plain", map[string]string{"charset": "us-ascii"}, nil
	}
	mt, params, err := mime.ParseMediaType(p.ContentType)
	if err != nil {
		return "", nil, fmt.Errorf("%w: %w", ErrContentType, err)
	}
	return mt, params, nil
}

// Text decodes a text part's Body from its charset parameter to UTF-8.
// A part without charset is taken as us-ascii, decoded as UTF-8.
func (p *Part) Text() (string, error) {
	_, params, err := p.MediaType()
	if err != nil {
		return "", err
	}
	cs := strings.ToLower(params["charset"])
	if cs == "" || cs == "utf-8" || cs == "us-ascii" {
		return string(p.Body), nil
	}
	enc, err := ianaindex.MIME.Encoding(cs)
	if err != nil || enc == nil {
		return "", fmt.Errorf("%w: unknown charset %q", ErrContentType, cs)
	}
	b, err := enc.NewDecoder().Bytes(p.Body)
	if err != nil {
		return "", fmt.Errorf("mm7: decode %s text: %w", cs, err)
	}
	return string(b), nil
}

// mimeParser walks a multipart body within Limits.
type mimeParser struct {
	lim   Limits
	parts int
}

// parseMultipart splits body at boundary into parts, recursing into
// nested multipart containers at depth+1.
func (mp *mimeParser) parseMultipart(body []byte, boundary string, depth int) ([]Part, error) {
	if depth > mp.lim.MaxMIMEDepth {
		return nil, invalid(fmt.Errorf("%w: mime depth over %d", ErrTooDeep, mp.lim.MaxMIMEDepth))
	}
	raws, err := splitMultipart(body, boundary, mp.lim.MaxParts-mp.parts)
	switch {
	case errors.Is(err, ErrTooManyParts):
		return nil, invalid(fmt.Errorf("%w: over %d", ErrTooManyParts, mp.lim.MaxParts))
	case err != nil:
		return nil, invalid(fmt.Errorf("%w: %w", ErrBrokenMultipart, err))
	case len(raws) == 0:
		return nil, invalid(fmt.Errorf("%w: no part", ErrBrokenMultipart))
	}
	mp.parts += len(raws)
	parts := make([]Part, len(raws))
	for i, raw := range raws {
		if parts[i], err = mp.parsePart(mimeHeader(raw.header), raw.content, depth); err != nil {
			return nil, err
		}
	}
	return parts, nil
}

// mimeHeader is a part's header with canonical keys ("Content-Id"), as
// net/textproto reads it.
type mimeHeader map[string][]string

func (h mimeHeader) Get(key string) string {
	if v := h[key]; len(v) > 0 {
		return v[0]
	}
	return ""
}

func (mp *mimeParser) parsePart(h mimeHeader, content []byte, depth int) (Part, error) {
	size := 0
	for k, vs := range h {
		for _, v := range vs {
			size += len(k) + len(v) + 4
		}
	}
	if size > mp.lim.MaxHeaderBytes {
		return Part{}, invalid(fmt.Errorf("%w: %d bytes", ErrHeaderTooLong, size))
	}
	p := Part{
		ContentType:        h.Get("Content-Type"),
		ContentID:          trimAngle(h.Get("Content-Id")),
		ContentLocation:    h.Get("Content-Location"),
		ContentDisposition: h.Get("Content-Disposition"),
		TransferEncoding:   strings.ToLower(strings.TrimSpace(h.Get("Content-Transfer-Encoding"))),
	}
	body, err := decodeTransfer(p.TransferEncoding, content)
	if err != nil {
		return Part{}, err
	}
	mt, params, err := p.MediaType()
	if err != nil {
		return Part{}, invalid(err)
	}
	if !strings.HasPrefix(mt, "multipart/") {
		p.Body = body
		return p, nil
	}
	boundary := params["boundary"]
	if boundary == "" {
		return Part{}, invalid(fmt.Errorf("%w: %s without boundary", ErrBrokenMultipart, mt))
	}
	delete(params, "boundary")
	p.ContentType = mime.FormatMediaType(mt, params)
	if p.ContentType == "" {
		return Part{}, invalid(fmt.Errorf("%w: %q", ErrContentType, h.Get("Content-Type")))
	}
	if p.Parts, err = mp.parseMultipart(body, boundary, depth+1); err != nil {
		return Part{}, err
	}
	return p, nil
}

func trimAngle(s string) string {
	s = strings.TrimSpace(s)
	if len(s) >= 2 && s[0] == '<' && s[len(s)-1] == '>' {
		return s[1 : len(s)-1]
	}
	return s
}

// base64Scratch holds the buffers decodeBase64 gathers base64 text in,
// each kept while it is at most maxPooledScratch bytes: a megabyte of MMS
// content is 1.33 MB of text, and allocating that afresh (zeroed, then
// collected) for every part cost as much as the decoding.
var base64Scratch = sync.Pool{New: func() any { return new([]byte) }}

const maxPooledScratch = 4 << 20

// decodeBase64 decodes a base64 body, ignoring the white space between
// its characters (RFC 2045 6.8). The line ends, and the spaces and tabs
// some encoders leave before them, are taken out a line at a time, and
// the vectorised decoder reads the rest in one run. Text it refuses (not
// base64, or white space within a line) is read again byte by byte by
// encoding/base64, which says what is wrong, or decodes it.
func decodeBase64(content []byte) ([]byte, error) {
	scratch := base64Scratch.Get().(*[]byte)
	defer base64Scratch.Put(scratch)
	clean := slices.Grow((*scratch)[:0], len(content))
	for rest := content; len(rest) > 0; {
		if len(rest) >= base64LineChars+2 && rest[base64LineChars] == '\r' && rest[base64LineChars+1] == '\n' {
			// The usual line: 76 characters and CRLF. Should a shorter
			// line hide in them, its line end reaches the decoder,
			// which skips CR and LF itself.
			clean = append(clean, rest[:base64LineChars]...)
			rest = rest[base64LineChars+2:]
			continue
		}
		line := rest
		if i := bytes.IndexByte(rest, '\n'); i >= 0 {
			line, rest = rest[:i], rest[i+1:]
		} else {
			rest = nil
		}
		end := len(line)
		for end > 0 && (line[end-1] == '\r' || line[end-1] == ' ' || line[end-1] == '\t') {
			end--
		}
		clean = append(clean, line[:end]...)
	}
	if cap(clean) <= maxPooledScratch {
		*scratch = clean
	}
	out := make([]byte, base64.StdEncoding.DecodedLen(len(clean)))
	if n, err := base64.StdEncoding.Decode(out, clean); err == nil {
		return out[:n], nil
	}
	clean = clean[:0]
	for _, c := range content {
		if c != ' ' && c != '\t' && c != '\r' && c != '\n' {
			clean = append(clean, c)
		}
	}
	n, err := stdbase64.StdEncoding.Decode(out, clean)
	if err != nil {
		return nil, invalid(fmt.Errorf("%w: base64: %w", ErrTransferEncoding, err))
	}
	return out[:n], nil
}

// decodeTransfer undoes a Content-Transfer-Encoding (RFC 2045 6).
func decodeTransfer(cte string, content []byte) ([]byte, error) {
	switch cte {
	case "", "7bit", "8bit", "binary":
		return content, nil
	case "base64":
		return decodeBase64(content)
	case "quoted-printable":
		out, err := io.ReadAll(quotedprintable.NewReader(bytes.NewReader(content)))
		if err != nil {
			return nil, invalid(fmt.Errorf("%w: quoted-printable: %w", ErrTransferEncoding, err))
		}
		return out, nil
	}
	return nil, invalid(fmt.Errorf("%w: %q", ErrTransferEncoding, cte))
}
