// Package addressmap normalises the addresses iwf sees on every network and
// says which network owns a recipient.
//
// It is pure: strings in, values out. It does no I/O, reads no clock and
// imports nothing of iwf, so every adapter, translate and the gateway can
// use it.
//
// # What it reads
//
//   - E.164 numbers (ITU-T E.164) in any of the forms people and peers
//     write them: "+447700900123", "00447700900123" (international prefix),
//     "07700900123" (national prefix, home country code), "447700900123"
//     (bare digits, see Config.BareDigits), with spaces, dashes, dots and
//     parentheses as separators ("+44 (0)7700 900-123").
//   - tel URIs (RFC 3966): global numbers with visual separators, local
//     numbers with a phone-context of the home country ("+44") or a domain
//     name (3GPP TS 24.229 uses the home network's domain).
//   - SIP and SIPS URIs (RFC 3261 section 19.1): with user=phone the user
//     part is a telephone-subscriber as in a tel URI; a user part that is
//     "+" and digits is a number even without user=phone (IMS practice);
//     any other user part is a SIP identity.
//   - Wireless Village ids ("wv:bob@imps.example.net", OMA WV-CSP 1.1),
//     kept as given.
//   - Short codes (digit strings no longer than Config.ShortCodeMaxLen) and
//     alphanumeric senders (3GPP TS 23.040 section 9.1.2.5: at most 11
//     characters of the GSM 7-bit default alphabet).
//   - SMPP 3.4 addresses with their type of number and numbering plan
//     (SMPP 3.4 sections 5.2.5 and 5.2.6), in both directions.
//
// # Canonical values
//
// Normalize and FromSMPP return a Number, which is canonical: two inputs
// naming the same subscriber give equal Numbers (==). There is therefore no
// "national" kind: with the home country code configured every national
// number has exactly one international form, and the national format exists
// only on the way out, as an SMPP route's choice (SMPPPolicy.Format).
//
// # Ownership
//
// Owner decides which network (and which route of it) owns a recipient from
// an ordered list of Rules; the first match wins. Numbers are routed by
// number rules whatever URI carried them: "sip:+447700900123@ims.example.net;
// user=phone" matches "+44", not "sip:*@ims.example.net". IMPSConfig names
// users across IWF-1: which CPM recipients are IMPS users, under which wv
// ids CPM users appear to them, and back.
//
// # Concurrency
//
// A Map is immutable after New and safe for concurrent use.
package addressmap
