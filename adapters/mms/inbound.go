package mms

import (
	"crypto/subtle"
	"errors"
	"net/http"

	"github.com/iwf-gateway/iwf/adapters/mms/mm7"
)

// serveHTTP answers one request of the relay: authentication, size bound,
// decode, Handler, answer.
func (v *VASP) serveHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "mms: only POST", http.StatusMethodNotAllowed)
		return
	}
	if !v.authorized(r) {
		v.log.Warn("mms: inbound request refused: bad credentials", "remote", r.RemoteAddr)
		w.Header().Set("WWW-Authenticate", `Basic realm="iwf mm7", charset="UTF-8"`)
		http.Error(w, "mms: unauthorized", http.StatusUnauthorized)
		return
	}
	if !v.begin() {
		w.Header().Set("Connection", "close")
		http.Error(w, "mms: shutting down", http.StatusServiceUnavailable)
		return
	}
	defer v.inflight.Done()
	body, err := mm7.ReadBody(r.Body, r.ContentLength, v.cfg.MaxMessageBytes)
	if err != nil {
		if errors.Is(err, mm7.ErrTooLarge) {
			v.log.Warn("mms: inbound request refused: too large", "remote", r.RemoteAddr, "limit", v.cfg.MaxMessageBytes)
			w.Header().Set("Connection", "close")
			v.writeFault(w, http.StatusRequestEntityTooLarge, "", "", mm7.StatusValidationError, err.Error())
			return
		}
		http.Error(w, "mms: cannot read body", http.StatusBadRequest)
		return
	}
	msg, err := v.limits.Decode(r.Header.Get("Content-Type"), body)
	if err != nil {
		status := mm7.StatusValidationError
		var de *mm7.DecodeError
		if errors.As(err, &de) {
			status = de.Status
		}
		v.log.Warn("mms: inbound request refused", "remote", r.RemoteAddr, "status", int(status), "err", err)
		v.writeFault(w, http.StatusInternalServerError, "", "", status, err.Error())
		return
	}
	v.dispatch(w, r, msg)
}

// dispatch calls the Handler for the three operations a relay may send
// and answers with the matching response.
func (v *VASP) dispatch(w http.ResponseWriter, r *http.Request, msg mm7.Message) {
	var rsp func(mm7.Status) mm7.Operation
	switch msg.Operation.(type) {
	case *mm7.DeliverReq:
		rsp = func(s mm7.Status) mm7.Operation { return &mm7.DeliverRsp{Status: s} }
	case *mm7.DeliveryReportReq:
		rsp = func(s mm7.Status) mm7.Operation { return &mm7.DeliveryReportRsp{Status: s} }
	case *mm7.ReadReplyReq:
		rsp = func(s mm7.Status) mm7.Operation { return &mm7.ReadReplyRsp{Status: s} }
	default:
		v.log.Warn("mms: inbound operation not served", "op", msg.Operation.OperationName(), "remote", r.RemoteAddr)
		v.writeFault(w, http.StatusInternalServerError, msg.TransactionID, msg.Version,
			mm7.StatusUnsupportedOperation, msg.Operation.OperationName()+" is not served by a VASP")
		return
	}
	status := statusOf(v.handler(r.Context(), msg))
	if !status.Code.Success() {
		v.log.Info("mms: inbound request answered with error", "op", msg.Operation.OperationName(),
			"tx", msg.TransactionID, "status", int(status.Code))
	}
	v.writeMessage(w, http.StatusOK, mm7.Message{TransactionID: msg.TransactionID, Operation: rsp(status)}, msg.Version)
}

// statusOf maps a Handler result to the status answered.
func statusOf(err error) mm7.Status {
	if err == nil {
		return mm7.Status{Code: mm7.StatusSuccess, Text: mm7.StatusSuccess.Text()}
	}
	var code mm7.StatusCode
	if errors.As(err, &code) && code >= 1000 && code < 5000 {
		return mm7.Status{Code: code, Text: code.Text()}
	}
	return mm7.Status{Code: mm7.StatusServerError, Text: mm7.StatusServerError.Text()}
}

// writeFault answers a VASPErrorRsp SOAP fault.
func (v *VASP) writeFault(w http.ResponseWriter, httpStatus int, txID string, ver mm7.Version, code mm7.StatusCode, details string) {
	faultCode := "Client"
	if code.Temporary() {
		faultCode = "Server"
	}
	op := &mm7.VASPErrorRsp{
		Status: mm7.Status{Code: code, Text: code.Text(), Details: details},
		Fault:  mm7.Fault{Code: faultCode, String: code.Text()},
	}
	v.writeMessage(w, httpStatus, mm7.Message{TransactionID: txID, Operation: op}, ver)
}

// writeMessage encodes msg in ver (the request's version when known,
// Config.Version otherwise) and writes it.
func (v *VASP) writeMessage(w http.ResponseWriter, httpStatus int, msg mm7.Message, ver mm7.Version) {
	if ver == "" {
		ver = v.cfg.version()
	}
	ct, body, err := mm7.Encode(msg, ver)
	if err != nil {
		v.log.Error("mms: cannot encode answer", "err", err)
		http.Error(w, "mms: internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", ct)
	w.WriteHeader(httpStatus)
	_, _ = w.Write(body)
}

// authorized checks the relay's HTTP Basic credentials in constant time.
func (v *VASP) authorized(r *http.Request) bool {
	user, pass, ok := r.BasicAuth()
	if !ok {
		return false
	}
	u := subtle.ConstantTimeCompare([]byte(user), []byte(v.cfg.InboundUsername))
	p := subtle.ConstantTimeCompare([]byte(pass), []byte(v.cfg.InboundPassword))
	return u&p == 1
}
