package mm7test

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/iwf-gateway/iwf/adapters/mms/mm7"
)

// Config scripts a Relay. Zero fields take the documented defaults.
type Config struct {
	// Username and Password are the HTTP Basic credentials the relay
	// requires from the VASP; empty Username requires none.
	Username string
	Password string
	// VASPURL is where reports and DeliverReq are posted; empty sends
	// none (InjectDeliver then fails).
	VASPURL      string
	VASPUsername string
	VASPPassword string
	// ReportDelay is the wait between a SubmitRsp and the reports.
	ReportDelay time.Duration
	// ReportStatus is the MMStatus of DeliveryReportReq; default
	// "Retrieved". A DeliveryReportReq is sent for each submit whose
	// DeliveryReport is true.
	ReportStatus string
	// ReadStatus is the MMStatus of ReadReplyReq; default "Read". A
	// ReadReplyReq is sent for each submit whose ReadReply is true.
	ReadStatus string
	// Version is the namespace written; default mm7.REL6MM714.
	Version mm7.Version
	// OnSubmit, when set, is called with each SubmitReq the relay records
	// (MessageID "" when a Fault refused it), from the request's handler
	// after the relay's lock is released and before the SubmitRsp is
	// written. It must not block; it may call the Relay's methods. It sees
	// the attachment bodies even with DiscardBodies.
	OnSubmit func(Submit)
	// DiscardBodies keeps each Submit that Submits returns without the
	// Body of its attachments (Parts, types and ids stay), so that a long
	// run holds a record per message rather than every picture.
	DiscardBodies bool
}

// Fault scripts the answer to the following VASP requests until the next
// SetFault. The zero Fault answers normally.
type Fault struct {
	Status  mm7.StatusCode // non-zero: answer the *Rsp with this status
	AsFault bool           // with Status: answer an RSErrorRsp SOAP fault (HTTP 500) instead
	Delay   time.Duration  // wait before answering (ends early on Close or when the VASP gives up)
	Drop    bool           // close the connection without an answer
}

// Submit is one SubmitReq the relay received.
type Submit struct {
	MessageID string // assigned; "" when a Fault refused it
	Message   mm7.Message
}

// Report is the outcome of one request the relay posted to the VASP.
type Report struct {
	Operation string // "DeliveryReportReq", "ReadReplyReq"
	MessageID string
	Status    mm7.StatusCode // the VASP's answer; 0 when Err
	Err       error
}

// Relay is a running fake relay. Its methods are safe for concurrent use.
type Relay struct {
	cfg    Config
	srv    *http.Server
	ln     net.Listener
	client *http.Client
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu       sync.Mutex
	fault    Fault
	seq      int
	submits  []Submit
	known    map[string]bool
	reports  []Report
	reportCh chan struct{} // closed and replaced on each Report
	closed   bool          // no goroutine is added to wg once set
	conns    int           // TCP connections accepted
	once     sync.Once
}

// NewRelay starts a relay on 127.0.0.1:0.
func NewRelay(cfg Config) (*Relay, error) {
	if cfg.ReportStatus == "" {
		cfg.ReportStatus = "Retrieved"
	}
	if cfg.ReadStatus == "" {
		cfg.ReadStatus = "Read"
	}
	if cfg.Version == "" {
		cfg.Version = mm7.REL6MM714
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("mm7test: listen: %w", err)
	}
	r := &Relay{cfg: cfg, ln: ln, known: map[string]bool{}, reportCh: make(chan struct{}),
		client: &http.Client{Transport: &http.Transport{}}}
	r.ctx, r.cancel = context.WithCancel(context.Background())
	r.srv = &http.Server{Handler: http.HandlerFunc(r.serveHTTP), ReadHeaderTimeout: 10 * time.Second,
		BaseContext: func(net.Listener) context.Context { return r.ctx },
		ConnState: func(_ net.Conn, s http.ConnState) {
			if s == http.StateNew {
				r.mu.Lock()
				r.conns++
				r.mu.Unlock()
			}
		}}
	r.wg.Go(func() { _ = r.srv.Serve(ln) })
	return r, nil
}

// URL is where the VASP posts: "http://127.0.0.1:port/mm7".
func (r *Relay) URL() string { return "http://" + r.ln.Addr().String() + "/mm7" }

// SetVASP sets where reports and DeliverReq go and the Basic credentials
// sent (overriding Config.VASPURL, VASPUsername, VASPPassword), for a
// VASP that starts after the relay.
func (r *Relay) SetVASP(url, username, password string) {
	r.mu.Lock()
	r.cfg.VASPURL, r.cfg.VASPUsername, r.cfg.VASPPassword = url, username, password
	r.mu.Unlock()
}

// SetFault scripts the answers to the following requests.
func (r *Relay) SetFault(f Fault) {
	r.mu.Lock()
	r.fault = f
	r.mu.Unlock()
}

// Submits returns a copy of the SubmitReqs received so far.
func (r *Relay) Submits() []Submit {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Submit(nil), r.submits...)
}

// Conns is the number of TCP connections accepted so far.
func (r *Relay) Conns() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.conns
}

// Reports returns the outcomes of the reports posted so far.
func (r *Relay) Reports() []Report {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Report(nil), r.reports...)
}

// WaitReports waits until at least n reports have been posted (and
// answered or failed), or ctx ends.
func (r *Relay) WaitReports(ctx context.Context, n int) ([]Report, error) {
	for {
		r.mu.Lock()
		got, ch := append([]Report(nil), r.reports...), r.reportCh
		r.mu.Unlock()
		if len(got) >= n {
			return got, nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return got, ctx.Err()
		}
	}
}

// Close stops the server, cancels pending reports and slow answers, and
// waits for every goroutine (handlers included). It is idempotent.
func (r *Relay) Close() {
	r.once.Do(func() {
		r.mu.Lock()
		r.closed = true
		r.mu.Unlock()
		r.cancel()
		_ = r.srv.Close()
		r.wg.Wait()
		r.client.CloseIdleConnections()
	})
}

func (r *Relay) authorized(req *http.Request) bool {
	if r.cfg.Username == "" {
		return true
	}
	u, p, ok := req.BasicAuth()
	return ok && subtle.ConstantTimeCompare([]byte(u), []byte(r.cfg.Username))&
		subtle.ConstantTimeCompare([]byte(p), []byte(r.cfg.Password)) == 1
}

func (r *Relay) serveHTTP(w http.ResponseWriter, req *http.Request) {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		http.Error(w, "closing", http.StatusServiceUnavailable)
		return
	}
	r.wg.Add(1)
	r.mu.Unlock()
	defer r.wg.Done()
	if !r.authorized(req) {
		w.Header().Set("WWW-Authenticate", `Basic realm="mm7test"`)
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	body, err := mm7.ReadBody(req.Body, req.ContentLength, mm7.DefaultMaxSize)
	if err != nil && !errors.Is(err, mm7.ErrTooLarge) {
		return
	}
	var msg mm7.Message
	if err == nil {
		msg, err = mm7.Decode(req.Header.Get("Content-Type"), body)
	}
	if err != nil {
		var de *mm7.DecodeError
		status := mm7.StatusValidationError
		if errors.As(err, &de) {
			status = de.Status
		}
		r.write(w, http.StatusInternalServerError, "", &mm7.RSErrorRsp{Status: mm7.Status{Code: status, Details: err.Error()},
			Fault: mm7.Fault{Code: "Client", String: status.Text()}})
		return
	}
	r.mu.Lock()
	f := r.fault
	r.mu.Unlock()
	if !r.applyFault(w, req, f) {
		return
	}
	r.answer(w, msg, f)
}

// applyFault delays or drops; false when no answer must be written.
func (r *Relay) applyFault(w http.ResponseWriter, req *http.Request, f Fault) bool {
	if f.Delay > 0 {
		t := time.NewTimer(f.Delay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-req.Context().Done():
			return false
		}
	}
	if f.Drop {
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				_ = conn.Close()
			}
		}
		return false
	}
	return true
}

func (r *Relay) answer(w http.ResponseWriter, msg mm7.Message, f Fault) {
	status := mm7.Status{Code: mm7.StatusSuccess, Text: mm7.StatusSuccess.Text()}
	if f.Status != 0 {
		status = mm7.Status{Code: f.Status, Text: f.Status.Text()}
		if f.AsFault {
			r.write(w, http.StatusInternalServerError, msg.TransactionID, &mm7.RSErrorRsp{Status: status,
				Fault: mm7.Fault{Code: "Server", String: f.Status.Text()}})
			return
		}
	}
	switch op := msg.Operation.(type) {
	case *mm7.SubmitReq:
		kept := msg
		if r.cfg.DiscardBodies {
			kept.Attachments = withoutBodies(msg.Attachments)
		}
		rsp, sub := r.submit(kept, op, status)
		if r.cfg.OnSubmit != nil {
			sub.Message = msg
			r.cfg.OnSubmit(sub)
		}
		r.write(w, http.StatusOK, msg.TransactionID, rsp)
	case *mm7.CancelReq:
		r.write(w, http.StatusOK, msg.TransactionID, &mm7.CancelRsp{Status: r.lookup(op.MessageID, status)})
	case *mm7.ReplaceReq:
		r.write(w, http.StatusOK, msg.TransactionID, &mm7.ReplaceRsp{Status: r.lookup(op.MessageID, status)})
	default:
		code := mm7.StatusUnsupportedOperation
		r.write(w, http.StatusInternalServerError, msg.TransactionID, &mm7.RSErrorRsp{Status: mm7.Status{Code: code, Text: code.Text()},
			Fault: mm7.Fault{Code: "Client", String: code.Text()}})
	}
}

// submit records a SubmitReq, assigns its MessageID and schedules its
// reports; it returns the answer and the record.
func (r *Relay) submit(msg mm7.Message, op *mm7.SubmitReq, status mm7.Status) (*mm7.SubmitRsp, Submit) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !status.Code.Success() {
		r.submits = append(r.submits, Submit{Message: msg})
		return &mm7.SubmitRsp{Status: status}, Submit{Message: msg}
	}
	r.seq++
	id := fmt.Sprintf("mm7test-%d", r.seq)
	r.known[id] = true
	r.submits = append(r.submits, Submit{MessageID: id, Message: msg})
	if r.cfg.VASPURL != "" && !r.closed {
		if op.DeliveryReport != nil && *op.DeliveryReport {
			r.wg.Go(func() { r.sendReport(id, &mm7.DeliveryReportReq{MessageID: id, MMStatus: r.cfg.ReportStatus}) })
		}
		if op.ReadReply != nil && *op.ReadReply {
			r.wg.Go(func() { r.sendReport(id, &mm7.ReadReplyReq{MessageID: id, MMStatus: r.cfg.ReadStatus}) })
		}
	}
	return &mm7.SubmitRsp{Status: status, MessageID: id}, Submit{MessageID: id, Message: msg}
}

// withoutBodies copies parts, nested ones included, without their Body.
func withoutBodies(parts []mm7.Part) []mm7.Part {
	if parts == nil {
		return nil
	}
	out := make([]mm7.Part, len(parts))
	for i, p := range parts {
		p.Body = nil
		p.Parts = withoutBodies(p.Parts)
		out[i] = p
	}
	return out
}

func (r *Relay) lookup(id string, status mm7.Status) mm7.Status {
	r.mu.Lock()
	defer r.mu.Unlock()
	if status.Code.Success() && !r.known[id] {
		return mm7.Status{Code: mm7.StatusMessageIDNotFound, Text: mm7.StatusMessageIDNotFound.Text()}
	}
	return status
}

func (r *Relay) write(w http.ResponseWriter, httpStatus int, txID string, op mm7.Operation) {
	ct, body, err := mm7.Encode(mm7.Message{TransactionID: txID, Operation: op}, r.cfg.Version)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", ct)
	w.WriteHeader(httpStatus)
	_, _ = w.Write(body)
}
