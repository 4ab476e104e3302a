package wv

import (
	"encoding/xml"
	"errors"
	"fmt"
	"strings"
)

// Version is a WV-CSP protocol version, selecting the XML namespaces.
type Version int

// Supported versions.
const (
	Version11 Version = 11 // WV-CSP 1.1 (Wireless Village namespaces)
	Version12 Version = 12 // WV-CSP 1.2 (OMA namespaces)
)

// Namespaces of the WV-CSP-Message element (CSP) and of
// TransactionContent (TRC), per version.
const (
	NamespaceCSP11 = "http://www.wireless-village.org/CSP1.1"
	NamespaceTRC11 = "http://www.wireless-village.org/TRC1.1"
	NamespaceCSP12 = "http://www.openmobilealliance.org/DTD/WV-CSP1.2"
	NamespaceTRC12 = "http://www.openmobilealliance.org/DTD/WV-TRC1.2"
)

// String returns "1.1" or "1.2".
func (v Version) String() string {
	switch v {
	case Version11:
		return "1.1"
	case Version12:
		return "1.2"
	}
	return fmt.Sprintf("unknown(%d)", int(v))
}

func (v Version) namespaces() (csp, trc string, ok bool) {
	switch v {
	case Version11:
		return NamespaceCSP11, NamespaceTRC11, true
	case Version12:
		return NamespaceCSP12, NamespaceTRC12, true
	}
	return "", "", false
}

func versionOfCSP(ns string) (Version, bool) {
	switch ns {
	case NamespaceCSP11:
		return Version11, true
	case NamespaceCSP12:
		return Version12, true
	}
	return 0, false
}

func knownTRC(ns string) bool { return ns == NamespaceTRC11 || ns == NamespaceTRC12 }

// Sentinel errors. Decode errors wrap one of them.
var (
	// ErrSyntax: the input is not well-formed XML or not a WV-CSP-Message.
	ErrSyntax = errors.New("wv: malformed message")
	// ErrDoctype: the input carries a DOCTYPE or other markup declaration.
	ErrDoctype = errors.New("wv: doctype refused")
	// ErrTooLarge: the input exceeds a Limits bound.
	ErrTooLarge = errors.New("wv: message too large")
	// ErrVersion: the CSP namespace (or a requested Version) is not 1.1 or 1.2.
	ErrVersion = errors.New("wv: unsupported csp version")
	// ErrUnknownPrimitive: a transaction carries a primitive not modelled here.
	ErrUnknownPrimitive = errors.New("wv: unknown primitive")
	// ErrInvalid: a field holds a value the protocol does not allow.
	ErrInvalid = errors.New("wv: invalid value")
)

// UnknownPrimitiveError reports a transaction whose primitive this package
// does not model. It carries what a reply needs: answer it with a Status
// primitive holding ResultFor(err) in a transaction with the same
// TransactionID.
type UnknownPrimitiveError struct {
	Primitive   string // local name of the element, e.g. "GetList-Request"
	Version     Version
	Session     SessionDescriptor
	Transaction TransactionDescriptor
}

// Error implements error.
func (e *UnknownPrimitiveError) Error() string {
	return fmt.Sprintf("wv: unknown primitive %q in transaction %q", e.Primitive, e.Transaction.TransactionID)
}

// Unwrap returns ErrUnknownPrimitive.
func (e *UnknownPrimitiveError) Unwrap() error { return ErrUnknownPrimitive }

// ResultFor returns the CSP Result to send back for a decode error:
// 405 for an unknown primitive, 505 for an unsupported version, 400 for any
// other malformed, oversized or invalid input, and 200 for nil.
func ResultFor(err error) Result {
	switch {
	case err == nil:
		return Result{Code: CodeOK}
	case errors.Is(err, ErrUnknownPrimitive):
		return Result{Code: CodeServiceNotSupported, Description: "Service not supported."}
	case errors.Is(err, ErrVersion):
		return Result{Code: CodeVersionNotSupported, Description: "Version not supported."}
	}
	return Result{Code: CodeBadRequest, Description: "Bad request."}
}

// Session types and transaction modes.
const (
	SessionInband  = "Inband"
	SessionOutband = "Outband"
	ModeRequest    = "Request"
	ModeResponse   = "Response"
)

// Message is one WV-CSP-Message: a session descriptor and its transactions.
// Version is the version the message was decoded from; Encode writes the
// version it is given.
type Message struct {
	Version      Version
	Session      SessionDescriptor
	Transactions []Transaction
}

// SessionDescriptor is SessionDescriptor (SessionType, SessionID?).
type SessionDescriptor struct {
	SessionType string `xml:"SessionType"`
	SessionID   string `xml:"SessionID,omitempty"`
}

// Transaction is one Transaction: its descriptor and exactly one primitive.
type Transaction struct {
	Descriptor TransactionDescriptor
	Primitive  Primitive
}

// TransactionDescriptor is TransactionDescriptor (TransactionMode,
// TransactionID?, Poll?). Poll is nil when absent. Stray character data
// inside it (seen in the WV-023 example of Polling-Request) is ignored.
type TransactionDescriptor struct {
	TransactionMode string `xml:"TransactionMode"`
	TransactionID   string `xml:"TransactionID,omitempty"`
	Poll            *Bool  `xml:"Poll,omitempty"`
}

// Primitive is one CSP primitive, the single child of TransactionContent.
type Primitive interface {
	// PrimitiveName is the element name, e.g. "SendMessage-Request".
	PrimitiveName() string
}

// Bool is a CSP boolean: "T" or "F" on the wire.
type Bool bool

// NewBool returns a pointer to b, for the optional flags.
func NewBool(b bool) *Bool { v := Bool(b); return &v }

// MarshalText implements encoding.TextMarshaler.
func (b Bool) MarshalText() ([]byte, error) {
	if b {
		return []byte("T"), nil
	}
	return []byte("F"), nil
}

// UnmarshalText implements encoding.TextUnmarshaler; surrounding white
// space is allowed, anything but T or F is ErrInvalid.
func (b *Bool) UnmarshalText(p []byte) error {
	switch strings.TrimSpace(string(p)) {
	case "T":
		*b = true
	case "F":
		*b = false
	default:
		return fmt.Errorf("%w: boolean %q is neither T nor F", ErrInvalid, p)
	}
	return nil
}

// ClientID is ClientID (URL?, MSISDN?). Some clients (for example the
// Android IMPS client) send the identifier as text instead; it is kept in
// Text. White-space-only text between the children is dropped.
type ClientID struct {
	Text   string `xml:",chardata"`
	URL    string `xml:"URL,omitempty"`
	MSISDN string `xml:"MSISDN,omitempty"`
}

// UnmarshalXML implements xml.Unmarshaler.
func (c *ClientID) UnmarshalXML(d *xml.Decoder, start xml.StartElement) error {
	type plain ClientID
	var p plain
	if err := d.DecodeElement(&p, &start); err != nil {
		return err
	}
	if strings.TrimSpace(p.Text) == "" {
		p.Text = ""
	}
	*c = ClientID(p)
	return nil
}
