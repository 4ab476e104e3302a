// Package mediasession owns iwf's MSRP sessions (RFC 4975) over TCP and
// TLS: the media of the CPM chat, large message and file transfer
// sessions that SIP INVITE negotiates on CM-7.
//
// It owns the listener and the connections it accepts or dials,
// connection reuse between sessions to the same authority (section
// 5.4), binding a session to its connection by the first SEND (iwf
// passive, a=setup:passive) or by an empty SEND after dialling (iwf
// active), chunked sending with back-pressure (a per-session send
// window; a slow peer slows the sender instead of growing a buffer),
// transaction responses and their timeouts (section 7.1.1), reassembly
// of chunks that arrive in any order, success and failure REPORTs
// (section 7.1.2), and the limits: sessions and connections per
// Endpoint, bytes per frame and per message, and a per-session receive
// buffer whose overflow is answered 413.
//
// The wire format is package msrp, a pure codec; SDP negotiation and
// SIP signalling are package sip's. A complete message reaches the
// session's Handler, and its last chunk is answered 200 (and a success
// REPORT sent, when asked for) only after the Handler returns nil, so a
// Handler that journals first keeps "accepted means durable".
//
// Concurrency and lock order are documented on Endpoint.
package mediasession
