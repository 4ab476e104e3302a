// Package msrp is a pure codec for the Message Session Relay Protocol,
// RFC 4975: the SEND and REPORT requests and their transaction responses
// that carry CPM session-mode messages and file transfers on CM-7.
//
// It owns the frame syntax (RFC 4975 section 9), the typed header fields
// To-Path, From-Path, Message-ID, Byte-Range, Success-Report,
// Failure-Report, Status and Content-Type, MSRP URIs (section 6), chunking
// of one message into SEND requests (section 5.1, 7.1) and reassembly of
// chunks that arrive in any order. It is a pure codec: it opens no
// connection, starts no goroutine, logs nothing and never reads the
// clock. Sessions, connections, timers and transaction responses belong
// to package mediasession above it.
//
// A frame on the wire (every line ends in CRLF):
//
//	MSRP <transact-id> <method>                 request start line
//	MSRP <transact-id> <code> [comment]         or response start line
//	To-Path: <msrp-uri> *( SP <msrp-uri> )      always, first
//	From-Path: <msrp-uri> *( SP <msrp-uri> )    always, second
//	Message-ID: <ident>                         requests
//	Byte-Range: <start>-<end|*>/<total|*>       SEND
//	Success-Report: yes|no                      SEND
//	Failure-Report: yes|no|partial              SEND
//	Status: <namespace> <code> [comment]        REPORT
//	<ext-header>: <value>                       any number
//	Content-Type: <media-type>                  only with a body
//	                                            empty line, then
//	<data>                                      the body, any octets
//	-------<transact-id><flag>                  end-line
//
// Marshal writes the headers in the order drawn; decoding accepts them in
// any order, matches typed names case-insensitively and keeps the others
// in Frame.Extra. The end-line is recognised only right after a CRLF; when a body is
// present that CRLF is not part of it. The flag is '$' for the last chunk
// of a message, '+' when more chunks follow and '#' when the sender
// aborts the message. A sender must choose a transaction id whose
// end-line does not occur in the body; Marshal refuses one that does.
//
// Everything read is bounded by a Config: header block bytes, header
// count, body bytes per frame, and bytes and chunks per reassembled
// message. Bad input yields an error wrapping one of the ErrX sentinels;
// nothing panics. Frame, Reader and Reassembler values are not safe for
// concurrent use; distinct values are independent.
package msrp
