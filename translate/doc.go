// Package translate holds the pure mappings between each adapter's structs
// and cpm.Message / cpm.Report: CPIM bodies on SIP, SMS character sets and
// segmentation, MO reassembly, delivery receipts and their status table.
// MMS content goes both ways between CPM parts and the MIME parts of an MM7
// SubmitReq or DeliverReq (3GPP TS 23.140), with a SMIL presentation
// generated where none is given, and MM7 delivery reports and read replies
// map to IMDN statuses.
// IMPS messages (OMA IMPS WV-CSP) go both ways between a CPM part and the
// ContentType, ContentEncoding, ContentSize and ContentData of
// SendMessage-Request and NewMessage, and CSP DeliveryReport-Request
// results map to IMDN statuses.
//
// It is the only package that sees both worlds. It does no I/O and reads no
// clock: time is passed in.
package translate
