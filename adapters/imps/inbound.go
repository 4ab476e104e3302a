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
			c.deliver(hctx, s, p)
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

// deliver hands m (pushed, or fetched after a MessageNotification) to the
// Handler and acknowledges it with MessageDelivered only when the Handler
// accepted it. It reports whether the server confirmed MessageDelivered.
func (c *Client) deliver(ctx context.Context, s *session, m *wv.NewMessage) bool {
	id := m.MessageInfo.MessageID
	if err := c.handler(ctx, m); err != nil {
		c.log.Warn("imps: new message not accepted; left for redelivery", "message_id", id, "err", err)
		return false
	}
	if id == "" {
		c.log.Warn("imps: new message without MessageID cannot be acknowledged")
		return false
	}
	rep, err := c.request(ctx, s, &wv.MessageDelivered{MessageID: id}, true)
	if err == nil {
		_, err = checkResult[*wv.Status]("MessageDelivered", rep.primitive)
	}
	if err != nil {
		c.log.Warn("imps: message delivered not confirmed", "message_id", id, "err", err)
		return false
	}
	return true
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
