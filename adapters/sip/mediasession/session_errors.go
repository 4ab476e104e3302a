package mediasession

import (
	"errors"
	"fmt"

	"github.com/iwf-gateway/iwf/adapters/sip/msrp"
)

// Session errors callers branch on with errors.Is.
var (
	// ErrNotStarted is returned by NewSession before Endpoint.Start.
	ErrNotStarted = errors.New("mediasession: endpoint not started")
	// ErrAlreadyStarted is returned by a second Start.
	ErrAlreadyStarted = errors.New("mediasession: endpoint already started")
	// ErrClosed is returned once Shutdown or Close has begun, and ends
	// the sessions that Close ends.
	ErrClosed = errors.New("mediasession: endpoint closed")
	// ErrTooManySessions is returned by NewSession at
	// EndpointConfig.MaxSessions.
	ErrTooManySessions = errors.New("mediasession: too many sessions")
	// ErrSessionClosed is returned by calls on a session that has ended;
	// Session.Err says why it ended.
	ErrSessionClosed = errors.New("mediasession: session closed")
	// ErrNotBound means the peer did not connect to a passive session
	// within EndpointConfig.BindTimeout.
	ErrNotBound = errors.New("mediasession: session not bound to a connection")
	// ErrAlreadyBound is returned by Connect on a session that has a
	// connection, and by SetPeerPath once the peer has bound it.
	ErrAlreadyBound = errors.New("mediasession: session already bound")
	// ErrConnectionLost means the connection carrying the session failed
	// or was closed by the peer. The session ends with it (RFC 4975
	// section 5.4); a Send under way may or may not have been delivered.
	ErrConnectionLost = errors.New("mediasession: connection lost")
	// ErrIdle ends a session that carried no frame for
	// EndpointConfig.IdleTimeout.
	ErrIdle = errors.New("mediasession: session idle")
	// ErrInvalidMessage wraps every reason Send refuses a Message before
	// sending anything; sending it again cannot succeed.
	ErrInvalidMessage = errors.New("mediasession: invalid message")
	// ErrBodyRead wraps the error of a Message.BodyReader; the chunks sent
	// before it were followed by an abort ('#').
	ErrBodyRead = errors.New("mediasession: reading message body")
)

// StatusInternalError is what an Endpoint answers when a Handler fails
// with an error that is not a StatusCode, such as a journal that cannot
// take the message now. RFC 4975 registers no such code; relays such as
// Kamailio answer 500 for server-side failures, and senders treat any
// code other than 2xx as a failure of the transaction.
const StatusInternalError msrp.StatusCode = 500

// SendError is a message the peer refused: a transaction response or a
// REPORT with a status other than 2xx, or the 408 that RFC 4975 section
// 7.1.1 makes a sender assume when no response comes in time.
type SendError struct {
	MessageID string
	Code      msrp.StatusCode
	Comment   string // the peer's comment, or why iwf assumed the code
	// Report is true when the status came in (or, for 408, was waited
	// for as) a REPORT rather than a transaction response.
	Report bool
}

// Error returns e.g. "mediasession: message m123: status 413 Stop sending
// message".
func (e *SendError) Error() string {
	return "mediasession: message " + e.MessageID + ": status " + e.Status()
}

// Status returns the refusal without the message id, e.g. "413 Stop
// sending message (too large) in REPORT": the code in three digits, its
// text, the peer's comment when it says more, and " in REPORT" when it
// came in one.
func (e *SendError) Status() string {
	s := fmt.Sprintf("%03d", int(e.Code))
	if t := e.Code.Text(); t != "" {
		s += " " + t
	}
	if e.Comment != "" && e.Comment != e.Code.Text() {
		s += " (" + e.Comment + ")"
	}
	if e.Report {
		s += " in REPORT"
	}
	return s
}

// Unwrap returns the StatusCode, so errors.Is(err, StatusStopSending)
// works.
func (e *SendError) Unwrap() error { return e.Code }

// Temporary reports whether sending the message again may succeed: after
// 408 (no response in time) and after server-side failures (5xx other
// than 501 and 506, which describe the request or session).
func (e *SendError) Temporary() bool {
	switch {
	case e.Code == msrp.StatusTimeout:
		return true
	case e.Code == msrp.StatusMethodNotUnderstood || e.Code == msrp.StatusSessionInUse:
		return false
	}
	return e.Code >= 500 && e.Code <= 599
}

// statusFor maps a Handler's error to the status answered: nil is 200, a
// StatusCode (possibly wrapped) is itself, anything else is 500.
func statusFor(err error) msrp.StatusCode {
	if err == nil {
		return msrp.StatusOK
	}
	var code msrp.StatusCode
	if errors.As(err, &code) && code >= 100 && code <= 999 {
		return code
	}
	return StatusInternalError
}

// commentFor is the response comment for code.
func commentFor(code msrp.StatusCode) string {
	if t := code.Text(); t != "" {
		return t
	}
	if code == StatusInternalError {
		return "Internal error"
	}
	return ""
}
