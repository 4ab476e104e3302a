package addressmap

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// E.164 limits (ITU-T E.164 section 6): at most 15 digits; no country's
// shortest international number is under 7.
const (
	minE164Len = 7
	maxE164Len = 15
)

// Normalize reads any address form the package knows (see the package
// doc) and returns its canonical Number. Surrounding white space and one
// pair of angle brackets are ignored. Input it cannot read, or longer than
// MaxAddressLen, gives an *InvalidError.
//
// Digits with no "+" are read in this order: no longer than
// ShortCodeMaxLen, a short code; starting with the international prefix,
// international; starting with the national prefix, national (home country
// code prepended); otherwise as Config.BareDigits says.
func (m *Map) Normalize(s string) (Number, error) {
	if len(s) > MaxAddressLen {
		return Number{}, invalid(s, "longer than 256 bytes")
	}
	t := strings.TrimSpace(s)
	if len(t) >= 2 && t[0] == '<' && t[len(t)-1] == '>' {
		t = strings.TrimSpace(t[1 : len(t)-1])
	}
	if t == "" {
		return Number{}, invalid(s, "empty")
	}
	if scheme, rest, ok := strings.Cut(t, ":"); ok {
		switch {
		case strings.EqualFold(scheme, "tel"):
			return m.fromTel(s, rest)
		case strings.EqualFold(scheme, "sip"):
			return m.fromSIP(s, "sip", rest)
		case strings.EqualFold(scheme, "sips"):
			return m.fromSIP(s, "sips", rest)
		case strings.EqualFold(scheme, "wv"):
			return fromWV(s, rest)
		}
		return Number{}, invalid(s, "unsupported URI scheme")
	}
	return m.fromBare(s, t)
}

// fromBare reads a number written without a scheme, with separators, or an
// alphanumeric sender name.
func (m *Map) fromBare(in, t string) (Number, error) {
	if strings.IndexByte(t, '@') >= 0 {
		return Number{}, invalid(in, "neither a number nor a URI")
	}
	if digits, plus, ok := m.writtenDigits(t); ok {
		if plus {
			return m.international(in, digits)
		}
		return m.local(in, digits, m.cc)
	}
	if hasLetter(t) && !strings.ContainsAny(t, "<>") {
		return alphanumeric(in, t)
	}
	return Number{}, invalid(in, "not a number")
}

// writtenDigits returns the digits of t, a number as people write it: an
// optional leading "+", digits, and spaces, tabs, '-', '.', '(' and ')' as
// separators. After a "+" a national prefix in parentheses is dropped
// ("+44 (0)7700 900123"). ok is false when t holds anything else.
func (m *Map) writtenDigits(t string) (digits string, plus, ok bool) {
	if t != "" && t[0] == '+' {
		plus = true
		t = t[1:]
	}
	if allDigits(t) {
		return t, plus, true
	}
	var buf [MaxAddressLen]byte
	n := 0
	for i := 0; i < len(t); i++ {
		c := t[i]
		switch {
		case isDigit(c):
			buf[n] = c
			n++
		case c == '(' && plus && m.np != "" && strings.HasPrefix(t[i+1:], m.np+")"):
			i += len(m.np) + 1
		case c == ' ' || c == '\t' || c == '-' || c == '.' || c == '(' || c == ')':
		default:
			return "", false, false
		}
	}
	return string(buf[:n]), plus, true
}

// local reads digits dialled within the numbering plan of country code cc
// (the home one unless a phone-context named it).
func (m *Map) local(in, d, cc string) (Number, error) {
	if d == "" {
		return Number{}, invalid(in, "no digits")
	}
	if len(d) <= m.shortMax {
		ctx := m.ccContext
		if cc != m.cc {
			ctx = "+" + cc
		}
		return Number{Kind: ShortCode, Digits: d, Context: ctx}, nil
	}
	if m.ip != "" && strings.HasPrefix(d, m.ip) {
		return m.international(in, d[len(m.ip):])
	}
	if m.np != "" && strings.HasPrefix(d, m.np) {
		return m.national(in, d[len(m.np):], cc)
	}
	switch m.cfg.BareDigits {
	case BareInternational:
		return m.international(in, d)
	case BareNational:
		return m.national(in, d, cc)
	}
	if cc != "" && strings.HasPrefix(d, cc) && len(d) > m.maxNational {
		return m.international(in, d)
	}
	return m.national(in, d, cc)
}

// national returns the national significant number nsn of country cc.
func (m *Map) national(in, nsn, cc string) (Number, error) {
	if cc == "" {
		return Number{}, invalid(in, "national number but no country_code configured")
	}
	if nsn == "" {
		return Number{}, invalid(in, "national prefix without a number")
	}
	return m.international(in, cc+nsn)
}

// international checks d, E.164 digits without "+".
func (m *Map) international(in, d string) (Number, error) {
	switch {
	case d == "":
		return Number{}, invalid(in, "no digits")
	case d[0] == '0':
		return Number{}, invalid(in, "country code cannot start with 0")
	case len(d) < minE164Len:
		return Number{}, invalid(in, "too short for an E.164 number")
	case len(d) > maxE164Len:
		return Number{}, invalid(in, "longer than 15 digits")
	case !allDigits(d):
		return Number{}, invalid(in, "not all digits")
	}
	return Number{Kind: International, Digits: d}, nil
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isAlpha(c byte) bool { return (c|0x20) >= 'a' && (c|0x20) <= 'z' }

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

func hasLetter(s string) bool {
	for _, r := range s {
		if r < utf8.RuneSelf {
			if isAlpha(byte(r)) {
				return true
			}
			continue
		}
		if unicode.IsLetter(r) {
			return true
		}
	}
	return false
}
