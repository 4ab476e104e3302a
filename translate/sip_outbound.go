package translate

import (
	"errors"
	"fmt"
	"strings"

	"github.com/iwf-gateway/iwf/adapters/sip"
	"github.com/iwf-gateway/iwf/cpm"
)

// SIPOutboundConfig says how messages toward CPM users are written.
type SIPOutboundConfig struct {
	// Domain is the host part given to legacy senders in SIP URIs,
	// "ims.example.net". Required; no default.
	Domain string `yaml:"domain"`
	// CPIM sends messages as message/cpim with IMDN request headers; off,
	// as bare text/plain;charset=UTF-8, which can request no IMDN.
	// Default false (the zero value); operators of CPM networks turn it on.
	CPIM bool `yaml:"cpim"`
}

// ErrSIPAddress: an address cannot be written as a SIP URI.
var ErrSIPAddress = errors.New("translate: address not expressible in SIP")

// Validate checks that Domain is a plausible host name.
func (c SIPOutboundConfig) Validate() error {
	if c.Domain == "" {
		return errors.New("translate: sip outbound: domain is required")
	}
	if strings.ContainsAny(c.Domain, " \t\r\n<>@;:?/\"") {
		return fmt.Errorf("translate: sip outbound: domain %q is not a host name", c.Domain)
	}
	return nil
}

// SIPFromMessage maps a Message from a legacy user to a SIP MESSAGE for the
// CPM user m.To.
//
// The legacy sender is written as in sipIdentity: From
// sip:+447700900123@<domain>;user=phone and P-Asserted-Identity
// tel:+447700900123 for a tel: sender; an alphanumeric sender "ACME" as
// From and P-Asserted-Identity sip:ACME@<domain>.
//
// With c.CPIM the body is message/cpim (cpm.Message.CPIM: imdn.Message-ID,
// DateTime, Subject, imdn.Disposition-Notification, all parts). Without,
// the body is the single part as is, text as text/plain;charset=UTF-8;
// Subject, Notify and the message id are then not carried, and a message
// of several parts is refused. Expiry is never carried.
func SIPFromMessage(m *cpm.Message, c SIPOutboundConfig) (sip.Outgoing, error) {
	out, err := outgoing(m.From, m.To, c)
	if err != nil {
		return sip.Outgoing{}, err
	}
	out.ConversationID, out.ContributionID = m.ConversationID, m.ContributionID
	switch {
	case c.CPIM:
		out.ContentType = "message/cpim"
		out.Body = m.CPIM().Marshal()
	case len(m.Parts) != 1:
		return sip.Outgoing{}, fmt.Errorf("translate: %d parts need CPIM on SIP: %w", len(m.Parts), ErrUnsupportedType)
	case m.Parts[0].IsText():
		out.ContentType = "text/plain;charset=UTF-8"
		out.Body = m.Parts[0].Body
	default:
		out.ContentType = m.Parts[0].ContentType
		out.Body = m.Parts[0].Body
	}
	return out, nil
}

// SIPFromReport maps a Report from a legacy user (the original recipient)
// to a SIP MESSAGE for the CPM user r.To that sent the original. A report
// is always message/cpim with message/imdn+xml content, whatever c.CPIM
// says: there is no other way to write one.
func SIPFromReport(r *cpm.Report, c SIPOutboundConfig) (sip.Outgoing, error) {
	out, err := outgoing(r.From, r.To, c)
	if err != nil {
		return sip.Outgoing{}, err
	}
	cp, err := r.CPIM()
	if err != nil {
		return sip.Outgoing{}, fmt.Errorf("translate: report %q: %w", r.MessageID, err)
	}
	out.ContentType = "message/cpim"
	out.Body = cp.Marshal()
	return out, nil
}

// outgoing fills the addresses of a MESSAGE from a legacy user to a CPM user.
func outgoing(from, to cpm.Address, c SIPOutboundConfig) (sip.Outgoing, error) {
	if err := c.Validate(); err != nil {
		return sip.Outgoing{}, err
	}
	scheme, _, _ := strings.Cut(string(to), ":")
	switch strings.ToLower(scheme) {
	case "sip", "sips", "tel":
	default:
		return sip.Outgoing{}, fmt.Errorf("translate: recipient %q is not a sip, sips or tel URI: %w", to, ErrSIPAddress)
	}
	fromURI, pai, err := sipIdentity(from, c.Domain)
	if err != nil {
		return sip.Outgoing{}, err
	}
	return sip.Outgoing{RequestURI: string(to), To: string(to), From: fromURI, PAssertedIdentity: pai}, nil
}

// sipIdentity writes a legacy sender as a SIP From URI and a
// P-Asserted-Identity:
//
//	tel:+447700900123     sip:+447700900123@domain;user=phone, tel:+447700900123
//	tel:12345 (short)     sip:12345@domain;user=phone, tel:12345
//	sip:… or sips:…       unchanged, both
//	ACME (alphanumeric)   sip:ACME@domain, both
//
// An alphanumeric sender has no tel: form. It is the bare name, or the part
// after the scheme of any other URI ("wv:bob@imps.example.net"), with the
// characters a SIP user part cannot hold percent-encoded (RFC 3261 section
// 25.1).
func sipIdentity(a cpm.Address, domain string) (from, pai string, err error) {
	s := string(a)
	if s == "" {
		return "", "", fmt.Errorf("translate: empty sender: %w", ErrSIPAddress)
	}
	scheme, rest, hasScheme := strings.Cut(s, ":")
	switch strings.ToLower(scheme) {
	case "tel":
		number, _, _ := strings.Cut(rest, ";")
		number = strings.Map(dropVisualSeparator, number)
		if !isTelNumber(number) {
			return "", "", fmt.Errorf("translate: sender %q: %w", s, ErrSIPAddress)
		}
		return "sip:" + number + "@" + domain + ";user=phone", "tel:" + number, nil
	case "sip", "sips":
		return s, s, nil
	}
	if hasScheme && !strings.ContainsAny(scheme, " @") {
		s = rest
	}
	uri := "sip:" + escapeUser(s) + "@" + domain
	return uri, uri, nil
}

func dropVisualSeparator(r rune) rune {
	switch r {
	case '-', '.', '(', ')', ' ':
		return -1
	}
	return r
}

func isTelNumber(n string) bool {
	digits := strings.TrimPrefix(n, "+")
	if digits == "" || len(digits) > 20 {
		return false
	}
	for _, r := range digits {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// escapeUser percent-encodes what RFC 3261's user production does not
// allow unescaped: all but unreserved and user-unreserved characters.
func escapeUser(s string) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if ch < 0x80 && (ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' ||
			strings.IndexByte("-_.!~*'()&=+$,;?/", ch) >= 0) {
			b.WriteByte(ch)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[ch>>4])
		b.WriteByte(hexDigits[ch&15])
	}
	return b.String()
}
