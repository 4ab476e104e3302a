package sdp

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors callers branch on with errors.Is.
var (
	// ErrMalformed is wrapped by every error about input that is not a
	// valid session description or attribute value. A SIP user agent
	// answers such an offer with 400 or 488.
	ErrMalformed = errors.New("sdp: malformed session description")
	// ErrTooLarge means the input exceeds MaxBytes, MaxLines, MaxMedia,
	// MaxAttributes or MaxFormats. It is also malformed: errors.Is(err,
	// ErrMalformed) holds as well.
	ErrTooLarge = errors.New("sdp: session description too large")
	// ErrNotMSRP means MSRPMediaOf was given a media description that is
	// not "message" over TCP/MSRP or TCP/TLS/MSRP.
	ErrNotMSRP = errors.New("sdp: not an MSRP media description")
	// ErrNotAcceptable means Answer found no MSRP media description in
	// the offer that iwf can accept; the caller answers 488 Not
	// Acceptable Here. The error also wraps the reason.
	ErrNotAcceptable = errors.New("sdp: offer not acceptable")
	// ErrInvalid means Marshal, Offer or Answer was given a value that
	// cannot be put on the wire, or an invalid configuration.
	ErrInvalid = errors.New("sdp: invalid value")
)

// LineError reports a malformed line of a session description.
// errors.Is(err, ErrMalformed) holds for every LineError; Err may be
// ErrTooLarge.
type LineError struct {
	Line int    // 1-based line number; 0 when the whole input is at fault
	Text string // the offending line, truncated to 64 bytes
	Err  error
}

// Error returns e.g. `sdp: line 6 "m=message x TCP/MSRP *": bad port`.
func (e *LineError) Error() string {
	if e.Line == 0 {
		return "sdp: " + cause(e.Err)
	}
	return fmt.Sprintf("sdp: line %d %q: %s", e.Line, e.Text, cause(e.Err))
}

// cause returns the text of err without the package prefix that a
// sentinel carries, so that an error reads "sdp: ..." once.
func cause(err error) string {
	return strings.TrimPrefix(err.Error(), "sdp: ")
}

// Unwrap returns the cause.
func (e *LineError) Unwrap() error { return e.Err }

// Is reports whether target is ErrMalformed.
func (e *LineError) Is(target error) bool { return target == ErrMalformed }

// AttributeError reports an MSRP or file transfer attribute that is
// malformed, missing or repeated. errors.Is(err, ErrMalformed) holds for
// every AttributeError.
type AttributeError struct {
	Name  string // attribute name, e.g. "path"
	Value string // offending value, truncated to 64 bytes
	Err   error
}

// Error returns e.g. `sdp: bad a=max-size "12x": not a number`.
func (e *AttributeError) Error() string {
	return fmt.Sprintf("sdp: bad a=%s %q: %s", e.Name, e.Value, cause(e.Err))
}

// Unwrap returns the cause.
func (e *AttributeError) Unwrap() error { return e.Err }

// Is reports whether target is ErrMalformed.
func (e *AttributeError) Is(target error) bool { return target == ErrMalformed }

func truncate(s string) string {
	if len(s) > 64 {
		return s[:64]
	}
	return s
}

func attrError(name, value string, err error) error {
	return &AttributeError{Name: name, Value: truncate(value), Err: err}
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalid}, args...)...)
}
