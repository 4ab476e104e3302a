package cpm

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"hash/fnv"
	"mime"
	"strconv"
	"strings"
	"time"
)

// CPIM limits. A message over any of them is refused with a *LimitError
// that matches ErrTooLarge.
const (
	MaxCPIMSize       = 1 << 20 // bytes of a whole message/cpim body
	MaxCPIMHeaders    = 64      // headers in each of the two header blocks
	MaxCPIMHeaderLine = 4096    // bytes of one header, continuation lines included
)

// Namespaces of CPIM message headers (RFC 3862 section 3.1, RFC 5438
// section 6.1).
const (
	// NamespaceCPIM is the namespace of the unprefixed core headers From,
	// To, cc, DateTime, Subject, NS and Require.
	NamespaceCPIM = "urn:ietf:params:cpim-headers:"
	// NamespaceIMDN is the namespace of the IMDN request headers, usually
	// declared as "NS: imdn <urn:ietf:params:imdn>".
	NamespaceIMDN = "urn:ietf:params:imdn"
)

// Errors callers branch on. Errors returned by this package wrap one of them.
var (
	// ErrTooLarge: an input or a part of it exceeds a limit.
	ErrTooLarge = errors.New("cpm: too large")
	// ErrMalformed: an input violates its grammar.
	ErrMalformed = errors.New("cpm: malformed")
	// ErrUnsupported: a well-formed input iwf cannot represent.
	ErrUnsupported = errors.New("cpm: unsupported")
)

// LimitError reports an input that exceeds one of the package's bounds.
type LimitError struct {
	Codec string // "cpim" or "imdn"
	What  string // "size", "headers", "header line", "depth", ...
	Limit int
}

func (e *LimitError) Error() string {
	return fmt.Sprintf("%s: %s over the limit of %d", e.Codec, e.What, e.Limit)
}

// Unwrap makes a LimitError match ErrTooLarge.
func (e *LimitError) Unwrap() error { return ErrTooLarge }

// SyntaxError reports a malformed CPIM message. Line counts from 1.
type SyntaxError struct {
	Line int
	Msg  string
}

func (e *SyntaxError) Error() string { return fmt.Sprintf("cpim: line %d: %s", e.Line, e.Msg) }

// Unwrap makes a SyntaxError match ErrMalformed.
func (e *SyntaxError) Unwrap() error { return ErrMalformed }

// Header is one header as it stood on the wire. Name keeps its namespace
// prefix ("imdn.Message-ID"); Value has surrounding white space removed and
// continuation lines joined with one space.
type Header struct {
	Name  string
	Value string
}

// CPIM is a message/cpim body (RFC 3862 section 3) as carried in a SIP
// MESSAGE or an MSRP SEND: the outer MIME headers belong to the carrier, so
// the body starts with the message headers.
//
//	From: Alice <sip:alice@example.net>      message headers, in order,
//	To: <tel:+447700900123>                  NS declarations included
//	NS: imdn <urn:ietf:params:imdn>
//	imdn.Message-ID: 34jk324j
//	DateTime: 2008-04-04T12:16:49-05:00
//	                                         empty line
//	Content-Type: text/plain;charset=utf-8   encapsulated MIME headers
//	Content-Length: 5
//	                                         empty line
//	Hello                                    encapsulated body
//
// Unmarshal accepts CRLF or bare LF line ends and MIME header names in any
// case; Marshal writes CRLF, canonical MIME header names and a
// Content-Length computed from Body.
type CPIM struct {
	Headers []Header // message headers in order

	ContentType        string   // full media type with parameters
	ContentID          string   // as written, angle brackets included
	ContentDisposition string   // as written, parameters included
	ContentHeaders     []Header // other encapsulated MIME headers, in order
	Body               []byte
}

// Unmarshal parses data as a message/cpim body, replacing c. On error c is
// left unchanged.
func (c *CPIM) Unmarshal(data []byte) error {
	if len(data) > MaxCPIMSize {
		return &LimitError{Codec: "cpim", What: "size", Limit: MaxCPIMSize}
	}
	r := lineReader{data: data}
	headers, complete, err := r.headerBlock()
	if err != nil {
		return err
	}
	if !complete {
		return &SyntaxError{Line: r.line, Msg: "missing empty line after message headers"}
	}
	if len(headers) == 0 {
		return &SyntaxError{Line: r.line, Msg: "no message headers"}
	}
	start := r.line + 1
	content, _, err := r.headerBlock()
	if err != nil {
		return err
	}
	var out CPIM
	out.Headers = headers
	if err := out.setContentHeaders(content, start); err != nil {
		return err
	}
	if err := out.setBody(data[r.pos:], r.line+1); err != nil {
		return err
	}
	*c = out
	return nil
}

// setContentHeaders sorts the encapsulated MIME headers into c's fields.
func (c *CPIM) setContentHeaders(hs []Header, line int) error {
	for _, h := range hs {
		var field *string
		switch strings.ToLower(h.Name) {
		case "content-type":
			field = &c.ContentType
		case "content-id":
			field = &c.ContentID
		case "content-disposition":
			field = &c.ContentDisposition
		case "content-length":
			c.ContentHeaders = append(c.ContentHeaders, h) // checked by setBody
			continue
		default:
			c.ContentHeaders = append(c.ContentHeaders, h)
			continue
		}
		if *field != "" {
			return &SyntaxError{Line: line, Msg: "repeated " + h.Name}
		}
		*field = h.Value
	}
	return nil
}

// setBody takes rest as the body, checking it against a Content-Length,
// which it then drops: Marshal writes the length of Body.
func (c *CPIM) setBody(rest []byte, line int) error {
	kept := c.ContentHeaders[:0]
	n := -1
	for _, h := range c.ContentHeaders {
		if !strings.EqualFold(h.Name, "Content-Length") {
			kept = append(kept, h)
			continue
		}
		v, err := strconv.Atoi(h.Value)
		if err != nil || v < 0 || n >= 0 {
			return &SyntaxError{Line: line, Msg: "bad Content-Length " + strconv.Quote(h.Value)}
		}
		n = v
	}
	c.ContentHeaders = kept
	if len(c.ContentHeaders) == 0 {
		c.ContentHeaders = nil
	}
	if n >= 0 {
		switch {
		case n > len(rest):
			return &SyntaxError{Line: line, Msg: fmt.Sprintf("body of %d bytes, Content-Length %d", len(rest), n)}
		case len(bytes.Trim(rest[n:], "\r\n")) != 0:
			return &SyntaxError{Line: line, Msg: fmt.Sprintf("%d bytes after Content-Length %d", len(rest)-n, n)}
		}
		rest = rest[:n]
	}
	if len(rest) > 0 {
		c.Body = bytes.Clone(rest)
	}
	return nil
}

// Marshal encodes c with CRLF line ends. CR and LF inside a header name or
// value would end the header early, so each is written as a space.
func (c *CPIM) Marshal() []byte {
	size := len(c.Body) + 64
	for _, h := range c.Headers {
		size += len(h.Name) + len(h.Value) + 4
	}
	b := make([]byte, 0, size)
	for _, h := range c.Headers {
		b = appendHeader(b, h.Name, h.Value)
	}
	b = append(b, "\r\n"...)
	if c.ContentType != "" {
		b = appendHeader(b, "Content-Type", c.ContentType)
	}
	if c.ContentID != "" {
		b = appendHeader(b, "Content-ID", c.ContentID)
	}
	if c.ContentDisposition != "" {
		b = appendHeader(b, "Content-Disposition", c.ContentDisposition)
	}
	for _, h := range c.ContentHeaders {
		if !strings.EqualFold(h.Name, "Content-Length") {
			b = appendHeader(b, h.Name, h.Value)
		}
	}
	b = appendHeader(b, "Content-Length", strconv.Itoa(len(c.Body)))
	b = append(b, "\r\n"...)
	return append(b, c.Body...)
}

func appendHeader(b []byte, name, value string) []byte {
	b = appendLine(b, name)
	b = append(b, ": "...)
	b = appendLine(b, value)
	return append(b, "\r\n"...)
}

func appendLine(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if s[i] == '\r' || s[i] == '\n' {
			s = strings.Map(func(r rune) rune {
				if r == '\r' || r == '\n' {
					return ' '
				}
				return r
			}, s)
			break
		}
	}
	return append(b, s...)
}

// lineReader splits a CPIM message into header blocks.
type lineReader struct {
	data []byte
	pos  int
	line int // lines consumed
}

// next returns the next line without its line end; ok is false at the end
// of data.
func (r *lineReader) next() (line []byte, ok bool) {
	if r.pos >= len(r.data) {
		return nil, false
	}
	rest := r.data[r.pos:]
	i := bytes.IndexByte(rest, '\n')
	if i < 0 {
		r.pos = len(r.data)
		r.line++
		return rest, true
	}
	r.pos += i + 1
	r.line++
	return bytes.TrimSuffix(rest[:i], []byte{'\r'}), true
}

// headerBlock reads headers up to an empty line; complete is false when
// the data ended first.
func (r *lineReader) headerBlock() (hs []Header, complete bool, err error) {
	for {
		line, ok := r.next()
		if !ok {
			return hs, false, nil
		}
		if len(line) == 0 {
			return hs, true, nil
		}
		if bytes.IndexByte(line, '\r') >= 0 {
			return nil, false, &SyntaxError{Line: r.line, Msg: "CR inside a header line"}
		}
		if line[0] == ' ' || line[0] == '\t' {
			if err := r.continueHeader(hs, line); err != nil {
				return nil, false, err
			}
			continue
		}
		h, err := r.parseHeader(line)
		if err != nil {
			return nil, false, err
		}
		if len(hs) == MaxCPIMHeaders {
			return nil, false, &LimitError{Codec: "cpim", What: "headers", Limit: MaxCPIMHeaders}
		}
		hs = append(hs, h)
	}
}

// continueHeader appends a continuation line to the last header.
func (r *lineReader) continueHeader(hs []Header, line []byte) error {
	if len(hs) == 0 {
		return &SyntaxError{Line: r.line, Msg: "continuation line without a header"}
	}
	h := &hs[len(hs)-1]
	v := bytes.Trim(line, " \t")
	if len(v) == 0 {
		return nil
	}
	if len(h.Name)+2+len(h.Value)+1+len(v) > MaxCPIMHeaderLine {
		return &LimitError{Codec: "cpim", What: "header line", Limit: MaxCPIMHeaderLine}
	}
	if h.Value == "" {
		h.Value = string(v)
	} else {
		h.Value += " " + string(v)
	}
	return nil
}

func (r *lineReader) parseHeader(line []byte) (Header, error) {
	i := bytes.IndexByte(line, ':')
	if i <= 0 {
		return Header{}, &SyntaxError{Line: r.line, Msg: "header without a name and colon"}
	}
	name := line[:i]
	for _, ch := range name {
		if ch <= ' ' || ch >= 0x7f || bytes.IndexByte([]byte("()<>@,;:\\\"/[]?={}"), ch) >= 0 {
			return Header{}, &SyntaxError{Line: r.line, Msg: fmt.Sprintf("bad character %q in header name", ch)}
		}
	}
	value := bytes.Trim(line[i+1:], " \t")
	if len(name)+2+len(value) > MaxCPIMHeaderLine {
		return Header{}, &LimitError{Codec: "cpim", What: "header line", Limit: MaxCPIMHeaderLine}
	}
	return Header{Name: string(name), Value: string(value)}, nil
}

// lookup returns the values of the message headers other than NS whose
// local name is name (compared without regard to case) and whose prefix is
// declared for namespace ns at that point, in order; only the first when
// first is set. Unprefixed names are in NamespaceCPIM unless an NS without
// a prefix says otherwise. An undeclared "imdn" prefix is taken as
// NamespaceIMDN, as some peers omit the declaration.
func (c *CPIM) lookup(ns, name string, first bool) []string {
	var decl map[string]string
	var vs []string
	for _, h := range c.Headers {
		if h.Name == "NS" {
			if prefix, urn, ok := parseNS(h.Value); ok {
				if decl == nil {
					decl = make(map[string]string, 2)
				}
				decl[prefix] = urn
			}
			continue
		}
		prefix, local := "", h.Name
		if i := strings.LastIndexByte(h.Name, '.'); i >= 0 {
			prefix, local = h.Name[:i], h.Name[i+1:]
		}
		if !strings.EqualFold(local, name) {
			continue
		}
		hns, ok := decl[prefix]
		switch {
		case ok:
		case prefix == "":
			hns = NamespaceCPIM
		case prefix == "imdn":
			hns = NamespaceIMDN
		}
		if hns == ns {
			vs = append(vs, h.Value)
			if first {
				break
			}
		}
	}
	return vs
}

// parseNS splits an NS value, "imdn <urn:ietf:params:imdn>" or "<urn>".
func parseNS(v string) (prefix, urn string, ok bool) {
	i := strings.IndexByte(v, '<')
	j := strings.LastIndexByte(v, '>')
	if i < 0 || j < i {
		return "", "", false
	}
	return strings.TrimSpace(v[:i]), strings.TrimSpace(v[i+1 : j]), true
}

// Get returns the value of the first message header with local name name
// (compared without regard to case) in namespace ns, resolving prefixes by
// the NS declarations before it: Get(NamespaceIMDN, "Message-ID") finds
// "imdn.Message-ID" as well as "x.Message-ID" after
// "NS: x <urn:ietf:params:imdn>".
func (c *CPIM) Get(ns, name string) (value string, ok bool) {
	vs := c.lookup(ns, name, true)
	if len(vs) == 0 {
		return "", false
	}
	return vs[0], true
}

// Values returns the values of every message header named name in ns, in
// order ("To" and "cc" may repeat, and so may "imdn.IMDN-Record-Route").
func (c *CPIM) Values(ns, name string) []string { return c.lookup(ns, name, false) }

// AddressURI returns the URI of a From, To or cc value
// ("Alice <sip:alice@example.net>" or "<tel:+447700900123>"): the text
// between the last angle brackets, or the whole value when it has none.
func AddressURI(v string) string {
	j := strings.LastIndexByte(v, '>')
	if j < 0 {
		return strings.TrimSpace(v)
	}
	i := strings.LastIndexByte(v[:j], '<')
	if i < 0 {
		return strings.TrimSpace(v)
	}
	return strings.TrimSpace(v[i+1 : j])
}

// anonymous is the From and To that CPM clients put in CPIM when the
// identity travels in SIP instead (GSMA RCC.07, "sip:anonymous@anonymous.invalid").
const anonymous = "sip:anonymous@anonymous.invalid"

// MaxParts bounds the parts of a multipart/mixed encapsulated body.
const MaxParts = 32

// MessageFromCPIM maps a CPIM message to a Message: From and To from the
// CPIM From and first To (an anonymous address, as RCS clients send, is
// left empty for the carrier's identity to fill), ID, Notify and DateTime
// from the IMDN request headers, Subject without its parameters, and the
// encapsulated content as one Part, or one Part per body part of a
// multipart/mixed content. A CPIM carrying an IMDN is refused with
// ErrUnsupported: see ReportFromCPIM.
//
// The Parts' Bodies are slices of c.Body, except those decoded from
// base64, so c.Body must not be changed while the Message is in use
// (Unmarshal gives c a Body of its own).
func MessageFromCPIM(c *CPIM) (Message, error) {
	if isIMDNType(c.ContentType) {
		return Message{}, fmt.Errorf("cpim: content is a message/imdn+xml notification: %w", ErrUnsupported)
	}
	req, err := c.IMDNRequest()
	if err != nil {
		return Message{}, err
	}
	m := Message{ID: req.MessageID, Notify: req.Notify, DateTime: req.DateTime}
	m.From = c.address("From")
	m.To = c.address("To")
	if s, ok := c.Get(NamespaceCPIM, "Subject"); ok {
		m.Subject = subjectText(s)
	}
	if m.Parts, err = c.parts(); err != nil {
		return Message{}, err
	}
	return m, nil
}

// address returns the URI of the first header name in NamespaceCPIM, or ""
// when absent or anonymous.
func (c *CPIM) address(name string) Address {
	v, ok := c.Get(NamespaceCPIM, name)
	if !ok {
		return ""
	}
	uri := AddressURI(v)
	if strings.EqualFold(uri, anonymous) {
		return ""
	}
	return Address(uri)
}

// subjectText drops the header parameters of a Subject, ";lang=fr Bonjour".
func subjectText(v string) string {
	if !strings.HasPrefix(v, ";") {
		return v
	}
	if i := strings.IndexAny(v, " \t"); i >= 0 {
		return strings.TrimLeft(v[i:], " \t")
	}
	return ""
}

// CPIM maps m to a CPIM message: From and To (anonymous when empty), NS
// imdn, imdn.Message-ID, DateTime (RFC 3339, fractional seconds kept),
// Subject, imdn.Disposition-Notification when m.Notify is not zero, and the
// parts: one as the encapsulated content, several as multipart/mixed, none
// as an empty text/plain. Expiry has no CPIM header and is not carried.
func (m *Message) CPIM() *CPIM {
	c := newEnvelope(m.From, m.To, m.ID, m.DateTime, 7)
	if m.Subject != "" {
		c.add("Subject", m.Subject)
	}
	if m.Notify != 0 {
		c.add("imdn.Disposition-Notification", m.Notify.String())
	}
	switch len(m.Parts) {
	case 0:
		c.ContentType = "text/plain;charset=UTF-8"
	case 1:
		p := m.Parts[0]
		c.ContentType, c.ContentID, c.ContentDisposition = partHeaders(p)
		c.Body = p.Body
	default:
		c.ContentType, c.Body = multipartMixed(m.Parts)
	}
	return c
}

func (c *CPIM) add(name, value string) {
	c.Headers = append(c.Headers, Header{Name: name, Value: value})
}

func orAnonymous(a Address) string {
	if a == "" {
		return anonymous
	}
	return string(a)
}

// partHeaders returns the MIME header values describing p.
func partHeaders(p Part) (contentType, contentID, disposition string) {
	if p.ContentID != "" {
		contentID = "<" + p.ContentID + ">"
	}
	if p.Filename != "" {
		disposition = mime.FormatMediaType("attachment", map[string]string{"filename": p.Filename})
	}
	return p.ContentType, contentID, disposition
}

// parts returns the encapsulated content as Parts.
func (c *CPIM) parts() ([]Part, error) {
	mt, params, err := mime.ParseMediaType(c.ContentType)
	if err == nil && mt == "multipart/mixed" {
		return splitMultipart(c.Body, params["boundary"])
	}
	return []Part{newPart(c.ContentType, c.ContentID, c.ContentDisposition, c.Body)}, nil
}

func newPart(contentType, contentID, disposition string, body []byte) Part {
	p := Part{ContentType: contentType, Body: body}
	p.ContentID = strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(contentID), "<"), ">")
	if _, params, err := mime.ParseMediaType(disposition); err == nil {
		p.Filename = params["filename"]
	}
	return p
}

// multipartMixed encodes parts as a multipart/mixed body (RFC 2046 section
// 5.1) with a boundary derived from the bodies and found in none of them.
func multipartMixed(parts []Part) (contentType string, body []byte) {
	h := fnv.New64a()
	for _, p := range parts {
		h.Write(p.Body)
	}
	var boundary string
	for seed := h.Sum64(); ; seed++ {
		boundary = "iwf-" + strconv.FormatUint(seed, 36)
		if !anyContains(parts, boundary) {
			break
		}
	}
	var b []byte
	for _, p := range parts {
		b = append(b, "--"+boundary+"\r\n"...)
		ct, id, disp := partHeaders(p)
		for _, h := range []Header{{"Content-Type", ct}, {"Content-ID", id}, {"Content-Disposition", disp}} {
			if h.Value != "" {
				b = appendHeader(b, h.Name, h.Value)
			}
		}
		b = append(b, "\r\n"...)
		b = append(b, p.Body...)
		b = append(b, "\r\n"...)
	}
	b = append(b, "--"+boundary+"--\r\n"...)
	return `multipart/mixed;boundary="` + boundary + `"`, b
}

func anyContains(parts []Part, s string) bool {
	for _, p := range parts {
		if bytes.Contains(p.Body, []byte(s)) {
			return true
		}
	}
	return false
}

// splitMultipart splits a multipart/mixed body into Parts. A part's base64
// Content-Transfer-Encoding is undone; 7bit, 8bit and binary are kept.
//
// Parts are not copied: the Body of a part not in base64 is a sub-slice of
// body, its capacity cut at its end so that appending to it reallocates
// instead of overwriting what follows. A picture is then held once, not
// twice, and body must not be changed afterwards.
func splitMultipart(body []byte, boundary string) ([]Part, error) {
	if boundary == "" || len(boundary) > 70 {
		return nil, &SyntaxError{Line: 1, Msg: "multipart/mixed without a valid boundary"}
	}
	delim := []byte("--" + boundary)
	var parts []Part
	pos := delimiterAt(body, delim, 0)
	for pos >= 0 {
		after := pos + len(delim)
		if bytes.HasPrefix(body[after:], []byte("--")) {
			return parts, nil
		}
		eol := bytes.IndexByte(body[after:], '\n')
		if eol < 0 {
			break
		}
		start := after + eol + 1
		next := delimiterAt(body, delim, start)
		if next < 0 {
			break
		}
		if len(parts) == MaxParts {
			return nil, &LimitError{Codec: "cpim", What: "parts", Limit: MaxParts}
		}
		end := next - 1 // the line break before a delimiter belongs to it
		if end > start && body[end-1] == '\r' {
			end--
		}
		end = max(end, start)
		p, err := parsePart(body[start:end:end])
		if err != nil {
			return nil, err
		}
		parts = append(parts, p)
		pos = next
	}
	return nil, &SyntaxError{Line: 1, Msg: "multipart/mixed without its closing delimiter"}
}

// delimiterAt returns the index of the first delim at the start of a line
// at or after from, or -1.
func delimiterAt(body, delim []byte, from int) int {
	for from <= len(body) {
		i := bytes.Index(body[from:], delim)
		if i < 0 {
			return -1
		}
		at := from + i
		if at == 0 || body[at-1] == '\n' {
			return at
		}
		from = at + 1
	}
	return -1
}

func parsePart(raw []byte) (Part, error) {
	r := lineReader{data: raw}
	hs, _, err := r.headerBlock()
	if err != nil {
		return Part{}, err
	}
	var ct, id, disp, cte string
	for _, h := range hs {
		switch strings.ToLower(h.Name) {
		case "content-type":
			ct = h.Value
		case "content-id":
			id = h.Value
		case "content-disposition":
			disp = h.Value
		case "content-transfer-encoding":
			cte = strings.ToLower(h.Value)
		}
	}
	body := raw[r.pos:]
	switch cte {
	case "", "7bit", "8bit", "binary":
	case "base64":
		dec := make([]byte, base64.StdEncoding.DecodedLen(len(body)))
		n, err := base64.StdEncoding.Decode(dec, body)
		if err != nil {
			return Part{}, &SyntaxError{Line: r.line, Msg: "bad base64 body part"}
		}
		body = dec[:n]
	default:
		return Part{}, fmt.Errorf("cpim: content-transfer-encoding %q: %w", cte, ErrUnsupported)
	}
	if len(body) == 0 {
		body = nil
	}
	return newPart(ct, id, disp, body), nil
}

// newEnvelope starts a CPIM message with the headers every message iwf
// writes has: From, To, the imdn namespace, imdn.Message-ID and DateTime
// (the last two when set).
func newEnvelope(from, to Address, id string, at time.Time, headers int) *CPIM {
	c := &CPIM{Headers: make([]Header, 0, headers)}
	c.add("From", "<"+orAnonymous(from)+">")
	c.add("To", "<"+orAnonymous(to)+">")
	c.add("NS", "imdn <"+NamespaceIMDN+">")
	if id != "" {
		c.add("imdn.Message-ID", id)
	}
	if !at.IsZero() {
		c.add("DateTime", at.Format(time.RFC3339Nano))
	}
	return c
}
