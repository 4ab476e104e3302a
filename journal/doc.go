// Package journal defines the durable store behind the gateway: entries
// addressed by a time-ordered sequence number, an index of the open ones,
// and reference keys (correlation ids) that resolve to an entry.
//
// The journal stores bytes; it knows nothing of messages, routes or
// protocols. Backends (journal/local on bbolt, later journal/kafka) all pass
// the conformance suite in journal/journaltest.
package journal
