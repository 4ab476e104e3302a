package imps

import (
	"context"

	"github.com/iwf-gateway/iwf/adapters/imps/wv"
)

// handleInbound processes the requests the server sent, one after the
// other; only the GetMessage-Requests of MessageNotifications run ahead
// (see fetcher). Handlers run under a context that Shutdown does not cancel
// (only Close does), so that a message being journalled is finished and
// acknowledged during a drain.
func (c *Client) handleInbound(ctx context.Context, s *session, inbound []wv.Transaction) {
	hctx, cancel := c.handlerContext(ctx)
	fetches := c.newFetcher(hctx, s, inbound)
	defer func() {
		cancel() // abandons the fetches not taken: their notifications stay unanswered
		fetches.wait()
	}()
	for _, t := range inbound {
		if !s.alive() || hctx.Err() != nil {
			return // unacknowledged: the server offers them again
		}
		switch p := t.Primitive.(type) {
		case *wv.NewMessage:
			c.newMessage(hctx, s, t.Descriptor.TransactionID, p)
		case *wv.MessageNotification:
			c.messageNotification(hctx, s, t.Descriptor.TransactionID, p, fetches.take(hctx))
		case *wv.DeliveryReportRequest:
			c.deliveryReport(hctx, s, t.Descriptor.TransactionID, p)
		default:
			c.log.Warn("imps: server request not supported", "primitive", p.PrimitiveName(),
				"transaction", t.Descriptor.TransactionID)
			if err := c.respond(hctx, s, t.Descriptor.TransactionID, wv.ResultFor(wv.ErrUnknownPrimitive)); err != nil {
				c.log.Warn("imps: answering unsupported request failed", "err", err)
			}
		}
	}
}

func (c *Client) handlerContext(ctx context.Context) (context.Context, context.CancelFunc) {
	hctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	stop := context.AfterFunc(c.kill, cancel)
	return hctx, func() { stop(); cancel() }
}

// accept hands m (pushed, or fetched after a MessageNotification) to the
// Handler and reports whether it took the message.
func (c *Client) accept(ctx context.Context, m *wv.NewMessage) bool {
	if err := c.handler(ctx, m); err != nil {
		c.log.Warn("imps: new message not accepted; left for redelivery", "message_id", m.MessageInfo.MessageID, "err", err)
		return false
	}
	return true
}

// newMessage completes the push delivery of m, which the server sent as
// its transaction txID. WV-CSP pairs NewMessage with MessageDelivered: the
// acknowledgement is the response to that transaction (TransactionMode
// Response, the NewMessage's TransactionID), sent only when the Handler
// accepted the message. Without it the transaction stays open and the
// server offers the message again.
func (c *Client) newMessage(ctx context.Context, s *session, txID string, m *wv.NewMessage) {
	id := m.MessageInfo.MessageID
	if !c.accept(ctx, m) {
		return
	}
	if id == "" {
		// MessageInfo's MessageID is optional; the TransactionID still
		// names what is acknowledged, and leaving the message unanswered
		// would only have the Handler take it again.
		c.log.Warn("imps: new message without MessageID; acknowledged by its transaction", "transaction", txID)
	}
	if err := c.answer(ctx, s, txID, &wv.MessageDelivered{MessageID: id}); err != nil {
		c.log.Warn("imps: message delivered not taken; the server offers the message again",
			"message_id", id, "transaction", txID, "err", err)
	}
}

// deliveryReport hands r to the ReportHandler and answers Status 200 only
// when it accepted it.
func (c *Client) deliveryReport(ctx context.Context, s *session, txID string, r *wv.DeliveryReportRequest) {
	id := r.MessageInfo.MessageID
	if err := c.reports(ctx, r); err != nil {
		c.log.Warn("imps: delivery report not accepted; left for redelivery", "message_id", id, "err", err)
		return
	}
	if err := c.respond(ctx, s, txID, wv.Result{Code: wv.CodeOK}); err != nil {
		c.log.Warn("imps: delivery report answer failed", "message_id", id, "err", err)
	}
}
