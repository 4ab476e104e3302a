package imps

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/iwf-gateway/iwf/adapters/imps/wv"
)

// SendMessage sends req in the current session (waiting for one up to
// ctx) and returns the MessageID the server assigned ("" when the server
// answered with a bare Status 200). A non-2xx result is a *wv.StatusError
// (see its Temporary); a transport failure a temporary *TransportError;
// ErrSessionLost or ErrNoResponse (both temporary) when the session ended
// or ctx or Config.RequestTimeout ran out before the answer; ErrClosed once
// Shutdown or Close began.
//
// Concurrent calls share documents: while Config.MaxPosts documents are
// in flight, the requests that arrive wait and leave together, up to
// Config.MaxBatch transactions in one document, as soon as one of those
// documents is answered. A request that finds a document free leaves at
// once, alone: batching never waits on a timer. Each transaction is
// answered on its own (its TransactionID), so a refusal fails only its
// caller.
func (c *Client) SendMessage(ctx context.Context, req *wv.SendMessageRequest) (string, error) {
	if !c.begin() {
		return "", ErrClosed
	}
	defer c.inflight.Done()
	s, err := c.waitSession(ctx)
	if err != nil {
		return "", err
	}
	p, err := c.sendInBatch(ctx, s, req)
	if err != nil {
		return "", err
	}
	resp, err := checkResult[*wv.SendMessageResponse]("SendMessage-Request", p)
	if err != nil || resp == nil {
		return "", err
	}
	return resp.MessageID, nil
}

// handOff leaves server requests that arrived outside polling to the next
// poll: they are unacknowledged, so the server offers them again.
func (c *Client) handOff(s *session, inbound []wv.Transaction) {
	if len(inbound) > 0 {
		s.wantPoll()
	}
}

// outgoing is one SendMessage-Request waiting to go out or in flight.
type outgoing struct {
	s     *session
	id    string // TransactionID
	req   *wv.SendMessageRequest
	taken chan *batch // receives, once, the batch the request joined
}

// batch is the document that carries the requests of its members, all of
// the same session. members[0] posts it.
type batch struct {
	s       *session
	members []*outgoing
	done    chan struct{} // closed when the exchange ended and its answer was dispatched
	err     error         // the exchange's failure; set before done closes
}

// sendQueue gathers SendMessage-Requests into batches and bounds the
// batches in flight. Requests wait only while maxPosts batches are in
// flight; the end of one starts the next at once, with up to maxBatch of
// the requests waiting longest that share the first one's session.
type sendQueue struct {
	maxPosts, maxBatch int

	mu      sync.Mutex
	waiting []*outgoing // in arrival order
	posts   int         // batches in flight
}

// join queues o and waits until it is in a batch, or until its session
// ends or ctx ends while it still waits (it is then withdrawn, never sent).
func (q *sendQueue) join(ctx context.Context, o *outgoing) (*batch, error) {
	q.mu.Lock()
	q.waiting = append(q.waiting, o)
	q.startLocked()
	q.mu.Unlock()
	select {
	case b := <-o.taken:
		return b, nil
	case <-o.s.lost:
		if q.withdraw(o) {
			return nil, fmt.Errorf("%w: SendMessage-Request %s not sent", ErrSessionLost, o.id)
		}
	case <-ctx.Done():
		if q.withdraw(o) {
			return nil, fmt.Errorf("%w: SendMessage-Request %s not sent: %v", ErrNoResponse, o.id, ctx.Err())
		}
	}
	return <-o.taken, nil // taken meanwhile: it goes out
}

// withdraw removes o from the queue; false when o is already in a batch.
func (q *sendQueue) withdraw(o *outgoing) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	for i, w := range q.waiting {
		if w == o {
			q.waiting = slices.Delete(q.waiting, i, i+1)
			return true
		}
	}
	return false
}

// release ends a batch in flight and starts the next ones.
func (q *sendQueue) release() {
	q.mu.Lock()
	q.posts--
	q.startLocked()
	q.mu.Unlock()
}

// startLocked forms batches while fewer than maxPosts are in flight and
// requests wait. Each is handed to its members; the first posts it.
func (q *sendQueue) startLocked() {
	for q.posts < q.maxPosts && len(q.waiting) > 0 {
		head := q.waiting[0]
		b := &batch{s: head.s, members: make([]*outgoing, 0, min(len(q.waiting), q.maxBatch)), done: make(chan struct{})}
		rest := q.waiting[:0]
		for _, o := range q.waiting {
			if o.s == head.s && len(b.members) < q.maxBatch {
				b.members = append(b.members, o)
			} else {
				rest = append(rest, o)
			}
		}
		clear(q.waiting[len(rest):])
		q.waiting = rest
		q.posts++
		for _, o := range b.members {
			o.taken <- b // buffered: each request joins one batch
		}
	}
}

// sendInBatch sends req in s as a transaction of a batch and waits for its
// response.
func (c *Client) sendInBatch(ctx context.Context, s *session, req *wv.SendMessageRequest) (wv.Primitive, error) {
	ctx, cancel := c.requestContext(ctx)
	defer cancel()
	o := &outgoing{s: s, id: c.nextTransactionID(), req: req, taken: make(chan *batch, 1)}
	resp := c.pending.add(o.id)
	defer c.pending.remove(o.id)
	b, err := c.sends.join(ctx, o)
	if err != nil {
		return nil, err
	}
	if b.members[0] == o {
		c.postBatch(ctx, b)
	}
	return c.awaitSent(ctx, b, o, resp)
}

// postBatch sends the document of b and dispatches the answer. The
// exchange is bounded by RequestTimeout and Close, not by the poster's
// own context: the other members depend on it.
func (c *Client) postBatch(ctx context.Context, b *batch) {
	defer close(b.done)
	if !b.s.alive() {
		c.sends.release()
		b.err = fmt.Errorf("%w: before SendMessage-Request", ErrSessionLost)
		return
	}
	m := wv.Message{Session: b.s.descriptor(), Transactions: make([]wv.Transaction, len(b.members))}
	for i, o := range b.members {
		m.Transactions[i] = wv.Transaction{Primitive: o.req,
			Descriptor: wv.TransactionDescriptor{TransactionMode: wv.ModeRequest, TransactionID: o.id}}
	}
	pctx, cancel := c.requestContext(context.WithoutCancel(ctx))
	answer, err := c.post(pctx, "SendMessage-Request", m)
	cancel()
	c.sends.release()
	if err != nil {
		b.err = err
		return
	}
	c.handOff(b.s, c.dispatch(b.s, answer))
}

// awaitSent waits for b's exchange, then for o's response: in that
// exchange's answer or, when the server defers it, in a later one. A
// result of 600, 601 or 604 ends the session.
func (c *Client) awaitSent(ctx context.Context, b *batch, o *outgoing, resp <-chan wv.Primitive) (wv.Primitive, error) {
	select {
	case <-b.done: // first: a poster's context may end with its exchange
	default:
		select {
		case <-b.done:
		case <-ctx.Done():
			return nil, fmt.Errorf("%w: SendMessage-Request %s: %v", ErrNoResponse, o.id, ctx.Err())
		}
	}
	var p wv.Primitive
	select {
	case p = <-resp:
	default:
		if b.err != nil {
			return nil, b.err
		}
		select {
		case p = <-resp:
		case <-o.s.lost:
			return nil, fmt.Errorf("%w: waiting for SendMessage-Request %s", ErrSessionLost, o.id)
		case <-ctx.Done():
			return nil, fmt.Errorf("%w: SendMessage-Request %s: %v", ErrNoResponse, o.id, ctx.Err())
		}
	}
	if r, ok := resultOf(p); ok && sessionEnding(r.Code) {
		o.s.end(r.Err())
	}
	return p, nil
}
