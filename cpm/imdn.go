package cpm

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"mime"
	"strings"
	"time"
)

// IMDN limits. A notification over either is refused with a *LimitError
// that matches ErrTooLarge.
const (
	MaxIMDNSize  = 64 << 10 // bytes of a message/imdn+xml document
	MaxIMDNDepth = 16       // nesting of XML elements, the root counted
)

// IMDNContentType is the media type of a notification (RFC 5438 section 7).
const IMDNContentType = "message/imdn+xml"

// xmlnsIMDN is the XML namespace of message/imdn+xml.
const xmlnsIMDN = "urn:ietf:params:xml:ns:imdn"

// ErrDTD refuses a notification with a DOCTYPE (and with it any ENTITY
// declaration): IMDN has no use for one and entity expansion is an attack.
var ErrDTD = fmt.Errorf("imdn: document type declaration refused: %w", ErrMalformed)

// The statuses of a processing-notification, which iwf parses but does not
// report on.
const (
	Processed Status = "processed"
	Stored    Status = "stored"
)

// The disposition names of imdn.Disposition-Notification (RFC 5438 section 6.3).
var dispositionNames = [...]struct {
	flag Disposition
	name string
}{
	{PositiveDelivery, "positive-delivery"},
	{NegativeDelivery, "negative-delivery"},
	{Display, "display"},
}

// String returns d as an imdn.Disposition-Notification value,
// "positive-delivery, negative-delivery, display".
func (d Disposition) String() string {
	var names []string
	for _, n := range dispositionNames {
		if d.Has(n.flag) {
			names = append(names, n.name)
		}
	}
	return strings.Join(names, ", ")
}

// ParseDisposition parses an imdn.Disposition-Notification value. Names are
// compared without regard to case; unknown names are ignored (RFC 5438
// section 6.3 lets the recipient ignore what it does not understand).
func ParseDisposition(v string) Disposition {
	var d Disposition
	for _, f := range strings.Split(v, ",") {
		f = strings.TrimSpace(f)
		for _, n := range dispositionNames {
			if strings.EqualFold(f, n.name) {
				d |= n.flag
			}
		}
	}
	return d
}

// IMDNRequest is what a message's CPIM headers say about the notifications
// wanted for it (RFC 5438 section 6).
type IMDNRequest struct {
	MessageID    string      // imdn.Message-ID; "" when absent
	DateTime     time.Time   // DateTime, zero when absent
	Notify       Disposition // imdn.Disposition-Notification
	OriginalTo   string      // URI of imdn.Original-To; "" when absent
	RecordRoutes []string    // URIs of imdn.IMDN-Record-Route, in order
}

// IMDNRequest returns the IMDN request headers of c, resolving the imdn
// prefix by its NS declaration. A DateTime that is not RFC 3339 with an
// offset, or a Message-ID with white space, is malformed.
func (c *CPIM) IMDNRequest() (IMDNRequest, error) {
	var req IMDNRequest
	if id, ok := c.Get(NamespaceIMDN, "Message-ID"); ok {
		if id == "" || strings.ContainsAny(id, " \t") {
			return req, fmt.Errorf("cpim: imdn.Message-ID %q: %w", id, ErrMalformed)
		}
		req.MessageID = id
	}
	if v, ok := c.Get(NamespaceCPIM, "DateTime"); ok {
		t, err := parseDateTime(v)
		if err != nil {
			return req, fmt.Errorf("cpim: DateTime %q: %w", v, ErrMalformed)
		}
		req.DateTime = t
	}
	if v, ok := c.Get(NamespaceIMDN, "Disposition-Notification"); ok {
		req.Notify = ParseDisposition(v)
	}
	if v, ok := c.Get(NamespaceIMDN, "Original-To"); ok {
		req.OriginalTo = AddressURI(v)
	}
	for _, v := range c.Values(NamespaceIMDN, "IMDN-Record-Route") {
		req.RecordRoutes = append(req.RecordRoutes, AddressURI(v))
	}
	return req, nil
}

// parseDateTime parses an RFC 3339 date-time with an offset, fractional
// seconds kept; "t" and "z" may be lower case (RFC 3339 section 5.6).
func parseDateTime(v string) (time.Time, error) {
	v = strings.Map(func(r rune) rune {
		switch r {
		case 't':
			return 'T'
		case 'z':
			return 'Z'
		}
		return r
	}, strings.TrimSpace(v))
	return time.Parse(time.RFC3339Nano, v)
}

// NotificationKind says which notification an IMDN carries.
type NotificationKind uint8

// The notifications of RFC 5438 section 7.
const (
	NoNotification NotificationKind = iota // the schema allows an empty <imdn>
	DeliveryNotification
	DisplayNotification
	ProcessingNotification
)

var kindElements = [...]string{"", "delivery-notification", "display-notification", "processing-notification"}

// validStatus reports whether s is a status of notification kind k.
func validStatus(k NotificationKind, s Status) bool {
	switch s {
	case Forbidden, Error:
		return k != NoNotification
	case Delivered, Failed:
		return k == DeliveryNotification
	case Displayed:
		return k == DisplayNotification
	case Processed, Stored:
		return k == ProcessingNotification
	}
	return false
}

// IMDN is a message/imdn+xml notification (RFC 5438 section 7):
//
//	<imdn xmlns="urn:ietf:params:xml:ns:imdn">
//	  <message-id>34jk324j</message-id>               MessageID
//	  <datetime>2008-04-04T12:16:49-05:00</datetime>  DateTime
//	  <recipient-uri>…</recipient-uri>                RecipientURI, optional
//	  <original-recipient-uri>…</original-recipient-uri>
//	  <subject>…</subject>                            optional
//	  <delivery-notification>                         Kind
//	    <status><delivered/></status>                 Status
//	  </delivery-notification>
//	</imdn>
//
// Unmarshal refuses any DOCTYPE, bounds size and depth, ignores elements of
// other namespaces (the schema's extension points) and requires message-id
// and datetime. Marshal writes the same elements in schema order.
type IMDN struct {
	MessageID            string
	DateTime             time.Time // the original message's DateTime
	RecipientURI         string
	OriginalRecipientURI string
	Subject              string
	Kind                 NotificationKind
	Status               Status // "" only when Kind is NoNotification
}

// Unmarshal parses data as message/imdn+xml, replacing n. On error n is
// left unchanged.
func (n *IMDN) Unmarshal(data []byte) error {
	if len(data) > MaxIMDNSize {
		return &LimitError{Codec: "imdn", What: "size", Limit: MaxIMDNSize}
	}
	p := imdnParser{d: xml.NewDecoder(bytes.NewReader(data))}
	if err := p.run(); err != nil {
		return err
	}
	if !p.root {
		return fmt.Errorf("imdn: no <imdn> element: %w", ErrMalformed)
	}
	if p.out.MessageID == "" || !p.hasDate {
		return fmt.Errorf("imdn: <message-id> and <datetime> are required: %w", ErrMalformed)
	}
	*n = p.out
	return nil
}

// imdnParser walks the tokens of one notification.
type imdnParser struct {
	d       *xml.Decoder
	out     IMDN
	path    []string // local names; "" for an element of another namespace
	text    []byte
	root    bool
	hasDate bool
}

func (p *imdnParser) run() error {
	for {
		tok, err := p.d.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("imdn: %w: %w", ErrMalformed, err)
		}
		switch t := tok.(type) {
		case xml.Directive:
			return ErrDTD
		case xml.StartElement:
			if err := p.start(t.Name); err != nil {
				return err
			}
		case xml.CharData:
			if len(p.text)+len(t) <= MaxIMDNSize {
				p.text = append(p.text, t...)
			}
		case xml.EndElement:
			if err := p.end(); err != nil {
				return err
			}
			p.path = p.path[:len(p.path)-1]
		}
	}
}

func (p *imdnParser) start(name xml.Name) error {
	if len(p.path) == MaxIMDNDepth {
		return &LimitError{Codec: "imdn", What: "depth", Limit: MaxIMDNDepth}
	}
	local := name.Local
	if name.Space != xmlnsIMDN {
		local = ""
	}
	if len(p.path) == 0 {
		if local != "imdn" || p.root {
			return fmt.Errorf("imdn: root element <%s> in %q: %w", name.Local, name.Space, ErrMalformed)
		}
		p.root = true
	}
	p.path = append(p.path, local)
	p.text = p.text[:0]
	switch {
	case len(p.path) == 2 && kindOf(local) != NoNotification:
		if p.out.Kind != NoNotification {
			return fmt.Errorf("imdn: more than one notification: %w", ErrMalformed)
		}
		p.out.Kind = kindOf(local)
	case len(p.path) == 4 && p.path[2] == "status" && kindOf(p.path[1]) != NoNotification && local != "":
		s := Status(local)
		if p.out.Status != "" || !validStatus(p.out.Kind, s) {
			return fmt.Errorf("imdn: status <%s> in <%s>: %w", local, p.path[1], ErrMalformed)
		}
		p.out.Status = s
	}
	return nil
}

func kindOf(element string) NotificationKind {
	for k, e := range kindElements {
		if e != "" && e == element {
			return NotificationKind(k)
		}
	}
	return NoNotification
}

func (p *imdnParser) end() error {
	if len(p.path) == 2 && kindOf(p.path[1]) != NoNotification && p.out.Status == "" {
		return fmt.Errorf("imdn: <%s> without a status: %w", p.path[1], ErrMalformed)
	}
	if len(p.path) != 2 {
		return nil
	}
	v := strings.Trim(string(p.text), " \t\r\n")
	switch p.path[1] {
	case "message-id":
		p.out.MessageID = v
	case "datetime":
		t, err := parseDateTime(v)
		if err != nil {
			return fmt.Errorf("imdn: <datetime> %q: %w", v, ErrMalformed)
		}
		p.out.DateTime, p.hasDate = t, true
	case "recipient-uri":
		p.out.RecipientURI = v
	case "original-recipient-uri":
		p.out.OriginalRecipientURI = v
	case "subject":
		p.out.Subject = string(p.text)
	}
	return nil
}

// Marshal encodes n as message/imdn+xml in UTF-8. It refuses a
// notification without message-id or datetime, or with a status its kind
// does not allow. The recipient-uri, original-recipient-uri and subject
// elements are written when set; the schema wants the first two together
// and subject only with them.
func (n *IMDN) Marshal() ([]byte, error) {
	switch {
	case n.MessageID == "":
		return nil, errors.New("imdn: marshal: no message-id")
	case n.DateTime.IsZero():
		return nil, errors.New("imdn: marshal: no datetime")
	case n.Kind == NoNotification && n.Status != "",
		n.Kind != NoNotification && !validStatus(n.Kind, n.Status),
		int(n.Kind) >= len(kindElements):
		return nil, fmt.Errorf("imdn: marshal: status %q in notification kind %d", n.Status, n.Kind)
	}
	var b bytes.Buffer
	b.Grow(256 + len(n.MessageID) + len(n.RecipientURI) + len(n.OriginalRecipientURI) + len(n.Subject))
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	b.WriteString(`<imdn xmlns="` + xmlnsIMDN + `">`)
	writeElement(&b, "message-id", n.MessageID)
	writeElement(&b, "datetime", n.DateTime.Format(time.RFC3339Nano))
	for _, e := range [...]struct{ name, value string }{
		{"recipient-uri", n.RecipientURI},
		{"original-recipient-uri", n.OriginalRecipientURI},
		{"subject", n.Subject},
	} {
		if e.value != "" {
			writeElement(&b, e.name, e.value)
		}
	}
	if n.Kind != NoNotification {
		k := kindElements[n.Kind]
		b.WriteString("<" + k + "><status><" + string(n.Status) + "/></status></" + k + ">")
	}
	b.WriteString("</imdn>\n")
	return b.Bytes(), nil
}

func writeElement(b *bytes.Buffer, name, value string) {
	b.WriteString("<" + name + ">")
	xml.EscapeText(b, []byte(value)) // a bytes.Buffer does not fail
	b.WriteString("</" + name + ">")
}

// isIMDNType reports whether a Content-Type is message/imdn+xml.
func isIMDNType(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		mt, _, _ = strings.Cut(contentType, ";")
		mt = strings.ToLower(strings.TrimSpace(mt))
	}
	return mt == IMDNContentType
}

// ReportFromCPIM maps a CPIM message whose content is message/imdn+xml to a
// Report: ID from its imdn.Message-ID, DateTime from its DateTime, From from
// its From (else the notification's recipient-uri), To from its To, and
// MessageID, Status and OriginalDateTime from the notification. A content
// of another type, or a processing-notification, is ErrUnsupported.
func ReportFromCPIM(c *CPIM) (Report, error) {
	if !isIMDNType(c.ContentType) {
		return Report{}, fmt.Errorf("cpim: content type %q is not %s: %w", c.ContentType, IMDNContentType, ErrUnsupported)
	}
	var n IMDN
	if err := n.Unmarshal(c.Body); err != nil {
		return Report{}, err
	}
	if n.Kind != DeliveryNotification && n.Kind != DisplayNotification {
		return Report{}, fmt.Errorf("imdn: only delivery and display notifications are reported: %w", ErrUnsupported)
	}
	req, err := c.IMDNRequest()
	if err != nil {
		return Report{}, err
	}
	r := Report{
		ID:               req.MessageID,
		MessageID:        n.MessageID,
		From:             c.address("From"),
		To:               c.address("To"),
		Status:           n.Status,
		Display:          n.Kind == DisplayNotification,
		DateTime:         req.DateTime,
		OriginalDateTime: n.DateTime,
	}
	if r.From == "" {
		r.From = Address(n.RecipientURI)
	}
	return r, nil
}

// CPIM maps r to a CPIM message carrying a message/imdn+xml notification
// with "Content-Disposition: notification" (RFC 5438 section 7.1). The
// notification's recipient-uri and original-recipient-uri are both r.From.
// It fails when the notification cannot be encoded (no MessageID, a zero
// OriginalDateTime, a status the kind does not allow).
func (r *Report) CPIM() (*CPIM, error) {
	n := IMDN{
		MessageID:            r.MessageID,
		DateTime:             r.OriginalDateTime,
		RecipientURI:         string(r.From),
		OriginalRecipientURI: string(r.From),
		Kind:                 DeliveryNotification,
		Status:               r.Status,
	}
	if r.Display {
		n.Kind = DisplayNotification
	}
	body, err := n.Marshal()
	if err != nil {
		return nil, err
	}
	c := newEnvelope(r.From, r.To, r.ID, r.DateTime, 5)
	c.ContentType = IMDNContentType
	c.ContentDisposition = "notification"
	c.Body = body
	return c, nil
}
