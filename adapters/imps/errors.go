package imps

import (
	"errors"
	"fmt"
)

// Sentinel errors.
var (
	// ErrClosed: the Client is shutting down or closed. Temporary: another
	// instance or a later run may take the message.
	ErrClosed = errors.New("imps: client closed")
	// ErrAlreadyRunning: Run was called twice.
	ErrAlreadyRunning = errors.New("imps: client already running")
	// ErrDigestSchema: the server challenged with a digest scheme other
	// than MD5 or PWD.
	ErrDigestSchema = errors.New("imps: unsupported digest schema")
	// ErrSessionLost: the session ended (Disconnect, expiry) while a
	// request waited for its response. Temporary.
	ErrSessionLost = errors.New("imps: session lost")
	// ErrNoResponse: the server's answer did not carry the response to the
	// request (or the request timed out). Temporary.
	ErrNoResponse = errors.New("imps: no response")
	// ErrUnexpectedResponse: the response carried another primitive than
	// the request calls for. Permanent.
	ErrUnexpectedResponse = errors.New("imps: unexpected response")
)

// TransportError is a failure to exchange a document with the server: a
// network error, an HTTP status other than 200/204, or an answer that does
// not decode. It is always temporary.
type TransportError struct {
	Op  string // the primitive being sent, e.g. "SendMessage-Request"
	Err error
}

// Error implements error.
func (e *TransportError) Error() string { return fmt.Sprintf("imps: %s: %v", e.Op, e.Err) }

// Unwrap returns the cause.
func (e *TransportError) Unwrap() error { return e.Err }

// Temporary reports true: the same request may succeed later.
func (e *TransportError) Temporary() bool { return true }

// IsTemporary reports whether err means "try again later": a temporary
// *wv.StatusError, a *TransportError, ErrClosed, ErrSessionLost or
// ErrNoResponse.
func IsTemporary(err error) bool {
	if errors.Is(err, ErrClosed) || errors.Is(err, ErrSessionLost) || errors.Is(err, ErrNoResponse) {
		return true
	}
	var t interface{ Temporary() bool }
	return errors.As(err, &t) && t.Temporary()
}
