package sip

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"
)

// cpmAcceptContact marks outbound MESSAGEs as CPM standalone messages
// (OMA CPM ICSI, 3GPP TS 24.229 / RFC 3841 feature tag).
const cpmAcceptContact = `*;+g.3gpp.icsi-ref="urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.msg"`

// viaReserve is what the Via header sipgo adds later may take, counted
// when choosing UDP or TCP by size.
const viaReserve = 100

// Send sends m as a SIP MESSAGE through Config.OutboundProxy (or to the
// Request-URI host when none is set) and waits for the final response.
// It returns nil on 2xx, a *StatusError for any other final status, a
// *TransactionError (temporary) on timeout, transport failure or close,
// and an error wrapping ErrInvalidOutgoing when m cannot be sent at all.
//
// The request carries Accept-Contact with the CPM ICSI, P-Asserted-
// Identity, Conversation-ID and Contribution-ID when set, Content-Type
// and User-Agent. It goes over TCP when the proxy URI says
// transport=tcp or when it would exceed 1300 bytes (RFC 3261 18.1.1).
func (e *Endpoint) Send(ctx context.Context, m *Outgoing) error {
	e.mu.Lock()
	started, client := e.started, e.client
	e.mu.Unlock()
	if !started {
		return ErrNotStarted
	}
	req, err := e.buildRequest(m)
	if err != nil {
		return err
	}
	if !e.begin() {
		return &TransactionError{Err: ErrClosed}
	}
	defer e.inflight.Done()

	ctx, cancel := context.WithTimeoutCause(ctx, e.cfg.TransactionTimeout, ErrTimeout)
	defer cancel()
	stop := context.AfterFunc(e.baseCtx, func() { cancel() })
	defer stop()

	res, err := client.Do(ctx, req)
	if err != nil {
		return e.transactionError(ctx, err)
	}
	if res.IsSuccess() {
		return nil
	}
	return statusErrorFrom(res)
}

func (e *Endpoint) transactionError(ctx context.Context, err error) error {
	switch {
	case errors.Is(context.Cause(ctx), ErrTimeout), errors.Is(err, sip.ErrTransactionTimeout):
		return &TransactionError{Err: fmt.Errorf("%w: %v", ErrTimeout, err)}
	case e.baseCtx.Err() != nil:
		return &TransactionError{Err: ErrClosed}
	}
	return &TransactionError{Err: err}
}

func statusErrorFrom(res *sip.Response) *StatusError {
	se := &StatusError{Code: res.StatusCode, Reason: res.Reason}
	if h := res.GetHeader("Retry-After"); h != nil {
		v, _, _ := strings.Cut(strings.TrimSpace(h.Value()), ";")
		v, _, _ = strings.Cut(strings.TrimSpace(v), " ")
		if n, err := strconv.Atoi(v); err == nil && n > 0 {
			se.Retry = time.Duration(n) * time.Second
		}
	}
	return se
}

// buildRequest turns m into a complete MESSAGE apart from Via, with
// destination and transport set.
func (e *Endpoint) buildRequest(m *Outgoing) (*sip.Request, error) {
	if err := checkOutgoing(m); err != nil {
		return nil, err
	}
	var ruri, from, to sip.Uri
	if err := parseSIPURI(m.RequestURI, &ruri, "request URI"); err != nil {
		return nil, err
	}
	if e.proxy == nil && (ruri.Scheme != "sip" || ruri.Host == "") {
		// Without a proxy only a sip: URI says where to send.
		return nil, fmt.Errorf("%w: request URI %q needs an outbound proxy", ErrInvalidOutgoing, m.RequestURI)
	}
	if err := parseSIPURI(m.From, &from, "From"); err != nil {
		return nil, err
	}
	toStr := m.To
	if toStr == "" {
		toStr = m.RequestURI
	}
	if err := parseSIPURI(toStr, &to, "To"); err != nil {
		return nil, err
	}
	req := e.newOutOfDialog(sip.MESSAGE, ruri, from, to)
	e.appendCPMHeaders(req, m)
	req.SetBody(m.Body)
	e.route(req, &ruri)
	return req, nil
}

func (e *Endpoint) appendCPMHeaders(req *sip.Request, m *Outgoing) {
	if e.proxy != nil {
		route := e.proxy.uri.Clone()
		if !route.UriParams.Has("lr") {
			route.UriParams = append(route.UriParams.Clone(), sip.HeaderKV{K: "lr", V: ""})
		}
		req.AppendHeader(&sip.RouteHeader{Address: *route})
	}
	req.AppendHeader(sip.NewHeader("Accept-Contact", cpmAcceptContact))
	pai := m.PAssertedIdentity
	if pai == "" {
		pai = m.From
	}
	req.AppendHeader(sip.NewHeader("P-Asserted-Identity", "<"+pai+">"))
	if m.ConversationID != "" {
		req.AppendHeader(sip.NewHeader("Conversation-ID", m.ConversationID))
	}
	if m.ContributionID != "" {
		req.AppendHeader(sip.NewHeader("Contribution-ID", m.ContributionID))
	}
	if m.ContentType != "" {
		ct := sip.ContentTypeHeader(m.ContentType)
		req.AppendHeader(&ct)
	}
	req.AppendHeader(sip.NewHeader("User-Agent", e.cfg.UserAgent))
}

// route sets destination and transport: the proxy (or the Request-URI
// host), TCP when the proxy demands it or the request is over 1300 bytes.
func (e *Endpoint) route(req *sip.Request, ruri *sip.Uri) {
	transport := "UDP"
	if e.proxy != nil {
		req.SetDestination(e.proxy.hostPort)
		if e.proxy.transport != "" {
			transport = e.proxy.transport
		}
	} else {
		port := ruri.Port
		if port == 0 {
			port = 5060
		}
		req.SetDestination(net.JoinHostPort(ruri.Host, strconv.Itoa(port)))
		if t, ok := ruri.UriParams.Get("transport"); ok && strings.EqualFold(t, "tcp") {
			transport = "TCP"
		}
	}
	if transport == "UDP" && len(req.String())+viaReserve > udpLimit {
		transport = "TCP"
	}
	req.SetTransport(transport)
}

// checkOutgoing refuses values that cannot be put in a header safely.
func checkOutgoing(m *Outgoing) error {
	if m == nil {
		return fmt.Errorf("%w: nil", ErrInvalidOutgoing)
	}
	for name, v := range map[string]string{
		"P-Asserted-Identity": m.PAssertedIdentity, "Content-Type": m.ContentType,
		"Conversation-ID": m.ConversationID, "Contribution-ID": m.ContributionID,
	} {
		if strings.ContainsAny(v, "\r\n\x00") {
			return fmt.Errorf("%w: %s contains a control character", ErrInvalidOutgoing, name)
		}
	}
	if m.PAssertedIdentity != "" {
		if err := checkURI(m.PAssertedIdentity); err != nil {
			return fmt.Errorf("%w: P-Asserted-Identity: %v", ErrInvalidOutgoing, err)
		}
	}
	if len(m.Body) > 0 && m.ContentType == "" {
		return fmt.Errorf("%w: body without Content-Type", ErrInvalidOutgoing)
	}
	return nil
}

func parseSIPURI(s string, u *sip.Uri, what string) error {
	if err := checkURI(s); err != nil {
		return fmt.Errorf("%w: %s: %v", ErrInvalidOutgoing, what, err)
	}
	if err := sip.ParseUri(s, u); err != nil {
		return fmt.Errorf("%w: %s %q: %v", ErrInvalidOutgoing, what, s, err)
	}
	return nil
}

// randomToken returns n random bytes in hex, for tags and Call-IDs.
func randomToken(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// newOutOfDialog starts a request that opens a transaction or a dialog:
// From with a fresh tag, To, a fresh Call-ID, CSeq 1 and Max-Forwards.
func (e *Endpoint) newOutOfDialog(method sip.RequestMethod, ruri, from, to sip.Uri) *sip.Request {
	req := sip.NewRequest(method, ruri)
	fromH := &sip.FromHeader{Address: from, Params: sip.NewParams()}
	fromH.Params.Add("tag", randomToken(8))
	callID := sip.CallIDHeader(randomToken(16) + "@" + e.cfg.Domain)
	maxFwd := sip.MaxForwardsHeader(70)
	req.AppendHeader(fromH)
	req.AppendHeader(&sip.ToHeader{Address: to, Params: sip.NewParams()})
	req.AppendHeader(&callID)
	req.AppendHeader(&sip.CSeqHeader{SeqNo: 1, MethodName: method})
	req.AppendHeader(&maxFwd)
	return req
}
