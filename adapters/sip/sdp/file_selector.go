package sdp

import (
	"errors"
	"strconv"
	"strings"
)

// FileSelector is the value of a=file-selector (RFC 5547 section 6): the
// file an offer sends or asks for.
//
//	a=file-selector:name:"My cool picture.jpg" type:image/jpeg size:32349 hash:sha-1:72:24:5F:...
//
// Each selector is optional and occurs at most once; with none, the
// attribute only says that file transfer is supported.
type FileSelector struct {
	Name string // file name, percent-decoded; "" when absent
	Type string // media type with any parameters, as written; "" when absent
	Size int64  // octets; -1 when absent (0 is an empty file)
	Hash string // "<algorithm>:<hex>:<hex>...", e.g. "sha-1:72:24:5F"; "" when absent
}

var (
	errSelector      = errors.New("unknown selector or bad separator")
	errSelectorTwice = errors.New("selector repeated")
	errFileName      = errors.New("bad name selector")
	errFileType      = errors.New("bad type selector")
	errFileSize      = errors.New("bad size selector")
	errFileHash      = errors.New("bad hash selector")
)

// ParseFileSelector parses the value of a=file-selector; "" yields a
// FileSelector with no selector. Errors are *AttributeError.
func ParseFileSelector(s string) (FileSelector, error) {
	f, err := parseFileSelector(s)
	if err != nil {
		return FileSelector{}, attrError("file-selector", s, err)
	}
	return f, nil
}

func parseFileSelector(s string) (FileSelector, error) {
	f := FileSelector{Size: -1}
	seen := map[string]bool{}
	for s != "" {
		key, _, ok := strings.Cut(s, ":")
		if !ok {
			return FileSelector{}, errSelector
		}
		if seen[key] {
			return FileSelector{}, errSelectorTwice
		}
		seen[key] = true
		rest, err := f.selector(key, s[len(key)+1:])
		if err != nil {
			return FileSelector{}, err
		}
		if rest != "" {
			if rest[0] != ' ' || len(rest) == 1 {
				return FileSelector{}, errSelector
			}
			rest = rest[1:]
		}
		s = rest
	}
	return f, nil
}

// selector reads the value of selector key from s and returns what
// follows it.
func (f *FileSelector) selector(key, s string) (string, error) {
	if key == "name" {
		return f.parseName(s)
	}
	val, rest := cutUnquotedSpace(s)
	switch key {
	case "type":
		if !isFileType(val) {
			return "", errFileType
		}
		f.Type = val
	case "size":
		n, ok := parseUint(val, 1<<63-1)
		if !ok {
			return "", errFileSize
		}
		f.Size = int64(n)
	case "hash":
		if !isFileHash(val) {
			return "", errFileHash
		}
		f.Hash = val
	default:
		return "", errSelector
	}
	return rest, nil
}

func (f *FileSelector) parseName(s string) (string, error) {
	if len(s) < 2 || s[0] != '"' {
		return "", errFileName
	}
	end := strings.IndexByte(s[1:], '"')
	if end < 1 {
		return "", errFileName
	}
	name, ok := percentDecode(s[1 : 1+end])
	if !ok {
		return "", errFileName
	}
	f.Name = name
	return s[end+2:], nil
}

// cutUnquotedSpace splits s at the first SP outside a quoted-string.
func cutUnquotedSpace(s string) (string, string) {
	quoted := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case quoted && c == '\\' && i+1 < len(s):
			i++
		case c == '"':
			quoted = !quoted
		case c == ' ' && !quoted:
			return s[:i], s[i:]
		}
	}
	return s, ""
}

// isFileType reports whether s is type "/" subtype *(";" ft-parameter)
// with no space outside a quoted parameter value.
func isFileType(s string) bool {
	if _, rest := cutUnquotedSpace(s); rest != "" {
		return false
	}
	base, params, _ := strings.Cut(s, ";")
	typ, sub, ok := strings.Cut(base, "/")
	if !ok || !isMIMEToken(typ) || !isMIMEToken(sub) || !isText(s) {
		return false
	}
	for params != "" {
		var ok bool
		if params, ok = cutParameter(params); !ok {
			return false
		}
	}
	return true
}

// cutParameter reads one ft-parameter, attribute "=" ( token /
// quoted-string ), and what follows its ";", if any.
func cutParameter(s string) (string, bool) {
	attr, val, ok := strings.Cut(s, "=")
	if !ok || !isMIMEToken(attr) || val == "" {
		return "", false
	}
	if val[0] != '"' {
		tok, rest, more := strings.Cut(val, ";")
		if !isMIMEToken(tok) || more && rest == "" {
			return "", false
		}
		return rest, true
	}
	for i := 1; i < len(val); i++ {
		switch val[i] {
		case '\\':
			i++
		case '"':
			rest := val[i+1:]
			if rest == "" {
				return "", true
			}
			if rest[0] != ';' || len(rest) == 1 {
				return "", false
			}
			return rest[1:], true
		}
	}
	return "", false // unterminated quoted-string
}

// isFileHash reports whether s is hash-algorithm ":" 2HEXDIG *(":" 2HEXDIG).
func isFileHash(s string) bool {
	alg, hex, ok := strings.Cut(s, ":")
	if !ok || !isToken(alg) {
		return false
	}
	for _, b := range strings.Split(hex, ":") {
		if len(b) != 2 || !isHex(b[0]) || !isHex(b[1]) {
			return false
		}
	}
	return true
}

func isHex(c byte) bool {
	return isDigit(c) || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case isDigit(c):
		return c - '0'
	case c >= 'a':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}

// percentDecode decodes a non-empty filename-string: any octet but NUL,
// CR, LF, '"' and '%', or '%' and two hex digits.
func percentDecode(s string) (string, bool) {
	if s == "" || !isText(s) {
		return "", false
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '%' {
			b.WriteByte(c)
			continue
		}
		if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
			return "", false
		}
		b.WriteByte(unhex(s[i+1])<<4 | unhex(s[i+2]))
		i += 2
	}
	return b.String(), true
}

// percentEncode escapes the octets a filename-string cannot hold.
func percentEncode(s string) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case 0, '\r', '\n', '"', '%':
			b.WriteByte('%')
			b.WriteByte(hexDigits[c>>4])
			b.WriteByte(hexDigits[c&0xf])
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// String returns the attribute value: the selectors present, in the order
// name, type, size, hash.
func (f FileSelector) String() string {
	var parts []string
	if f.Name != "" {
		parts = append(parts, `name:"`+percentEncode(f.Name)+`"`)
	}
	if f.Type != "" {
		parts = append(parts, "type:"+f.Type)
	}
	if f.Size >= 0 {
		parts = append(parts, "size:"+strconv.FormatInt(f.Size, 10))
	}
	if f.Hash != "" {
		parts = append(parts, "hash:"+f.Hash)
	}
	return strings.Join(parts, " ")
}

// check reports a field String would write in a form ParseFileSelector
// does not read back.
func (f FileSelector) check() error {
	switch {
	case f.Type != "" && !isFileType(f.Type):
		return errFileType
	case f.Size < -1:
		return errFileSize
	case f.Hash != "" && !isFileHash(f.Hash):
		return errFileHash
	}
	return nil
}

// FileRange is the value of a=file-range (RFC 5547 section 6): the octets
// of the file to transfer, counted from 1, both ends included.
type FileRange struct {
	Start int64 // first octet, 1 or more
	Stop  int64 // last octet; -1 for "*", up to the end of the file
}

var errFileRange = errors.New("not <start>-<stop> or <start>-*")

// ParseFileRange parses "1-32349" or "1-*". Errors are *AttributeError.
func ParseFileRange(s string) (FileRange, error) {
	start, stop, ok := strings.Cut(s, "-")
	a, okA := parseUint(start, 1<<63-1)
	if !ok || !okA || a == 0 {
		return FileRange{}, attrError("file-range", s, errFileRange)
	}
	r := FileRange{Start: int64(a), Stop: -1}
	if stop != "*" {
		b, okB := parseUint(stop, 1<<63-1)
		if !okB || b < a {
			return FileRange{}, attrError("file-range", s, errFileRange)
		}
		r.Stop = int64(b)
	}
	return r, nil
}

// String returns the attribute value.
func (r FileRange) String() string {
	stop := "*"
	if r.Stop >= 0 {
		stop = strconv.FormatInt(r.Stop, 10)
	}
	return strconv.FormatInt(r.Start, 10) + "-" + stop
}

func (r FileRange) check() error {
	if r.Start < 1 || r.Stop < -1 || r.Stop >= 0 && r.Stop < r.Start {
		return errFileRange
	}
	return nil
}
