// Package smsc is an in-process SMSC simulator speaking SMPP 3.4 (server
// side) on loopback, built on the adapters/smpp/pdu codec.
//
// It accepts binds (transmitter, receiver, transceiver), answers submit_sm
// with unique hexadecimal message ids, sends SMPP 3.4 Appendix B delivery
// receipts (esm_class 0x04 with receipted_message_id and message_state
// TLVs) for registered_delivery after Config.ReceiptDelay, injects
// mobile-originated deliver_sm, and offers faults switchable at run time:
// throttling, response delay, dropped connections, refused binds and held
// receipts. In count-only mode (KeepSubmitted false) it sustains well over
// 30,000 submits/s.
//
// Concurrency: every method is safe for concurrent use. Each connection
// has a reader and a writer goroutine (plus a delayer while SetDelay is in
// effect); one receipt goroutine serves the whole SMSC. Close waits for
// all of them.
package smsc
