package msrp

import (
	"bytes"
	"fmt"
	"strconv"
)

// Marshal encodes f. It refuses a frame that would not decode back to the
// same value: missing paths, bad identifiers, a body without
// Content-Type, a response with a body, a body containing the end-line.
func (f *Frame) Marshal() ([]byte, error) {
	return f.AppendMarshal(make([]byte, 0, f.encodedSizeHint()))
}

// AppendMarshal appends the encoding of f to dst.
func (f *Frame) AppendMarshal(dst []byte) ([]byte, error) {
	if err := f.Validate(); err != nil {
		return dst, err
	}
	b := append(dst, startMSRP...)
	b = append(b, f.TransactionID...)
	b = append(b, ' ')
	if f.IsResponse() {
		b = appendThreeDigits(b, int(f.Code))
		if f.Comment != "" {
			b = append(b, ' ')
			b = append(b, f.Comment...)
		}
	} else {
		b = append(b, f.Method...)
	}
	b = append(b, "\r\n"...)
	b = f.appendHeaders(b)
	if f.ContentType != "" {
		b = appendHeader(b, hdrContentType, f.ContentType)
		b = append(b, "\r\n"...)
		b = append(b, f.Body...)
		b = append(b, "\r\n"...)
	}
	b = append(b, hyphens...)
	b = append(b, f.TransactionID...)
	b = append(b, byte(f.flag()), '\r', '\n')
	return b, nil
}

func (f *Frame) flag() Flag {
	if f.Flag == 0 {
		return FlagEnd
	}
	return f.Flag
}

func (f *Frame) appendHeaders(b []byte) []byte {
	b = appendPath(b, hdrToPath, f.ToPath)
	b = appendPath(b, hdrFromPath, f.FromPath)
	if f.MessageID != "" {
		b = appendHeader(b, hdrMessageID, f.MessageID)
	}
	if f.ByteRange != nil {
		b = append(b, hdrByteRange+": "...)
		b = f.ByteRange.appendTo(b)
		b = append(b, "\r\n"...)
	}
	if f.SuccessReport != "" {
		b = appendHeader(b, hdrSuccessReport, f.SuccessReport)
	}
	if f.FailureReport != "" {
		b = appendHeader(b, hdrFailureReport, f.FailureReport)
	}
	if f.Status != nil {
		b = append(b, hdrStatus+": "...)
		b = f.Status.appendTo(b)
		b = append(b, "\r\n"...)
	}
	for _, h := range f.Extra {
		b = appendHeader(b, h.Name, h.Value)
	}
	return b
}

func appendHeader(b []byte, name, value string) []byte {
	b = append(b, name...)
	b = append(b, ": "...)
	b = append(b, value...)
	return append(b, "\r\n"...)
}

func appendPath(b []byte, name string, path []URI) []byte {
	b = append(b, name...)
	b = append(b, ": "...)
	for i, u := range path {
		if i > 0 {
			b = append(b, ' ')
		}
		b = u.appendTo(b)
	}
	return append(b, "\r\n"...)
}

func (f *Frame) encodedSizeHint() int {
	n := 160 + len(f.Body) + len(f.ContentType) + 2*len(f.TransactionID)
	for _, h := range f.Extra {
		n += len(h.Name) + len(h.Value) + 4
	}
	return n + 64*(len(f.ToPath)+len(f.FromPath))
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalidFrame}, args...)...)
}

// Validate reports why Marshal would refuse f: it checks that f encodes
// to bytes that decode back to f. The error wraps ErrInvalidFrame, or
// ErrEndLineInBody when only the transaction id must change.
func (f *Frame) Validate() error {
	if !IsIdent(f.TransactionID) {
		return invalid("transaction id %q is not an ident", f.TransactionID)
	}
	if err := f.validateStart(); err != nil {
		return err
	}
	if err := validatePath(hdrToPath, f.ToPath); err != nil {
		return err
	}
	if err := validatePath(hdrFromPath, f.FromPath); err != nil {
		return err
	}
	if err := f.validateTyped(); err != nil {
		return err
	}
	if err := f.validateExtra(); err != nil {
		return err
	}
	return f.validateBody()
}

func (f *Frame) validateStart() error {
	if f.IsResponse() {
		if f.Code < 0 || f.Code > 999 || !isText(f.Comment) || f.Comment != trimSpace(f.Comment) {
			return invalid("response code %d or comment %q", int(f.Code), f.Comment)
		}
	} else if !isMethod(f.Method) {
		return invalid("method %q is not 1*UPALPHA", f.Method)
	} else if f.Code != 0 || f.Comment != "" {
		return invalid("request %s with a response code or comment", f.Method)
	}
	if !f.flag().valid() {
		return invalid("flag %q", byte(f.Flag))
	}
	return nil
}

func validatePath(name string, path []URI) error {
	if len(path) == 0 || len(path) > MaxPathURIs {
		return invalid("%s needs 1 to %d URIs, has %d", name, MaxPathURIs, len(path))
	}
	for _, u := range path {
		if !u.Valid() {
			return invalid("%s URI %q", name, u.String())
		}
	}
	return nil
}

func (f *Frame) validateTyped() error {
	if f.MessageID != "" && !IsIdent(f.MessageID) {
		return invalid("Message-ID %q is not an ident", f.MessageID)
	}
	if f.ByteRange != nil && f.ByteRange.validate() != nil {
		return invalid("Byte-Range %s: %v", f.ByteRange, f.ByteRange.validate())
	}
	switch f.SuccessReport {
	case "", "yes", "no":
	default:
		return invalid("Success-Report %q", f.SuccessReport)
	}
	switch f.FailureReport {
	case "", "yes", "no", "partial":
	default:
		return invalid("Failure-Report %q", f.FailureReport)
	}
	if f.Status != nil && !f.Status.valid() {
		return invalid("Status %q", f.Status.String())
	}
	if !isText(f.ContentType) || f.ContentType != trimSpace(f.ContentType) {
		return invalid("Content-Type %q", f.ContentType)
	}
	return nil
}

func (f *Frame) validateExtra() error {
	for _, h := range f.Extra {
		if !isToken(h.Name) || typedHeader(h.Name) != "" || hasPrefixString([]byte(h.Name), hyphens) {
			return invalid("extra header name %q", h.Name)
		}
		if !isText(h.Value) || h.Value != trimSpace(h.Value) {
			return invalid("extra header %s value %q", h.Name, h.Value)
		}
	}
	return nil
}

func (f *Frame) validateBody() error {
	if f.ContentType == "" {
		if len(f.Body) > 0 {
			return invalid("body without Content-Type")
		}
		return nil
	}
	if f.IsResponse() {
		return invalid("response with Content-Type or body")
	}
	if bodyHasEndLine(f.Body, f.TransactionID) {
		return fmt.Errorf("%w: transaction %s", ErrEndLineInBody, f.TransactionID)
	}
	return nil
}

// bodyHasEndLine reports whether body, framed by the CRLF of the empty
// line before it, contains CRLF "-------" tid followed by a flag.
func bodyHasEndLine(body []byte, tid string) bool {
	pat := []byte("\r\n" + hyphens + tid)
	if hasPrefixString(body, string(pat[2:])) && len(body) > len(pat)-2 && Flag(body[len(pat)-2]).valid() {
		return true
	}
	for from := 0; ; {
		i := bytes.Index(body[from:], pat)
		if i < 0 {
			return false
		}
		at := from + i + len(pat)
		if at < len(body) && Flag(body[at]).valid() {
			return true
		}
		from += i + 1
	}
}

// String returns a one-line summary for logs, without the body.
func (f *Frame) String() string {
	start := f.Method
	if f.IsResponse() {
		start = strconv.Itoa(int(f.Code))
	}
	return fmt.Sprintf("MSRP %s %s (%d body bytes, flag %c)", f.TransactionID, start, len(f.Body), f.flag())
}
