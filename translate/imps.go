package translate

import (
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"mime"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/iwf-gateway/iwf/adapters/imps/wv"
	"github.com/iwf-gateway/iwf/cpm"
)

// IMPS mappings (IWF-1): CPM messages to SendMessage-Request, NewMessage to
// CPM messages, DeliveryReport-Request results to IMDN statuses, after OMA
// IMPS WV-CSP 1.1/1.2 (MessageInfo, ContentType, ContentEncoding,
// ContentSize, DateTime, DeliveryReport, status codes).

// Values of IMPSRoute.SenderForm.
const (
	IMPSSenderForm  = "sender"  // the CPM sender's wv id is the Sender
	IMPSDisplayForm = "display" // the server's account is the Sender; the text names the CPM sender
)

// DefaultIMPSMaxBytes is the ContentSize bound when IMPSRoute.MaxBytes is 0.
const DefaultIMPSMaxBytes = 65536

// ContentEncoding values (WV-CSP MessageInfo).
const (
	impsEncodingNone   = "None"
	impsEncodingBase64 = "BASE64"
)

// impsDateTimeLayout is how iwf writes a CSP DateTime: ISO 8601 basic
// format in UTC, as the WV-CSP examples ("20010925T1340Z") and the
// clients reading them (RFC 2445 date-time parsers) expect.
const impsDateTimeLayout = "20060102T150405Z"

// Errors of the IMPS mappings.
var (
	// ErrBadIMPSRoute: an IMPSRoute without sender or recipient id, with an
	// unknown SenderForm, or with a negative bound.
	ErrBadIMPSRoute = errors.New("translate: bad IMPS route")
	// ErrIMPSGroup: a NewMessage from an IMPS group, or to groups and
	// contact lists only; iwf interworks one-to-one messages.
	ErrIMPSGroup = errors.New("translate: IMPS group message not interworked")
)

// IMPSRoute is the per-message policy of a CPM message going out as
// SendMessage-Request.
type IMPSRoute struct {
	Sender    string // the CPM sender's wv id (from addressmap IMPSSender)
	Recipient string // the IMPS user's wv id
	// SenderForm is IMPSSenderForm ("sender", the default when empty): the
	// CPM sender goes in MessageInfo/Sender/User/UserID; or IMPSDisplayForm
	// ("display"): Sender is Account (or left empty for the server to
	// fill) and the text is prefixed with DisplayPrefix.
	SenderForm    string
	DisplayPrefix string        // e.g. "[+447700900123] ", filled by the gateway in display form; ignored otherwise
	Account       string        // display form: the gateway's own wv id, written as Sender when set
	Validity      time.Duration // 0: none; else MessageInfo/Validity in whole seconds, rounded up
	Now           time.Time     // DateTime, written in UTC; zero: none
	MaxBytes      int           // bound on ContentSize; 0: DefaultIMPSMaxBytes
}

// check validates r and returns its sender form and byte bound.
func (r *IMPSRoute) check() (display bool, maxBytes int, err error) {
	switch r.SenderForm {
	case "", IMPSSenderForm:
		if !impsIsWVID(r.Sender) {
			return false, 0, fmt.Errorf("%w: sender %q is not a wv id", ErrBadIMPSRoute, r.Sender)
		}
	case IMPSDisplayForm:
		display = true
		if r.Account != "" && !impsIsWVID(r.Account) {
			return false, 0, fmt.Errorf("%w: account %q is not a wv id", ErrBadIMPSRoute, r.Account)
		}
	default:
		return false, 0, fmt.Errorf("%w: sender form %q", ErrBadIMPSRoute, r.SenderForm)
	}
	if !impsIsWVID(r.Recipient) {
		return false, 0, fmt.Errorf("%w: recipient %q is not a wv id", ErrBadIMPSRoute, r.Recipient)
	}
	if r.MaxBytes < 0 || r.Validity < 0 {
		return false, 0, fmt.Errorf("%w: negative max bytes or validity", ErrBadIMPSRoute)
	}
	maxBytes = r.MaxBytes
	if maxBytes == 0 {
		maxBytes = DefaultIMPSMaxBytes
	}
	return display, maxBytes, nil
}

func impsIsWVID(s string) bool {
	return len(s) > 3 && strings.EqualFold(s[:3], "wv:")
}

// SendMessageFromMessage maps a CPM message to the SendMessage-Request that
// carries it to one IMPS user.
//
// The message must have one part. Text (text/plain in any charset
// ianaindex knows, converted to UTF-8) goes as ContentType "text/plain",
// ContentEncoding "None" and the text as ContentData, XML escaping being
// the codec's job; text holding characters XML 1.0 cannot carry (most C0
// controls) goes base64-encoded as "text/plain; charset=utf-8" instead,
// byte for byte. Any other part (an image, a vCard) goes as ContentEncoding
// "BASE64" with its own ContentType. Parts IMPS cannot carry, multipart/*
// and message/* (CPIM, IMDN), and several parts, are ErrUnsupportedType.
//
// ContentSize counts the octets of the content before base64 encoding, the
// display prefix included; over r.MaxBytes it is ErrTooLarge. No content
// is ErrMalformed. DeliveryReport is asked for when m.Notify asks for a
// positive or negative delivery notification. The Subject has no CSP
// element and is not carried, nor are a part's Content-ID and filename.
//
// In display form the IMPS user sees the gateway's account as sender, so a
// non-text part, which cannot carry DisplayPrefix, is ErrUnsupportedType
// when a prefix is given: the recipient would not know who wrote.
func SendMessageFromMessage(m *cpm.Message, r IMPSRoute) (wv.SendMessageRequest, error) {
	display, maxBytes, err := r.check()
	if err != nil {
		return wv.SendMessageRequest{}, err
	}
	switch len(m.Parts) {
	case 0:
		return wv.SendMessageRequest{}, fmt.Errorf("translate: message without content: %w", ErrMalformed)
	case 1:
	default:
		return wv.SendMessageRequest{}, fmt.Errorf("translate: %d parts cannot go as one IMPS message: %w", len(m.Parts), ErrUnsupportedType)
	}
	prefix := ""
	if display {
		prefix = r.DisplayPrefix
	}
	c, err := impsContentOf(m.Parts[0], prefix)
	if err != nil {
		return wv.SendMessageRequest{}, err
	}
	if c.size == 0 {
		return wv.SendMessageRequest{}, fmt.Errorf("translate: empty content: %w", ErrMalformed)
	}
	if c.size > maxBytes || uint64(c.size) > math.MaxUint32 {
		return wv.SendMessageRequest{}, fmt.Errorf("translate: content of %d bytes over %d: %w", c.size, maxBytes, ErrTooLarge)
	}
	info := wv.MessageInfo{
		ContentType:     c.contentType,
		ContentEncoding: c.encoding,
		ContentSize:     uint32(c.size),
		Recipient:       wv.Recipient{Users: []wv.User{{UserID: r.Recipient}}},
		Validity:        impsValidity(r.Validity),
	}
	switch {
	case !display:
		info.Sender.User = &wv.User{UserID: r.Sender}
	case r.Account != "":
		info.Sender.User = &wv.User{UserID: r.Account}
	}
	if !r.Now.IsZero() {
		info.DateTime = FormatIMPSDateTime(r.Now)
	}
	return wv.SendMessageRequest{
		DeliveryReport: wv.Bool(m.Notify&(cpm.PositiveDelivery|cpm.NegativeDelivery) != 0),
		MessageInfo:    info,
		ContentData:    c.data,
	}, nil
}

// impsContent is a part as MessageInfo and ContentData carry it.
type impsContent struct {
	contentType, encoding, data string
	size                        int // octets before encoding
}

func impsContentOf(p cpm.Part, prefix string) (impsContent, error) {
	if p.IsText() {
		t, err := textPartToUTF8(p)
		if err != nil {
			return impsContent{}, err
		}
		text := prefix + string(t.Body)
		if impsXMLText(text) {
			return impsContent{contentType: "text/plain", encoding: impsEncodingNone, data: text, size: len(text)}, nil
		}
		return impsContent{contentType: "text/plain; charset=utf-8", encoding: impsEncodingBase64,
			data: base64.StdEncoding.EncodeToString([]byte(text)), size: len(text)}, nil
	}
	mt, params, err := parseContentType(p.ContentType)
	if err != nil {
		return impsContent{}, err
	}
	if !impsCarries(mt) {
		return impsContent{}, fmt.Errorf("translate: %q cannot go as an IMPS message: %w", mt, ErrUnsupportedType)
	}
	if prefix != "" {
		return impsContent{}, fmt.Errorf("translate: %q cannot name its sender in display form: %w", mt, ErrUnsupportedType)
	}
	return impsContent{contentType: mime.FormatMediaType(mt, params), encoding: impsEncodingBase64,
		data: base64.StdEncoding.EncodeToString(p.Body), size: len(p.Body)}, nil
}

// impsCarries reports whether a media type can be the content of an IMPS
// message: not a container (multipart/*) and not an envelope or a
// notification (message/*), which the recipient would take for protocol.
func impsCarries(mt string) bool {
	return mt != "" && !strings.HasPrefix(mt, "multipart/") && !strings.HasPrefix(mt, "message/")
}

// impsXMLText reports whether s is valid UTF-8 of XML 1.0 Chars (section
// 2.2) only, so ContentData can carry s as character data.
func impsXMLText(s string) bool {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c < 0x20 && c != '\t' && c != '\n' && c != '\r' {
				return false
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 || r == 0xFFFE || r == 0xFFFF {
			return false
		}
		i += size
	}
	return true
}

// impsValidity is d in whole seconds, rounded up, bounded by the element.
func impsValidity(d time.Duration) uint32 {
	if d <= 0 {
		return 0
	}
	s := (d + time.Second - 1) / time.Second
	return uint32(min(int64(s), math.MaxUint32))
}

// MessageFromNewMessage maps a NewMessage to a CPM message, without From,
// To or ID: it returns the sender's id and the recipients' user ids for the
// gateway to map (addressmap IMPSConfig.CPMFromIMPS) and keys the message
// by the CSP MessageID itself.
//
// The message gets one part and DateTime (ParseIMPSDateTime; zero when
// absent or unreadable). Notify stays zero: a NewMessage does not say
// whether its sender wants a report. Validity is left to the gateway,
// which counts it from when it took the message.
//
// Content: ContentEncoding "BASE64" (any case; white space and missing
// padding allowed) is decoded, "None" or absent taken as the characters
// the XML held; another encoding is ErrUnsupportedType. ContentType absent
// means text/plain. Text is converted to UTF-8 from its charset parameter
// when base64 carried its octets (with None, XML has already decoded the
// characters and the parameter is moot); invalid text is ErrMalformed, an
// unknown charset ErrUnsupportedType. Any other type is kept with its
// octets, but multipart/* and message/*, which are ErrUnsupportedType.
//
// ContentSize, when not 0, must count the content's octets (for base64, the
// decoded ones or the encoded ones): a mismatch is ErrMalformed, since the
// content was cut or padded on its way. A None content that only matches
// once the white space around it is trimmed (a pretty-printed document, as
// the WV-CSP examples are) is taken trimmed. Empty content is ErrMalformed.
//
// A Sender that is a group, no Sender, or a Recipient of groups and contact
// lists only is ErrIMPSGroup; user ids are returned trimmed, groups and
// contact lists among users dropped.
func MessageFromNewMessage(nm *wv.NewMessage) (m cpm.Message, sender string, recipients []string, err error) {
	info := &nm.MessageInfo
	if sender, err = impsSender(info.Sender); err != nil {
		return cpm.Message{}, "", nil, err
	}
	if recipients, err = impsRecipients(info.Recipient); err != nil {
		return cpm.Message{}, "", nil, err
	}
	body, base64Encoded, err := impsBody(info, nm.ContentData)
	if err != nil {
		return cpm.Message{}, "", nil, err
	}
	part, err := impsPart(info.ContentType, base64Encoded, body)
	if err != nil {
		return cpm.Message{}, "", nil, err
	}
	return cpm.Message{DateTime: ParseIMPSDateTime(info.DateTime), Parts: []cpm.Part{part}}, sender, recipients, nil
}

func impsSender(s wv.Sender) (string, error) {
	switch {
	case s.User != nil:
		id := strings.TrimSpace(s.User.UserID)
		if id == "" {
			return "", fmt.Errorf("translate: imps sender without UserID: %w", ErrMalformed)
		}
		return id, nil
	case s.Group != nil:
		return "", fmt.Errorf("translate: imps message from a group: %w", ErrIMPSGroup)
	}
	return "", fmt.Errorf("translate: imps message without sender: %w", ErrMalformed)
}

func impsRecipients(r wv.Recipient) ([]string, error) {
	ids := make([]string, 0, len(r.Users))
	for _, u := range r.Users {
		id := strings.TrimSpace(u.UserID)
		if id == "" {
			return nil, fmt.Errorf("translate: imps recipient without UserID: %w", ErrMalformed)
		}
		ids = append(ids, id)
	}
	switch {
	case len(ids) > 0:
		return ids, nil
	case len(r.Groups) > 0 || len(r.ContactLists) > 0:
		return nil, fmt.Errorf("translate: imps message to groups or contact lists only: %w", ErrIMPSGroup)
	}
	return nil, fmt.Errorf("translate: imps message without recipient: %w", ErrMalformed)
}

// impsBody returns the content octets of a message, decoded from base64
// when it was encoded, and checks them against ContentSize.
func impsBody(info *wv.MessageInfo, data string) ([]byte, bool, error) {
	enc := strings.TrimSpace(info.ContentEncoding)
	var body []byte
	encoded := false
	switch {
	case enc == "" || strings.EqualFold(enc, impsEncodingNone):
		body = []byte(data)
		if info.ContentSize != 0 && int64(len(body)) != int64(info.ContentSize) {
			trimmed := strings.Trim(data, impsXMLSpace)
			if int64(len(trimmed)) != int64(info.ContentSize) {
				return nil, false, impsSizeError(info.ContentSize, len(body))
			}
			body = []byte(trimmed)
		}
	case strings.EqualFold(enc, impsEncodingBase64):
		compact := impsDropXMLSpace(data)
		var err error
		if body, err = impsDecodeBase64(compact); err != nil {
			return nil, false, fmt.Errorf("translate: imps base64 content: %w: %w", ErrMalformed, err)
		}
		size := int64(info.ContentSize)
		if size != 0 && size != int64(len(body)) && size != int64(len(compact)) && size != int64(len(data)) {
			return nil, false, impsSizeError(info.ContentSize, len(body))
		}
		encoded = true
	default:
		return nil, false, fmt.Errorf("translate: imps content encoding %q: %w", enc, ErrUnsupportedType)
	}
	if len(body) == 0 {
		return nil, false, fmt.Errorf("translate: imps message without content: %w", ErrMalformed)
	}
	return body, encoded, nil
}

func impsSizeError(said uint32, got int) error {
	return fmt.Errorf("translate: imps ContentSize %d but %d octets of content: %w", said, got, ErrMalformed)
}

// impsXMLSpace is the white space of XML 1.0 (production S).
const impsXMLSpace = " \t\r\n"

func impsDropXMLSpace(s string) string {
	if strings.IndexAny(s, impsXMLSpace) < 0 {
		return s
	}
	return strings.Map(func(r rune) rune {
		if strings.ContainsRune(impsXMLSpace, r) {
			return -1
		}
		return r
	}, s)
}

// impsDecodeBase64 decodes standard base64, padded or not.
func impsDecodeBase64(s string) ([]byte, error) {
	if len(s)%4 != 0 {
		return base64.RawStdEncoding.DecodeString(s)
	}
	return base64.StdEncoding.DecodeString(s)
}

// impsPart makes the part of an IMPS content; see MessageFromNewMessage.
func impsPart(contentType string, base64Encoded bool, body []byte) (cpm.Part, error) {
	ct := strings.TrimSpace(contentType)
	if ct == "" {
		ct = "text/plain"
	}
	mt, params, err := parseContentType(ct)
	if err != nil {
		return cpm.Part{}, err
	}
	if !impsCarries(mt) {
		return cpm.Part{}, fmt.Errorf("translate: imps content %q: %w", mt, ErrUnsupportedType)
	}
	if mt != "text/plain" {
		return cpm.Part{ContentType: mime.FormatMediaType(mt, params), Body: body}, nil
	}
	charset := ""
	if base64Encoded {
		charset = params["charset"]
	}
	text, err := toUTF8(body, charset)
	if err != nil {
		return cpm.Part{}, err
	}
	return cpm.Part{ContentType: "text/plain;charset=UTF-8", Body: text}, nil
}

// impsDateTimeLayouts are the DateTime forms read: ISO 8601 basic (the
// WV-CSP form, with or without seconds) and extended (RFC 3339), each with
// "Z", a numeric offset or no zone (read as UTC). Fractional seconds are
// accepted after the seconds by time.Parse.
var impsDateTimeLayouts = []string{
	"20060102T150405Z0700", "20060102T1504Z0700",
	"20060102T150405", "20060102T1504",
	time.RFC3339, "2006-01-02T15:04Z07:00",
	"2006-01-02T15:04:05", "2006-01-02T15:04",
}

// ParseIMPSDateTime reads a CSP DateTime or DeliveryTime
// ("20010925T1340Z"); the zero time when s is empty or unreadable.
func ParseIMPSDateTime(s string) time.Time {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}
	}
	for _, layout := range impsDateTimeLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t
		}
	}
	return time.Time{}
}

// FormatIMPSDateTime writes t as a CSP DateTime, ISO 8601 basic format in
// UTC: "20010925T134000Z".
func FormatIMPSDateTime(t time.Time) string { return t.UTC().Format(impsDateTimeLayout) }

// IMPSReportStatus maps the Result code of a CSP DeliveryReport-Request to
// the status of an IMDN delivery notification:
//
//	2xx        delivered, final (201 "partially successful" concerns other
//	           recipients: iwf sends one recipient per request)
//	1xx, 541   not final, no status: informational, or "message forwarded"
//	           to another server or address, whose outcome may follow
//	4xx..9xx   failed, final: among them 410 unable to deliver, 531 unknown
//	           user, 532 sender blocked, 533 recipient not logged in, 538
//	           message rejected, 542 message expired
//	otherwise  error, final: a code CSP does not define
//
// 533 and the server errors (500, 503, 504, 507) are temporary in a
// response to SendMessage-Request (wv.StatusError.Temporary), but in a
// delivery report the server has given up: the IMDN says failed.
func IMPSReportStatus(code int) (status cpm.Status, final bool) {
	switch {
	case code >= 200 && code <= 299:
		return cpm.Delivered, true
	case code >= 100 && code <= 199, code == impsCodeMessageForwarded:
		return "", false
	case code >= 400 && code <= 999:
		return cpm.Failed, true
	}
	return cpm.Error, true
}

// impsCodeMessageForwarded is CSP status 541, "message forwarded".
const impsCodeMessageForwarded = 541

// IMPSDelivery is what a DeliveryReport-Request says about an earlier
// SendMessage-Request.
type IMPSDelivery struct {
	MessageID string     // MessageInfo/MessageID: the id SendMessage-Response gave
	Code      int        // Result/Code
	Status    cpm.Status // IMPSReportStatus(Code); "" when not final
	Final     bool
	Time      time.Time // DeliveryTime, zero when absent or unreadable
	Recipient string    // the first user recipient reported on; "" when none
}

// IMPSDeliveryFromReport reads a DeliveryReport-Request for the gateway to
// correlate (by MessageID) and turn into a cpm.Report. A report without
// MessageID is ErrMalformed: it cannot be matched.
func IMPSDeliveryFromReport(dr *wv.DeliveryReportRequest) (IMPSDelivery, error) {
	id := strings.TrimSpace(dr.MessageInfo.MessageID)
	if id == "" {
		return IMPSDelivery{}, fmt.Errorf("translate: imps delivery report without MessageID: %w", ErrMalformed)
	}
	d := IMPSDelivery{MessageID: id, Code: dr.Result.Code, Time: ParseIMPSDateTime(dr.DeliveryTime)}
	d.Status, d.Final = IMPSReportStatus(d.Code)
	if users := dr.MessageInfo.Recipient.Users; len(users) > 0 {
		d.Recipient = strings.TrimSpace(users[0].UserID)
	}
	return d, nil
}
