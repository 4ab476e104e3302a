package addressmap

import "strconv"

// Kind says what a Number is.
type Kind uint8

// The kinds of address. The zero Kind is Unknown: the zero Number names
// nobody.
const (
	Unknown       Kind = iota
	International      // an E.164 number; Digits holds country code and national number
	ShortCode          // a home-network short code; Digits holds it, Context its phone-context
	Alphanumeric       // an alphanumeric sender (SMPP TON 5); Text holds it; never replied to
	SIPIdentity        // a SIP or SIPS URI that is not a number; Text holds it
	IMPS               // a Wireless Village id; Text holds "wv:..."
)

var kindNames = [...]string{"unknown", "international", "short-code", "alphanumeric", "sip-identity", "imps"}

// String returns the kind's name, "international" for International.
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// Number is a canonical address: Normalize and FromSMPP give equal Numbers
// (==) for inputs that name the same party. Build one with those, not by
// hand.
type Number struct {
	Kind Kind
	// Digits is the E.164 number without "+" for International
	// ("447700900123") and the code for ShortCode ("40404").
	Digits string
	// Text is the sender name for Alphanumeric ("MyBank"), the URI for
	// SIPIdentity ("sip:alice@example.net") and IMPS ("wv:bob@imps.example.net").
	Text string
	// Context is the RFC 3966 phone-context of a ShortCode: "+" and the
	// home country code, or empty when none is configured.
	Context string
}

// E164 returns the E.164 digits without "+" of an International number,
// "" for any other kind.
func (n Number) E164() string {
	if n.Kind != International {
		return ""
	}
	return n.Digits
}

// TelURI returns the number as a tel URI (RFC 3966): "tel:+447700900123",
// or "tel:40404;phone-context=+44" for a short code. Other kinds have no
// tel form and give "".
func (n Number) TelURI() string {
	switch n.Kind {
	case International:
		return "tel:+" + n.Digits
	case ShortCode:
		if n.Context == "" {
			return "tel:" + n.Digits
		}
		return "tel:" + n.Digits + ";phone-context=" + n.Context
	}
	return ""
}

// SIPURI returns the number as a SIP URI in domain (RFC 3261 section
// 19.1.6): "sip:+447700900123@domain;user=phone", and a short code as
// "sip:40404;phone-context=+44@domain;user=phone". A SIPIdentity gives
// itself whatever the domain; other kinds give "".
func (n Number) SIPURI(domain string) string {
	switch n.Kind {
	case International:
		return "sip:+" + n.Digits + "@" + domain + ";user=phone"
	case ShortCode:
		user := n.Digits
		if n.Context != "" {
			user += ";phone-context=" + n.Context
		}
		return "sip:" + user + "@" + domain + ";user=phone"
	case SIPIdentity:
		return n.Text
	}
	return ""
}

// String returns the address for logs and the CLI: "+447700900123",
// "40404", or Text.
func (n Number) String() string {
	switch n.Kind {
	case International:
		return "+" + n.Digits
	case ShortCode:
		return n.Digits
	}
	return n.Text
}

// Replyable reports whether the address can receive, so whether a reply or
// a report may be sent to it. Alphanumeric senders cannot.
func (n Number) Replyable() bool {
	switch n.Kind {
	case International, ShortCode, SIPIdentity, IMPS:
		return true
	}
	return false
}
