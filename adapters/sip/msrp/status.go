package msrp

import (
	"errors"
	"fmt"
	"strconv"
)

// StatusCode is an MSRP status code (RFC 4975 section 10, IANA MSRP
// registry), the code of a transaction response or of a Status header.
// A code other than 2xx is an error.
type StatusCode int

// Status codes of RFC 4975 and RFC 4976.
const (
	StatusOK                  StatusCode = 200
	StatusUnintelligible      StatusCode = 400
	StatusUnauthorized        StatusCode = 401
	StatusActionNotAllowed    StatusCode = 403
	StatusTimeout             StatusCode = 408
	StatusStopSending         StatusCode = 413
	StatusMediaNotUnderstood  StatusCode = 415
	StatusParameterOutOfBound StatusCode = 423
	StatusSessionDoesNotExist StatusCode = 481
	StatusMethodNotUnderstood StatusCode = 501
	StatusSessionInUse        StatusCode = 506
)

// Text returns the RFC's name of the code, or "" for an unregistered one.
func (c StatusCode) Text() string {
	switch c {
	case StatusOK:
		return "OK"
	case StatusUnintelligible:
		return "Unintelligible"
	case StatusUnauthorized:
		return "Unauthorized"
	case StatusActionNotAllowed:
		return "Action not allowed"
	case StatusTimeout:
		return "Transaction timeout"
	case StatusStopSending:
		return "Stop sending message"
	case StatusMediaNotUnderstood:
		return "Media type not understood"
	case StatusParameterOutOfBound:
		return "Parameter out of bounds"
	case StatusSessionDoesNotExist:
		return "Session does not exist"
	case StatusMethodNotUnderstood:
		return "Method not understood"
	case StatusSessionInUse:
		return "Session already in use"
	}
	return ""
}

// Error returns "msrp: status 481 Session does not exist".
func (c StatusCode) Error() string {
	if t := c.Text(); t != "" {
		return fmt.Sprintf("msrp: status %03d %s", int(c), t)
	}
	return fmt.Sprintf("msrp: status %03d", int(c))
}

// Success reports whether c is 2xx.
func (c StatusCode) Success() bool { return c >= 200 && c <= 299 }

// Temporary reports whether the same request may succeed later: only 408,
// the transaction that did not complete in time. 413 asks to stop this
// message, 481 and 506 end the session; none of them is worth repeating.
func (c StatusCode) Temporary() bool { return c == StatusTimeout }

// Status is the Status header of a REPORT (RFC 4975 section 7.1.2):
//
//	Status: <namespace> <code> [comment]
//
// Namespace is 0 for every code RFC 4975 defines.
type Status struct {
	Namespace int
	Code      StatusCode
	Comment   string
}

var errStatus = errors.New("want <3 digits> <3 digits> [comment]")

// ParseStatus parses a Status header value such as "000 200 OK".
func ParseStatus(s string) (Status, error) {
	if len(s) < 7 || s[3] != ' ' || len(s) > 7 && s[7] != ' ' {
		return Status{}, headerError("Status", s, errStatus)
	}
	ns, ok1 := parseThreeDigits(s[:3])
	code, ok2 := parseThreeDigits(s[4:7])
	if !ok1 || !ok2 || !isText(s) {
		return Status{}, headerError("Status", s, errStatus)
	}
	st := Status{Namespace: ns, Code: StatusCode(code)}
	if len(s) > 7 {
		st.Comment = trimSpace(s[8:])
	}
	return st, nil
}

func parseThreeDigits(s string) (int, bool) {
	if len(s) != 3 || !isDigit(s[0]) || !isDigit(s[1]) || !isDigit(s[2]) {
		return 0, false
	}
	return int(s[0]-'0')*100 + int(s[1]-'0')*10 + int(s[2]-'0'), true
}

// Err returns nil for a 2xx code and the StatusCode otherwise.
func (s Status) Err() error {
	if s.Code.Success() {
		return nil
	}
	return s.Code
}

// String returns the header value, e.g. "000 200 OK".
func (s Status) String() string { return string(s.appendTo(nil)) }

func (s Status) appendTo(b []byte) []byte {
	b = appendThreeDigits(b, s.Namespace)
	b = append(b, ' ')
	b = appendThreeDigits(b, int(s.Code))
	if s.Comment != "" {
		b = append(b, ' ')
		b = append(b, s.Comment...)
	}
	return b
}

func (s Status) valid() bool {
	return s.Namespace >= 0 && s.Namespace <= 999 && s.Code >= 0 && s.Code <= 999 &&
		isText(s.Comment) && s.Comment == trimSpace(s.Comment)
}

func appendThreeDigits(b []byte, n int) []byte {
	if n < 100 {
		b = append(b, '0')
	}
	if n < 10 {
		b = append(b, '0')
	}
	return strconv.AppendInt(b, int64(n), 10)
}
