// Package sdp is a pure codec for the Session Description Protocol
// (RFC 8866, which obsoletes RFC 4566) as far as CPM and RCS sessions over
// MSRP need it, and the offer/answer rules (RFC 3264) for those sessions:
// the MSRP media attributes of RFC 4975 section 8, the connection setup of
// RFC 6135 (a=setup, from RFC 4145), CEMA (RFC 6714, a=msrp-cema) and the
// file transfer attributes of RFC 5547.
//
// A session description, one "<type>=<value>" line each, in exactly this
// order (Parse refuses any other order and any unknown type letter):
//
//	v=0                                              version, always 0
//	o=<user> <sess-id> <sess-version> IN IP4 <addr>  origin
//	s=<session name>                                 often "-" or " "
//	i=<session information>                          optional
//	u=<uri>                                          optional
//	e=<email>                                        any number
//	p=<phone>                                        any number
//	c=IN IP4 <address>                               optional here if in every media
//	b=<bwtype>:<bandwidth>                           any number
//	t=<start> <stop>                                 one or more, each followed by
//	r=<repeat>                                       any number of r= lines
//	z=<adjustments>                                  optional
//	k=<key>                                          optional (obsolete)
//	a=<name>[:<value>]                               session attributes
//	m=message <port> TCP/MSRP *                      each media description:
//	i=<media title>                                  optional
//	c=IN IP4 <address>                               optional, at most one here
//	b=<bwtype>:<bandwidth>                           any number
//	k=<key>                                          optional
//	a=<name>[:<value>]                               media attributes
//
// The MSRP media description of a CPM chat, as an RCS client sends it:
//
//	m=message 20000 TCP/MSRP *
//	a=path:msrp://10.29.67.37:20000/1391503972255;tcp
//	a=setup:actpass
//	a=accept-types:message/cpim application/im-iscomposing+xml
//	a=accept-wrapped-types:text/plain message/imdn+xml
//	a=sendrecv
//
// Lines end in CRLF; Parse also takes LF alone and a last line without
// an ending, and Marshal always writes CRLF. Parse is strict otherwise: no
// empty lines, no NUL or stray CR, single spaces between fields, and
// bounded input (MaxBytes, MaxLines, MaxMedia,
// MaxAttributes, MaxFormats). It accepts an empty s= line, which RFC 8866
// forbids, because the examples of RFC 4975 and RFC 5547 and many clients
// send one. Every Parse error wraps ErrMalformed and carries the line
// number in a *LineError.
//
// MSRPMediaOf reads the MSRP view of one media description and
// MSRPMedia.Media writes one. Answer builds iwf's answer to an offer and
// Offer builds iwf's offer; both choose nothing at random and read no
// clock, so the caller passes the session id and the MSRP URI it has
// generated.
//
// All values are plain data: nothing here is shared or mutated after it
// is returned, and distinct values may be used from any goroutine.
package sdp
