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
// MessageNotification.
//
// Each account has an inbox. Inject queues a message: a NewMessage
// (WV-CSP delivery method Push), or for an Account with Notify a
// MessageNotification (Notify/Get: the MessageInfo without the content,
// which GetMessage-Request fetches; an id not in the inbox gets 426).
// Every Polling-Request answer carries the unacknowledged inbox items (up
// to Config.PollBatch) as server requests after a Status 200 for the poll,
// and every answer carries Poll = T while an item waits that has not been
// offered yet. A message leaves the inbox on MessageDelivered, a
// DeliveryReport-Request on a Status with its TransactionID; until then it
// is offered again on each poll. A MessageNotification answered with a
// Status is not offered again, but its message stays in the inbox (and
// can be fetched) until MessageDelivered.
//
// Faults: ExpireSessions (the next request of each session gets 600),
// FailNext (answer the next n requests of a primitive with a result code,
// e.g. FailNext("GetMessage-Request", 503, n) for a fetch that fails n
// times), SetDelay (answer late), Disconnect (a Disconnect on the next
// poll).
package impstest
