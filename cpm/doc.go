// Package cpm is iwf's canonical model of a message: Message, Address, Part
// and Report, and the codecs of the CPM envelope: CPIM (RFC 3862) and IMDN
// (RFC 5438) request headers and message/imdn+xml notifications.
//
// Every adapter's traffic is translated to and from these types; the gateway
// journals, routes and correlates only these. The package imports nothing of
// iwf and does no I/O.
package cpm
