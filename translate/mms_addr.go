package translate

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/iwf-gateway/iwf/adapters/mms/mm7"
	"github.com/iwf-gateway/iwf/addressmap"
)

// maxAddressShown bounds how much of a refused address an error repeats.
const maxAddressShown = 64

// MM7AddressText returns an MM7 address in a form addressmap.Map.Normalize
// reads:
//   - Number: the value without its TS 23.140 type suffix ("/TYPE=PLMN",
//     or any other "/TYPE=…"): "+447700900123/TYPE=PLMN" gives
//     "+447700900123"; prefixes ("00…", national) are left to Normalize;
//   - ShortCode: the code, suffix removed likewise;
//   - RFC2822Address: only the "+447700900123/TYPE=PLMN@mms.example.net"
//     form that relays use for a phone number, display name and angle
//     brackets allowed, gives the number; a real e-mail address has no
//     form addressmap reads and is ErrMMSAddress.
//
// An empty value, an unknown kind, or an address with addressCoding
// (encrypted or obfuscated: not the subscriber's number) is ErrMMSAddress.
func MM7AddressText(a mm7.Address) (string, error) {
	v := strings.TrimSpace(a.Value)
	if v == "" || a.AddressCoding != "" {
		return "", addressError(a, "empty or coded")
	}
	switch a.Kind {
	case mm7.KindNumber, mm7.KindShortCode:
		if number, _ := cutTypeSuffix(v); number != "" {
			return number, nil
		}
	case mm7.KindRFC2822:
		addr := v
		if i := strings.LastIndexByte(v, '<'); i >= 0 {
			end := strings.IndexByte(v[i:], '>')
			if end < 0 {
				return "", addressError(a, "unclosed angle bracket")
			}
			addr = v[i+1 : i+end]
		}
		at := strings.LastIndexByte(addr, '@')
		if at < 0 {
			return "", addressError(a, "no domain")
		}
		if number, typ := cutTypeSuffix(strings.TrimSpace(addr[:at])); number != "" && strings.EqualFold(typ, "PLMN") {
			return number, nil
		}
		return "", addressError(a, "an e-mail address, not a phone number")
	}
	return "", addressError(a, "no number")
}

// cutTypeSuffix splits "number/TYPE=t" (TS 23.140 8.7.1, after TS 23.140
// 8.4.2) into the number and t; a value without the suffix is all number.
func cutTypeSuffix(v string) (string, string) {
	i := strings.Index(strings.ToUpper(v), "/TYPE=")
	if i < 0 {
		return v, ""
	}
	return strings.TrimSpace(v[:i]), v[i+len("/TYPE="):]
}

func addressError(a mm7.Address, why string) error {
	v := a.Value
	if len(v) > maxAddressShown {
		v = v[:maxAddressShown] + "…"
	}
	return fmt.Errorf("translate: mm7 %s %q: %s: %w", a.Kind, v, why, ErrMMSAddress)
}

// MM7AddressOf maps a normalised address to an MM7 address: an
// International number to Number "+<digits>", a ShortCode to ShortCode
// "<digits>", a SIPIdentity "sip:alice@example.net" to RFC2822Address
// "alice@example.net" (URI parameters, headers and port dropped, the user
// part percent-decoded). Alphanumeric senders, IMPS ids and anything else
// are ErrMMSAddress.
func MM7AddressOf(n addressmap.Number) (mm7.Address, error) {
	switch {
	case n.Kind == addressmap.International && n.Digits != "":
		return mm7.Address{Kind: mm7.KindNumber, Value: "+" + n.Digits}, nil
	case n.Kind == addressmap.ShortCode && n.Digits != "":
		return mm7.Address{Kind: mm7.KindShortCode, Value: n.Digits}, nil
	case n.Kind == addressmap.SIPIdentity:
		if mail, ok := mailboxOfSIPURI(n.Text); ok {
			return mm7.Address{Kind: mm7.KindRFC2822, Value: mail}, nil
		}
	}
	return mm7.Address{}, fmt.Errorf("translate: %s address %q has no mm7 form: %w", n.Kind, n.String(), ErrMMSAddress)
}

// mailboxOfSIPURI returns user@host of a sip: or sips: URI (RFC 3261
// 19.1.1).
func mailboxOfSIPURI(uri string) (string, bool) {
	rest, ok := cutPrefixFold(uri, "sip:")
	if !ok {
		if rest, ok = cutPrefixFold(uri, "sips:"); !ok {
			return "", false
		}
	}
	if i := strings.IndexByte(rest, '?'); i >= 0 {
		rest = rest[:i]
	}
	at := strings.LastIndexByte(rest, '@')
	if at <= 0 {
		return "", false
	}
	user, host := rest[:at], rest[at+1:]
	if i := strings.IndexByte(host, ';'); i >= 0 {
		host = host[:i]
	}
	if !strings.HasPrefix(host, "[") {
		host, _, _ = strings.Cut(host, ":")
	}
	user, err := url.PathUnescape(user)
	if err != nil || user == "" || host == "" || strings.ContainsFunc(user+host, isMailboxBreaker) {
		return "", false
	}
	return user + "@" + host, true
}

// isMailboxBreaker reports characters that would end or corrupt an
// RFC 2822 address written bare.
func isMailboxBreaker(r rune) bool {
	return isControl(r) || r == ' ' || r == '<' || r == '>' || r == '"' || r == ',' || r == '@'
}

func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix) {
		return s[len(prefix):], true
	}
	return s, false
}
