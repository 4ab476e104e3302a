package mms

import (
	"errors"
	"fmt"
)

// Sentinels callers branch on.
var (
	// ErrClosed is returned by calls made after Shutdown or Close began.
	ErrClosed = errors.New("mms: vasp closed")
	// ErrAlreadyStarted is returned by a second Start.
	ErrAlreadyStarted = errors.New("mms: vasp already started")
	// ErrUnexpectedAnswer means the relay answered with an operation
	// that does not match the request, or without a MessageID.
	ErrUnexpectedAnswer = errors.New("mms: unexpected answer from relay")
	// ErrHTTPStatus means the relay answered an HTTP error without an MM7
	// body; a *TransportError wraps it with the code.
	ErrHTTPStatus = errors.New("mms: http error from relay")
)

// TransportError is a failed exchange with the relay whose outcome is
// unknown or whose failure may pass: connection refused or dropped,
// timeout, an HTTP 5xx without an MM7 body, an answer that cannot be
// read. The request may or may not have been taken; sending it again is
// safe because relays and the gateway detect repeats by id.
type TransportError struct {
	Op         string // "SubmitReq", "CancelReq", "ReplaceReq"
	HTTPStatus int    // 0 when no HTTP answer arrived
	Err        error
}

func (e *TransportError) Error() string {
	if e.HTTPStatus != 0 {
		return fmt.Sprintf("mms: %s: http %d: %v", e.Op, e.HTTPStatus, e.Err)
	}
	return fmt.Sprintf("mms: %s: %v", e.Op, e.Err)
}

func (e *TransportError) Unwrap() error { return e.Err }

// Temporary reports whether sending again later may succeed: true, except
// for an HTTP 4xx answer without an MM7 body (401 wrong credentials, 404
// wrong URL, 413 too large), which will be refused again; 408 and 429 are
// temporary.
func (e *TransportError) Temporary() bool {
	if e.HTTPStatus >= 400 && e.HTTPStatus < 500 {
		return e.HTTPStatus == 408 || e.HTTPStatus == 429
	}
	return true
}
