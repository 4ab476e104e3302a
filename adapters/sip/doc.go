// Package sip is iwf's CM-7 reference point: SIP MESSAGE (pager mode)
// between the CPM server / SIP-IP core and iwf, over UDP and TCP, built on
// github.com/emiago/sipgo; and, once EnableSessions is called, CPM
// sessions whose media is MSRP: large messages, chats and file transfers
// (OMA CPM, 3GPP TS 24.247).
//
// It knows only SIP: it yields Requests to a Handler and answers with the
// status the Handler returns, and it sends Outgoing messages through the
// configured outbound proxy. It does not parse CPIM; package translate does.
//
// Sessions: an INVITE from a trusted peer with an MSRP offer reaches the
// SessionHandler as an IncomingSession (feature tags give its kind: ICSI
// oma.cpm.largemsg, oma.cpm.session, oma.cpm.filetransfer or the RCS
// IARI rcse.ft, and a=file-selector of RFC 5547). iwf answers with the
// SDP offer/answer rules of package sdp (RFC 4975, 6135): it listens
// (a=setup:passive) on the MSRP endpoint of package mediasession, and
// hands each complete message to the session's MessageHandler before it
// answers the last chunk. OpenSession does the reverse through the
// outbound proxy over TCP, offering a=setup:actpass. Both sides keep the
// dialog (RFC 3261 section 12; loose routing), answer re-INVITE and
// UPDATE that keep the media and refuse with 488 those that change it,
// honour BYE and send it, and run session timers (RFC 4028: 422 below
// Min-SE, refreshes by re-INVITE at half the interval when iwf is the
// refresher, BYE when the peer's refresh does not come), and BYE a
// session quiet for Config.MSRPIdleTimeout. Limits: at most
// Config.MSRPMaxSessions sessions (486 with Retry-After), a=max-size and
// MSRP 413 at Config.MSRPMaxMessageBytes, and mediasession's per-session
// buffers. With Config.MSRPTLSCert and MSRPTLSKey the MSRP listener is
// TLS only (msrps URIs, TCP/TLS/MSRP with a=fingerprint, TLS 1.2 or
// later); peers iwf connects to are checked against Config.MSRPTLSCA.
// Conversation-ID and Contribution-ID are handed up and kept in answers.
package sip
