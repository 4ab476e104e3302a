package mm7

import (
	"bytes"
	"fmt"
	"io"
	"mime"
	"strings"

	"golang.org/x/text/encoding/ianaindex"
)

// Message is one MM7 HTTP body: the SOAP header's TransactionID, the
// operation in the SOAP body and the MIME parts attached to it.
type Message struct {
	TransactionID string
	// Version is the namespace the operation came in; Encode writes the
	// version it is given instead.
	Version   Version
	Operation Operation
	// Attachments are the parts after the SOAP part, in wire order. The
	// operation's Content href names one of them by Content-ID.
	Attachments []Part
}

// Content returns the attachment the operation's Content element refers
// to, or nil when there is none. When the href names no part and there is
// exactly one attachment (accepted by Limits.LenientContentRef), that
// attachment is returned.
func (m *Message) Content() *Part {
	if m.Operation == nil || m.Operation.content() == nil {
		return nil
	}
	i, err := resolveHref(m.Operation.content().Href, m.Attachments)
	if err != nil {
		if len(m.Attachments) != 1 {
			return nil
		}
		i = 0
	}
	return &m.Attachments[i]
}

// ReadBody reads an MM7 HTTP body of at most limit bytes; a longer one is
// ErrTooLarge. A body with a Content-Length (contentLength >= 0) is read
// into a buffer of that size: body must end there, as net/http's does.
func ReadBody(body io.Reader, contentLength int64, limit int) ([]byte, error) {
	if contentLength > int64(limit) {
		return nil, ErrTooLarge
	}
	if contentLength >= 0 {
		// net/http ends the body after Content-Length bytes: read them
		// into a buffer of that size, not one grown by doubling.
		b := make([]byte, contentLength)
		if _, err := io.ReadFull(body, b); err != nil {
			return nil, err
		}
		return b, nil
	}
	b, err := io.ReadAll(io.LimitReader(body, int64(limit)+1))
	if err != nil {
		return nil, err
	}
	if len(b) > limit {
		return nil, ErrTooLarge
	}
	return b, nil
}

// Decode parses an MM7 HTTP body with the default Limits.
func Decode(contentType string, body []byte) (Message, error) {
	return Limits{}.Decode(contentType, body)
}

// Decode parses an MM7 HTTP body given its Content-Type: a bare text/xml
// SOAP envelope, or multipart/related with the envelope as start part.
// Every refusal is a *DecodeError carrying the status to answer with.
// The Body of a part sent without a transfer encoding is a slice of
// body, which must not change while the message is in use.
func (l Limits) Decode(contentType string, body []byte) (Message, error) {
	lim := l.withDefaults()
	if len(body) > lim.MaxSize {
		return Message{}, invalid(fmt.Errorf("%w: %d bytes", ErrTooLarge, len(body)))
	}
	if len(contentType) > lim.MaxHeaderBytes {
		return Message{}, invalid(fmt.Errorf("%w: content type", ErrHeaderTooLong))
	}
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return Message{}, invalid(fmt.Errorf("%w: %w", ErrContentType, err))
	}
	soap, charset, attachments := body, params["charset"], []Part(nil)
	switch {
	case isXMLType(mt):
	case mt == "multipart/related":
		if soap, charset, attachments, err = splitRelated(params, body, lim); err != nil {
			return Message{}, err
		}
	default:
		return Message{}, invalid(fmt.Errorf("%w: %q", ErrContentType, mt))
	}
	if soap, err = soapToUTF8(soap, charset); err != nil {
		return Message{}, err
	}
	env, err := decodeEnvelope(soap, lim)
	if err != nil {
		return Message{}, err
	}
	if *env.op.version() == "" {
		// Mandatory in every operation of the TS 23.140 schemas; Encode
		// would otherwise invent one the peer never sent.
		return Message{}, invalid(fmt.Errorf("%w: %s without MM7Version", ErrInvalid, env.op.OperationName()))
	}
	msg := Message{TransactionID: env.transactionID, Version: env.version, Operation: env.op, Attachments: attachments}
	if ref := env.op.content(); ref != nil {
		_, err := resolveHref(ref.Href, attachments)
		if err != nil && !(lim.LenientContentRef && len(attachments) == 1) {
			return Message{}, invalid(err)
		}
	}
	return msg, nil
}

func isXMLType(mt string) bool { return mt == "text/xml" || mt == "application/xml" }

// splitRelated parses a multipart/related body (RFC 2387) and returns the
// start part's bytes, its charset parameter and the other parts.
func splitRelated(params map[string]string, body []byte, lim Limits) ([]byte, string, []Part, error) {
	if params["boundary"] == "" {
		return nil, "", nil, invalid(fmt.Errorf("%w: no boundary", ErrBrokenMultipart))
	}
	mp := mimeParser{lim: lim}
	parts, err := mp.parseMultipart(body, params["boundary"], 1)
	if err != nil {
		return nil, "", nil, err
	}
	root := 0
	if start := trimAngle(params["start"]); start != "" {
		root = -1
		for i := range parts {
			if parts[i].ContentID == start {
				root = i
				break
			}
		}
		if root < 0 {
			return nil, "", nil, invalid(fmt.Errorf("%w: no part with Content-ID <%s>", ErrNoStartPart, start))
		}
	}
	mt, rootParams, err := parts[root].MediaType()
	if err != nil || !isXMLType(mt) || len(parts[root].Parts) > 0 {
		return nil, "", nil, invalid(fmt.Errorf("%w: start part is not text/xml", ErrNoStartPart))
	}
	if parts[root].ContentType == "" {
		rootParams = nil // the us-ascii default of MediaType is no declaration
	}
	rest := make([]Part, 0, len(parts)-1)
	rest = append(rest, parts[:root]...)
	rest = append(rest, parts[root+1:]...)
	if len(rest) == 0 {
		rest = nil
	}
	return parts[root].Body, rootParams["charset"], rest, nil
}

// soapToUTF8 honours the charset parameter of the SOAP part: when it names
// a charset other than UTF-8 and the XML declaration names none, the XML
// is transcoded to UTF-8. An encoding in the XML declaration is applied
// by the XML decoder instead.
func soapToUTF8(b []byte, charset string) ([]byte, error) {
	cs := strings.ToLower(charset)
	if cs == "" || cs == "utf-8" || cs == "us-ascii" || declaresEncoding(b) {
		return b, nil
	}
	enc, err := ianaindex.MIME.Encoding(cs)
	if err != nil || enc == nil {
		return nil, invalid(fmt.Errorf("%w: unknown charset %q", ErrContentType, charset))
	}
	out, err := enc.NewDecoder().Bytes(b)
	if err != nil {
		return nil, invalid(fmt.Errorf("%w: %s: %w", ErrBadXML, cs, err))
	}
	return out, nil
}

func declaresEncoding(b []byte) bool {
	if !bytes.HasPrefix(b, []byte("<?xml")) {
		return false
	}
	end := bytes.Index(b, []byte("?>"))
	return end > 0 && bytes.Contains(b[:end], []byte("encoding"))
}

// resolveHref finds the attachment a Content href names: "cid:" URLs
// (RFC 2392) match Content-ID, anything else matches Content-Location.
func resolveHref(href string, parts []Part) (int, error) {
	id, isCID := strings.CutPrefix(href, "cid:")
	if isCID {
		id = percentDecode(id)
	}
	for i := range parts {
		if (isCID && parts[i].ContentID == id) || (!isCID && href != "" && parts[i].ContentLocation == href) {
			return i, nil
		}
	}
	return -1, fmt.Errorf("%w: %q", ErrDanglingCID, href)
}

func percentDecode(s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			b.WriteByte(unhex(s[i+1])<<4 | unhex(s[i+2]))
			i += 2
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

func unhex(c byte) byte {
	switch {
	case c >= 'a':
		return c - 'a' + 10
	case c >= 'A':
		return c - 'A' + 10
	}
	return c - '0'
}

// rootContentID names the SOAP part in encoded messages.
const rootContentID = "mm7-soap-envelope"

// Encode writes msg in namespace v and returns the HTTP Content-Type and
// body: bare text/xml without attachments, multipart/related otherwise.
// The same msg and v give the same bytes; the body is written into one
// buffer of its final size.
func Encode(msg Message, v Version) (contentType string, body []byte, err error) {
	return AppendEncode(nil, msg, v)
}

// AppendEncode is Encode appending the body to dst, which it grows once
// to the size needed: a caller sending many messages can reuse one
// buffer rather than allocate each body afresh.
func AppendEncode(dst []byte, msg Message, v Version) (contentType string, body []byte, err error) {
	if msg.Operation == nil {
		return "", nil, fmt.Errorf("%w: no operation", ErrInvalid)
	}
	if ref := msg.Operation.content(); ref != nil {
		if _, err := resolveHref(ref.Href, msg.Attachments); err != nil && len(msg.Attachments) != 1 {
			return "", nil, err
		}
	}
	var env bytes.Buffer
	if err := encodeEnvelope(&env, msg.TransactionID, msg.Operation, v); err != nil {
		return "", nil, err
	}
	if len(msg.Attachments) == 0 {
		return `text/xml; charset="utf-8"`, append(dst, env.Bytes()...), nil
	}
	for i := range msg.Attachments {
		if msg.Attachments[i].ContentID == rootContentID {
			return "", nil, fmt.Errorf("%w: attachment uses reserved Content-ID %q", ErrInvalid, rootContentID)
		}
	}
	parts := make([]Part, 0, len(msg.Attachments)+1)
	parts = append(parts, Part{ContentType: `text/xml; charset="utf-8"`, ContentID: rootContentID, Body: env.Bytes()})
	parts = append(parts, msg.Attachments...)
	boundary, body, err := appendMultipartBody(dst, parts)
	if err != nil {
		return "", nil, err
	}
	contentType = mime.FormatMediaType("multipart/related", map[string]string{
		"boundary": boundary, "type": "text/xml", "start": angle(rootContentID),
	})
	return contentType, body, nil
}
