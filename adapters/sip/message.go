package sip

import "net/netip"

// Request is a SIP MESSAGE iwf received on CM-7, reduced to what the
// gateway needs. URIs are as they stood in the headers, without display
// names or angle brackets.
type Request struct {
	CallID            string
	CSeq              uint32
	RequestURI        string
	From              string
	To                string
	PAssertedIdentity string // empty when absent
	ContentType       string
	Body              []byte
	ConversationID    string // CPM Conversation-ID header, when present
	ContributionID    string // CPM Contribution-ID header, when present
	Source            netip.AddrPort
}

// Outgoing is a SIP MESSAGE iwf sends toward a CPM user through the
// outbound proxy.
type Outgoing struct {
	RequestURI        string // the CPM user
	From              string // the legacy sender as sip:+E164@domain;user=phone
	To                string
	PAssertedIdentity string // tel:+E164 or the From URI
	ContentType       string
	Body              []byte
	ConversationID    string
	ContributionID    string
}
