// Package mmsc is the sandbox MMS Relay/Server: the relay side of MM7
// (3GPP TS 23.140 clause 8.7) on an HTTP server at 127.0.0.1:0, built on
// the fake relay adapters/mms/mm7test, for `iwf serve` without a
// configuration file.
//
// It requires HTTP Basic credentials from iwf, answers every SubmitReq
// with a MessageID and, when the submit asks for one, posts a
// DeliveryReportReq (MMStatus Retrieved) to the VASP URL after
// Config.ReportDelay. With Config.Echo it also answers each accepted
// SubmitReq, after the same delay, with a mobile-originated DeliverReq
// from the submit's first recipient back to its sender carrying the same
// parts and the Subject "echo: <subject>", so that a newcomer sees traffic
// in both directions. Faults and injected DeliverReqs pass through to the
// fake relay.
//
// Concurrency: every method is safe for concurrent use. Each echo is one
// goroutine that the MMSC owns; Close cancels the echoes in flight and
// waits for them and for every goroutine of the relay.
package mmsc
