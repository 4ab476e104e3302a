package smpp

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/iwf-gateway/iwf/adapters/smpp/pdu"
)

// Errors a caller can branch on. ErrNotBound, ErrConnLost,
// ErrResponseTimeout and ErrClosed are temporary (IsTemporary): the message
// may be submitted again later.
var (
	ErrNotBound          = errors.New("smpp: no bound transmitter")
	ErrConnLost          = errors.New("smpp: connection lost before the response")
	ErrResponseTimeout   = errors.New("smpp: no response within response_timeout")
	ErrClosed            = errors.New("smpp: client closed")
	ErrMessageTooLong    = errors.New("smpp: short_message longer than 255 octets (use message_payload)")
	ErrAlreadyRunning    = errors.New("smpp: client already running")
	ErrMalformedResponse = errors.New("smpp: malformed response")
)

// StatusError is a non-zero command_status the SMSC answered to a command
// (SMPP 3.4 section 5.1.3), or one a DeliverFunc asks to answer with.
type StatusError struct {
	Status  uint32
	Command string // the command that was answered, e.g. "submit_sm"

	retryAfter time.Duration
}

// Error returns e.g. "smpp: submit_sm: ESME_RTHROTTLED (0x00000058)".
func (e *StatusError) Error() string {
	return fmt.Sprintf("smpp: %s: %s (0x%08x)", e.Command, pdu.StatusName(e.Status), e.Status)
}

// Temporary reports whether the same message may succeed later:
// ESME_RTHROTTLED, ESME_RMSGQFUL, ESME_RSYSERR and ESME_RX_T_APPN.
func (e *StatusError) Temporary() bool {
	switch e.Status {
	case pdu.StatusThrottled, pdu.StatusMsgQFul, pdu.StatusSysErr, pdu.StatusRxTAppn:
		return true
	}
	return false
}

// RetryAfter is how long the SMSC asked us to back off: the bind's
// ThrottlePause for ESME_RTHROTTLED and ESME_RMSGQFUL, otherwise 0.
func (e *StatusError) RetryAfter() time.Duration {
	if e.Status == pdu.StatusThrottled || e.Status == pdu.StatusMsgQFul {
		if e.retryAfter == 0 {
			return DefaultThrottlePause
		}
		return e.retryAfter
	}
	return 0
}

// IsTemporary reports whether err means "try again later" rather than
// "this message will never be accepted".
func IsTemporary(err error) bool {
	if err == nil {
		return false
	}
	var t interface{ Temporary() bool }
	if errors.As(err, &t) {
		return t.Temporary()
	}
	for _, e := range []error{ErrNotBound, ErrConnLost, ErrResponseTimeout, ErrClosed, context.DeadlineExceeded} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}
