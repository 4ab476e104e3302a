package main

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime"
	"strings"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/iwf-gateway/iwf/adapters/imps/wv"
)

func newDecodeIMPSCmd() *cobra.Command {
	return decodeFileCmd("imps FILE",
		"Print a WV-CSP (IMPS) XML document: session, transactions, primitives, content",
		"Print a WV-CSP 1.1/1.2 XML document. FILE (- for standard input) holds the document, optionally\n"+
			"preceded by an HTTP start line and headers. BASE64 content is decoded; binary content is shown\n"+
			"as its size and the hex of its first 32 bytes. What the codec refuses (a DOCTYPE, an unknown\n"+
			"primitive, a bound exceeded) is reported with the CSP result the server would answer, and the\n"+
			"exit status is non-zero.",
		decodeIMPS)
}

func decodeIMPS(out io.Writer, data []byte) error {
	h, body, err := splitDecodeHTTP(bytes.TrimLeft(data, " \t\r\n"))
	if err != nil {
		return err
	}
	msg, err := wv.Decode(body)
	if err != nil {
		r := wv.ResultFor(err)
		var up *wv.UnknownPrimitiveError
		if errors.As(err, &up) && up.Transaction.TransactionID != "" {
			return fmt.Errorf("%w (refused with CSP result %d in transaction %q)", err, r.Code, up.Transaction.TransactionID)
		}
		return fmt.Errorf("%w (refused with CSP result %d)", err, r.Code)
	}
	w := &decodeWriter{out: out, width: 21}
	if h != nil {
		w.row("http type", h.Get("Content-Type"))
	}
	w.row("csp version", msg.Version.String())
	w.row("session", strings.TrimSpace(msg.Session.SessionType+" "+msg.Session.SessionID))
	for i, t := range msg.Transactions {
		w.line(fmt.Sprintf("transaction %d:", i+1))
		tw := &decodeWriter{out: out, width: 21, err: w.err}
		tw.row("  mode", t.Descriptor.TransactionMode)
		tw.row("  id", t.Descriptor.TransactionID)
		poll := "absent"
		if p := t.Descriptor.Poll; p != nil {
			poll = map[bool]string{true: "T", false: "F"}[bool(*p)]
		}
		tw.row("  poll", poll)
		tw.row("  primitive", t.Primitive.PrimitiveName())
		describeCSPPrimitive(tw, t.Primitive)
		w.err = tw.err
	}
	return w.err
}

// describeCSPPrimitive prints the fields of p; credentials are reported
// as present, never printed.
func describeCSPPrimitive(w *decodeWriter, p wv.Primitive) {
	switch o := p.(type) {
	case *wv.LoginRequest:
		w.row("  user", o.UserID)
		w.row("  client id", cspClientID(&o.ClientID))
		if o.Password != "" {
			w.row("  password", "present (not shown)")
		}
		if o.DigestBytes != "" {
			w.row("  digest", "present (not shown), schema "+o.DigestSchema)
		}
		w.row("  time to live", cspSeconds(o.TimeToLive))
		w.row("  cookie", o.SessionCookie)
	case *wv.LoginResponse:
		cspResult(w, o.Result)
		w.row("  client id", cspClientID(&o.ClientID))
		w.row("  nonce", o.Nonce)
		w.row("  digest", o.DigestSchema)
		w.row("  session id", o.SessionID)
		w.row("  keep-alive", cspSeconds(o.KeepAliveTime))
		if c := o.CapabilityRequest; c != nil {
			w.row("  capability request", map[bool]string{true: "T", false: "F"}[bool(*c)])
		}
	case *wv.KeepAliveRequest:
		w.row("  time to live", cspSeconds(o.TimeToLive))
	case *wv.KeepAliveResponse:
		cspResult(w, o.Result)
		w.row("  keep-alive", cspSeconds(o.KeepAliveTime))
	case *wv.Status:
		cspResult(w, o.Result)
		if o.ClientID != nil {
			w.row("  client id", cspClientID(o.ClientID))
		}
	case *wv.Disconnect:
		cspResult(w, o.Result)
	case *wv.SendMessageRequest:
		w.row("  delivery report", map[bool]string{true: "T", false: "F"}[bool(o.DeliveryReport)])
		cspMessageInfo(w, &o.MessageInfo)
		cspContent(w, &o.MessageInfo, o.ContentData)
	case *wv.SendMessageResponse:
		cspResult(w, o.Result)
		w.row("  message id", o.MessageID)
	case *wv.NewMessage:
		cspMessageInfo(w, &o.MessageInfo)
		cspContent(w, &o.MessageInfo, o.ContentData)
	case *wv.GetMessageResponse:
		cspMessageInfo(w, &o.MessageInfo)
		cspContent(w, &o.MessageInfo, o.ContentData)
	case *wv.MessageNotification:
		cspMessageInfo(w, &o.MessageInfo)
	case *wv.DeliveryReportRequest:
		cspResult(w, o.Result)
		w.row("  delivered at", o.DeliveryTime)
		cspMessageInfo(w, &o.MessageInfo)
	case *wv.MessageDelivered:
		w.row("  message id", o.MessageID)
	case *wv.GetMessageRequest:
		w.row("  message id", o.MessageID)
	}
}

func cspResult(w *decodeWriter, r wv.Result) {
	w.row("  result", strings.TrimSpace(fmt.Sprintf("%d %s", r.Code, r.Description)))
	for _, d := range r.DetailedResults {
		s := strings.TrimSpace(fmt.Sprintf("%d %s", d.Code, d.Description))
		for _, u := range d.UserIDs {
			s += " user " + u
		}
		for _, g := range d.GroupIDs {
			s += " group " + g
		}
		for _, n := range d.ScreenNames {
			s += " " + cspScreenName(n)
		}
		for _, m := range d.MessageIDs {
			s += " message " + m
		}
		w.row("  detail", s)
	}
}

func cspMessageInfo(w *decodeWriter, m *wv.MessageInfo) {
	w.row("  message id", m.MessageID)
	w.row("  message uri", m.MessageURI)
	switch {
	case m.Sender.User != nil:
		w.row("  sender", cspUser(m.Sender.User))
	case m.Sender.Group != nil:
		w.row("  sender", cspGroup(m.Sender.Group))
	}
	for i := range m.Recipient.Users {
		w.row("  recipient", cspUser(&m.Recipient.Users[i]))
	}
	for i := range m.Recipient.Groups {
		w.row("  recipient", cspGroup(&m.Recipient.Groups[i]))
	}
	for _, l := range m.Recipient.ContactLists {
		w.row("  recipient", "contact list "+l)
	}
	w.row("  date", m.DateTime)
	w.row("  validity", cspSeconds(m.Validity))
	w.row("  content type", m.ContentType)
	w.row("  encoding", m.ContentEncoding)
	w.row("  size", fmt.Sprintf("%d bytes (declared)", m.ContentSize))
}

// cspContent prints ContentData: BASE64 is decoded; text is shown quoted,
// anything else as size and hex head.
func cspContent(w *decodeWriter, m *wv.MessageInfo, data string) {
	if data == "" {
		return
	}
	raw := []byte(data)
	if strings.EqualFold(m.ContentEncoding, "BASE64") {
		var err error
		raw, err = base64.StdEncoding.DecodeString(strings.Join(strings.Fields(data), ""))
		if err != nil {
			w.row("  content", fmt.Sprintf("not base64 (%v); %d characters", err, len(data)))
			return
		}
	}
	mt := "text/plain"
	if m.ContentType != "" {
		mt, _, _ = mime.ParseMediaType(m.ContentType)
	}
	if isDecodeText(mt) && utf8.Valid(raw) {
		w.row("  content", fmt.Sprintf("%d bytes", len(raw)))
		writeDecodeText(w, fmt.Sprintf("%-*s ", w.width, "  text:"), string(raw))
		return
	}
	w.row("  content", fmt.Sprintf("%d bytes, head: %s", len(raw), decodeHexHead(raw)))
}

func cspUser(u *wv.User) string {
	s := u.UserID
	if u.ClientID != nil {
		s += " (client " + cspClientID(u.ClientID) + ")"
	}
	return s
}

func cspGroup(g *wv.Group) string {
	if g.ScreenName != nil {
		return cspScreenName(*g.ScreenName)
	}
	return "group " + g.GroupID
}

func cspScreenName(n wv.ScreenName) string {
	return fmt.Sprintf("screen name %q in group %s", n.SName, n.GroupID)
}

func cspClientID(c *wv.ClientID) string {
	var parts []string
	for _, p := range []struct{ k, v string }{{"", c.Text}, {"URL ", c.URL}, {"MSISDN ", c.MSISDN}} {
		if p.v != "" {
			parts = append(parts, p.k+p.v)
		}
	}
	return strings.Join(parts, ", ")
}

func cspSeconds(n uint32) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprintf("%d s", n)
}
