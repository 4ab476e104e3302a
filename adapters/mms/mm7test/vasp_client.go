package mm7test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/iwf-gateway/iwf/adapters/mms/mm7"
)

// ErrNoVASP is returned by InjectDeliver when Config.VASPURL is empty.
var ErrNoVASP = errors.New("mm7test: no vasp url configured")

// sendReport waits ReportDelay, posts op and records the outcome.
func (r *Relay) sendReport(id string, op mm7.Operation) {
	t := time.NewTimer(r.cfg.ReportDelay)
	defer t.Stop()
	select {
	case <-t.C:
	case <-r.ctx.Done():
		r.record(Report{Operation: op.OperationName(), MessageID: id, Err: r.ctx.Err()})
		return
	}
	st, err := r.post(r.ctx, mm7.Message{TransactionID: "rpt-" + id, Operation: op})
	r.record(Report{Operation: op.OperationName(), MessageID: id, Status: st, Err: err})
}

func (r *Relay) record(rep Report) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.reports = append(r.reports, rep)
	close(r.reportCh)
	r.reportCh = make(chan struct{})
}

// InjectDeliver posts a mobile-originated DeliverReq with parts to the
// VASP and returns the status of its answer: the DeliverRsp status, or
// the status of a VASPErrorRsp fault (also returned as the error). A
// DeliverReq without Content gets one naming the first part.
func (r *Relay) InjectDeliver(ctx context.Context, req mm7.DeliverReq, parts []mm7.Part) (mm7.StatusCode, error) {
	if req.Content == nil && len(parts) > 0 && parts[0].ContentID != "" {
		req.Content = &mm7.ContentRef{Href: "cid:" + parts[0].ContentID}
	}
	r.mu.Lock()
	r.seq++
	tx := fmt.Sprintf("dlv-%d", r.seq)
	r.mu.Unlock()
	return r.post(ctx, mm7.Message{TransactionID: tx, Operation: &req, Attachments: parts})
}

// Post sends any message to the VASP as the relay would and returns the
// answer's status (for tests of unusual operations).
func (r *Relay) Post(ctx context.Context, msg mm7.Message) (mm7.StatusCode, error) {
	return r.post(ctx, msg)
}

// post sends msg to the VASP URL with Basic auth and decodes the answer.
func (r *Relay) post(ctx context.Context, msg mm7.Message) (mm7.StatusCode, error) {
	ct, body, err := mm7.Encode(msg, r.cfg.Version)
	if err != nil {
		return 0, err
	}
	return r.PostRaw(ctx, ct, body)
}

// PostRaw sends body with Content-Type ct to the VASP with the configured
// credentials and returns the MM7 status of the answer. An answer that is
// not MM7 gives an *HTTPError.
func (r *Relay) PostRaw(ctx context.Context, ct string, body []byte) (mm7.StatusCode, error) {
	r.mu.Lock()
	url, user, pass := r.cfg.VASPURL, r.cfg.VASPUsername, r.cfg.VASPPassword
	r.mu.Unlock()
	if url == "" {
		return 0, ErrNoVASP
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", ct)
	req.Header.Set("SOAPAction", `""`)
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	rsp, err := r.client.Do(req)
	if err != nil {
		return 0, err
	}
	defer rsp.Body.Close()
	rb, err := io.ReadAll(io.LimitReader(rsp.Body, mm7.DefaultMaxSize))
	if err != nil {
		return 0, err
	}
	ans, err := mm7.Decode(rsp.Header.Get("Content-Type"), rb)
	if err != nil {
		return 0, &HTTPError{Code: rsp.StatusCode}
	}
	return answerStatus(ans.Operation)
}

// HTTPError is an answer from the VASP without an MM7 body.
type HTTPError struct{ Code int }

func (e *HTTPError) Error() string { return fmt.Sprintf("mm7test: http %d without mm7 body", e.Code) }

func answerStatus(op mm7.Operation) (mm7.StatusCode, error) {
	switch o := op.(type) {
	case *mm7.DeliverRsp:
		return o.Status.Code, nil
	case *mm7.DeliveryReportRsp:
		return o.Status.Code, nil
	case *mm7.ReadReplyRsp:
		return o.Status.Code, nil
	case *mm7.VASPErrorRsp:
		return o.Status.Code, o.Status.Code
	}
	return 0, fmt.Errorf("mm7test: unexpected answer %s", op.OperationName())
}
