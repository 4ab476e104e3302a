package msrp

// Character classes of RFC 4975 section 9 and RFC 3986.

func isAlphaNum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// IsIdent reports whether s is an ident of RFC 4975 section 9,
// ALPHANUM 3*31ident-char: the syntax of a transaction id and of a
// Message-ID.
func IsIdent(s string) bool {
	if len(s) < 4 || len(s) > 32 || !isAlphaNum(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !isAlphaNum(c) && c != '.' && c != '-' && c != '+' && c != '%' && c != '=' {
			return false
		}
	}
	return true
}

// isMethod reports whether s is 1*UPALPHA, at most 32 letters.
func isMethod(s string) bool {
	if len(s) == 0 || len(s) > 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 'A' || s[i] > 'Z' {
			return false
		}
	}
	return true
}

// isToken reports whether s is a non-empty RFC 3261 token.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isAlphaNum(c) && !isTokenMark(c) {
			return false
		}
	}
	return true
}

func isTokenMark(c byte) bool {
	switch c {
	case '-', '.', '!', '%', '*', '_', '+', '`', '\'', '~':
		return true
	}
	return false
}

// isText reports whether s holds no control character other than HTAB:
// utf8text as far as a line-based codec must care. Octets >= 0x80 pass
// unchanged; the codec neither validates nor rewrites UTF-8.
func isText(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}

// trimSpace removes SP and HTAB at both ends.
func trimSpace(s string) string {
	for len(s) > 0 && (s[0] == ' ' || s[0] == '\t') {
		s = s[1:]
	}
	for len(s) > 0 && (s[len(s)-1] == ' ' || s[len(s)-1] == '\t') {
		s = s[:len(s)-1]
	}
	return s
}

// parseDigits parses 1 to 18 decimal digits.
func parseDigits(s string) (int64, bool) {
	if len(s) == 0 || len(s) > 18 {
		return 0, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return 0, false
		}
		n = n*10 + int64(s[i]-'0')
	}
	return n, true
}
