// Package imps is the IMPS (Wireless Village / OMA IMPS) client session of
// the IWF-1 reference point: the IWF logs in to an IMPS server as one
// account and carries instant messages over WV-CSP XML documents POSTed
// over HTTP (Content-Type application/vnd.wv.csp.xml). The client pulls:
// the server never connects back.
//
// It owns the session state on top of the pure codec in package wv:
//
//   - login with the configured password, or with a digest when the server
//     answers a Login-Request with a 401 challenge. The digest scheme
//     implemented is WV-CSP "MD5": DigestBytes = base64(MD5(Nonce ||
//     Password)); a challenge naming "PWD" is answered with the password,
//     any other scheme is refused (ErrDigestSchema);
//   - KeepAlive-Request at three quarters of the KeepAliveTime the server
//     grants (Login-Response, KeepAlive-Response);
//   - Polling-Request every Config.PollInterval, and at once when a
//     response carries Poll = T;
//   - transaction ids unique per session; responses matched to their
//     request by TransactionID, with several requests in flight at once;
//   - SendMessage-Requests of concurrent callers carried together, several
//     transactions in one document (WV-CSP lets a document carry several):
//     at most Config.MaxPosts such documents are in flight, and the
//     requests that arrive meanwhile leave together, up to Config.MaxBatch
//     per document, as soon as one of them is answered; a request that
//     finds room leaves at once, so batching adds no wait at low load. Each
//     transaction is answered on its own: a refused one fails its caller
//     only, and a session that ends under a document fails its callers
//     with a temporary error;
//   - a new login, with back-off, after Disconnect or a response with
//     result 600 (session expired), 601 (forced logout) or 604 (invalid
//     session);
//   - NewMessage (the Push delivery method) handed to the Handler and
//     acknowledged with MessageDelivered only when the Handler returned nil
//     (that is, after the gateway's journal holds the message); a Handler
//     error leaves the message unacknowledged and the server offers it
//     again. NewMessage is a server transaction and MessageDelivered is its
//     response: TransactionMode Response with the NewMessage's
//     TransactionID (WV-023 example wv-068; the server removes the message
//     only on that response), sent in a document of its own, as WV-CSP
//     lets a response to a server transaction travel in any later client
//     document. A response gets no answer; a Status the server sends back
//     under the same TransactionID (420 for a transaction it does not
//     know) is logged;
//   - MessageNotification (the Notify/Get delivery method): the message is
//     fetched with GetMessage-Request in the same session and handed to the
//     Handler as the NewMessage built from GetMessage-Response's MessageInfo
//     and ContentData, with the same guarantee: MessageDelivered only after
//     the Handler returned nil, and the notification answered with a Status
//     200 only after the server confirmed MessageDelivered. Here
//     MessageDelivered is a request of its own, answered with a Status: no
//     server transaction is open for it to answer (the notification's
//     answer is that Status, GetMessage-Request is the client's). A temporary
//     GetMessage failure (transport, 5xx, 6xx) or a Handler error leaves the
//     notification unanswered, to be offered again; a permanent one (a 4xx
//     result for that message, an answer without the message) is logged and
//     the notification answered, so it is not offered forever. The fetches
//     of one server answer overlap, at most Config.MaxNotifications at a
//     time, while the Handler calls stay sequential and in the server's
//     order;
//   - DeliveryReport-Request handed to the ReportHandler and answered with a
//     Status 200 (Response, its TransactionID, in a document of its own)
//     only when it returned nil.
//
// The delivery method is the server's choice, and both are handled as they
// come. WV-CSP 1.1 and 1.2 carry no delivery method in Login-Request; a
// client states one only in ClientCapability-Request (InitialDeliveryMethod,
// when the server asks with CapabilityRequest = T in Login-Response) or
// changes it with SetDeliveryMethod-Request, and without either the server
// applies its own default. The client sends neither: capability
// negotiation, Service-Request, SetDeliveryMethod-Request, RejectMessage-Request
// and GetMessageList-Request (which could recover messages whose
// notification a server does not repeat) are not implemented.
//
// CSP result codes come back as *wv.StatusError (Temporary() says whether
// to retry); transport failures as *TransportError, always temporary.
//
// It follows WV-CSP 1.1 (WV-023 DTD and examples) and OMA IMPS WV-CSP 1.2.
// The fake server for tests is package impstest.
package imps
