package translate

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/iwf-gateway/iwf/adapters/smpp"
	"github.com/iwf-gateway/iwf/cpm"
)

// Receipt is an SMSC delivery receipt (SMPP 3.4 section 2.11 and
// Appendix B) about an earlier submit_sm.
type Receipt struct {
	// MessageID is the id of the submit_sm reported on: the
	// receipted_message_id TLV when present, else the text's id.
	MessageID string
	// Final: the receipt reports an outcome. ACCEPTD, ENROUTE and BUFFRED
	// (and intermediate notifications) are not final and make no report.
	Final bool
	// State is the IMDN status of a final receipt: cpm.Delivered,
	// cpm.Failed or cpm.Error; never cpm.Displayed.
	State cpm.Status
	// MessageState is the message_state TLV (SMPP 3.4 section 5.2.28),
	// 0 when absent.
	MessageState uint8

	// The fields of the Appendix B text, as received (values trimmed of
	// spaces); dates without a zone, read as UTC, zero when absent or bad.
	TextID     string
	Sub, Dlvrd string
	Submitted  time.Time
	Done       time.Time
	Stat       string
	Err        string
	Text       string

	Source, Dest smpp.Address // the receipt's: original recipient, original sender
}

// Errors of ParseReceipt.
var (
	// ErrReceiptNoID: neither receipted_message_id nor an id: field.
	ErrReceiptNoID = errors.New("translate: receipt carries no message id")
	// ErrReceiptNoState: neither message_state nor a stat: field.
	ErrReceiptNoState = errors.New("translate: receipt carries no state")
	// ErrUnknownReceiptState: a stat or message_state iwf does not know.
	ErrUnknownReceiptState = errors.New("translate: unknown receipt state")
	// ErrBadReceiptTLV: message_state is not one octet.
	ErrBadReceiptTLV = errors.New("translate: malformed receipt parameter")
)

// receiptOutcome is what a receipt state means for the sender.
type receiptOutcome struct {
	final bool
	state cpm.Status
}

var (
	delivered = receiptOutcome{true, cpm.Delivered}
	failed    = receiptOutcome{true, cpm.Failed}
	unknown   = receiptOutcome{true, cpm.Error}
	notFinal  = receiptOutcome{}
)

// statOutcomes maps the stat: words of Appendix B (and the long forms some
// SMSCs write) to outcomes.
var statOutcomes = map[string]receiptOutcome{
	"DELIVRD": delivered, "DELIVERED": delivered,
	"UNDELIV": failed, "UNDELIVERABLE": failed,
	"REJECTD": failed, "REJECTED": failed,
	"EXPIRED": failed, "DELETED": failed,
	"ACCEPTD": notFinal, "ACCEPTED": notFinal,
	"ENROUTE": notFinal, "BUFFRED": notFinal, "BUFFERED": notFinal,
	"UNKNOWN": unknown,
}

// stateWords are the message_state values 1..8 of SMPP 3.4 section 5.2.28
// with their stat: words.
var stateWords = [...]string{
	1: "ENROUTE", 2: "DELIVRD", 3: "EXPIRED", 4: "DELETED",
	5: "UNDELIV", 6: "ACCEPTD", 7: "UNKNOWN", 8: "REJECTD",
}

// receiptTypes are the esm_class message types that carry a receipt: SMSC
// delivery receipt, SME delivery and manual acknowledgement, intermediate
// delivery notification (SMPP 3.4 section 5.2.12).
var receiptTypes = map[uint8]bool{0x04: true, 0x08: true, 0x10: true, 0x20: true}

const esmIntermediate = 0x20

// ParseReceipt reports whether sm is a delivery receipt, by its esm_class
// alone, and parses it. It prefers the TLVs receipted_message_id and
// message_state and falls back to the Appendix B text, in short_message or
// message_payload. On ErrUnknownReceiptState the other fields are filled.
func ParseReceipt(sm *smpp.ShortMessage) (Receipt, bool, error) {
	typ := sm.ESMClass & smpp.ESMClassTypeMask
	if !receiptTypes[typ] {
		return Receipt{}, false, nil
	}
	body := sm.Message
	if len(body) == 0 {
		body, _ = sm.TLV(smpp.TagMessagePayload)
	}
	// Some SMSCs NUL-terminate the text like a C string.
	r := parseReceiptText(strings.TrimRight(string(body), "\x00"))
	r.Source, r.Dest = sm.Source, sm.Dest
	if id, ok := sm.TLV(smpp.TagReceiptedMessageID); ok {
		r.MessageID = strings.TrimSpace(strings.TrimRight(string(id), "\x00"))
	}
	if r.MessageID == "" {
		r.MessageID = r.TextID
	}
	if r.MessageID == "" {
		return r, true, ErrReceiptNoID
	}
	out, err := r.outcome(sm)
	if err != nil {
		return r, true, err
	}
	r.Final, r.State = out.final && typ != esmIntermediate, out.state
	if !r.Final {
		r.State = ""
	}
	return r, true, nil
}

// outcome reads message_state, else stat.
func (r *Receipt) outcome(sm *smpp.ShortMessage) (receiptOutcome, error) {
	if v, ok := sm.TLV(smpp.TagMessageState); ok {
		if len(v) != 1 {
			return receiptOutcome{}, fmt.Errorf("%w: message_state of %d octets", ErrBadReceiptTLV, len(v))
		}
		r.MessageState = v[0]
		if int(v[0]) >= len(stateWords) || stateWords[v[0]] == "" {
			return receiptOutcome{}, fmt.Errorf("%w: message_state %d", ErrUnknownReceiptState, v[0])
		}
		if r.Stat == "" {
			r.Stat = stateWords[v[0]]
		}
		return statOutcomes[stateWords[v[0]]], nil
	}
	if r.Stat == "" {
		return receiptOutcome{}, ErrReceiptNoState
	}
	out, ok := statOutcomes[strings.ToUpper(r.Stat)]
	if !ok {
		return receiptOutcome{}, fmt.Errorf("%w: stat %q", ErrUnknownReceiptState, r.Stat)
	}
	return out, nil
}

// receiptKeys are the Appendix B keys, matched case-insensitively at the
// start of the text or after a space; "text:" takes the rest of the text.
var receiptKeys = []string{"id:", "sub:", "dlvrd:", "submit date:", "submit_date:", "done date:", "done_date:", "stat:", "err:", "text:"}

// receiptField is one key found in a receipt text.
type receiptField struct {
	key        string
	start, end int // the value, before trimming
}

// parseReceiptText reads the Appendix B fields; the first of a repeated
// key wins, unknown words stay in the value before them.
func parseReceiptText(s string) Receipt {
	var r Receipt
	seen := map[string]bool{}
	for _, f := range findReceiptFields(s) {
		key := strings.Replace(f.key, "_", " ", 1)
		if seen[key] {
			continue
		}
		seen[key] = true
		v := strings.Trim(s[f.start:f.end], " ")
		switch key {
		case "id:":
			r.TextID = v
		case "sub:":
			r.Sub = v
		case "dlvrd:":
			r.Dlvrd = v
		case "submit date:":
			r.Submitted = parseReceiptDate(v)
		case "done date:":
			r.Done = parseReceiptDate(v)
		case "stat:":
			r.Stat = v
		case "err:":
			r.Err = v
		case "text:":
			r.Text = s[f.start:f.end] // kept as sent
		}
	}
	return r
}

// findReceiptFields locates the keys of s in order.
func findReceiptFields(s string) []receiptField {
	var fields []receiptField
	for i := 0; i < len(s); i++ {
		if i > 0 && s[i-1] != ' ' {
			continue
		}
		key := matchReceiptKey(s[i:])
		if key == "" {
			continue
		}
		if n := len(fields); n > 0 {
			fields[n-1].end = i
		}
		fields = append(fields, receiptField{key: key, start: i + len(key), end: len(s)})
		i += len(key) - 1
		if key == "text:" {
			break
		}
	}
	return fields
}

func matchReceiptKey(s string) string {
	for _, k := range receiptKeys {
		if len(s) >= len(k) && strings.EqualFold(s[:len(k)], k) {
			return k
		}
	}
	return ""
}

// Receipt date layouts: YYMMDDhhmm, or YYMMDDhhmmss.
const (
	receiptDateMinutes = "0601021504"
	receiptDateSeconds = "060102150405"
)

func parseReceiptDate(v string) time.Time {
	layout := receiptDateMinutes
	if len(v) == len(receiptDateSeconds) {
		layout = receiptDateSeconds
	}
	t, err := time.Parse(layout, v)
	if err != nil {
		return time.Time{}
	}
	return t
}

// FormatReceiptText writes r's text fields in the Appendix B layout,
// leaving out empty ones; dates get seconds only when they have some. A
// receipt text iwf or its SMSC simulator builds this way parses back to the
// same fields.
func FormatReceiptText(r Receipt) string {
	var b strings.Builder
	add := func(key, v string) {
		if v == "" {
			return
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(key)
		b.WriteString(v)
	}
	add("id:", r.TextID)
	add("sub:", r.Sub)
	add("dlvrd:", r.Dlvrd)
	add("submit date:", formatReceiptDate(r.Submitted))
	add("done date:", formatReceiptDate(r.Done))
	add("stat:", r.Stat)
	add("err:", r.Err)
	add("text:", r.Text)
	return b.String()
}

func formatReceiptDate(t time.Time) string {
	switch {
	case t.IsZero():
		return ""
	case t.Second() != 0:
		return t.Format(receiptDateSeconds)
	}
	return t.Format(receiptDateMinutes)
}

// MessageIDForm is how an SMSC writes its message ids.
type MessageIDForm uint8

// The id forms NormalizeMessageID understands.
const (
	IDVerbatim MessageIDForm = iota // compare as sent
	IDDecimal                       // a decimal number, leading zeros insignificant
	IDHex                           // a hexadecimal number, case and leading zeros insignificant
)

// NormalizeMessageID makes ids comparable across the forms an SMSC uses:
// IDDecimal and IDHex ids become the decimal number without leading zeros
// (so hex "38601fa" and decimal "0059113978" both give "59113978"); ids
// that do not parse in the form, and IDVerbatim ones, are only trimmed of
// spaces and NULs. The gateway keys submit ids with the submit_sm_resp
// form and looks receipts up with the receipt form of the same SMSC.
func NormalizeMessageID(id string, form MessageIDForm) string {
	id = strings.Trim(id, " \x00")
	base := 0
	switch form {
	case IDDecimal:
		base = 10
	case IDHex:
		base = 16
	}
	if base == 0 {
		return id
	}
	n, err := strconv.ParseUint(id, base, 64)
	if err != nil {
		return id
	}
	return strconv.FormatUint(n, 10)
}

// ReceiptIDMatches reports whether a receipt's id names the submit_sm that
// got submitID, when the SMSC's id forms are not configured. The rule, in
// order: equal ignoring ASCII case; equal once leading zeros are stripped;
// one read as hexadecimal equals the other read as decimal. The last step
// can match unrelated ids ("100" hex is "256" decimal), so the gateway
// should use it only among its outstanding submits to one SMSC, and prefer
// NormalizeMessageID with configured forms.
func ReceiptIDMatches(submitID, receiptID string) bool {
	a, b := strings.Trim(submitID, " \x00"), strings.Trim(receiptID, " \x00")
	if a == "" || b == "" {
		return false
	}
	if strings.EqualFold(a, b) || strings.EqualFold(stripZeros(a), stripZeros(b)) {
		return true
	}
	return hexEqualsDecimal(a, b) || hexEqualsDecimal(b, a)
}

// Matches reports whether the receipt names submitID by its MessageID or,
// when the TLV and the text differ, by its text id.
func (r Receipt) Matches(submitID string) bool {
	return ReceiptIDMatches(submitID, r.MessageID) || (r.TextID != r.MessageID && ReceiptIDMatches(submitID, r.TextID))
}

func stripZeros(s string) string {
	t := strings.TrimLeft(s, "0")
	if t == "" {
		return "0"
	}
	return t
}

func hexEqualsDecimal(hexID, decID string) bool {
	h, err := strconv.ParseUint(hexID, 16, 64)
	if err != nil {
		return false
	}
	d, err := strconv.ParseUint(decID, 10, 64)
	return err == nil && h == d
}
