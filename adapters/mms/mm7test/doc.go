// Package mm7test is a fake MMS Relay/Server for tests: the relay side of
// MM7 (3GPP TS 23.140 clause 8.7) on an HTTP server at 127.0.0.1:0,
// shaped like net/http/httptest (URL, Close that waits).
//
// It records every SubmitReq, answers SubmitRsp with a unique MessageID,
// and, when Config.VASPURL is set and the submit asked for them, posts a
// DeliveryReportReq and a ReadReplyReq back after Config.ReportDelay with
// HTTP Basic auth. InjectDeliver posts a mobile-originated DeliverReq.
// SetFault scripts error statuses, RSErrorRsp faults, slow answers and
// dropped connections. Config.OnSubmit observes each SubmitReq as it
// arrives; Config.DiscardBodies keeps the records without attachment
// bodies, for runs of many large messages. Every goroutine it starts is
// joined by Close.
package mm7test
