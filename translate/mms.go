package translate

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/iwf-gateway/iwf/adapters/mms/mm7"
	"github.com/iwf-gateway/iwf/cpm"
)

// Errors of the MMS mappings.
var (
	// ErrMMSEmpty: a message with no part, or an MM7 request with no
	// content, has nothing to carry.
	ErrMMSEmpty = errors.New("translate: mms without content")
	// ErrMMSAddress: an address with no form on the other side (an e-mail
	// address toward addressmap, an alphanumeric sender toward MM7).
	ErrMMSAddress = errors.New("translate: address not expressible across mm7")
	// ErrMMSStatus: an MMStatus this package does not know.
	ErrMMSStatus = errors.New("translate: unknown mm7 MMStatus")
	// ErrMMSRoute: an MMSRoute field holds a value MM7 does not define.
	ErrMMSRoute = errors.New("translate: bad MMS route")
)

// MMSRoute is the per-message policy for a CPM message going out as an MM7
// SubmitReq.
type MMSRoute struct {
	Sender        mm7.Address // SenderIdentification.SenderAddress (the CPM sender, mapped); zero: none
	Recipient     mm7.Address // the one To recipient (mapped)
	VASPID, VASID string      // may be empty (the adapter fills them)
	ServiceCode   string
	MessageClass  string        // "" means "Personal"; else Personal, Informational, Advertisement or Auto
	Priority      string        // "", "High", "Normal", "Low": written when not ""
	Validity      time.Duration // used for ExpiryDate when the message has no Expiry; 0: none
	Now           time.Time     // TimeStamp and the base of Validity; zero: neither is written
	MaxBytes      int           // bound on the sum of part bodies; 0: no bound here
}

// mmsMessageClasses and mmsPriorities are the values TS 23.140 8.7.3.1
// allows, by their lower-case form.
var (
	mmsMessageClasses = map[string]string{
		"personal": "Personal", "informational": "Informational",
		"advertisement": "Advertisement", "auto": "Auto",
	}
	mmsPriorities = map[string]string{"high": "High", "normal": "Normal", "low": "Low"}
)

// SubmitFromMessage maps a CPM message to an MM7 SubmitReq and the
// attachments to send with it (what adapters/mms VASP.Submit takes).
//
// The request carries Subject, TimeStamp (r.Now), ExpiryDate (m.Expiry,
// else r.Now+r.Validity; RFC 3339 UTC), MessageClass (Personal when
// empty), Priority when set, and DeliveryReport and ReadReply, always
// written: DeliveryReport true when m.Notify asks for a positive or
// negative delivery notification, ReadReply true when it asks for a
// display notification.
//
// The content is one multipart/related attachment (type application/smil)
// whose start is a SMIL presentation: the message's own application/smil
// part when it has one, else one generated over the parts: a slide (par)
// holds at most one image or video, one text/plain and one audio, so a
// picture and its caption share one; other media go alone on a slide as a
// ref. Every part keeps its Content-ID when it is a plain token
// unique in the message and gets "part1", "part2" … otherwise; its
// Content-Location is its Filename (percent-encoded outside the URI
// characters), else a generated name such as text1.txt or image1.jpg.
// Text parts get a charset parameter (utf-8 when absent) and travel as
// 7bit or 8bit when their lines allow, else quoted-printable; other parts
// travel as base64.
//
// A message without parts is ErrMMSEmpty, one whose bodies sum to more
// than r.MaxBytes ErrTooLarge, one with a part MMS cannot carry
// (message/imdn+xml, multipart/*) ErrUnsupportedType and one with an
// unreadable Content-Type ErrMalformed. A route without recipient is
// ErrMMSAddress and one with a class or priority MM7 does not define
// ErrMMSRoute.
func SubmitFromMessage(m *cpm.Message, r MMSRoute) (mm7.SubmitReq, []mm7.Part, error) {
	if m == nil || len(m.Parts) == 0 {
		return mm7.SubmitReq{}, nil, fmt.Errorf("translate: mms submit: %w", ErrMMSEmpty)
	}
	if r.MaxBytes > 0 && m.Size() > r.MaxBytes {
		return mm7.SubmitReq{}, nil, fmt.Errorf("translate: mms of %d bytes over %d: %w", m.Size(), r.MaxBytes, ErrTooLarge)
	}
	if strings.TrimSpace(r.Recipient.Value) == "" {
		return mm7.SubmitReq{}, nil, fmt.Errorf("translate: mms submit without recipient: %w", ErrMMSAddress)
	}
	class, err := routeValue("MessageClass", r.MessageClass, "Personal", mmsMessageClasses)
	if err != nil {
		return mm7.SubmitReq{}, nil, err
	}
	priority, err := routeValue("Priority", r.Priority, "", mmsPriorities)
	if err != nil {
		return mm7.SubmitReq{}, nil, err
	}
	content, err := mmsContent(m.Parts)
	if err != nil {
		return mm7.SubmitReq{}, nil, err
	}
	req := mm7.SubmitReq{
		SenderIdentification: mm7.SenderIdentification{VASPID: r.VASPID, VASID: r.VASID},
		Recipients:           &mm7.Recipients{To: mm7.AddressList{r.Recipient}},
		ServiceCode:          r.ServiceCode,
		MessageClass:         class,
		TimeStamp:            xsDateTime(r.Now),
		ExpiryDate:           xsDateTime(expiry(m.Expiry, r.Now, r.Validity)),
		DeliveryReport:       new(m.Notify.Has(cpm.PositiveDelivery) || m.Notify.Has(cpm.NegativeDelivery)),
		ReadReply:            new(m.Notify.Has(cpm.Display)),
		Priority:             priority,
		Subject:              m.Subject,
		Content:              &mm7.ContentRef{Href: "cid:" + content.ContentID},
	}
	if r.Sender.Value != "" {
		sender := r.Sender
		req.SenderIdentification.SenderAddress = &sender
	}
	return req, []mm7.Part{content}, nil
}

// routeValue returns the canonical spelling of an MMSRoute enumeration,
// matched without regard to case, or def when v is empty.
func routeValue(field, v, def string, allowed map[string]string) (string, error) {
	if v == "" {
		return def, nil
	}
	if c, ok := allowed[strings.ToLower(strings.TrimSpace(v))]; ok {
		return c, nil
	}
	return "", fmt.Errorf("translate: %s %q: %w", field, v, ErrMMSRoute)
}

// expiry is the message's own expiry, else now+validity; zero when
// neither is known.
func expiry(own, now time.Time, validity time.Duration) time.Time {
	switch {
	case !own.IsZero():
		return own
	case validity > 0 && !now.IsZero():
		return now.Add(validity)
	}
	return time.Time{}
}

// xsDateTime writes t as an xs:dateTime in UTC, "" for the zero time.
func xsDateTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// MessageFromDeliver maps an MM7 DeliverReq (m.Operation is
// *mm7.DeliverReq) to one CPM message without From, To and ID, which the
// gateway fills, one message per CPM recipient.
//
// Subject is copied; DateTime is TimeStamp, zero when absent or not RFC
// 3339. Parts are the content's leaves in order, depth first through
// nested multipart containers; the SMIL presentation stays a part
// (application/smil) so nothing of the MMS is dropped. Each keeps its
// Content-Type as received ("text/plain;charset=us-ascii" when it had
// none, RFC 2045 5.2) and Content-ID; Filename is the Content-Location
// (percent-decoded), else the filename parameter of Content-Disposition,
// else the name parameter of Content-Type (RFC 2047 words decoded). A text
// part in a charset other than UTF-8 or US-ASCII is converted to UTF-8 and
// labelled charset=utf-8; one in a charset iwf does not know is kept as
// received.
//
// A request without content is ErrMMSEmpty; an operation other than
// DeliverReq ErrMalformed.
func MessageFromDeliver(m *mm7.Message) (cpm.Message, error) {
	if m == nil || m.Operation == nil {
		return cpm.Message{}, fmt.Errorf("translate: mm7 deliver: %w", ErrMMSEmpty)
	}
	req, ok := m.Operation.(*mm7.DeliverReq)
	if !ok {
		return cpm.Message{}, fmt.Errorf("translate: mm7 %s is not a DeliverReq: %w", m.Operation.OperationName(), ErrMalformed)
	}
	content := m.Content()
	if content == nil {
		return cpm.Message{}, fmt.Errorf("translate: mm7 deliver: %w", ErrMMSEmpty)
	}
	parts := partsFromMM7(content)
	if len(parts) == 0 {
		return cpm.Message{}, fmt.Errorf("translate: mm7 deliver: %w", ErrMMSEmpty)
	}
	out := cpm.Message{Subject: req.Subject, Parts: parts}
	if t, err := time.Parse(time.RFC3339, strings.TrimSpace(req.TimeStamp)); err == nil {
		out.DateTime = t
	}
	return out, nil
}
