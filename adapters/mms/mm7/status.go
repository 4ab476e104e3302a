package mm7

import "strconv"

// StatusCode is an MM7 request status (3GPP TS 23.140 clause 8.7.10,
// table 8.7.10.1). 1xxx are success, 2xxx client errors, 3xxx server
// errors and 4xxx service errors. A StatusCode is an error so that a
// response status can travel up the call stack unchanged.
type StatusCode int

// Status codes of TS 23.140 table 8.7.10.1.
const (
	StatusSuccess                    StatusCode = 1000
	StatusPartialSuccess             StatusCode = 1100
	StatusClientError                StatusCode = 2000
	StatusOperationRestricted        StatusCode = 2001
	StatusAddressError               StatusCode = 2002
	StatusAddressNotFound            StatusCode = 2003
	StatusContentRefused             StatusCode = 2004
	StatusMessageIDNotFound          StatusCode = 2005
	StatusLinkedIDNotFound           StatusCode = 2006
	StatusMessageFormatCorrupt       StatusCode = 2007
	StatusApplicationIDNotFound      StatusCode = 2008
	StatusReplyApplicationIDNotFound StatusCode = 2009
	StatusServerError                StatusCode = 3000
	StatusNotPossible                StatusCode = 3001
	StatusMessageRejected            StatusCode = 3002
	StatusMultipleAddressesNotSupp   StatusCode = 3003
	StatusAppAddressingNotSupported  StatusCode = 3004
	StatusGeneralServiceError        StatusCode = 4000
	StatusImproperIdentification     StatusCode = 4001
	StatusUnsupportedVersion         StatusCode = 4002
	StatusUnsupportedOperation       StatusCode = 4003
	StatusValidationError            StatusCode = 4004
	StatusServiceError               StatusCode = 4005
	StatusServiceUnavailable         StatusCode = 4006
	StatusServiceDenied              StatusCode = 4007
	StatusApplicationDenied          StatusCode = 4008
)

var statusText = map[StatusCode]string{
	StatusSuccess:                    "success",
	StatusPartialSuccess:             "partial success",
	StatusClientError:                "client error",
	StatusOperationRestricted:        "operation restricted",
	StatusAddressError:               "address error",
	StatusAddressNotFound:            "address not found",
	StatusContentRefused:             "multimedia content refused",
	StatusMessageIDNotFound:          "message id not found",
	StatusLinkedIDNotFound:           "linked id not found",
	StatusMessageFormatCorrupt:       "message format corrupt",
	StatusApplicationIDNotFound:      "application id not found",
	StatusReplyApplicationIDNotFound: "reply application id not found",
	StatusServerError:                "server error",
	StatusNotPossible:                "not possible",
	StatusMessageRejected:            "message rejected",
	StatusMultipleAddressesNotSupp:   "multiple addresses not supported",
	StatusAppAddressingNotSupported:  "application addressing not supported",
	StatusGeneralServiceError:        "general service error",
	StatusImproperIdentification:     "improper identification",
	StatusUnsupportedVersion:         "unsupported version",
	StatusUnsupportedOperation:       "unsupported operation",
	StatusValidationError:            "validation error",
	StatusServiceError:               "service error",
	StatusServiceUnavailable:         "service unavailable",
	StatusServiceDenied:              "service denied",
	StatusApplicationDenied:          "application denied",
}

// Text is the TS 23.140 name of the code ("validation error"), or "" for a
// code the table does not list.
func (c StatusCode) Text() string { return statusText[c] }

// Error implements error: "mm7: status 4004 validation error".
func (c StatusCode) Error() string {
	s := "mm7: status " + strconv.Itoa(int(c))
	if t := c.Text(); t != "" {
		s += " " + t
	}
	return s
}

// Success reports whether c is a 1xxx code (1100 partial success included).
func (c StatusCode) Success() bool { return c >= 1000 && c < 2000 }

// Temporary reports whether the request may succeed if sent again later:
// 3xxx server errors and 4006 service unavailable. 2xxx client errors and
// the other 4xxx service errors are permanent.
func (c StatusCode) Temporary() bool {
	return (c >= 3000 && c < 4000) || c == StatusServiceUnavailable
}

// Status is the Status element of every MM7 response (TS 23.140 8.7.x).
type Status struct {
	Code    StatusCode `xml:"StatusCode"`
	Text    string     `xml:"StatusText,omitempty"`
	Details string     `xml:"Details,omitempty"`
}

// Err returns nil for a success status and the StatusCode otherwise.
func (s Status) Err() error {
	if s.Code.Success() {
		return nil
	}
	return s.Code
}
