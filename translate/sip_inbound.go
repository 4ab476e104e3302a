package translate

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/ianaindex"

	"github.com/iwf-gateway/iwf/adapters/sip"
	"github.com/iwf-gateway/iwf/cpm"
)

// Errors of the SIP inbound mappings. The gateway answers them with the SIP
// status in brackets.
var (
	ErrMalformed       = errors.New("translate: malformed message")        // 400 Bad Request
	ErrUnsupportedType = errors.New("translate: unsupported content type") // 415 Unsupported Media Type
	ErrTooLarge        = errors.New("translate: message too large")        // 413 Request Entity Too Large
)

// MaxSIPBody bounds the body of a SIP MESSAGE iwf takes from CM-7.
const MaxSIPBody = cpm.MaxCPIMSize

// MessageFromSIP maps a SIP MESSAGE from a CPM user to a Message.
//
// The body is text/plain or message/cpim. Text is converted to UTF-8 from
// its charset parameter (UTF-8 when absent; invalid UTF-8 is malformed, an
// unknown charset unsupported), inside CPIM as well as bare. A CPIM body
// gives ID, DateTime, Subject, Notify and parts (see cpm.MessageFromCPIM);
// one carrying an IMDN is refused with ErrUnsupportedType, so call
// ReportFromSIP first.
//
// From is the CPIM From when present and not anonymous, else the
// P-Asserted-Identity, else the SIP From. To is the Request-URI: the
// recipient, whatever CPIM To says. ConversationID and ContributionID are
// copied.
//
// A bare text body has no imdn.Message-ID, and one without it in CPIM
// neither, so ID is then derived from the SIP transaction (see
// SIPMessageID): a retransmission or a retry of the same request gets the
// same ID and the gateway can drop it as a repeat.
func MessageFromSIP(r *sip.Request) (cpm.Message, error) {
	if len(r.Body) > MaxSIPBody {
		return cpm.Message{}, fmt.Errorf("translate: sip body of %d bytes over %d: %w", len(r.Body), MaxSIPBody, ErrTooLarge)
	}
	mt, params, err := parseContentType(r.ContentType)
	if err != nil {
		return cpm.Message{}, err
	}
	var m cpm.Message
	switch mt {
	case "text/plain":
		text, err := toUTF8(r.Body, params["charset"])
		if err != nil {
			return cpm.Message{}, err
		}
		m.Parts = []cpm.Part{{ContentType: "text/plain;charset=UTF-8", Body: text}}
	case "message/cpim":
		if m, err = messageFromCPIMBody(r.Body); err != nil {
			return cpm.Message{}, err
		}
	default:
		return cpm.Message{}, fmt.Errorf("translate: sip body %q: %w", mt, ErrUnsupportedType)
	}
	finishMessage(&m, r)
	return m, nil
}

// finishMessage fills what a message takes from its SIP request: an id
// when CPIM gave none, the sender when CPIM named none, the Request-URI as
// recipient, and the CPM conversation headers.
func finishMessage(m *cpm.Message, r *sip.Request) {
	if m.ID == "" {
		m.ID = SIPMessageID(r)
	}
	if m.From == "" {
		m.From = sipSender(r)
	}
	m.To = cpm.Address(r.RequestURI)
	m.ConversationID, m.ContributionID = r.ConversationID, r.ContributionID
}

// FromSIP maps a MESSAGE from a CPM user to a message, or, when it carries
// an IMDN (isReport), to a Report, as MessageFromSIP and ReportFromSIP
// would, parsing a CPIM body once.
func FromSIP(r *sip.Request) (m cpm.Message, rep cpm.Report, isReport bool, err error) {
	if mt, _, err := mime.ParseMediaType(r.ContentType); err != nil || mt != "message/cpim" {
		m, err := MessageFromSIP(r)
		return m, cpm.Report{}, false, err
	}
	if len(r.Body) > MaxSIPBody {
		return m, rep, false, fmt.Errorf("translate: sip body of %d bytes over %d: %w", len(r.Body), MaxSIPBody, ErrTooLarge)
	}
	c, err := unmarshalCPIM(r.Body)
	if err != nil {
		return m, rep, false, err
	}
	if isIMDN(c) {
		rep, err := reportFromCPIM(c, r)
		return m, rep, true, err
	}
	if m, err = messageFromCPIM(c); err != nil {
		return m, rep, false, err
	}
	finishMessage(&m, r)
	return m, rep, false, nil
}

// SIPMessageID derives a message id from the SIP transaction: the first 16
// bytes of SHA-256 over Call-ID, CSeq number and From URI (separated by
// NUL), in lower-case hex, 32 characters. It is stable across
// retransmissions and unlikely to meet a CPM client's own ids.
func SIPMessageID(r *sip.Request) string {
	h := sha256.New()
	h.Write([]byte(r.CallID))
	h.Write([]byte{0})
	h.Write(strconv.AppendUint(nil, uint64(r.CSeq), 10))
	h.Write([]byte{0})
	h.Write([]byte(r.From))
	sum := h.Sum(nil)
	return hex.EncodeToString(sum[:16])
}

func sipSender(r *sip.Request) cpm.Address {
	if r.PAssertedIdentity != "" {
		return cpm.Address(r.PAssertedIdentity)
	}
	return cpm.Address(r.From)
}

func messageFromCPIMBody(body []byte) (cpm.Message, error) {
	c, err := unmarshalCPIM(body)
	if err != nil {
		return cpm.Message{}, err
	}
	return messageFromCPIM(c)
}

func messageFromCPIM(c *cpm.CPIM) (cpm.Message, error) {
	m, err := cpm.MessageFromCPIM(c)
	switch {
	case errors.Is(err, cpm.ErrUnsupported):
		return cpm.Message{}, fmt.Errorf("translate: cpim content: %w: %w", ErrUnsupportedType, err)
	case err != nil:
		return cpm.Message{}, fmt.Errorf("translate: cpim headers: %w: %w", ErrMalformed, err)
	}
	for i, p := range m.Parts {
		if m.Parts[i], err = textPartToUTF8(p); err != nil {
			return cpm.Message{}, err
		}
	}
	return m, nil
}

func unmarshalCPIM(body []byte) (*cpm.CPIM, error) {
	var c cpm.CPIM
	err := c.Unmarshal(body)
	switch {
	case errors.Is(err, cpm.ErrTooLarge):
		return nil, fmt.Errorf("translate: cpim: %w: %w", ErrTooLarge, err)
	case err != nil:
		return nil, fmt.Errorf("translate: cpim: %w: %w", ErrMalformed, err)
	}
	return &c, nil
}

// textPartToUTF8 converts a text/plain part in another charset to UTF-8,
// rewriting its Content-Type; a UTF-8 part is checked and kept as written.
func textPartToUTF8(p cpm.Part) (cpm.Part, error) {
	if !p.IsText() {
		return p, nil
	}
	charset := ""
	if p.ContentType != "" {
		_, params, err := parseContentType(p.ContentType)
		if err != nil {
			return p, err
		}
		charset = params["charset"]
	}
	body, err := toUTF8(p.Body, charset)
	if err != nil {
		return p, err
	}
	if !isUTF8Name(charset) {
		p.ContentType = "text/plain;charset=UTF-8"
	}
	p.Body = body
	return p, nil
}

func isUTF8Name(charset string) bool {
	return charset == "" || strings.EqualFold(charset, "utf-8") || strings.EqualFold(charset, "utf8")
}

// toUTF8 returns text in UTF-8: checked when it claims UTF-8 or US-ASCII,
// decoded otherwise.
func toUTF8(text []byte, charset string) ([]byte, error) {
	if isUTF8Name(charset) || strings.EqualFold(charset, "us-ascii") {
		if !utf8.Valid(text) {
			return nil, fmt.Errorf("translate: text is not valid UTF-8: %w", ErrMalformed)
		}
		return text, nil
	}
	enc, err := ianaindex.MIME.Encoding(charset)
	if err != nil || enc == nil {
		return nil, fmt.Errorf("translate: charset %q: %w", charset, ErrUnsupportedType)
	}
	out, err := enc.NewDecoder().Bytes(text)
	if err != nil {
		return nil, fmt.Errorf("translate: charset %q: %w: %w", charset, ErrMalformed, err)
	}
	return out, nil
}

// parseContentType returns the lower-case media type and its parameters.
func parseContentType(v string) (string, map[string]string, error) {
	if strings.TrimSpace(v) == "" {
		return "", nil, fmt.Errorf("translate: body without Content-Type: %w", ErrMalformed)
	}
	mt, params, err := mime.ParseMediaType(v)
	if err != nil {
		return "", nil, fmt.Errorf("translate: Content-Type %q: %w: %w", v, ErrMalformed, err)
	}
	return mt, params, nil
}

// ReportFromSIP maps a SIP MESSAGE carrying an IMDN (message/cpim with
// message/imdn+xml content) to a Report; ok is false, with no error, for
// any other MESSAGE. From is taken as for a message (CPIM From, else the
// notification's recipient-uri, else P-Asserted-Identity, else SIP From);
// To is the Request-URI, the original sender.
func ReportFromSIP(r *sip.Request) (cpm.Report, bool, error) {
	mt, _, err := mime.ParseMediaType(r.ContentType)
	if err != nil || mt != "message/cpim" {
		return cpm.Report{}, false, nil
	}
	if len(r.Body) > MaxSIPBody {
		return cpm.Report{}, false, fmt.Errorf("translate: sip body of %d bytes over %d: %w", len(r.Body), MaxSIPBody, ErrTooLarge)
	}
	c, err := unmarshalCPIM(r.Body)
	if err != nil {
		return cpm.Report{}, false, err
	}
	if !isIMDN(c) {
		return cpm.Report{}, false, nil
	}
	rep, err := reportFromCPIM(c, r)
	return rep, true, err
}

// isIMDN reports whether a CPIM message encapsulates message/imdn+xml.
func isIMDN(c *cpm.CPIM) bool {
	mt, _, err := mime.ParseMediaType(c.ContentType)
	return err == nil && mt == cpm.IMDNContentType
}

// reportFromCPIM maps a CPIM carrying an IMDN to a Report; From and To as
// ReportFromSIP says.
func reportFromCPIM(c *cpm.CPIM, r *sip.Request) (cpm.Report, error) {
	rep, err := cpm.ReportFromCPIM(c)
	switch {
	case errors.Is(err, cpm.ErrTooLarge):
		return cpm.Report{}, fmt.Errorf("translate: imdn: %w: %w", ErrTooLarge, err)
	case errors.Is(err, cpm.ErrUnsupported):
		return cpm.Report{}, fmt.Errorf("translate: imdn: %w: %w", ErrUnsupportedType, err)
	case err != nil:
		return cpm.Report{}, fmt.Errorf("translate: imdn: %w: %w", ErrMalformed, err)
	}
	if rep.From == "" {
		rep.From = sipSender(r)
	}
	rep.To = cpm.Address(r.RequestURI)
	return rep, nil
}
