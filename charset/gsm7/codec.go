package gsm7

import (
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/transform"
)

// NewDecoder returns a decoder from unpacked septets (one per octet) to
// UTF-8. Octets above 0x7F decode as U+FFFD.
func (e *Encoding) NewDecoder() *encoding.Decoder {
	return &encoding.Decoder{Transformer: septetDecoder{e: e}}
}

// NewEncoder returns an encoder from UTF-8 to unpacked septets (one per
// octet, ESC before a single-shift code). A rune e cannot represent fails
// with an *UnrepresentableError; invalid UTF-8 with ErrInvalidUTF8.
func (e *Encoding) NewEncoder() *encoding.Encoder {
	return &encoding.Encoder{Transformer: septetEncoder{e: e}}
}

// AppendEncode appends the unpacked septets of s to dst.
func (e *Encoding) AppendEncode(dst []byte, s string) ([]byte, error) {
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			return dst, ErrInvalidUTF8
		}
		c, ok := e.code(r)
		if !ok {
			return dst, &UnrepresentableError{Rune: r}
		}
		if c&shiftFlag != 0 {
			dst = append(dst, Escape)
		}
		dst = append(dst, byte(c))
		i += size
	}
	return dst, nil
}

// DecodeString decodes unpacked septets to a string, U+FFFD for invalid.
func (e *Encoding) DecodeString(septets []byte) string {
	out := make([]byte, 0, len(septets)+len(septets)/4)
	for i := 0; i < len(septets); {
		r, n := e.decodeRune(septets[i:])
		out = utf8.AppendRune(out, r)
		i += n
	}
	return string(out)
}

// decodeRune decodes the character at the start of src (len(src) > 0) and
// says how many octets it used. A lone ESC at the end yields U+FFFD.
func (e *Encoding) decodeRune(src []byte) (rune, int) {
	b := src[0]
	if b >= 0x80 {
		return utf8.RuneError, 1
	}
	if b != Escape {
		return e.main[b], 1
	}
	if len(src) < 2 || src[1] >= 0x80 {
		return utf8.RuneError, 1
	}
	c := src[1]
	switch {
	case c == Escape:
		return ' ', 2 // reserved for another extension table: a space
	case e.shift[c] != 0:
		return e.shift[c], 2
	default:
		return e.main[c], 2 // undefined in the shift table: the main character
	}
}

type septetDecoder struct {
	transform.NopResetter
	e *Encoding
}

func (d septetDecoder) Transform(dst, src []byte, atEOF bool) (nDst, nSrc int, err error) {
	for nSrc < len(src) {
		if src[nSrc] == Escape && nSrc+1 == len(src) && !atEOF {
			return nDst, nSrc, transform.ErrShortSrc
		}
		r, n := d.e.decodeRune(src[nSrc:])
		if nDst+utf8.RuneLen(r) > len(dst) {
			return nDst, nSrc, transform.ErrShortDst
		}
		nDst += utf8.EncodeRune(dst[nDst:], r)
		nSrc += n
	}
	return nDst, nSrc, nil
}

type septetEncoder struct {
	transform.NopResetter
	e *Encoding
}

func (c septetEncoder) Transform(dst, src []byte, atEOF bool) (nDst, nSrc int, err error) {
	for nSrc < len(src) {
		if !atEOF && !utf8.FullRune(src[nSrc:]) {
			return nDst, nSrc, transform.ErrShortSrc
		}
		r, size := utf8.DecodeRune(src[nSrc:])
		if r == utf8.RuneError && size == 1 {
			return nDst, nSrc, ErrInvalidUTF8
		}
		code, ok := c.e.code(r)
		if !ok {
			return nDst, nSrc, &UnrepresentableError{Rune: r}
		}
		need := 1 + int(code>>8)
		if nDst+need > len(dst) {
			return nDst, nSrc, transform.ErrShortDst
		}
		if need == 2 {
			dst[nDst] = Escape
			nDst++
		}
		dst[nDst] = byte(code)
		nDst++
		nSrc += size
	}
	return nDst, nSrc, nil
}
