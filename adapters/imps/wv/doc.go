// Package wv is the pure codec for WV-CSP (Wireless Village / OMA IMPS
// Client-Server Protocol) messages in their XML form, as carried on IWF-1
// between the IWF and an IMPS server.
//
// It follows "WV-CSP DTD and examples v1.1" (WV-023) and the OMA IMPS
// WV-CSP 1.2 data types. Input may use either the CSP 1.1 namespaces
// (http://www.wireless-village.org/CSP1.1, .../TRC1.1) or the 1.2 ones
// (http://www.openmobilealliance.org/DTD/WV-CSP1.2, .../WV-TRC1.2); output
// is written in the version the caller asks for. WBXML is out of scope.
//
// A document is laid out as
//
//	WV-CSP-Message (xmlns = CSP namespace)
//	└─ Session
//	   ├─ SessionDescriptor (SessionType, SessionID?)
//	   └─ Transaction+          (bounded by Limits.MaxTransactions)
//	      ├─ TransactionDescriptor (TransactionMode, TransactionID?, Poll?)
//	      └─ TransactionContent (xmlns = TRC namespace)
//	         └─ exactly one primitive, e.g. SendMessage-Request
//
// The package owns the Go types of those elements and of the primitives the
// gateway speaks: Login-Request/Response (password and digest challenge),
// Logout-Request, KeepAlive-Request/Response, Polling-Request, Status,
// Disconnect, SendMessage-Request/Response, NewMessage, MessageDelivered,
// DeliveryReport-Request, GetMessage-Request/Response and
// MessageNotification. Elements of those primitives that are not modelled
// (for instance CSP 1.2 additions) are skipped on input and absent on output.
//
// Decoding is defensive: a DOCTYPE or any other markup declaration is
// refused (ErrDoctype), the document size, element depth, element count and
// transaction count are bounded (Limits), text must be valid UTF-8 XML
// characters, and a primitive the package does not model yields an
// *UnknownPrimitiveError carrying the transaction to answer. ResultFor maps
// every decode error to the CSP Result the peer should get back (400, 405,
// 505).
//
// The documents of the gateway's hot path (SendMessage-Request,
// SendMessage-Response and Status transactions) are written and, in their
// common form, read without encoding/xml's reflection (encode_direct.go,
// decode_direct.go), an order of magnitude faster; the bytes written and
// the values read are the same, and anything unusual on input is left to
// encoding/xml, so behaviour and errors do not depend on the path taken.
//
// CSP result codes are carried by Result; Result.Err turns a non-2xx
// result into a *StatusError with Temporary() (see StatusError).
//
// The package is pure: it imports no net, os or log/slog, reads no clock and
// holds no mutable package state. All functions are safe for concurrent use.
package wv
