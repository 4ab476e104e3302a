package wv

import "unicode/utf8"

// The lexical side of the direct decoder (decode_direct.go): tags, text,
// references and numbers, in the narrow form it knows.

// fieldSet marks the children of an element already read, by index.
type fieldSet uint16

// first marks child i and reports whether it was not marked before.
func (f *fieldSet) first(i uint) bool {
	if *f&(1<<i) != 0 {
		return false
	}
	*f |= 1 << i
	return true
}

func (f fieldSet) has(i uint) bool { return f&(1<<i) != 0 }

// next is child for elements without attributes.
func (d *directDecoder) next(parent string) (name []byte, end, ok bool) {
	name, ns, end, ok := d.child(parent)
	return name, end, ok && ns == ""
}

// child moves to what follows in the open element parent, past white
// space: the start tag of a child, which it reads and returns with the
// value of its xmlns attribute ("" when there is none), or parent's end
// tag (end), which it reads. ok is false for anything else, and when the
// child exceeds the depth or element limit.
func (d *directDecoder) child(parent string) (name []byte, ns string, end, ok bool) {
	d.space()
	if !d.skip("<") {
		return nil, "", false, false
	}
	if d.skip("/") {
		return nil, "", true, d.endTag(parent)
	}
	name, ns, ok = d.startTag()
	return name, ns, false, ok
}

// startTag reads a start tag after its '<': a name without prefix, an
// optional xmlns="known namespace", and '>'. It counts the element
// against the limits.
func (d *directDecoder) startTag() (name []byte, ns string, ok bool) {
	start := d.pos
	for d.pos < len(d.in) && nameByte(d.in[d.pos]) {
		d.pos++
	}
	name = d.in[start:d.pos]
	if len(name) == 0 {
		return nil, "", false
	}
	if d.skip(` xmlns="`) {
		if ns, ok = d.namespace(); !ok {
			return nil, "", false
		}
	}
	if !d.skip(">") {
		return nil, "", false
	}
	d.depth++
	d.elements++
	if d.depth > d.limits.MaxDepth || d.elements > d.limits.MaxElements {
		return nil, "", false
	}
	return name, ns, true
}

// namespace reads the value of an xmlns attribute and its closing quote;
// only the four WV-CSP namespaces are known.
func (d *directDecoder) namespace() (string, bool) {
	start := d.pos
	for _, ns := range [...]string{NamespaceCSP12, NamespaceTRC12, NamespaceCSP11, NamespaceTRC11} {
		if d.skip(ns) && d.skip(`"`) {
			return ns, true
		}
		d.pos = start
	}
	return "", false
}

// endTag reads the rest of </parent> after "</".
func (d *directDecoder) endTag(parent string) bool {
	if !d.skip(parent) || !d.skip(">") {
		return false
	}
	d.depth--
	return true
}

// nameByte reports the bytes of the element names the direct decoder
// reads; ':' (a prefix) is not one of them.
func nameByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.'
}

// skip consumes s if the input continues with it.
func (d *directDecoder) skip(s string) bool {
	if len(d.in)-d.pos < len(s) || string(d.in[d.pos:d.pos+len(s)]) != s {
		return false
	}
	d.pos += len(s)
	return true
}

// space skips XML white space.
func (d *directDecoder) space() {
	for d.pos < len(d.in) {
		switch d.in[d.pos] {
		case ' ', '\t', '\n', '\r':
			d.pos++
		default:
			return
		}
	}
}

// text reads the content of the leaf element name, whose start tag was
// read, and its end tag. The bytes returned are valid until the next read.
func (d *directDecoder) text(name string) ([]byte, bool) {
	t, ok := d.chardata()
	return t, ok && d.skip("</") && d.endTag(name)
}

// chardata reads text up to the next '<', which it leaves. The bytes
// returned are valid until the next read.
func (d *directDecoder) chardata() ([]byte, bool) {
	start := d.pos
	for d.pos < len(d.in) {
		c := d.in[d.pos]
		switch {
		case c == '<':
			return d.in[start:d.pos], true
		case c == '&':
			d.scratch = append(d.scratch[:0], d.in[start:d.pos]...)
			return d.chardataWithReferences()
		case !d.plainChar(c):
			return nil, false
		}
	}
	return nil, false
}

// chardataWithReferences goes on with text after its first '&',
// decoding into the scratch buffer.
func (d *directDecoder) chardataWithReferences() ([]byte, bool) {
	for d.pos < len(d.in) {
		c := d.in[d.pos]
		switch {
		case c == '<':
			return d.scratch, true
		case c == '&':
			if !d.reference() {
				return nil, false
			}
		default:
			start := d.pos
			if !d.plainChar(c) {
				return nil, false
			}
			d.scratch = append(d.scratch, d.in[start:d.pos]...)
		}
	}
	return nil, false
}

// plainChar moves past one character of text that stands for itself:
// not markup, not '>' (encoding/xml refuses "]]>"), not a carriage return
// (encoding/xml turns it into a newline), a valid XML character.
func (d *directDecoder) plainChar(c byte) bool {
	switch {
	case c >= 0x20 && c < utf8.RuneSelf:
		if c == '>' {
			return false
		}
		d.pos++
	case c == '\t' || c == '\n':
		d.pos++
	case c >= utf8.RuneSelf:
		r, width := utf8.DecodeRune(d.in[d.pos:])
		if r == utf8.RuneError && width == 1 || !xmlChar(r) {
			return false
		}
		d.pos += width
	default:
		return false
	}
	return true
}

// reference decodes the entity or character reference at '&' into the
// scratch buffer.
func (d *directDecoder) reference() bool {
	for _, e := range [...]struct{ ref, text string }{
		{"&lt;", "<"}, {"&gt;", ">"}, {"&amp;", "&"}, {"&apos;", "'"}, {"&quot;", `"`},
	} {
		if d.skip(e.ref) {
			d.scratch = append(d.scratch, e.text...)
			return true
		}
	}
	if !d.skip("&#") {
		return false
	}
	base := rune(10)
	if d.skip("x") {
		base = 16
	}
	var r rune
	digits := 0
	for ; d.pos < len(d.in) && digits <= 8; d.pos++ {
		v := digitValue(d.in[d.pos], base)
		if v < 0 {
			break
		}
		r = r*base + v
		digits++
	}
	if digits == 0 || digits > 8 || !d.skip(";") || !xmlChar(r) {
		return false
	}
	d.scratch = utf8.AppendRune(d.scratch, r)
	return true
}

// digitValue is the value of c as a digit in base (10 or 16), or -1.
func digitValue(c byte, base rune) rune {
	switch {
	case '0' <= c && c <= '9':
		return rune(c - '0')
	case base == 16 && 'a' <= c && c <= 'f':
		return rune(c-'a') + 10
	case base == 16 && 'A' <= c && c <= 'F':
		return rune(c-'A') + 10
	}
	return -1
}

// string reads the text of the leaf name into s.
func (d *directDecoder) string(name string, s *string) bool {
	t, ok := d.text(name)
	if ok {
		*s = internedString(t)
	}
	return ok
}

// appendString reads the text of the leaf name onto list.
func (d *directDecoder) appendString(name string, list *[]string) bool {
	t, ok := d.text(name)
	if ok {
		*list = append(*list, internedString(t))
	}
	return ok
}

// internedString returns the constant for the values every document
// repeats, and a copy of b otherwise.
func internedString(b []byte) string {
	switch string(b) {
	case "":
		return ""
	case ModeRequest:
		return ModeRequest
	case ModeResponse:
		return ModeResponse
	case SessionInband:
		return SessionInband
	case SessionOutband:
		return SessionOutband
	case "None":
		return "None"
	case "BASE64":
		return "BASE64"
	case "text/plain":
		return "text/plain"
	case "Successfully completed.":
		return "Successfully completed."
	}
	return string(b)
}

// bool reads a CSP boolean, exactly "T" or "F".
func (d *directDecoder) bool(name string, b *Bool) bool {
	t, ok := d.text(name)
	switch {
	case !ok:
		return false
	case string(t) == "T":
		*b = true
	case string(t) == "F":
		*b = false
	default:
		return false
	}
	return true
}

// int reads a number of one to nine digits, no sign and no white space.
func (d *directDecoder) int(name string, v *int) bool {
	n, ok := d.number(name)
	*v = int(n)
	return ok
}

func (d *directDecoder) uint32(name string, v *uint32) bool {
	n, ok := d.number(name)
	*v = n
	return ok
}

func (d *directDecoder) number(name string) (uint32, bool) {
	t, ok := d.text(name)
	if !ok || len(t) == 0 || len(t) > 9 {
		return 0, false
	}
	var n uint32
	for _, c := range t {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + uint32(c-'0')
	}
	return n, true
}
