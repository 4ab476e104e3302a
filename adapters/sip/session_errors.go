package sip

import (
	"errors"

	"github.com/iwf-gateway/iwf/adapters/sip/mediasession"
)

// Session errors callers branch on with errors.Is.
var (
	// ErrSessionsDisabled is returned by OpenSession on an Endpoint
	// started without EnableSessions.
	ErrSessionsDisabled = errors.New("sip: sessions not enabled")
	// ErrTooManySessions is returned by OpenSession when
	// Config.MSRPMaxSessions sessions are open; it is temporary.
	ErrTooManySessions = errors.New("sip: too many sessions")
	// ErrSessionEnded is returned by calls on a session that has ended,
	// and is the Err of a session ended by End, Close or iwf's BYE after
	// a large message.
	ErrSessionEnded = errors.New("sip: session ended")
	// ErrEndedByPeer is the Err of a session the peer ended with BYE.
	ErrEndedByPeer = errors.New("sip: session ended by peer")
	// ErrSessionExpired is the Err of a session the peer did not refresh
	// within its session interval (RFC 4028 section 10); iwf sent BYE.
	ErrSessionExpired = errors.New("sip: session expired")
	// ErrNoAck is the Err of an incoming session whose 200 OK was never
	// acknowledged (RFC 3261 section 13.3.1.4); iwf sent BYE.
	ErrNoAck = errors.New("sip: no ACK for 200 OK")
	// ErrMediaEnded is wrapped by the Err of a session whose MSRP session
	// ended first (idle timeout, connection lost, the peer never
	// connected); iwf sent BYE.
	ErrMediaEnded = errors.New("sip: MSRP session ended")
	// ErrMessageTooLarge is returned by Send for a message larger than
	// the peer's a=max-size; sending it again cannot succeed.
	ErrMessageTooLarge = errors.New("sip: message exceeds the peer's max-size")
	// ErrBadAnswer is wrapped by OpenSession's error when the peer
	// accepted with an SDP answer iwf cannot use; iwf sent BYE.
	ErrBadAnswer = errors.New("sip: unusable SDP answer")
)

// MediaError is a failure of the MSRP side of a session: the connection
// to the peer, or a message the peer refused or did not answer in time.
type MediaError struct {
	Err error
}

// Error returns "sip: MSRP: " and the cause.
func (e *MediaError) Error() string { return "sip: MSRP: " + e.Err.Error() }

// Unwrap returns the cause.
func (e *MediaError) Unwrap() error { return e.Err }

// Temporary reports whether sending again may succeed: false for a
// message MSRP refuses before sending it or a status that describes the
// message (such as 413 or 415), true for lost connections, timeouts and
// server-side failures.
func (e *MediaError) Temporary() bool {
	var se *mediasession.SendError
	switch {
	case errors.As(e.Err, &se):
		return se.Temporary()
	case errors.Is(e.Err, mediasession.ErrInvalidMessage):
		return false
	}
	return true
}
