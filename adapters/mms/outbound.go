package mms

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"

	"github.com/iwf-gateway/iwf/adapters/mms/mm7"
)

// Submit posts req with its attachments to the relay and returns the
// MessageID the relay assigned. Empty SenderIdentification.VASPID and
// VASID are filled from Config; when req has no Content element and there
// are attachments, Content names the first one by its Content-ID. req is
// not modified.
//
// A non-success MM7 status (in SubmitRsp or an RSErrorRsp fault) is
// returned as an mm7.StatusCode error; a failed exchange as a
// *TransportError. 1100 partial success returns the MessageID and nil.
func (v *VASP) Submit(ctx context.Context, req *mm7.SubmitReq, attachments []mm7.Part) (messageID string, err error) {
	r := *req
	v.fillSender(&r.SenderIdentification)
	if r.Content == nil && len(attachments) > 0 && attachments[0].ContentID != "" {
		r.Content = &mm7.ContentRef{Href: "cid:" + attachments[0].ContentID}
	}
	ans, err := v.exchange(ctx, &r, attachments)
	if err != nil {
		return "", err
	}
	rsp, ok := ans.(*mm7.SubmitRsp)
	if !ok {
		return "", unexpected("SubmitReq", ans)
	}
	if err := rsp.Status.Err(); err != nil {
		return "", err
	}
	if rsp.MessageID == "" {
		return "", &TransportError{Op: "SubmitReq", Err: fmt.Errorf("%w: SubmitRsp without MessageID", ErrUnexpectedAnswer)}
	}
	return rsp.MessageID, nil
}

// Cancel asks the relay to cancel the message it knows as req.MessageID.
// Errors are as for Submit (2005 when the relay knows no such message).
func (v *VASP) Cancel(ctx context.Context, req *mm7.CancelReq) error {
	r := *req
	v.fillSender(&r.SenderIdentification)
	ans, err := v.exchange(ctx, &r, nil)
	if err != nil {
		return err
	}
	rsp, ok := ans.(*mm7.CancelRsp)
	if !ok {
		return unexpected("CancelReq", ans)
	}
	return rsp.Status.Err()
}

// Replace asks the relay to replace the content of the message it knows
// as req.MessageID. Content and errors are as for Submit.
func (v *VASP) Replace(ctx context.Context, req *mm7.ReplaceReq, attachments []mm7.Part) error {
	r := *req
	v.fillSender(&r.SenderIdentification)
	if r.Content == nil && len(attachments) > 0 && attachments[0].ContentID != "" {
		r.Content = &mm7.ContentRef{Href: "cid:" + attachments[0].ContentID}
	}
	ans, err := v.exchange(ctx, &r, attachments)
	if err != nil {
		return err
	}
	rsp, ok := ans.(*mm7.ReplaceRsp)
	if !ok {
		return unexpected("ReplaceReq", ans)
	}
	return rsp.Status.Err()
}

func (v *VASP) fillSender(s *mm7.SenderIdentification) {
	if s.VASPID == "" {
		s.VASPID = v.cfg.VASPID
	}
	if s.VASID == "" {
		s.VASID = v.cfg.VASID
	}
}

func unexpected(op string, ans mm7.Operation) error {
	return &TransportError{Op: op, Err: fmt.Errorf("%w: %s", ErrUnexpectedAnswer, ans.OperationName())}
}

// exchange posts op and returns the relay's answer operation. An
// RSErrorRsp fault is returned as its StatusCode error.
func (v *VASP) exchange(ctx context.Context, op mm7.Operation, attachments []mm7.Part) (mm7.Operation, error) {
	name := op.OperationName()
	var ct string
	rb, body, err := newRequestBody(func(dst []byte) (out []byte, err error) {
		ct, out, err = mm7.AppendEncode(dst, mm7.Message{TransactionID: newTransactionID(), Operation: op, Attachments: attachments}, v.cfg.version())
		return out, err
	})
	if err != nil {
		return nil, fmt.Errorf("mms: %s: %w", name, err)
	}
	defer rb.release()
	if len(body) > v.cfg.MaxMessageBytes {
		return nil, fmt.Errorf("mms: %s: %w: %d bytes, limit %d", name, mm7.ErrTooLarge, len(body), v.cfg.MaxMessageBytes)
	}
	if !v.begin() {
		return nil, ErrClosed
	}
	defer v.inflight.Done()
	ctx, cancel := context.WithTimeout(ctx, v.cfg.RequestTimeout)
	defer cancel()
	stop := context.AfterFunc(v.baseCtx, cancel)
	defer stop()

	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, v.cfg.RelayURL, http.NoBody)
	if err != nil {
		return nil, fmt.Errorf("mms: %s: %w", name, err)
	}
	hreq.Body, hreq.ContentLength = rb.reader(), int64(len(body))
	hreq.GetBody = func() (io.ReadCloser, error) { return rb.reader(), nil }
	hreq.Header.Set("Content-Type", ct)
	hreq.Header.Set("SOAPAction", `""`)
	if v.cfg.Username != "" || v.cfg.Password != "" {
		hreq.SetBasicAuth(v.cfg.Username, v.cfg.Password)
	}
	hrsp, err := v.client.Do(hreq)
	if err != nil {
		return nil, &TransportError{Op: name, Err: err}
	}
	defer hrsp.Body.Close()
	return v.readAnswer(name, hrsp)
}

// readAnswer decodes the relay's HTTP answer. An MM7 body wins over the
// HTTP status (RSErrorRsp comes with 500).
func (v *VASP) readAnswer(name string, hrsp *http.Response) (mm7.Operation, error) {
	rb, rerr := mm7.ReadBody(hrsp.Body, -1, v.cfg.MaxMessageBytes)
	var msg mm7.Message
	derr := rerr
	if rerr == nil {
		msg, derr = v.limits.Decode(hrsp.Header.Get("Content-Type"), rb)
	}
	switch {
	case derr == nil:
	case hrsp.StatusCode >= 300:
		return nil, &TransportError{Op: name, HTTPStatus: hrsp.StatusCode, Err: ErrHTTPStatus}
	default:
		return nil, &TransportError{Op: name, HTTPStatus: hrsp.StatusCode, Err: fmt.Errorf("%w: %w", ErrUnexpectedAnswer, derr)}
	}
	if f, ok := msg.Operation.(*mm7.RSErrorRsp); ok {
		if f.Status.Code.Success() {
			return nil, &TransportError{Op: name, HTTPStatus: hrsp.StatusCode, Err: fmt.Errorf("%w: RSErrorRsp with status %d", ErrUnexpectedAnswer, f.Status.Code)}
		}
		return nil, f.Status.Code
	}
	return msg.Operation, nil
}

// newTransactionID returns a random SOAP TransactionID.
func newTransactionID() string {
	var b [12]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return "iwf-" + hex.EncodeToString(b[:])
}
