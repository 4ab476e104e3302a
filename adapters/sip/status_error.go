package sip

import (
	"errors"
	"fmt"
	"time"
)

// Sentinel errors callers branch on.
var (
	// ErrNotStarted is returned by Send before Start.
	ErrNotStarted = errors.New("sip: endpoint not started")
	// ErrAlreadyStarted is returned by a second Start.
	ErrAlreadyStarted = errors.New("sip: endpoint already started")
	// ErrClosed is returned by Start and Send after Shutdown or Close.
	ErrClosed = errors.New("sip: endpoint closed")
	// ErrInvalidOutgoing wraps every reason Send refuses an Outgoing
	// before sending it; retrying the same message cannot succeed.
	ErrInvalidOutgoing = errors.New("sip: invalid outgoing message")
	// ErrTimeout is wrapped by a TransactionError when no final response
	// arrived within Config.TransactionTimeout.
	ErrTimeout = errors.New("sip: transaction timeout")
)

// StatusError is a final SIP response status other than 2xx: the one a
// peer answered to Send, or the one a Handler wants iwf to answer.
type StatusError struct {
	Code   int
	Reason string // reason phrase; empty takes the RFC 3261 phrase
	// Retry is the Retry-After delay the peer gave (received) or iwf will
	// give (returned by a Handler); zero when absent.
	Retry time.Duration
}

// Error returns "sip: 404 Not Found".
func (e *StatusError) Error() string {
	return fmt.Sprintf("sip: %d %s", e.Code, e.reason())
}

// Temporary reports whether the same request may succeed later. Per RFC
// 3261 section 21 these are: 408 Request Timeout, 480 Temporarily
// Unavailable, 486 Busy Here, 491 Request Pending, 500 Server Internal
// Error, 503 Service Unavailable, 504 Server Time-out, and any response
// carrying Retry-After. Other 4xx describe the request itself and 6xx are
// definitive ("global failure"), so they are permanent.
func (e *StatusError) Temporary() bool {
	switch e.Code {
	case 408, 480, 486, 491, 500, 503, 504:
		return true
	}
	return e.Retry > 0 && e.Code < 600
}

// RetryAfter is the delay the peer asked for, zero when it gave none.
func (e *StatusError) RetryAfter() time.Duration { return e.Retry }

func (e *StatusError) reason() string {
	if e.Reason != "" {
		return e.Reason
	}
	return reasonPhrase(e.Code)
}

// TransactionError is a Send that ended without a final response: a
// timeout, a transport failure, or the endpoint shutting down. It is
// always temporary: the peer may or may not have received the request.
type TransactionError struct {
	Err error
}

func (e *TransactionError) Error() string { return "sip: transaction failed: " + e.Err.Error() }

// Unwrap returns the cause (ErrTimeout, ErrClosed, a context error or a
// transport error).
func (e *TransactionError) Unwrap() error { return e.Err }

// Temporary is always true.
func (e *TransactionError) Temporary() bool { return true }

// reasonPhrase is the RFC 3261 section 21 phrase for the codes iwf uses.
func reasonPhrase(code int) string {
	switch code {
	case 200:
		return "OK"
	case 202:
		return "Accepted"
	case 400:
		return "Bad Request"
	case 403:
		return "Forbidden"
	case 404:
		return "Not Found"
	case 405:
		return "Method Not Allowed"
	case 408:
		return "Request Timeout"
	case 413:
		return "Request Entity Too Large"
	case 415:
		return "Unsupported Media Type"
	case 480:
		return "Temporarily Unavailable"
	case 486:
		return "Busy Here"
	case 488:
		return "Not Acceptable Here"
	case 500:
		return "Server Internal Error"
	case 503:
		return "Service Unavailable"
	case 504:
		return "Server Time-out"
	case 603:
		return "Decline"
	case 604:
		return "Does Not Exist Anywhere"
	}
	switch code / 100 {
	case 2:
		return "OK"
	case 3:
		return "Redirection"
	case 4:
		return "Client Error"
	case 5:
		return "Server Error"
	}
	return "Global Failure"
}
