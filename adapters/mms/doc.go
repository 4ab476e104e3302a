// Package mms is the VASP side of MM7 (3GPP TS 23.140 clause 8.7, Annex L):
// iwf acting as a Value Added Service Provider toward an MMS Relay/Server
// over SOAP 1.1 with attachments on HTTP (the IWF-2 reference point).
//
// It owns the HTTP sessions, not the wire format (adapters/mms/mm7 does):
//
//   - outbound, VASP.Submit, VASP.Cancel and VASP.Replace post a request to
//     Config.RelayURL with HTTP Basic auth over a keep-alive http.Client
//     (TLS for https URLs), bounded by Config.RequestTimeout, and return
//     the relay's answer. A non-success MM7 status comes back as an
//     mm7.StatusCode error (Temporary for 3xxx and 4006); transport
//     failures, timeouts, 5xx without an MM7 body and unreadable answers
//     come back as a *TransportError, which is always Temporary.
//
//   - inbound, the relay posts DeliverReq, DeliveryReportReq and
//     ReadReplyReq to Config.Listen. Each must carry HTTP Basic credentials
//     (Config.InboundUsername/InboundPassword), else 401 and the Handler is
//     not called. A body above Config.MaxMessageBytes gets 413 with a
//     VASPErrorRsp 4004; a body the codec refuses gets a VASPErrorRsp SOAP
//     fault (HTTP 500) with the codec's status (4004, 4003, 4002). Only a
//     well-formed request reaches the Handler, and the relay gets its
//     *Rsp only after the Handler returns, so a positive answer means the
//     caller (the gateway) has journalled the message.
//
// Concurrency: Submit, Cancel and Replace are safe for concurrent use.
// The Handler is called from one goroutine per HTTP request. Shutdown
// stops accepting, waits for in-flight requests in both directions, then
// closes; Close cancels them at once and waits for them to return. Both
// are idempotent. Credentials are never logged.
package mms
