package sdp

import "strings"

// MaxPathURIs bounds the MSRP URIs of one a=path, as RFC 4975 relays
// bound a To-Path.
const MaxPathURIs = 16

// msrpURI is what the offer/answer rules need of an MSRP URI (RFC 4975
// section 9):
//
//	msrp[s]://[userinfo@]host[:port][/session-id];transport*(;param)
//
// The full syntax belongs to package msrp, which the adapter uses to
// build frames; this package checks only the shape, so that it stays a
// pure codec with no dependency on the session code.
type msrpURI struct {
	secure bool
	host   string
	port   int // 0 when absent
}

// parseMSRPURI checks the shape of an MSRP URI and returns its scheme,
// host and port.
func parseMSRPURI(s string) (msrpURI, bool) {
	var u msrpURI
	rest, ok := cutPrefixFold(s, "msrp://")
	if !ok {
		if rest, ok = cutPrefixFold(s, "msrps://"); !ok {
			return msrpURI{}, false
		}
		u.secure = true
	}
	end := strings.IndexAny(rest, "/;")
	if !isNonWS(s) || end <= 0 || !u.parseAuthority(rest[:end]) {
		return msrpURI{}, false
	}
	rest = rest[end:]
	semi := strings.IndexByte(rest, ';')
	if semi < 0 || rest[0] == '/' && semi == 1 {
		return msrpURI{}, false // no transport, or an empty session-id
	}
	transport, _, _ := strings.Cut(rest[semi+1:], ";")
	if transport == "" || strings.IndexFunc(transport, func(r rune) bool { return !isAlphaNum(r) }) >= 0 {
		return msrpURI{}, false
	}
	return u, true
}

func (u *msrpURI) parseAuthority(a string) bool {
	if at := strings.LastIndexByte(a, '@'); at >= 0 {
		a = a[at+1:]
	}
	hostEnd := strings.LastIndexByte(a, ':')
	if strings.HasPrefix(a, "[") {
		hostEnd = strings.IndexByte(a, ']') + 1
		if hostEnd == 0 || hostEnd < len(a) && a[hostEnd] != ':' {
			return false
		}
	}
	if hostEnd < 0 || hostEnd == len(a) {
		u.host = a
		return a != ""
	}
	u.host = a[:hostEnd]
	port, ok := parseUint(a[hostEnd+1:], 65535)
	if !ok || port == 0 || u.host == "" {
		return false
	}
	u.port = int(port)
	return true
}

func isAlphaNum(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
}

func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix) {
		return s[len(prefix):], true
	}
	return s, false
}
