package msrp

// Flag is the continuation flag that ends an end-line.
type Flag byte

// Continuation flags (RFC 4975 section 7.1).
const (
	FlagEnd   Flag = '$' // the chunk ends the message
	FlagMore  Flag = '+' // more chunks of the message follow
	FlagAbort Flag = '#' // the sender abandons the message
)

func (f Flag) valid() bool { return f == FlagEnd || f == FlagMore || f == FlagAbort }

// Methods of RFC 4975. Others (AUTH of RFC 4976, NICKNAME) decode as
// their name.
const (
	MethodSEND   = "SEND"
	MethodREPORT = "REPORT"
)

// Header is a header field the codec does not type: an extension header
// or a MIME header such as Content-ID that precedes a body.
type Header struct {
	Name  string
	Value string
}

// Frame is one MSRP request or response (RFC 4975 section 7). A request
// has a Method; a response has none and a Code instead. Unset typed
// headers are absent on the wire. Extra keeps every other header field in
// wire order; Marshal writes Content-Type after them, since RFC 4975
// wants it last before the body.
type Frame struct {
	TransactionID string
	Method        string     // "SEND", "REPORT", other 1*UPALPHA; "" for a response
	Code          StatusCode // response status code, 000-999
	Comment       string     // response comment after the code; may be ""

	ToPath        []URI
	FromPath      []URI
	MessageID     string     // "" when absent
	ByteRange     *ByteRange // nil when absent
	SuccessReport string     // "yes", "no" or "" when absent
	FailureReport string     // "yes", "no", "partial" or "" when absent
	Status        *Status    // nil when absent
	ContentType   string     // media type; set exactly when the frame carries a body section
	Extra         []Header

	// Body is the data between the empty line and the end-line's CRLF,
	// nil when empty. A decoded Body aliases the input for Unmarshal and
	// is a fresh copy for Reader.
	Body []byte
	Flag Flag // zero is marshalled as FlagEnd
}

// IsResponse reports whether f is a transaction response.
func (f *Frame) IsResponse() bool { return f.Method == "" }

// Err returns nil unless f is a response with a code other than 2xx, in
// which case it returns that StatusCode.
func (f *Frame) Err() error {
	if !f.IsResponse() || f.Code.Success() {
		return nil
	}
	return f.Code
}

// Header names the codec types. The comparison is case-insensitive;
// Marshal writes these spellings.
const (
	hdrToPath        = "To-Path"
	hdrFromPath      = "From-Path"
	hdrMessageID     = "Message-ID"
	hdrByteRange     = "Byte-Range"
	hdrSuccessReport = "Success-Report"
	hdrFailureReport = "Failure-Report"
	hdrStatus        = "Status"
	hdrContentType   = "Content-Type"
)

var typedHeaders = [...]string{hdrToPath, hdrFromPath, hdrMessageID, hdrByteRange,
	hdrSuccessReport, hdrFailureReport, hdrStatus, hdrContentType}

// typedHeader returns the canonical spelling of name when the codec types
// it, or "".
func typedHeader(name string) string {
	for _, h := range typedHeaders {
		if len(h) == len(name) && equalFoldASCII(h, name) {
			return h
		}
	}
	return ""
}

func equalFoldASCII(a, b string) bool {
	for i := 0; i < len(a); i++ {
		if lowerASCII(a[i]) != lowerASCII(b[i]) {
			return false
		}
	}
	return true
}

func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}
