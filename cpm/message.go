package cpm

import (
	"strings"
	"time"
)

// Address is a URI naming a party: "tel:+447700900123",
// "sip:+447700900123@ims.example.net;user=phone", "sip:alice@example.net",
// "wv:bob@imps.example.net". Normalisation belongs to package addressmap.
type Address string

// Disposition is the set of IMDN notifications a sender asked for
// (RFC 5438 section 6.3, imdn.Disposition-Notification).
type Disposition uint8

// The dispositions a sender may request.
const (
	PositiveDelivery Disposition = 1 << iota
	NegativeDelivery
	Display
)

// Has reports whether every flag in f is set in d.
func (d Disposition) Has(f Disposition) bool { return d&f == f }

// Part is one body part of a message.
type Part struct {
	ContentType string // full media type with parameters, "text/plain;charset=utf-8"
	ContentID   string // without angle brackets; empty when none
	Filename    string // from Content-Disposition, when given
	Body        []byte
}

// IsText reports whether the part is text/plain.
func (p Part) IsText() bool {
	mt := strings.ToLower(strings.TrimSpace(p.ContentType))
	if i := strings.IndexByte(mt, ';'); i >= 0 {
		mt = strings.TrimSpace(mt[:i])
	}
	return mt == "text/plain" || mt == ""
}

// Message is one CPM message from one sender to one recipient. A message to
// several recipients is several Messages with the same ID.
type Message struct {
	ID       string // imdn.Message-ID: unique per sender, the key reports come back by
	From     Address
	To       Address
	DateTime time.Time // when the sender sent it (CPIM DateTime)
	Subject  string
	Parts    []Part
	Notify   Disposition // notifications the sender asked for

	ConversationID string    // CPM Conversation-ID, kept end to end
	ContributionID string    // CPM Contribution-ID
	Expiry         time.Time // zero: the route's default validity
}

// Text returns the message's text when it is a single text/plain part.
func (m *Message) Text() (string, bool) {
	if len(m.Parts) != 1 || !m.Parts[0].IsText() {
		return "", false
	}
	return string(m.Parts[0].Body), true
}

// Size is the total number of body bytes.
func (m *Message) Size() int {
	n := 0
	for _, p := range m.Parts {
		n += len(p.Body)
	}
	return n
}

// Status is the outcome an IMDN reports (RFC 5438 section 7).
type Status string

// The statuses iwf reports and understands.
const (
	Delivered Status = "delivered" // delivery-notification
	Failed    Status = "failed"    // delivery-notification
	Forbidden Status = "forbidden" // delivery- or display-notification
	Error     Status = "error"     // delivery- or display-notification
	Displayed Status = "displayed" // display-notification
)

// Report is an IMDN about an earlier message: from the original recipient
// back to the original sender.
type Report struct {
	ID        string  // the notification's own imdn.Message-ID
	MessageID string  // imdn.Message-ID of the message reported on
	From      Address // the original recipient
	To        Address // the original sender
	Status    Status
	Display   bool      // a display-notification rather than a delivery-notification
	DateTime  time.Time // when the status was reached
	// OriginalDateTime is the DateTime of the message reported on, which
	// RFC 5438 repeats in the notification's <datetime>.
	OriginalDateTime time.Time
}
