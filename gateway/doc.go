// Package gateway is iwf's hub: it accepts traffic from every adapter,
// journals it before the source gets its positive answer, routes it by
// recipient to the adapter that owns the recipient (SMS over SMPP, MMS
// over MM7, IMPS, or CPM over SIP; an auto route picks SMS or MMS by
// content), retries with back-off until the message is delivered, fails or
// expires, and correlates the reports that come back (SMSC receipts, MM7
// delivery reports and read replies, CSP delivery reports become IMDNs).
//
// It also reports every step as an Event (metrics, the console's live
// view, the charging records of the CH-x interface) and offers the
// operator's actions: dead letters listed, retried or discarded, traffic
// searched and replayed (admin.go).
//
// It owns every pipeline goroutine: Run starts them and Shutdown (graceful)
// or Close (immediate) joins them.
//
// # Records
//
// Each unit of work is one journal entry (see item.go): a message to
// deliver on a route, a report (IMDN) to deliver to a CPM user, or one
// fragment of a concatenated mobile-originated SMS awaiting its siblings.
// An entry stays journal.Open while work remains, becomes journal.Done when
// delivered (or reported on), and journal.Dead when it failed or expired:
// dead letters are kept for the operator.
//
// # Memory
//
// Queues hold sequence numbers (and, while short, the decoded item); the
// journal holds everything else, so a backlog of a million messages costs
// tens of bytes each in memory. Items awaiting receipts are found through
// journal refs, never kept in memory.
//
// # Concurrency
//
// Updates to one entry are serialised by a lock striped by sequence number
// (entryLocks); no other lock is held while one is taken, and none is held
// across a network call.
package gateway
