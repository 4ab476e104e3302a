package sdp

import "strings"

// Character classes of the RFC 8866 grammar (section 9) and of the media
// types in RFC 4975 accept-types (RFC 2045 tokens).

// isTokenChar reports whether c is an RFC 8866 token-char:
// %x21 / %x23-27 / %x2A-2B / %x2D-2E / %x30-39 / %x41-5A / %x5E-7E.
func isTokenChar(c byte) bool {
	switch {
	case c == 0x21, c >= 0x23 && c <= 0x27, c == 0x2a, c == 0x2b, c == 0x2d, c == 0x2e:
		return true
	case c >= '0' && c <= '9', c >= 'A' && c <= 'Z', c >= 0x5e && c <= 0x7e:
		return true
	}
	return false
}

// isToken reports whether s is a non-empty RFC 8866 token.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isTokenChar(s[i]) {
			return false
		}
	}
	return true
}

// isNonWS reports whether s is a non-ws-string: 1*(VCHAR / %x80-FF).
func isNonWS(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= 0x20 || s[i] == 0x7f {
			return false
		}
	}
	return true
}

// isByteString reports whether s is a byte-string: one or more octets
// other than NUL, CR and LF.
func isByteString(s string) bool {
	return s != "" && isText(s)
}

// isText reports whether s holds no NUL, CR or LF; it may be empty.
func isText(s string) bool {
	return !strings.ContainsAny(s, "\x00\r\n")
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

// parseUint parses 1*DIGIT into a value no greater than max.
func parseUint(s string, max uint64) (uint64, bool) {
	if !isDigits(s) {
		return 0, false
	}
	var n uint64
	for i := 0; i < len(s); i++ {
		d := uint64(s[i] - '0')
		if n > (max-d)/10 {
			return 0, false
		}
		n = n*10 + d
	}
	return n, true
}

// isMIMETokenChar reports whether c may appear in an RFC 2045 token: any
// printable US-ASCII character except SP and the tspecials.
func isMIMETokenChar(c byte) bool {
	return c > 0x20 && c < 0x7f && !strings.ContainsRune(`()<>@,;:\"/[]?=`, rune(c))
}

func isMIMEToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isMIMETokenChar(s[i]) {
			return false
		}
	}
	return true
}

// isFormatEntry reports whether s is an RFC 4975 format-entry: "*",
// type "/" subtype or type "/" "*".
func isFormatEntry(s string) bool {
	if s == "*" {
		return true
	}
	typ, sub, ok := strings.Cut(s, "/")
	return ok && isMIMEToken(typ) && typ != "*" && isMIMEToken(sub)
}

// trimSpace removes SP and HTAB at both ends.
func trimSpace(s string) string {
	return strings.Trim(s, " \t")
}

// fields splits s at runs of SP and HTAB.
func fields(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == '\t' })
}
