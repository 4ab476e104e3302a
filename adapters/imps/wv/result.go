package wv

import (
	"fmt"
)

// CSP result codes used by this package (WV-CSP 1.1 and 1.2, "Status
// codes"). 1xx is informational, 2xx success, 4xx a client error, 5xx a
// server error, 6xx a session error, 7xx a presence or contact-list error,
// 8xx a group error and 9xx a general error.
const (
	CodeOK                   = 200 // Successfully completed.
	CodePartiallySuccessful  = 201 // Partially successful.
	CodeBadRequest           = 400 // Bad request.
	CodeUnauthorized         = 401 // Unauthorized (digest challenge).
	CodeServiceNotSupported  = 405 // Service not supported.
	CodeRequestTimeout       = 408 // Request timeout.
	CodeInternalServerError  = 500 // Internal server or network error.
	CodeNotImplemented       = 501 // Not implemented.
	CodeServiceUnavailable   = 503 // Service unavailable.
	CodeTimeout              = 504 // Timeout.
	CodeVersionNotSupported  = 505 // Version not supported.
	CodeMessageQueueFull     = 507 // Message queue full.
	CodeUnknownUser          = 531 // Unknown user.
	CodeRecipientBlocked     = 532 // Recipient blocked the sender.
	CodeRecipientNotLoggedIn = 533 // Message recipient not logged in.
	CodeSessionExpired       = 600 // Session expired.
	CodeForcedLogout         = 601 // Forced logout.
	CodeInvalidSession       = 604 // Invalid session (not logged in).
)

// Result is the CSP Result element:
//
//	Result (Code, Description?, DetailedResult*)
type Result struct {
	Code            int              `xml:"Code"`
	Description     string           `xml:"Description,omitempty"`
	DetailedResults []DetailedResult `xml:"DetailedResult"`
}

// DetailedResult is one DetailedResult of a Result:
//
//	DetailedResult (Code, Description?, UserID*, GroupID*, ScreenName*, MessageID*)
type DetailedResult struct {
	Code        int          `xml:"Code"`
	Description string       `xml:"Description,omitempty"`
	UserIDs     []string     `xml:"UserID"`
	GroupIDs    []string     `xml:"GroupID"`
	ScreenNames []ScreenName `xml:"ScreenName"`
	MessageIDs  []string     `xml:"MessageID"`
}

// Success reports whether the result code is a 2xx success.
func (r Result) Success() bool { return r.Code >= 200 && r.Code < 300 }

// Err returns nil for a 2xx result and a *StatusError otherwise.
func (r Result) Err() error {
	if r.Success() {
		return nil
	}
	return &StatusError{Code: r.Code, Description: r.Description}
}

func (r Result) validate() error {
	if !validCode(r.Code) {
		return fmt.Errorf("%w: result code %d out of range", ErrInvalid, r.Code)
	}
	for _, d := range r.DetailedResults {
		if !validCode(d.Code) {
			return fmt.Errorf("%w: detailed result code %d out of range", ErrInvalid, d.Code)
		}
	}
	return nil
}

func validCode(c int) bool { return c >= 100 && c <= 999 }

// StatusError is a CSP result code other than 2xx, as returned by a peer.
type StatusError struct {
	Code        int
	Description string
}

// Error implements error.
func (e *StatusError) Error() string {
	if e.Description == "" {
		return fmt.Sprintf("wv: csp status %d", e.Code)
	}
	return fmt.Sprintf("wv: csp status %d: %s", e.Code, e.Description)
}

// Temporary reports whether the same request may succeed later without
// being changed. True for:
//
//   - 408 request timeout, 500 internal server or network error,
//     503 service unavailable, 504 timeout, 507 message queue full:
//     the server or its network is overloaded or failing;
//   - 533 recipient not logged in: the recipient may log in later;
//   - 600 session expired, 601 forced logout, 604 invalid session: the
//     request succeeds after the client logs in again.
//
// Every other code (other 4xx client errors, 501, 505 and the other 5xx
// errors about the recipient or the request, 7xx, 8xx, 9xx) is permanent.
func (e *StatusError) Temporary() bool {
	switch e.Code {
	case CodeRequestTimeout, CodeInternalServerError, CodeServiceUnavailable,
		CodeTimeout, CodeMessageQueueFull, CodeRecipientNotLoggedIn,
		CodeSessionExpired, CodeForcedLogout, CodeInvalidSession:
		return true
	}
	return false
}
