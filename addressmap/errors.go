package addressmap

import (
	"errors"
	"fmt"
)

// Sentinel errors callers branch on with errors.Is.
var (
	// ErrInvalid is wrapped by every *InvalidError: the input is not an
	// address this package can read.
	ErrInvalid = errors.New("addressmap: invalid address")
	// ErrNoRoute means no rule matched the recipient and there is no
	// default network; a CPM server should answer 404.
	ErrNoRoute = errors.New("addressmap: no route for address")
	// ErrNoForm means the address has no form on the network asked for,
	// such as a SIP identity toward an SMSC.
	ErrNoForm = errors.New("addressmap: address has no form on this network")
	// ErrConfig is wrapped by every error Config.Validate returns.
	ErrConfig = errors.New("addressmap: invalid config")
)

// MaxAddressLen is the longest input, in bytes, that Normalize and FromSMPP
// read; longer input is refused unread.
const MaxAddressLen = 256

// maxQuotedInput bounds how much of a bad input an error repeats.
const maxQuotedInput = 64

// InvalidError says which input was refused and why.
type InvalidError struct {
	Input  string // the input as given (quoted and shortened by Error)
	Reason string
}

// Error returns "addressmap: invalid address "input": reason".
func (e *InvalidError) Error() string {
	in := e.Input
	if len(in) > maxQuotedInput {
		in = in[:maxQuotedInput] + "..."
	}
	return fmt.Sprintf("addressmap: invalid address %q: %s", in, e.Reason)
}

// Unwrap makes errors.Is(err, ErrInvalid) true.
func (e *InvalidError) Unwrap() error { return ErrInvalid }

func invalid(input, reason string) error {
	return &InvalidError{Input: input, Reason: reason}
}

func configError(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrConfig, fmt.Sprintf(format, args...))
}
