// Package sip is iwf's CM-7 reference point: SIP MESSAGE (pager mode)
// between the CPM server / SIP-IP core and iwf, over UDP and TCP, built on
// github.com/emiago/sipgo.
//
// It knows only SIP: it yields Requests to a Handler and answers with the
// status the Handler returns, and it sends Outgoing messages through the
// configured outbound proxy. It does not parse CPIM; package translate does.
package sip
