package sip

import (
	"errors"
	"fmt"
	"strings"
)

// errBadAddr is wrapped by every parseAddrHeader error.
var errBadAddr = errors.New("sip: bad address header")

// addrHeader is one value of a From, To or P-Asserted-Identity header
// (RFC 3261 section 20.10 and 25.1, RFC 3325 section 9.1):
//
//	name-addr / addr-spec, then *( SEMI generic-param )
//	name-addr = [ display-name ] LAQUOT addr-spec RAQUOT
//
// In the addr-spec form (no angle brackets) everything after the first
// ';' is a header parameter, not a URI parameter.
type addrHeader struct {
	DisplayName string // unquoted, quoted-pairs resolved
	URI         string // as written, without < >
	Params      string // header parameters after the first ';', trimmed
}

// String renders a in name-addr form, which parseAddrHeader reads back to
// the same value.
func (a addrHeader) String() string {
	var b strings.Builder
	if a.DisplayName != "" {
		b.WriteByte('"')
		for i := 0; i < len(a.DisplayName); i++ {
			c := a.DisplayName[i]
			if c == '"' || c == '\\' {
				b.WriteByte('\\')
			}
			b.WriteByte(c)
		}
		b.WriteString(`" `)
	}
	b.WriteByte('<')
	b.WriteString(a.URI)
	b.WriteByte('>')
	if a.Params != "" {
		b.WriteByte(';')
		b.WriteString(a.Params)
	}
	return b.String()
}

// parseAddrHeaderList splits a header value at the commas that separate
// values (outside quoted strings and angle brackets) and parses each.
func parseAddrHeaderList(s string) ([]addrHeader, error) {
	var out []addrHeader
	for len(s) > 0 {
		end := nextValueEnd(s)
		a, err := parseAddrHeader(s[:end])
		if err != nil {
			return nil, err
		}
		out = append(out, a)
		if end == len(s) {
			break
		}
		s = s[end+1:]
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: empty", errBadAddr)
	}
	return out, nil
}

// nextValueEnd is the index of the first top-level comma in s, or len(s).
func nextValueEnd(s string) int {
	inQuote, inAngle := false, false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case inQuote && c == '\\':
			i++
		case c == '"' && !inAngle:
			inQuote = !inQuote
		case c == '<' && !inQuote:
			inAngle = true
		case c == '>' && !inQuote:
			inAngle = false
		case c == ',' && !inQuote && !inAngle:
			return i
		}
	}
	return len(s)
}

// parseAddrHeader parses one header value.
func parseAddrHeader(s string) (addrHeader, error) {
	if strings.ContainsAny(s, "\r\n\x00") {
		return addrHeader{}, fmt.Errorf("%w: control character", errBadAddr)
	}
	s = strings.TrimSpace(s)
	var a addrHeader
	var rest string
	var err error
	switch {
	case strings.HasPrefix(s, `"`):
		a.DisplayName, rest, err = parseQuoted(s)
		if err != nil {
			return addrHeader{}, err
		}
		rest = strings.TrimLeft(rest, " \t")
		if !strings.HasPrefix(rest, "<") {
			return addrHeader{}, fmt.Errorf("%w: display name without <uri>", errBadAddr)
		}
		a.URI, rest, err = parseAngle(rest)
	case strings.Contains(s, "<"):
		i := strings.IndexByte(s, '<')
		a.DisplayName = strings.TrimSpace(s[:i])
		if strings.ContainsAny(a.DisplayName, `"<>`) {
			return addrHeader{}, fmt.Errorf("%w: bad display name", errBadAddr)
		}
		a.URI, rest, err = parseAngle(s[i:])
	default:
		a.URI, rest, _ = strings.Cut(s, ";")
		a.URI = strings.TrimSpace(a.URI)
		if rest != "" || strings.HasSuffix(s, ";") {
			rest = ";" + rest
		}
	}
	if err != nil {
		return addrHeader{}, err
	}
	if err := checkURI(a.URI); err != nil {
		return addrHeader{}, err
	}
	rest = strings.TrimSpace(rest)
	if rest != "" {
		if rest[0] != ';' {
			return addrHeader{}, fmt.Errorf("%w: text after address", errBadAddr)
		}
		a.Params = strings.TrimSpace(rest[1:])
		if err := checkParams(a.Params); err != nil {
			return addrHeader{}, err
		}
	}
	return a, nil
}

// checkParams accepts header parameters whose quoted strings are closed
// and which hold no ',', '<' or '>' outside them, so a value list still
// splits where it should.
func checkParams(p string) error {
	inQuote := false
	for i := 0; i < len(p); i++ {
		switch c := p[i]; {
		case inQuote && c == '\\':
			i++
		case c == '"':
			inQuote = !inQuote
		case !inQuote && (c == ',' || c == '<' || c == '>'):
			return fmt.Errorf("%w: %q in parameters", errBadAddr, c)
		}
	}
	if inQuote {
		return fmt.Errorf("%w: unterminated quoted string in parameters", errBadAddr)
	}
	return nil
}

// parseQuoted reads a quoted-string at the start of s.
func parseQuoted(s string) (text, rest string, err error) {
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\':
			if i+1 == len(s) {
				return "", "", fmt.Errorf("%w: unterminated quoted string", errBadAddr)
			}
			i++
			b.WriteByte(s[i])
		case '"':
			return b.String(), s[i+1:], nil
		default:
			b.WriteByte(c)
		}
	}
	return "", "", fmt.Errorf("%w: unterminated quoted string", errBadAddr)
}

// parseAngle reads "<uri>" at the start of s.
func parseAngle(s string) (uri, rest string, err error) {
	end := strings.IndexByte(s, '>')
	if end < 0 {
		return "", "", fmt.Errorf("%w: missing '>'", errBadAddr)
	}
	return s[1:end], s[end+1:], nil
}

// checkURI accepts scheme ":" non-empty text without spaces, quotes or
// angle brackets (RFC 3986 scheme syntax).
func checkURI(u string) error {
	colon := strings.IndexByte(u, ':')
	if colon < 1 || colon == len(u)-1 {
		return fmt.Errorf("%w: %q is not a URI", errBadAddr, u)
	}
	for i := 0; i < colon; i++ {
		c := u[i]
		alpha := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
		if !alpha && (i == 0 || !(c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.')) {
			return fmt.Errorf("%w: bad URI scheme in %q", errBadAddr, u)
		}
	}
	if strings.ContainsAny(u, " \t\"<>,") {
		return fmt.Errorf("%w: bad character in URI %q", errBadAddr, u)
	}
	return nil
}
