// Package impstest is a fake IMPS (WV-CSP over HTTP) server for tests,
// shaped like net/http/httptest: NewServer listens on 127.0.0.1:0, URL
// tells where, Close stops it and waits.
//
// It implements what the IWF's IMPS client uses: Login-Request with a
// password or with the MD5 digest after a 401 challenge (DigestBytes =
// base64(MD5(Nonce || Password))), sessions with ids that expire when
// nothing arrives for KeepAliveTime, KeepAlive-Request, Logout-Request,
// Polling-Request, SendMessage-Request (recorded, answered with a message
// id, and followed by a DeliveryReport-Request when asked for; observed
// as they arrive through Config.OnSendMessage), GetMessage-Request,
// MessageDelivered, and the Status answering a DeliveryReport-Request or a
// MessageNotification. Config.OnExchange sees every exchange: the client's
// document as decoded and the answer as it is encoded.
//
// A document may carry several transactions (package wv reads at most 16):
// each is answered in order under its own TransactionID, faults and the
// duplicate check apply to each on its own, and OnSendMessage and Sent see
// every SendMessage-Request accepted.
//
// Each account has an inbox. Inject queues a message: a NewMessage
// (WV-CSP delivery method Push), or for an Account with Notify a
// MessageNotification (Notify/Get: the MessageInfo without the content,
// which GetMessage-Request fetches; an id not in the inbox gets 426).
// Every Polling-Request answer carries the unacknowledged inbox items (up
// to Config.PollBatch) as server requests after a Status 200 for the poll,
// each under the same TransactionID every time it is offered, and every
// answer carries Poll = T while an item waits that has not been offered
// yet. Until an item is acknowledged it is offered again on each poll.
//
// The server is strict about which acknowledgement ends what:
//
//   - a pushed NewMessage leaves the inbox only on MessageDelivered sent as
//     its response (TransactionMode Response, the NewMessage's
//     TransactionID, the pushed MessageID), as in WV-023 example wv-068.
//     MessageDelivered sent as a request for a pushed message gets 400, a
//     response naming another MessageID gets 426, a Status answering the
//     NewMessage gets nothing back; in all three the message stays;
//   - a message delivered by Notify/Get leaves the inbox on MessageDelivered
//     sent as a request (after GetMessage-Request, answered with a Status;
//     an id not in the inbox gets 426). Its MessageNotification is answered
//     with a Status: once answered it is not offered again, but its message
//     stays (and can be fetched) until MessageDelivered. A MessageDelivered
//     response to the notification gets 400;
//   - a DeliveryReport-Request leaves the inbox on a Status response.
//
// Responses get no answer, except a refusal: a response whose
// TransactionID names no transaction the server offered and still holds
// open for the account (never offered, already ended, or unknown) gets a
// Status 420 (Invalid transaction-ID) under that TransactionID and changes
// nothing (Stats.InvalidTransactions).
//
// Faults: ExpireSessions (the next request of each session gets 600),
// FailNext (answer the next n requests of a primitive with a result code,
// e.g. FailNext("GetMessage-Request", 503, n) for a fetch that fails n
// times), SetDelay (answer late), Disconnect (a Disconnect on the next
// poll).
package impstest
