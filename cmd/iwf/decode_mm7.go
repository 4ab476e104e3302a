package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http/httputil"
	"net/textproto"
	"os"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/iwf-gateway/iwf/adapters/mms/mm7"
)

func newDecodeMM7Cmd() *cobra.Command {
	var lim mm7.Limits
	cmd := decodeFileCmd("mm7 FILE",
		"Print an MM7 (3GPP TS 23.140) request or response: operation, addresses, status, parts",
		"Print an MM7 message. FILE (- for standard input) holds a whole HTTP request or response\n"+
			"(start line, headers, body; the Content-Type header is taken from it), a MIME body that starts\n"+
			"with its own Content-Type header block or with its first boundary line, or a bare SOAP envelope.\n"+
			"What the codec refuses is reported with the MM7 status the peer would get, and the exit status\n"+
			"is non-zero.",
		func(out io.Writer, data []byte) error { return decodeMM7(out, data, lim) })
	cmd.Flags().BoolVar(&lim.LenientContentRef, "lenient-content-ref", false,
		"accept a Content href naming no part when there is a single attachment")
	return cmd
}

// decodeFileCmd is a `decode` subcommand that reads FILE (or - for
// standard input) and prints it with decode.
func decodeFileCmd(use, short, long string, decode func(io.Writer, []byte) error) *cobra.Command {
	return &cobra.Command{
		Use: use, Short: short, Long: long,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			data, err := readDecodeInput(cmd, args[0])
			if err != nil {
				return err
			}
			return decode(cmd.OutOrStdout(), data)
		},
	}
}

// maxDecodeInput bounds what the decode commands read; every codec
// refuses far less.
const maxDecodeInput = 64 << 20

// maxShownText is how much of a text body the decode commands print.
const maxShownText = 1024

// readDecodeInput reads the file name, or standard input for "-"; the
// decode mm7, imps and msrp commands share it.
func readDecodeInput(cmd *cobra.Command, name string) ([]byte, error) {
	var r io.Reader = cmd.InOrStdin()
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r = f
	}
	data, err := io.ReadAll(io.LimitReader(r, maxDecodeInput+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxDecodeInput {
		return nil, fmt.Errorf("%s: larger than %d MiB", name, maxDecodeInput>>20)
	}
	return data, nil
}

var (
	decodeRequestLine = regexp.MustCompile(`^[A-Z]+ \S+ HTTP/\d(\.\d)?$`)
	decodeStatusLine  = regexp.MustCompile(`^HTTP/\d(\.\d)? \d{3}( .*)?$`)
	decodeHeaderLine  = regexp.MustCompile(`^[!#$%&'*+.^_` + "`" + `|~0-9A-Za-z-]+:`)
)

// splitDecodeHTTP separates an optional HTTP start line and header block from
// the body: data that starts with a start line or a header line has its
// headers parsed; anything else is all body (headers nil). A chunked body
// is de-chunked.
func splitDecodeHTTP(data []byte) (textproto.MIMEHeader, []byte, error) {
	first, _, _ := bytes.Cut(data, []byte("\n"))
	line := strings.TrimRight(string(first), "\r")
	start := decodeRequestLine.MatchString(line) || decodeStatusLine.MatchString(line)
	if !start && !decodeHeaderLine.MatchString(line) {
		return nil, data, nil
	}
	src := bytes.NewReader(data)
	br := bufio.NewReader(src)
	tp := textproto.NewReader(br)
	if start {
		if _, err := tp.ReadLine(); err != nil {
			return nil, nil, err
		}
	}
	h, err := tp.ReadMIMEHeader()
	if err != nil && !(errors.Is(err, io.EOF) && len(h) > 0) {
		return nil, nil, fmt.Errorf("reading the header block: %w", err)
	}
	body := data[len(data)-src.Len()-br.Buffered():]
	if strings.EqualFold(h.Get("Transfer-Encoding"), "chunked") {
		body, err = io.ReadAll(httputil.NewChunkedReader(bytes.NewReader(body)))
		if err != nil {
			return nil, nil, fmt.Errorf("chunked body: %w", err)
		}
	}
	return h, body, nil
}

// mm7Input finds the Content-Type and body of an MM7 message in data.
func mm7Input(data []byte) (string, []byte, error) {
	data = bytes.TrimLeft(data, " \t\r\n")
	h, body, err := splitDecodeHTTP(data)
	if err != nil {
		return "", nil, err
	}
	if h != nil {
		ct := h.Get("Content-Type")
		if ct == "" {
			return "", nil, errors.New("mm7: the header block has no Content-Type")
		}
		return ct, body, nil
	}
	if b, ok := bytes.CutPrefix(body, []byte("--")); ok {
		line, _, _ := bytes.Cut(b, []byte("\n"))
		boundary := strings.TrimRight(string(line), " \t\r")
		return mime.FormatMediaType("multipart/related", map[string]string{"type": "text/xml", "boundary": boundary}), body, nil
	}
	return "text/xml", body, nil
}

func decodeMM7(out io.Writer, data []byte, lim mm7.Limits) error {
	ct, body, err := mm7Input(data)
	if err != nil {
		return err
	}
	msg, err := lim.Decode(ct, body)
	if err != nil {
		var de *mm7.DecodeError
		if errors.As(err, &de) {
			return fmt.Errorf("%w (refused with MM7 status %d %s)", err, int(de.Status), de.Status.Text())
		}
		return err
	}
	w := &decodeWriter{out: out, width: 18}
	w.row("operation", msg.Operation.OperationName())
	w.row("transaction id", msg.TransactionID)
	w.row("version", fmt.Sprintf("%s (%s)", msg.Version.Name(), string(msg.Version)))
	describeMM7Operation(w, msg.Operation)
	content := msg.Content()
	if lim.LenientContentRef {
		strict := lim
		strict.LenientContentRef = false
		if _, err := strict.Decode(ct, body); errors.Is(err, mm7.ErrDanglingCID) {
			w.row("note", "the Content href names no part; the single attachment is taken as the content")
		}
	}
	w.row("parts", mm7PartCount(msg.Attachments))
	for i := range msg.Attachments {
		describeMM7Part(w, &msg.Attachments[i], fmt.Sprint(i+1), "", content)
	}
	return w.err
}

// describeMM7Operation prints the fields of op that matter when reading
// a capture: addresses by role, status, report status, subject, ids.
func describeMM7Operation(w *decodeWriter, op mm7.Operation) {
	switch o := op.(type) {
	case *mm7.SubmitReq:
		w.row("MM7Version", o.MM7Version)
		mm7SenderIdentification(w, o.SenderIdentification)
		mm7Recipients(w, o.Recipients)
		w.row("ServiceCode", o.ServiceCode)
		w.row("LinkedID", o.LinkedID)
		w.row("MessageClass", o.MessageClass)
		w.row("Priority", o.Priority)
		w.row("DeliveryReport", mm7Bool(o.DeliveryReport))
		w.row("ReadReply", mm7Bool(o.ReadReply))
		w.row("Subject", quoteNonEmpty(o.Subject))
		mm7ContentRef(w, o.Content)
	case *mm7.DeliverReq:
		w.row("MM7Version", o.MM7Version)
		w.row("MMSRelayServerID", o.MMSRelayServerID)
		mm7Address(w, "Sender", o.Sender)
		mm7Recipients(w, o.Recipients)
		w.row("LinkedID", o.LinkedID)
		w.row("TimeStamp", o.TimeStamp)
		w.row("Priority", o.Priority)
		w.row("Subject", quoteNonEmpty(o.Subject))
		mm7ContentRef(w, o.Content)
	case *mm7.DeliveryReportReq:
		w.row("MM7Version", o.MM7Version)
		w.row("MMSRelayServerID", o.MMSRelayServerID)
		w.row("MessageID", o.MessageID)
		mm7Address(w, "Recipient", o.Recipient)
		mm7Address(w, "Sender", o.Sender)
		w.row("Date", o.Date)
		w.row("MMStatus", o.MMStatus)
		w.row("MMStatusExt", o.MMStatusExtension)
		w.row("StatusText", quoteNonEmpty(o.StatusText))
	case *mm7.ReadReplyReq:
		w.row("MM7Version", o.MM7Version)
		w.row("MMSRelayServerID", o.MMSRelayServerID)
		w.row("MessageID", o.MessageID)
		mm7Address(w, "Recipient", o.Recipient)
		mm7Address(w, "Sender", o.Sender)
		w.row("TimeStamp", o.TimeStamp)
		w.row("MMStatus", o.MMStatus)
		w.row("StatusText", quoteNonEmpty(o.StatusText))
	case *mm7.CancelReq:
		w.row("MM7Version", o.MM7Version)
		mm7SenderIdentification(w, o.SenderIdentification)
		w.row("MessageID", o.MessageID)
	case *mm7.ReplaceReq:
		w.row("MM7Version", o.MM7Version)
		mm7SenderIdentification(w, o.SenderIdentification)
		w.row("MessageID", o.MessageID)
		w.row("ServiceCode", o.ServiceCode)
		w.row("TimeStamp", o.TimeStamp)
		w.row("ReadReply", mm7Bool(o.ReadReply))
		mm7ContentRef(w, o.Content)
	default:
		describeMM7Response(w, op)
	}
}

func describeMM7Response(w *decodeWriter, op mm7.Operation) {
	var version, label, value string
	var st mm7.Status
	var fault *mm7.Fault
	switch o := op.(type) {
	case *mm7.SubmitRsp:
		version, st, label, value = o.MM7Version, o.Status, "MessageID", o.MessageID
	case *mm7.DeliverRsp:
		version, st, label, value = o.MM7Version, o.Status, "ServiceCode", o.ServiceCode
	case *mm7.DeliveryReportRsp:
		version, st = o.MM7Version, o.Status
	case *mm7.ReadReplyRsp:
		version, st = o.MM7Version, o.Status
	case *mm7.CancelRsp:
		version, st = o.MM7Version, o.Status
	case *mm7.ReplaceRsp:
		version, st = o.MM7Version, o.Status
	case *mm7.RSErrorRsp:
		version, st, fault = o.MM7Version, o.Status, &o.Fault
	case *mm7.VASPErrorRsp:
		version, st, fault = o.MM7Version, o.Status, &o.Fault
	default:
		return
	}
	w.row("MM7Version", version)
	if fault != nil {
		w.row("SOAP fault", strings.TrimSpace(fault.Code+" "+quoteNonEmpty(fault.String)))
	}
	w.row("status", strings.TrimSpace(fmt.Sprintf("%d %s", int(st.Code), st.Code.Text())))
	w.row("StatusText", quoteNonEmpty(st.Text))
	w.row("Details", quoteNonEmpty(st.Details))
	if label != "" {
		w.row(label, value)
	}
}

func mm7SenderIdentification(w *decodeWriter, s mm7.SenderIdentification) {
	w.row("VASPID", s.VASPID)
	w.row("VASID", s.VASID)
	mm7Address(w, "SenderAddress", s.SenderAddress)
}

func mm7Recipients(w *decodeWriter, r *mm7.Recipients) {
	if r == nil {
		return
	}
	for _, l := range []struct {
		role string
		list mm7.AddressList
	}{{"To", r.To}, {"Cc", r.Cc}, {"Bcc", r.Bcc}} {
		for i := range l.list {
			mm7Address(w, l.role, &l.list[i])
		}
	}
}

// mm7Address prints one address as "Kind value [attributes]".
func mm7Address(w *decodeWriter, role string, a *mm7.Address) {
	if a == nil {
		return
	}
	s := string(a.Kind) + " " + a.Value
	var attrs []string
	if a.DisplayOnly {
		attrs = append(attrs, "displayOnly")
	}
	if a.AddressCoding != "" {
		attrs = append(attrs, "addressCoding="+a.AddressCoding)
	}
	if a.ID != "" {
		attrs = append(attrs, "id="+a.ID)
	}
	if len(attrs) > 0 {
		s += " [" + strings.Join(attrs, " ") + "]"
	}
	w.row(role, s)
}

func mm7ContentRef(w *decodeWriter, c *mm7.ContentRef) {
	if c == nil {
		return
	}
	s := c.Href
	if c.AllowAdaptations != nil {
		s += fmt.Sprintf(" [allowAdaptations=%t]", *c.AllowAdaptations)
	}
	w.row("Content", s)
}

func mm7Bool(b *bool) string {
	if b == nil {
		return ""
	}
	return fmt.Sprint(*b)
}

// mm7PartCount says how many attachments there are, and how many parts
// with the nested ones.
func mm7PartCount(parts []mm7.Part) string {
	var count func([]mm7.Part) int
	count = func(ps []mm7.Part) int {
		n := len(ps)
		for i := range ps {
			n += count(ps[i].Parts)
		}
		return n
	}
	switch all := count(parts); {
	case len(parts) == 0:
		return "none"
	case all == len(parts):
		return fmt.Sprint(all)
	default:
		return fmt.Sprintf("%d (%d with the nested ones)", len(parts), all)
	}
}

// describeMM7Part prints one part and its children, indented by depth;
// the part the operation's Content names is marked.
func describeMM7Part(w *decodeWriter, p *mm7.Part, num, indent string, content *mm7.Part) {
	head := fmt.Sprintf("%spart %s: %s", indent, num, p.ContentType)
	if p.ContentType == "" {
		head += "(none: text/plain; charset=us-ascii)"
	}
	if p == content {
		head += "  [Content]"
	}
	w.line(head)
	in := indent + "    "
	if p.ContentID != "" {
		w.line(in + "content-id: <" + p.ContentID + ">")
	}
	if p.ContentLocation != "" {
		w.line(in + "content-location: " + p.ContentLocation)
	}
	if p.ContentDisposition != "" {
		w.line(in + "content-disposition: " + p.ContentDisposition)
	}
	if len(p.Parts) > 0 || strings.HasPrefix(strings.ToLower(p.ContentType), "multipart/") {
		w.line(fmt.Sprintf("%scontains: %d parts", in, len(p.Parts)))
		for i := range p.Parts {
			describeMM7Part(w, &p.Parts[i], fmt.Sprintf("%s.%d", num, i+1), in, content)
		}
		return
	}
	size := fmt.Sprintf("%ssize: %d bytes", in, len(p.Body))
	if p.TransferEncoding != "" {
		size += " (" + p.TransferEncoding + " on the wire)"
	}
	w.line(size)
	mt, _, err := p.MediaType()
	if err != nil || !isDecodeText(mt) {
		w.line(in + "head: " + decodeHexHead(p.Body))
		return
	}
	text, err := p.Text()
	if err != nil {
		w.line(fmt.Sprintf("%stext: not decodable (%v); head: %s", in, err, decodeHexHead(p.Body)))
		return
	}
	writeDecodeText(w, in+"text: ", text)
}

// decodeWriter prints "label: value" rows aligned at width and keeps the
// first write error.
type decodeWriter struct {
	out   io.Writer
	width int
	err   error
}

// row prints label and value; an empty value prints nothing.
func (w *decodeWriter) row(label, value string) {
	if value == "" {
		return
	}
	w.line(fmt.Sprintf("%-*s %s", w.width, label+":", value))
}

func (w *decodeWriter) line(s string) {
	if w.err == nil {
		_, w.err = fmt.Fprintln(w.out, s)
	}
}

// isDecodeText reports whether a media type is shown as text: text/*,
// XML, SMIL and CPIM/IMDN wrappers.
func isDecodeText(mt string) bool {
	mt = strings.ToLower(mt)
	return strings.HasPrefix(mt, "text/") || strings.HasSuffix(mt, "+xml") || strings.HasSuffix(mt, "/xml") ||
		mt == "application/smil" || mt == "message/cpim"
}

// writeDecodeText prints prefix and text quoted, so that every control
// character and invalid byte is visible, cut at maxShownText bytes with a
// note under it.
func writeDecodeText(w *decodeWriter, prefix, text string) {
	shown := text
	if len(shown) > maxShownText {
		cut := maxShownText
		for cut > 0 && !utf8.RuneStart(shown[cut]) {
			cut--
		}
		shown = shown[:cut]
	}
	w.line(fmt.Sprintf("%s%q", prefix, shown))
	if len(shown) < len(text) {
		w.line(fmt.Sprintf("%s(truncated: %d of %d bytes shown)", strings.Repeat(" ", len(prefix)), len(shown), len(text)))
	}
}

// decodeHexHead is the hex of the first 32 bytes of b and how many follow.
func decodeHexHead(b []byte) string {
	const n = 32
	if len(b) == 0 {
		return "(empty)"
	}
	if len(b) <= n {
		return fmt.Sprintf("% x", b)
	}
	return fmt.Sprintf("% x ... (%d more bytes)", b[:n], len(b)-n)
}

func quoteNonEmpty(s string) string {
	if s == "" {
		return ""
	}
	return fmt.Sprintf("%q", s)
}
