// Package journaltest is the conformance suite every journal.Journal
// backend passes: Run exercises the contract written in package journal
// (assignment of Seq and Time, atomic Puts, replacement, state indexes,
// Scan order, refs, persistence across reopen, concurrency, Close and
// cancellation) through the interface alone, so it tests the contract and
// not a backend.
package journaltest
