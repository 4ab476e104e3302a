package imps

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/iwf-gateway/iwf/adapters/imps/wv"
)

// errNoMessageID: a MessageNotification names no message to fetch.
// Permanent.
var errNoMessageID = errors.New("imps: MessageNotification without MessageID")

// fetched is the outcome of one GetMessage-Request: the message as the
// Handler gets it, or why it could not be fetched.
type fetched struct {
	msg *wv.NewMessage
	err error
}

// fetcher runs the GetMessage-Requests of the MessageNotifications in one
// server answer ahead of the Handler, so that their round trips overlap
// while the Handler still sees one message at a time, in the server's
// order. At most Config.MaxNotifications fetches are in flight or done and
// waiting for the Handler. Its owner ends the context the fetches run
// under, then waits for them (wait); fetches not taken are abandoned.
type fetcher struct {
	c     *Client
	s     *session
	notes []*wv.MessageNotification // in the server's order
	out   []chan fetched            // out[k] receives the fetch of notes[k], once
	next  int                       // first note whose fetch is not started
	taken int                       // notes handed to take so far
	wg    sync.WaitGroup
}

// newFetcher starts the first fetches of the notifications in inbound
// under ctx (the handler context: Close aborts them, Shutdown does not).
func (c *Client) newFetcher(ctx context.Context, s *session, inbound []wv.Transaction) *fetcher {
	f := &fetcher{c: c, s: s}
	for _, t := range inbound {
		if n, ok := t.Primitive.(*wv.MessageNotification); ok {
			f.notes = append(f.notes, n)
			f.out = append(f.out, make(chan fetched, 1))
		}
	}
	f.startUpTo(ctx, c.cfg.MaxNotifications)
	return f
}

func (f *fetcher) startUpTo(ctx context.Context, end int) {
	for ; f.next < min(end, len(f.notes)); f.next++ {
		n, out := f.notes[f.next], f.out[f.next]
		f.wg.Add(1)
		go func() {
			defer f.wg.Done()
			msg, err := f.c.getMessage(ctx, f.s, n)
			out <- fetched{msg: msg, err: err}
		}()
	}
}

// take returns the fetch of the next notification (they are taken in the
// order of the answer) and starts, under ctx, the one its slot frees.
func (f *fetcher) take(ctx context.Context) fetched {
	k := f.taken
	f.taken++
	f.startUpTo(ctx, k+f.c.cfg.MaxNotifications)
	return <-f.out[k]
}

// wait waits for every fetch started; the caller has ended their context,
// so those not taken end early.
func (f *fetcher) wait() { f.wg.Wait() }

// getMessage fetches the message n announces with GetMessage-Request and
// returns it as the NewMessage the server would have pushed.
func (c *Client) getMessage(ctx context.Context, s *session, n *wv.MessageNotification) (*wv.NewMessage, error) {
	id := n.MessageInfo.MessageID
	if id == "" {
		return nil, errNoMessageID
	}
	rep, err := c.request(ctx, s, &wv.GetMessageRequest{MessageID: id}, true)
	c.handOff(s, rep.inbound)
	if err != nil {
		return nil, err
	}
	resp, err := checkResult[*wv.GetMessageResponse]("GetMessage-Request", rep.primitive)
	switch {
	case err != nil:
		return nil, err
	case resp == nil:
		return nil, fmt.Errorf("%w: GetMessage-Request %s answered with a Status and no message", ErrUnexpectedResponse, id)
	case resp.MessageInfo.MessageID != "" && resp.MessageInfo.MessageID != id:
		return nil, fmt.Errorf("%w: GetMessage-Request %s answered with message %s", ErrUnexpectedResponse, id, resp.MessageInfo.MessageID)
	}
	return fetchedMessage(n, resp), nil
}

// fetchedMessage builds the NewMessage of a GetMessage-Response. The
// response's MessageInfo describes the content and wins; the id, sender and
// recipients it leaves out are taken from the notification.
func fetchedMessage(n *wv.MessageNotification, r *wv.GetMessageResponse) *wv.NewMessage {
	info := r.MessageInfo
	if info.MessageID == "" {
		info.MessageID = n.MessageInfo.MessageID
	}
	if info.Sender.User == nil && info.Sender.Group == nil {
		info.Sender = n.MessageInfo.Sender
	}
	if len(info.Recipient.Users) == 0 && len(info.Recipient.Groups) == 0 && len(info.Recipient.ContactLists) == 0 {
		info.Recipient = n.MessageInfo.Recipient
	}
	return &wv.NewMessage{MessageInfo: info, ContentData: r.ContentData}
}

// messageNotification completes the Notify/Get delivery of one message
// with the same guarantees as a pushed NewMessage: the fetched message goes
// to the Handler, MessageDelivered follows only when the Handler accepted
// it, and the notification is answered (Status 200) only once the server
// confirmed MessageDelivered. Anything short of that leaves the
// notification unanswered, to be offered again; except a permanent fetch
// failure, which no retry cures: it is logged and the notification is
// answered so that it is not offered forever.
func (c *Client) messageNotification(ctx context.Context, s *session, txID string, n *wv.MessageNotification, f fetched) {
	id := n.MessageInfo.MessageID
	switch {
	case f.err != nil && IsTemporary(f.err):
		c.log.Warn("imps: get message failed; notification left for redelivery", "message_id", id, "err", f.err)
		return
	case f.err != nil:
		c.log.Error("imps: get message refused; notification dropped", "message_id", id, "err", f.err)
	case !c.deliverFetched(ctx, s, f.msg):
		return
	}
	if err := c.respond(ctx, s, txID, wv.Result{Code: wv.CodeOK}); err != nil {
		c.log.Warn("imps: message notification answer failed", "message_id", id, "err", err)
	}
}

// deliverFetched hands m, fetched after a MessageNotification, to the
// Handler and, only when it accepted it, confirms the delivery with
// MessageDelivered. Here no server transaction is open for it to answer
// (the MessageNotification's answer is a Status, GetMessage-Request is the
// client's own transaction), so MessageDelivered is a request of its own,
// which the server answers with a Status. It reports whether the server
// confirmed it.
func (c *Client) deliverFetched(ctx context.Context, s *session, m *wv.NewMessage) bool {
	if !c.accept(ctx, m) {
		return false
	}
	id := m.MessageInfo.MessageID // never empty: getMessage asked for it
	rep, err := c.request(ctx, s, &wv.MessageDelivered{MessageID: id}, true)
	if err == nil {
		_, err = checkResult[*wv.Status]("MessageDelivered", rep.primitive)
	}
	c.handOff(s, rep.inbound)
	if err != nil {
		c.log.Warn("imps: message delivered not confirmed", "message_id", id, "err", err)
		return false
	}
	return true
}
