package msrp

import (
	"errors"
	"strconv"
	"strings"
)

// URI is an MSRP URI (RFC 4975 section 6):
//
//	msrp[s]://[userinfo@]host[:port][/session-id];transport*(;param)
//
// e.g. msrp://atlanta.example.com:7654/jshA7weztas;tcp.
type URI struct {
	Secure    bool     // scheme msrps (TLS)
	User      string   // userinfo without the '@'; "" when absent
	Host      string   // host name, IPv4 address or [IPv6] in brackets
	Port      int      // 1-65535; 0 when absent (the default 2855 applies)
	SessionID string   // "" when absent
	Transport string   // "tcp" or another 1*ALPHANUM
	Params    []string // URI parameters after the transport, "name" or "name=value"
}

var (
	errScheme    = errors.New("scheme is not msrp:// or msrps://")
	errHost      = errors.New("bad host")
	errPort      = errors.New("bad port")
	errSession   = errors.New("bad session-id")
	errTransport = errors.New("missing or bad transport")
	errParam     = errors.New("bad uri-parameter")
	errUser      = errors.New("bad userinfo")
)

// ParseURI parses one MSRP URI.
func ParseURI(s string) (URI, error) {
	var u URI
	rest, ok := cutPrefixFold(s, "msrp://")
	if !ok {
		if rest, ok = cutPrefixFold(s, "msrps://"); !ok {
			return URI{}, uriError(s, errScheme)
		}
		u.Secure = true
	}
	end := strings.IndexAny(rest, "/;")
	if end < 0 {
		return URI{}, uriError(s, errTransport)
	}
	if err := u.parseAuthority(rest[:end]); err != nil {
		return URI{}, uriError(s, err)
	}
	rest = rest[end:]
	if rest[0] == '/' {
		semi := strings.IndexByte(rest, ';')
		if semi < 0 {
			return URI{}, uriError(s, errTransport)
		}
		u.SessionID = rest[1:semi]
		if !isSessionID(u.SessionID) {
			return URI{}, uriError(s, errSession)
		}
		rest = rest[semi:]
	}
	if err := u.parseTransport(rest[1:]); err != nil {
		return URI{}, uriError(s, err)
	}
	return u, nil
}

func uriError(s string, err error) error {
	return headerError("MSRP URI", s, err)
}

func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix) {
		return s[len(prefix):], true
	}
	return s, false
}

func (u *URI) parseAuthority(a string) error {
	if at := strings.IndexByte(a, '@'); at >= 0 {
		u.User = a[:at]
		if !isUserinfo(u.User) {
			return errUser
		}
		a = a[at+1:]
	}
	hostEnd := len(a)
	if strings.HasPrefix(a, "[") {
		rb := strings.IndexByte(a, ']')
		if rb < 0 {
			return errHost
		}
		hostEnd = rb + 1
	} else if c := strings.IndexByte(a, ':'); c >= 0 {
		hostEnd = c
	}
	u.Host = a[:hostEnd]
	if !isHost(u.Host) {
		return errHost
	}
	if hostEnd == len(a) {
		return nil
	}
	if a[hostEnd] != ':' {
		return errHost
	}
	p, ok := parseDigits(a[hostEnd+1:])
	if !ok || p < 1 || p > 65535 || len(a)-hostEnd-1 > 5 {
		return errPort
	}
	u.Port = int(p)
	return nil
}

func (u *URI) parseTransport(s string) error {
	if strings.IndexByte(s, ';') < 0 { // no uri-parameter: the usual case, without allocating
		if s == "" || !allAlphaNum(s) {
			return errTransport
		}
		u.Transport = s
		return nil
	}
	parts := strings.Split(s, ";")
	if len(parts) > MaxPathURIs+1 {
		return errParam
	}
	u.Transport = parts[0]
	if u.Transport == "" || !allAlphaNum(u.Transport) {
		return errTransport
	}
	for _, p := range parts[1:] {
		if !isURIParam(p) {
			return errParam
		}
	}
	if len(parts) > 1 {
		u.Params = parts[1:]
	}
	return nil
}

func allAlphaNum(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isAlphaNum(s[i]) {
			return false
		}
	}
	return true
}

// isURIParam reports whether s is token ["=" token].
func isURIParam(s string) bool {
	name, value, hasValue := strings.Cut(s, "=")
	return isToken(name) && (!hasValue || isToken(value))
}

func isUnreserved(c byte) bool {
	return isAlphaNum(c) || c == '-' || c == '.' || c == '_' || c == '~'
}

// isSessionID reports whether s is 1*( unreserved / "+" / "=" / "/" ).
func isSessionID(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isUnreserved(c) && c != '+' && c != '=' && c != '/' {
			return false
		}
	}
	return true
}

// isUserinfo accepts unreserved, pct-encoded, sub-delims other than ';',
// and ':'.
func isUserinfo(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isUnreserved(c) && !strings.ContainsRune("%!$&'()*+,=:", rune(c)) {
			return false
		}
	}
	return true
}

// isHost accepts a host name or IPv4 address (alphanumerics, '-', '.')
// or a bracketed IPv6 reference (hex digits, ':', '.').
func isHost(h string) bool {
	if h == "" {
		return false
	}
	if h[0] == '[' {
		if len(h) < 3 || h[len(h)-1] != ']' {
			return false
		}
		for i := 1; i < len(h)-1; i++ {
			c := h[i]
			if !isDigit(c) && !(c >= 'a' && c <= 'f') && !(c >= 'A' && c <= 'F') && c != ':' && c != '.' {
				return false
			}
		}
		return true
	}
	for i := 0; i < len(h); i++ {
		if !isAlphaNum(h[i]) && h[i] != '-' && h[i] != '.' {
			return false
		}
	}
	return true
}

// String returns the URI as it goes on the wire.
func (u URI) String() string { return string(u.appendTo(nil)) }

func (u URI) appendTo(b []byte) []byte {
	if u.Secure {
		b = append(b, "msrps://"...)
	} else {
		b = append(b, "msrp://"...)
	}
	if u.User != "" {
		b = append(b, u.User...)
		b = append(b, '@')
	}
	b = append(b, u.Host...)
	if u.Port != 0 {
		b = append(b, ':')
		b = strconv.AppendInt(b, int64(u.Port), 10)
	}
	if u.SessionID != "" {
		b = append(b, '/')
		b = append(b, u.SessionID...)
	}
	b = append(b, ';')
	b = append(b, u.Transport...)
	for _, p := range u.Params {
		b = append(b, ';')
		b = append(b, p...)
	}
	return b
}

// Valid reports whether u would parse back to itself.
func (u URI) Valid() bool {
	if u.User != "" && !isUserinfo(u.User) || !isHost(u.Host) || u.Port < 0 || u.Port > 65535 {
		return false
	}
	if u.SessionID != "" && !isSessionID(u.SessionID) {
		return false
	}
	if u.Transport == "" || !allAlphaNum(u.Transport) || len(u.Params) > MaxPathURIs {
		return false
	}
	for _, p := range u.Params {
		if !isURIParam(p) {
			return false
		}
	}
	return true
}

// DefaultPort is the port of an MSRP URI without one (RFC 4975 section
// 6).
const DefaultPort = 2855

// PortOrDefault returns u.Port, or DefaultPort when the URI has none.
func (u URI) PortOrDefault() int {
	if u.Port == 0 {
		return DefaultPort
	}
	return u.Port
}

// Equal compares u and v as RFC 4975 section 6.1 says: scheme, host
// (case-insensitive), port (absent is 2855), session-id (case-sensitive)
// and transport (case-insensitive); userinfo and parameters are ignored.
func (u URI) Equal(v URI) bool {
	return u.Secure == v.Secure && len(u.Host) == len(v.Host) && equalFoldASCII(u.Host, v.Host) &&
		u.PortOrDefault() == v.PortOrDefault() && u.SessionID == v.SessionID &&
		len(u.Transport) == len(v.Transport) && equalFoldASCII(u.Transport, v.Transport)
}

// pathFields splits a path at its spaces and tabs, as strings.FieldsFunc
// would, without its closure call per rune: every frame has two paths.
func pathFields(s string) []string {
	var fields []string
	for i := 0; i < len(s); {
		for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
			i++
		}
		start := i
		for i < len(s) && s[i] != ' ' && s[i] != '\t' {
			i++
		}
		if i > start {
			fields = append(fields, s[start:i])
		}
	}
	return fields
}

// ParsePath parses a To-Path or From-Path value: MSRP URIs separated by
// spaces, at most 16.
func ParsePath(s string) ([]URI, error) {
	fields := pathFields(s)
	if len(fields) == 0 {
		return nil, uriError(s, errors.New("empty path"))
	}
	if len(fields) > MaxPathURIs {
		return nil, uriError(s, errors.New("more than "+strconv.Itoa(MaxPathURIs)+" URIs"))
	}
	path := make([]URI, len(fields))
	for i, f := range fields {
		u, err := ParseURI(f)
		if err != nil {
			return nil, err
		}
		path[i] = u
	}
	return path, nil
}
