package mm7

import "errors"

// Sentinels for the ways input is refused. Every one reaches the caller
// inside a *DecodeError that also carries the MM7 status to answer with.
var (
	ErrDoctype            = errors.New("mm7: doctype not allowed in xml")
	ErrTooLarge           = errors.New("mm7: message exceeds size limit")
	ErrTooDeep            = errors.New("mm7: nesting exceeds depth limit")
	ErrTooManyParts       = errors.New("mm7: too many mime parts")
	ErrHeaderTooLong      = errors.New("mm7: mime header too long")
	ErrContentType        = errors.New("mm7: unsupported content type")
	ErrBrokenMultipart    = errors.New("mm7: broken multipart body")
	ErrNoStartPart        = errors.New("mm7: start part missing")
	ErrDanglingCID        = errors.New("mm7: content href names no part")
	ErrTransferEncoding   = errors.New("mm7: bad content transfer encoding")
	ErrBadXML             = errors.New("mm7: malformed xml")
	ErrNotEnvelope        = errors.New("mm7: not a soap 1.1 envelope")
	ErrNoTransactionID    = errors.New("mm7: transaction id missing")
	ErrMustUnderstand     = errors.New("mm7: mandatory soap header not understood")
	ErrUnknownOperation   = errors.New("mm7: unknown operation")
	ErrUnsupportedVersion = errors.New("mm7: unsupported mm7 namespace")
	ErrInvalid            = errors.New("mm7: invalid message")
)

// DecodeError is returned by Decode for every refused input. Status is the
// MM7 status to send back (4004 validation error unless stated otherwise);
// Err is one of the ErrX sentinels, possibly wrapped with detail.
// errors.Is finds both the sentinel and the StatusCode.
type DecodeError struct {
	Status StatusCode
	Err    error
}

func (e *DecodeError) Error() string { return e.Err.Error() }

// Unwrap gives errors.Is/As both the cause and the status.
func (e *DecodeError) Unwrap() []error { return []error{e.Err, e.Status} }

// Temporary is always false: the same bytes will be refused again.
func (e *DecodeError) Temporary() bool { return false }

func invalid(err error) error {
	return &DecodeError{Status: StatusValidationError, Err: err}
}

func refuse(status StatusCode, err error) error {
	return &DecodeError{Status: status, Err: err}
}
