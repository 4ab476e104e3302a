package msrp

import (
	"errors"
	"fmt"
)

// Sentinel errors callers branch on with errors.Is.
var (
	// ErrSyntax is wrapped by every decoding error about malformed input.
	ErrSyntax = errors.New("msrp: syntax error")
	// ErrIncomplete means the input ended before the end-line: Unmarshal
	// got a truncated frame, or a Reader's stream ended mid-frame.
	ErrIncomplete = errors.New("msrp: incomplete frame")
	// ErrTrailingData means Unmarshal found bytes after the end-line.
	ErrTrailingData = errors.New("msrp: data after end-line")
	// ErrHeaderTooLarge means the start line and header block exceed
	// Config.MaxHeaderBytes or Config.MaxHeaders.
	ErrHeaderTooLarge = errors.New("msrp: header block too large")
	// ErrBodyTooLarge means a body exceeds Config.MaxBodyBytes.
	ErrBodyTooLarge = errors.New("msrp: body too large")
	// ErrMissingHeader means a header the frame needs is absent.
	ErrMissingHeader = errors.New("msrp: missing header")
	// ErrDuplicateHeader means a header that may occur once occurs twice.
	ErrDuplicateHeader = errors.New("msrp: duplicate header")
	// ErrEndLineInBody means Marshal was given a body that contains the
	// frame's own end-line; choose another transaction id.
	ErrEndLineInBody = errors.New("msrp: body contains end-line")
	// ErrInvalidFrame means Marshal or Chunker was given a Frame that
	// cannot be put on the wire.
	ErrInvalidFrame = errors.New("msrp: invalid frame")
	// ErrMessageTooLarge means a reassembled message would exceed
	// Config.MaxMessageBytes or Config.MaxChunks.
	ErrMessageTooLarge = errors.New("msrp: message too large")
	// ErrAborted means the sender ended the message with the '#' flag.
	ErrAborted = errors.New("msrp: message aborted by sender")
	// ErrChunkMismatch means a chunk does not belong to the message being
	// reassembled or contradicts chunks already received.
	ErrChunkMismatch = errors.New("msrp: chunk does not fit message")
)

// HeaderError reports a malformed, missing or repeated header field.
// errors.Is(err, ErrSyntax) holds for every HeaderError; Err may be a more
// specific sentinel such as ErrMissingHeader.
type HeaderError struct {
	Name  string // header name as found, e.g. "Byte-Range"
	Value string // offending value, truncated to 64 bytes
	Err   error
}

// Error returns "msrp: bad Byte-Range header "1-x/3": ...".
func (e *HeaderError) Error() string {
	return fmt.Sprintf("msrp: bad %s header %q: %v", e.Name, e.Value, e.Err)
}

// Unwrap returns the cause.
func (e *HeaderError) Unwrap() error { return e.Err }

// Is reports whether target is ErrSyntax: every HeaderError is malformed
// input.
func (e *HeaderError) Is(target error) bool { return target == ErrSyntax }

func headerError(name, value string, err error) error {
	if len(value) > 64 {
		value = value[:64]
	}
	return &HeaderError{Name: name, Value: value, Err: err}
}

func syntaxError(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrSyntax}, args...)...)
}
