package imps

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"sync"

	"github.com/iwf-gateway/iwf/adapters/imps/wv"
)

// ContentType is the media type of WV-CSP XML documents on HTTP.
const ContentType = "application/vnd.wv.csp.xml"

// reply is what one exchange brought back: the response to the request
// (nil when the answer did not carry it) and the requests the server
// piggy-backed on the answer (NewMessage, DeliveryReport-Request, ...).
type reply struct {
	primitive wv.Primitive
	inbound   []wv.Transaction
}

// pendingTable matches responses to requests by TransactionID, so that a
// response arriving in another request's answer still finds its waiter.
type pendingTable struct {
	mu      sync.Mutex
	waiters map[string]chan wv.Primitive
}

func (p *pendingTable) add(id string) chan wv.Primitive {
	ch := make(chan wv.Primitive, 1)
	p.mu.Lock()
	if p.waiters == nil {
		p.waiters = make(map[string]chan wv.Primitive)
	}
	p.waiters[id] = ch
	p.mu.Unlock()
	return ch
}

func (p *pendingTable) remove(id string) {
	p.mu.Lock()
	delete(p.waiters, id)
	p.mu.Unlock()
}

// deliver hands a response to its waiter; false when nobody waits for it.
func (p *pendingTable) deliver(id string, prim wv.Primitive) bool {
	p.mu.Lock()
	ch, ok := p.waiters[id]
	delete(p.waiters, id)
	p.mu.Unlock()
	if ok {
		ch <- prim // buffered, one delivery per id
	}
	return ok
}

func (c *Client) nextTransactionID() string {
	return strconv.FormatUint(c.txSeq.Add(1), 10)
}

// request sends p in a new transaction of s (s nil: no session, for
// Login-Request) and returns the answer. With await, it waits (bounded by
// RequestTimeout) for the response to p, even if it arrives in another
// exchange's answer; without, it takes what the answer carries. A result
// of 600, 601 or 604 ends s.
func (c *Client) request(ctx context.Context, s *session, p wv.Primitive, await bool) (reply, error) {
	ctx, cancel := c.requestContext(ctx)
	defer cancel()
	id := c.nextTransactionID()
	ch := c.pending.add(id)
	defer c.pending.remove(id)
	m := wv.Message{Session: s.descriptor(), Transactions: []wv.Transaction{{
		Descriptor: wv.TransactionDescriptor{TransactionMode: wv.ModeRequest, TransactionID: id},
		Primitive:  p}}}
	answer, err := c.post(ctx, p.PrimitiveName(), m)
	if err != nil {
		return reply{}, err
	}
	rep := reply{inbound: c.dispatch(s, answer)}
	select {
	case rep.primitive = <-ch:
	default:
		if !await {
			return rep, nil
		}
		select {
		case rep.primitive = <-ch:
		case <-s.lostCh():
			return rep, fmt.Errorf("%w: waiting for %s %s", ErrSessionLost, p.PrimitiveName(), id)
		case <-ctx.Done():
			return rep, fmt.Errorf("%w: %s %s: %v", ErrNoResponse, p.PrimitiveName(), id, ctx.Err())
		}
	}
	if r, ok := resultOf(rep.primitive); ok && s != nil && sessionEnding(r.Code) {
		s.end(r.Err())
	}
	return rep, nil
}

// respond answers a server-initiated transaction with a Status.
func (c *Client) respond(ctx context.Context, s *session, id string, r wv.Result) error {
	return c.answer(ctx, s, id, &wv.Status{Result: r})
}

// answer sends p as the response to the server's transaction id
// (TransactionMode Response, the same TransactionID) in a document of its
// own: WV-CSP lets the response to a server transaction travel in any
// later client document. A response gets no response; a server that does
// not take it sends back a Status under the same id (420 for a transaction
// it does not know), returned as the error.
func (c *Client) answer(ctx context.Context, s *session, id string, p wv.Primitive) error {
	ctx, cancel := c.requestContext(ctx)
	defer cancel()
	m := wv.Message{Session: s.descriptor(), Transactions: []wv.Transaction{{
		Descriptor: wv.TransactionDescriptor{TransactionMode: wv.ModeResponse, TransactionID: id},
		Primitive:  p}}}
	reply, err := c.post(ctx, p.PrimitiveName(), m)
	if err != nil {
		return err
	}
	refused := takeVerdict(s, &reply, id)
	c.handOff(s, c.dispatch(s, reply))
	if refused != nil {
		return fmt.Errorf("imps: %s for transaction %s: %w", p.PrimitiveName(), id, refused)
	}
	return nil
}

// takeVerdict removes from m the Status the server sent back under id, the
// TransactionID of the response just sent, and returns its error (nil when
// there is none or it is a success). Removed, it cannot be taken for the
// response to a request of ours that happens to use the same id: server
// and client number their transactions independently.
func takeVerdict(s *session, m *wv.Message, id string) error {
	var err error
	m.Transactions = slices.DeleteFunc(m.Transactions, func(t wv.Transaction) bool {
		st, ok := t.Primitive.(*wv.Status)
		if !ok || t.Descriptor.TransactionMode != wv.ModeResponse || t.Descriptor.TransactionID != id {
			return false
		}
		if t.Descriptor.Poll != nil && bool(*t.Descriptor.Poll) && s != nil {
			s.wantPoll()
		}
		err = st.Result.Err()
		return true
	})
	return err
}

// requestContext bounds one exchange by RequestTimeout and by Close.
func (c *Client) requestContext(ctx context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.RequestTimeout)
	stop := context.AfterFunc(c.kill, cancel)
	return ctx, func() { stop(); cancel() }
}

// dispatch routes the responses of an answer to their waiters, notes the
// Poll flag and Disconnect, and returns the server's own requests.
func (c *Client) dispatch(s *session, m wv.Message) []wv.Transaction {
	var inbound []wv.Transaction
	for _, t := range m.Transactions {
		if t.Descriptor.Poll != nil && bool(*t.Descriptor.Poll) && s != nil {
			s.wantPoll()
		}
		if d, ok := t.Primitive.(*wv.Disconnect); ok {
			if s != nil {
				s.end(fmt.Errorf("%w: disconnect: %w", ErrSessionLost, d.Result.Err()))
			}
			continue
		}
		if t.Descriptor.TransactionMode == wv.ModeResponse {
			if !c.pending.deliver(t.Descriptor.TransactionID, t.Primitive) {
				c.log.Debug("imps: response to no pending request", "transaction", t.Descriptor.TransactionID,
					"primitive", t.Primitive.PrimitiveName())
			}
			continue
		}
		inbound = append(inbound, t)
	}
	return inbound
}

// post sends one document and decodes the answer; an empty answer (HTTP
// 204 or no body) is a message without transactions.
func (c *Client) post(ctx context.Context, op string, m wv.Message) (wv.Message, error) {
	body, err := wv.Encode(m, c.version)
	if err != nil {
		return wv.Message{}, fmt.Errorf("imps: %s: %w", op, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.cfg.ServerURL, bytes.NewReader(body))
	if err != nil {
		return wv.Message{}, &TransportError{Op: op, Err: err}
	}
	req.Header.Set("Content-Type", ContentType)
	resp, err := c.http.Do(req)
	if err != nil {
		return wv.Message{}, &TransportError{Op: op, Err: err}
	}
	defer resp.Body.Close()
	data, err := readAnswer(resp, c.maxSize)
	if err != nil {
		return wv.Message{}, &TransportError{Op: op, Err: err}
	}
	switch {
	case resp.StatusCode == http.StatusNoContent, resp.StatusCode == http.StatusOK && len(bytes.TrimSpace(data)) == 0:
		return wv.Message{}, nil
	case resp.StatusCode != http.StatusOK:
		return wv.Message{}, &TransportError{Op: op, Err: fmt.Errorf("http status %d", resp.StatusCode)}
	}
	answer, err := c.cfg.Limits.Decode(data)
	if err != nil {
		return wv.Message{}, &TransportError{Op: op, Err: fmt.Errorf("answer: %w", err)}
	}
	return answer, nil
}

// readAnswer reads the body of resp, at most limit bytes and one more (so
// that the decoder refuses a larger document), in one allocation when the
// length is announced.
func readAnswer(resp *http.Response, limit int) ([]byte, error) {
	if n := resp.ContentLength; n > 0 && n <= int64(limit) {
		data := make([]byte, n)
		_, err := io.ReadFull(resp.Body, data)
		return data, err
	}
	return io.ReadAll(io.LimitReader(resp.Body, int64(limit)+1))
}

// resultOf returns the Result of the response primitives that carry one.
func resultOf(p wv.Primitive) (wv.Result, bool) {
	switch p := p.(type) {
	case *wv.Status:
		return p.Result, true
	case *wv.LoginResponse:
		return p.Result, true
	case *wv.KeepAliveResponse:
		return p.Result, true
	case *wv.SendMessageResponse:
		return p.Result, true
	}
	return wv.Result{}, false
}

// sessionEnding reports the result codes after which only a new login helps.
func sessionEnding(code int) bool {
	return code == wv.CodeSessionExpired || code == wv.CodeForcedLogout || code == wv.CodeInvalidSession
}

// checkResult turns the response of a request into an error: a *wv.StatusError
// for a non-2xx result, ErrNoResponse when the answer lacked it and
// ErrUnexpectedResponse when it is neither a Status nor of type T.
func checkResult[T wv.Primitive](op string, p wv.Primitive) (T, error) {
	var zero T
	if p == nil {
		return zero, fmt.Errorf("%w: %s", ErrNoResponse, op)
	}
	if r, ok := resultOf(p); ok && !r.Success() {
		return zero, fmt.Errorf("imps: %s: %w", op, r.Err())
	}
	if t, ok := p.(T); ok {
		return t, nil
	}
	if _, ok := p.(*wv.Status); ok {
		return zero, nil
	}
	return zero, fmt.Errorf("%w: %s answered with %s", ErrUnexpectedResponse, op, p.PrimitiveName())
}
