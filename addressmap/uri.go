package addressmap

import "strings"

const upperHex = "0123456789ABCDEF"

// fromTel reads the part of a tel URI after "tel:" (RFC 3966 section 3).
func (m *Map) fromTel(in, rest string) (Number, error) {
	return m.subscriber(in, rest)
}

// subscriber reads a telephone-subscriber (RFC 3966 section 3): a global
// number ("+44-7700-900123") or a local one with its phone-context
// ("07700900123;phone-context=+44"), then parameters. Parameters other
// than phone-context are ignored, but for ext and isub, which no
// interworked network can carry.
func (m *Map) subscriber(in, s string) (Number, error) {
	num, params, _ := strings.Cut(s, ";")
	ctx, err := telContext(in, params)
	if err != nil {
		return Number{}, err
	}
	if num != "" && num[0] == '+' {
		d, ok := visualDigits(num[1:])
		if !ok {
			return Number{}, invalid(in, "global number has a character other than digits and visual separators")
		}
		return m.international(in, d)
	}
	d, ok := visualDigits(num)
	if !ok {
		return Number{}, invalid(in, "local number has a character other than digits and visual separators")
	}
	cc, err := m.contextCountry(in, ctx)
	if err != nil {
		return Number{}, err
	}
	return m.local(in, d, cc)
}

// telContext returns the phone-context among the ";"-separated params.
func telContext(in, params string) (string, error) {
	ctx, seen := "", false
	for params != "" {
		var p string
		p, params, _ = strings.Cut(params, ";")
		name, value, _ := strings.Cut(p, "=")
		switch {
		case name == "":
			return "", invalid(in, "empty URI parameter")
		case strings.EqualFold(name, "phone-context"):
			if seen || value == "" {
				return "", invalid(in, "phone-context repeated or empty")
			}
			ctx, seen = value, true
		case strings.EqualFold(name, "ext"), strings.EqualFold(name, "isub"):
			return "", invalid(in, "extensions and subaddresses are not supported")
		}
	}
	return ctx, nil
}

// contextCountry returns the country code in whose plan a local number
// with phone-context ctx is dialled. No context, or a domain name (3GPP TS
// 24.229 uses the home network's), means the home country; a global prefix
// must be "+" and the home country code, or any country code when no home
// one is configured.
func (m *Map) contextCountry(in, ctx string) (string, error) {
	if ctx == "" {
		return m.cc, nil
	}
	if ctx[0] != '+' {
		if !validHost(ctx) {
			return "", invalid(in, "phone-context is neither a global number prefix nor a domain name")
		}
		return m.cc, nil
	}
	p, ok := visualDigits(ctx[1:])
	if !ok || p == "" || len(p) > 3 || p[0] == '0' {
		return "", invalid(in, "phone-context is not a country code")
	}
	if m.cc != "" && p != m.cc {
		return "", invalid(in, "local number in a foreign phone-context")
	}
	return p, nil
}

// visualDigits returns the digits of s, which may also hold the RFC 3966
// visual separators '-', '.', '(' and ')'.
func visualDigits(s string) (string, bool) {
	if allDigits(s) {
		return s, true
	}
	var buf [MaxAddressLen]byte
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case isDigit(c):
			buf[n] = c
			n++
		case c == '-' || c == '.' || c == '(' || c == ')':
		default:
			return "", false
		}
	}
	return string(buf[:n]), true
}

// fromSIP reads the part of a SIP or SIPS URI after the scheme (RFC 3261
// section 19.1.1). URI headers and parameters but user are dropped.
func (m *Map) fromSIP(in, scheme, rest string) (Number, error) {
	user, hostport, ok := strings.Cut(rest, "@")
	if !ok || user == "" {
		return Number{}, invalid(in, "SIP URI has no user part")
	}
	hostport, _, _ = strings.Cut(hostport, "?")
	hostport, params, _ := strings.Cut(hostport, ";")
	host, err := sipHostPort(in, hostport)
	if err != nil {
		return Number{}, err
	}
	if strings.IndexByte(user, ':') >= 0 {
		return Number{}, invalid(in, "SIP URI carries a password")
	}
	if userIsPhone(params) {
		return m.subscriber(in, user)
	}
	if user[0] == '+' {
		if d, ok := visualDigits(user[1:]); ok {
			return m.international(in, d)
		}
	}
	u, err := canonicalSIPUser(in, user)
	if err != nil {
		return Number{}, err
	}
	return Number{Kind: SIPIdentity, Text: scheme + ":" + u + "@" + host}, nil
}

// userIsPhone reports whether the URI parameters hold user=phone.
func userIsPhone(params string) bool {
	for params != "" {
		var p string
		p, params, _ = strings.Cut(params, ";")
		name, value, _ := strings.Cut(p, "=")
		if strings.EqualFold(name, "user") && strings.EqualFold(value, "phone") {
			return true
		}
	}
	return false
}

// sipHostPort checks host[:port] and returns it in lower case.
func sipHostPort(in, hp string) (string, error) {
	host, port := hp, ""
	if strings.HasPrefix(hp, "[") {
		end := strings.IndexByte(hp, ']')
		if end < 0 || !validIPv6(hp[1:end]) {
			return "", invalid(in, "bad IPv6 reference in host")
		}
		host, port = hp[:end+1], hp[end+1:]
	} else if i := strings.IndexByte(hp, ':'); i >= 0 {
		host, port = hp[:i], hp[i:]
		if !validHost(host) {
			return "", invalid(in, "bad host")
		}
	} else if !validHost(host) {
		return "", invalid(in, "bad host")
	}
	if port != "" && (port[0] != ':' || len(port) < 2 || len(port) > 6 || !allDigits(port[1:])) {
		return "", invalid(in, "bad port")
	}
	return strings.ToLower(host) + port, nil
}

// validHost reports whether s is a host name or IPv4 address: labels of
// letters, digits and '-', separated by dots, an optional final dot.
func validHost(s string) bool {
	s = strings.TrimSuffix(s, ".")
	if s == "" || len(s) > 253 {
		return false
	}
	for label := range strings.SplitSeq(s, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			if c := label[i]; !isDigit(c) && !isAlpha(c) && c != '-' {
				return false
			}
		}
	}
	return true
}

func validIPv6(s string) bool {
	if len(s) < 2 || strings.IndexByte(s, ':') < 0 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isDigit(c) && !((c|0x20) >= 'a' && (c|0x20) <= 'f') && c != ':' && c != '.' {
			return false
		}
	}
	return true
}

// canonicalSIPUser checks a SIP user part (RFC 3261 section 25.1: user)
// and returns it with escapes of unreserved characters decoded and the
// rest in upper-case hex, so equal users compare equal.
func canonicalSIPUser(in, u string) (string, error) {
	var b strings.Builder
	b.Grow(len(u))
	for i := 0; i < len(u); i++ {
		c := u[i]
		switch {
		case isUnreserved(c) || isUserUnreserved(c):
			b.WriteByte(c)
		case c == '%' && i+2 < len(u) && isHex(u[i+1]) && isHex(u[i+2]):
			d := unhex(u[i+1])<<4 | unhex(u[i+2])
			i += 2
			if isUnreserved(d) {
				b.WriteByte(d)
				continue
			}
			b.WriteByte('%')
			b.WriteByte(upperHex[d>>4])
			b.WriteByte(upperHex[d&0x0f])
		default:
			return "", invalid(in, "character not allowed in a SIP user part")
		}
	}
	return b.String(), nil
}

// isUnreserved: RFC 3261 unreserved = alphanum / mark.
func isUnreserved(c byte) bool {
	if isDigit(c) || isAlpha(c) {
		return true
	}
	return strings.IndexByte("-_.!~*'()", c) >= 0
}

// isUserUnreserved: RFC 3261 user-unreserved.
func isUserUnreserved(c byte) bool { return strings.IndexByte("&=+$,;?/", c) >= 0 }

func isHex(c byte) bool { return isDigit(c) || ((c|0x20) >= 'a' && (c|0x20) <= 'f') }

func unhex(c byte) byte {
	if isDigit(c) {
		return c - '0'
	}
	return (c | 0x20) - 'a' + 10
}

// fromWV reads the part of a Wireless Village id after "wv:" (OMA WV-CSP
// 1.1, User-ID): a user, optionally "@" and a domain, printable ASCII with
// no space, quote or angle bracket. It is kept as given; only the scheme is
// lower-cased.
func fromWV(in, rest string) (Number, error) {
	user, domain, hasDomain := strings.Cut(rest, "@")
	if user == "" || (hasDomain && (domain == "" || strings.IndexByte(domain, '@') >= 0)) {
		return Number{}, invalid(in, "wv id needs a user and at most one domain")
	}
	for i := 0; i < len(rest); i++ {
		c := rest[i]
		if c <= ' ' || c >= 0x7f || c == '"' || c == '<' || c == '>' {
			return Number{}, invalid(in, "character not allowed in a wv id")
		}
	}
	return Number{Kind: IMPS, Text: "wv:" + rest}, nil
}
