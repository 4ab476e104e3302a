package translate

import (
	"encoding/binary"
	"errors"
	"fmt"
	"mime"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/iwf-gateway/iwf/adapters/smpp"
	"github.com/iwf-gateway/iwf/charset/gsm7"
	"github.com/iwf-gateway/iwf/cpm"
)

// Concatenation is how a text longer than one SMS is split on a route.
type Concatenation uint8

// The concatenation modes. The zero value is ConcatUDH8.
const (
	// ConcatUDH8 puts a concatenation UDH with an 8-bit reference
	// (IEI 0x00, TS 23.040 section 9.2.3.24.1) in each short_message.
	ConcatUDH8 Concatenation = iota
	// ConcatUDH16 uses the 16-bit reference UDH (IEI 0x08, 9.2.3.24.8).
	ConcatUDH16
	// ConcatSAR sends the reference, count and number in the SMPP TLVs
	// sar_msg_ref_num, sar_total_segments, sar_segment_seqnum (SMPP 3.4
	// section 5.3.2.22-24) and no UDH.
	ConcatSAR
	// ConcatPayload sends the whole text in one submit_sm, in the
	// message_payload TLV (section 5.3.2.32) with an empty short_message;
	// the SMSC segments it.
	ConcatPayload
)

var concatNames = [...]string{"udh8", "udh16", "sar", "payload"}

// String is the configuration name: udh8, udh16, sar or payload.
func (c Concatenation) String() string {
	if int(c) < len(concatNames) {
		return concatNames[c]
	}
	return fmt.Sprintf("concatenation(%d)", uint8(c))
}

// MarshalText writes the configuration name.
func (c Concatenation) MarshalText() ([]byte, error) {
	if int(c) >= len(concatNames) {
		return nil, fmt.Errorf("translate: unknown concatenation %d", uint8(c))
	}
	return []byte(c.String()), nil
}

// UnmarshalText reads a configuration name (case-insensitive).
func (c *Concatenation) UnmarshalText(b []byte) error {
	for i, n := range concatNames {
		if strings.EqualFold(string(b), n) {
			*c = Concatenation(i)
			return nil
		}
	}
	return fmt.Errorf("translate: unknown concatenation %q (want udh8, udh16, sar or payload)", b)
}

// DefaultMaxSegments is the segment cap when SMSRoute.MaxSegments is 0; a
// concatenation UDH cannot count beyond it.
const DefaultMaxSegments = 255

// maxPayload is the largest message_payload (its length is 16 bits).
const maxPayload = 0xFFFF

// SMSRoute is what SMSFromMessage needs to know about the SMSC route. The
// caller maps the addresses and supplies the concatenation reference, since
// translate keeps no counters.
type SMSRoute struct {
	ServiceType        string
	Source, Dest       smpp.Address
	Concatenation      Concatenation
	AllowLatin1        bool          // the SMSC accepts data_coding 3
	RegisteredDelivery bool          // ask for a receipt on every segment
	Validity           time.Duration // 0: the SMSC default
	MaxSegments        int           // 0: DefaultMaxSegments; at most 255
	Reference          uint16        // concatenation reference; UDH8 uses the low octet
}

// Errors of SMSFromMessage.
var (
	// ErrNotText: only a message with one text/plain part maps to SMS.
	ErrNotText = errors.New("translate: message is not a single text/plain part")
	// ErrUnsupportedCharset: the text/plain part is not UTF-8 or US-ASCII.
	ErrUnsupportedCharset = errors.New("translate: text charset not supported")
	// ErrInvalidText: the text is not valid UTF-8.
	ErrInvalidText = errors.New("translate: text is not valid UTF-8")
	// ErrTooManySegments is matched by every *SegmentCountError.
	ErrTooManySegments = errors.New("translate: too many SMS segments")
	// ErrPayloadTooLong: the text exceeds one message_payload (65535 octets).
	ErrPayloadTooLong = errors.New("translate: text too long for message_payload")
	// ErrBadRoute: the SMSRoute is unusable.
	ErrBadRoute = errors.New("translate: bad SMS route")
)

// SegmentCountError says how many segments a text needed.
type SegmentCountError struct {
	Needed, Max int
	Encoding    SMSEncoding
}

func (e *SegmentCountError) Error() string {
	return fmt.Sprintf("translate: text needs %d %s segments, route allows %d", e.Needed, e.Encoding, e.Max)
}

// Is makes errors.Is(err, ErrTooManySegments) true.
func (e *SegmentCountError) Is(target error) bool { return target == ErrTooManySegments }

// smsLimits are octets of short_message per segment (septets for GSM 7-bit,
// which travels one septet per octet).
type smsLimits struct{ single, udh8, udh16 int }

// limitsFor: 140 octets of TP-UD hold 160 septets, 140 octets or 70 UCS-2
// units; a 6-octet UDH8 leaves 153 septets (with one fill bit), 134 octets,
// 67 units; a 7-octet UDH16 leaves 152, 133, 66.
func limitsFor(enc SMSEncoding) smsLimits {
	switch enc {
	case SMSGSM7:
		return smsLimits{160, 153, 152}
	case SMSUCS2:
		return smsLimits{140, 134, 132} // octets: 70, 67, 66 units
	}
	return smsLimits{140, 134, 133}
}

// partLimit is the capacity of one part of a concatenated message. SAR
// parts get the UDH8 size, not the single-message size: SMPP 3.4 section
// 5.3.2.22-24 leaves concatenation over the air to the SMSC, which must add
// a concatenation UDH (TS 23.040 section 9.2.3.24.1) to every part it
// delivers, so a 160-septet SAR part would not fit one TP-UD.
func (l smsLimits) partLimit(c Concatenation) int {
	if c == ConcatUDH16 {
		return l.udh16
	}
	return l.udh8
}

// SMSFromMessage turns a CPM text message into the submit_sm bodies that
// carry it on the route, in order. A text that fits one SMS gives one
// short_message without UDH or SAR TLVs whatever the mode. Segments are cut
// only between runes, so an extension character's two septets and a
// surrogate pair always stay together (grapheme clusters of several runes
// may be split). Errors: ErrNotText, ErrUnsupportedCharset, ErrInvalidText,
// *SegmentCountError, ErrPayloadTooLong, ErrBadRoute.
func SMSFromMessage(m *cpm.Message, r SMSRoute) ([]smpp.ShortMessage, error) {
	maxSeg, err := r.maxSegments()
	if err != nil {
		return nil, err
	}
	text, err := messageText(m)
	if err != nil {
		return nil, err
	}
	enc := ChooseSMSEncoding(text, r.AllowLatin1)
	if r.Concatenation == ConcatPayload {
		return payloadSMS(text, enc, r)
	}
	parts, err := splitText(text, enc, limitsFor(enc), r.Concatenation)
	if err != nil {
		return nil, err
	}
	if len(parts) > maxSeg {
		return nil, &SegmentCountError{Needed: len(parts), Max: maxSeg, Encoding: enc}
	}
	out := make([]smpp.ShortMessage, len(parts))
	for i, p := range parts {
		out[i] = r.shortMessage(enc, p)
		if len(parts) > 1 {
			r.addConcatenation(&out[i], i+1, len(parts))
		}
	}
	return out, nil
}

func (r SMSRoute) maxSegments() (int, error) {
	switch {
	case r.MaxSegments < 0 || r.MaxSegments > DefaultMaxSegments:
		return 0, fmt.Errorf("%w: max segments %d not in 0..255", ErrBadRoute, r.MaxSegments)
	case r.Concatenation > ConcatPayload:
		return 0, fmt.Errorf("%w: concatenation %d", ErrBadRoute, r.Concatenation)
	case r.MaxSegments == 0:
		return DefaultMaxSegments, nil
	}
	return r.MaxSegments, nil
}

// messageText is the UTF-8 text of a single text/plain part.
func messageText(m *cpm.Message) (string, error) {
	text, ok := m.Text()
	if !ok {
		return "", ErrNotText
	}
	if ct := m.Parts[0].ContentType; strings.TrimSpace(ct) != "" {
		_, params, err := mime.ParseMediaType(ct)
		if err != nil {
			return "", fmt.Errorf("%w: %v", ErrUnsupportedCharset, err)
		}
		if cs := strings.ToLower(params["charset"]); cs != "" && cs != "utf-8" && cs != "us-ascii" {
			return "", fmt.Errorf("%w: %q", ErrUnsupportedCharset, cs)
		}
	}
	if !utf8.ValidString(text) {
		return "", ErrInvalidText
	}
	return text, nil
}

// encodeText encodes text and notes where each rune ends.
func encodeText(text string, enc SMSEncoding) (all []byte, bounds []int, err error) {
	all = make([]byte, 0, len(text)*2)
	bounds = make([]int, 0, len(text))
	for _, r := range text {
		if all, err = appendSMSRune(all, enc, r); err != nil {
			return nil, nil, err
		}
		bounds = append(bounds, len(all))
	}
	return all, bounds, nil
}

// splitText encodes text and cuts it between runes into parts that each
// fit; the whole text is one part when it fits a single SMS.
func splitText(text string, enc SMSEncoding, l smsLimits, c Concatenation) ([][]byte, error) {
	all, bounds, err := encodeText(text, enc)
	if err != nil {
		return nil, err
	}
	if len(all) <= l.single {
		return [][]byte{all}, nil
	}
	limit := l.partLimit(c)
	var parts [][]byte
	start, prev := 0, 0
	for _, end := range bounds {
		if end-start > limit {
			parts = append(parts, all[start:prev])
			start = prev
		}
		prev = end
	}
	return append(parts, all[start:]), nil
}

func (r SMSRoute) shortMessage(enc SMSEncoding, body []byte) smpp.ShortMessage {
	sm := smpp.ShortMessage{
		ServiceType: r.ServiceType,
		Source:      r.Source,
		Dest:        r.Dest,
		Validity:    r.Validity,
		DataCoding:  uint8(enc),
		Message:     body,
	}
	if r.RegisteredDelivery {
		sm.RegisteredDelivery = 1
	}
	return sm
}

// addConcatenation marks sm as part seq of total.
func (r SMSRoute) addConcatenation(sm *smpp.ShortMessage, seq, total int) {
	switch r.Concatenation {
	case ConcatSAR:
		sm.TLVs = append(sm.TLVs,
			smpp.TLV{Tag: smpp.TagSARMsgRefNum, Value: binary.BigEndian.AppendUint16(nil, r.Reference)},
			smpp.TLV{Tag: smpp.TagSARTotalSegments, Value: []byte{byte(total)}},
			smpp.TLV{Tag: smpp.TagSARSegmentSeqnum, Value: []byte{byte(seq)}})
		return
	case ConcatUDH16:
		sm.Message = append([]byte{6, 0x08, 4, byte(r.Reference >> 8), byte(r.Reference), byte(total), byte(seq)}, sm.Message...)
	default:
		sm.Message = append([]byte{5, 0x00, 3, byte(r.Reference), byte(total), byte(seq)}, sm.Message...)
	}
	sm.ESMClass |= smpp.ESMClassUDHI
}

// payloadSMS is the single submit_sm of ConcatPayload.
func payloadSMS(text string, enc SMSEncoding, r SMSRoute) ([]smpp.ShortMessage, error) {
	body, _, err := encodeText(text, enc)
	if err != nil {
		return nil, err
	}
	if len(body) > maxPayload {
		return nil, fmt.Errorf("%w: %d octets", ErrPayloadTooLong, len(body))
	}
	sm := r.shortMessage(enc, nil)
	sm.TLVs = []smpp.TLV{{Tag: smpp.TagMessagePayload, Value: body}}
	return []smpp.ShortMessage{sm}, nil
}

// Segment is one received SMS (a deliver_sm body) decoded: either a whole
// message or one part of a concatenated one. Its fields are exported so the
// gateway can journal it and replay it into a Reassembler after a restart.
type Segment struct {
	Source, Dest smpp.Address
	DataCoding   uint8
	// Header is the user data header as received, its length octet
	// included; nil when the short_message had none.
	Header []byte
	// UserData is the text after any header: unpacked septets for GSM
	// 7-bit (also when received packed), the octets otherwise.
	UserData []byte
	// Text is UserData decoded on its own; empty for binary data codings.
	Text   string
	Binary bool // an 8-bit data coding: UserData is not text
	// Ref, Total and Seq are the concatenation reference, part count and
	// part number (1-based) from a UDH or SAR TLVs; Total is 0 for a
	// message that is not concatenated.
	Ref          uint16
	Total, Seq   uint8
	FromPayload  bool // the text came in message_payload
	MessageClass int  // 0..3 from a TS 23.038 class data_coding, -1 when none
}

// SMSDecodeOptions are per-SMSC quirks of the receive side.
type SMSDecodeOptions struct {
	// PackedGSM7: the SMSC sends data_coding 0 text as packed septets
	// (sm_length in octets; seven spare bits at the end holding 0x00 or
	// CR are taken for padding, TS 23.038 section 6.1.2.3.1).
	PackedGSM7 bool
	// KeepTrailingNUL keeps a final 0x00 octet. By default one final NUL
	// of a GSM 7-bit, IA5 or Latin-1 whole message or last part is taken
	// for a C-string terminator some SMSCs append (Sybase 365 sends
	// "HELLO\x00" with data_coding 0xF2) and dropped, at the cost of a
	// final GSM '@', which is the same octet.
	KeepTrailingNUL bool
}

// Errors of DecodeSMS.
var (
	// ErrBadUDH: the user data header is truncated or malformed.
	ErrBadUDH = errors.New("translate: malformed user data header")
	// ErrBadSAR: the SAR TLVs are incomplete or of the wrong size.
	ErrBadSAR = errors.New("translate: malformed sar_* parameters")
)

// DecodeSMS decodes a deliver_sm body with the default SMSDecodeOptions.
func DecodeSMS(sm *smpp.ShortMessage) (Segment, error) {
	return DecodeSMSWith(sm, SMSDecodeOptions{})
}

// DecodeSMSWith decodes a deliver_sm body: its text per data_coding (SMPP
// 3.4 section 5.2.19 and the TS 23.038 coding groups), its concatenation
// from a UDH (IEI 0x00 or 0x08) or the sar_* TLVs, and a text carried in
// message_payload when short_message is empty. Errors: ErrBadUDH,
// ErrBadSAR, *DataCodingError.
func DecodeSMSWith(sm *smpp.ShortMessage, opt SMSDecodeOptions) (Segment, error) {
	seg := Segment{Source: sm.Source, Dest: sm.Dest, DataCoding: sm.DataCoding, MessageClass: messageClass(sm.DataCoding)}
	a := dataCodingAlphabet(sm.DataCoding)
	if a == alphaUnsupported {
		return Segment{}, &DataCodingError{DataCoding: sm.DataCoding}
	}
	ud := sm.Message
	if len(ud) == 0 {
		if p, ok := sm.TLV(smpp.TagMessagePayload); ok {
			ud, seg.FromPayload = p, true
		}
	}
	if sm.ESMClass&smpp.ESMClassUDHI != 0 {
		if err := seg.readUDH(ud); err != nil {
			return Segment{}, err
		}
		ud = ud[len(seg.Header):]
	}
	if seg.Total == 0 {
		if err := seg.readSAR(sm); err != nil {
			return Segment{}, err
		}
	}
	if a == alphaGSM7 && opt.PackedGSM7 {
		ud = unpackSeptets(ud, len(seg.Header))
	}
	last := seg.Total == 0 || seg.Seq == seg.Total
	if last && !opt.KeepTrailingNUL && hasTrailingNUL(a, ud) {
		ud = ud[:len(ud)-1]
	}
	seg.UserData = append([]byte(nil), ud...)
	seg.Binary = a == alphaBinary
	seg.Text = decodeSMSText(a, seg.UserData)
	return seg, nil
}

// messageClass reads the class of a TS 23.038 data coding scheme.
func messageClass(dc uint8) int {
	if dc >= 0xF0 || (dc >= 0x10 && dc < 0x20) {
		return int(dc & 3)
	}
	return -1
}

// hasTrailingNUL: a final 0x00 that is not the second octet of an ESC pair.
func hasTrailingNUL(a alphabet, ud []byte) bool {
	n := len(ud)
	if n == 0 || ud[n-1] != 0 {
		return false
	}
	switch a {
	case alphaGSM7:
		return n < 2 || ud[n-2] != 0x1B
	case alphaASCII, alphaLatin1:
		return true
	}
	return false
}

// unpackSeptets unpacks GSM 7-bit user data that follows a header of
// udhLen octets (its fill bits included in the packed stream).
func unpackSeptets(packed []byte, udhLen int) []byte {
	fill := gsm7.FillBits(udhLen)
	bits := 8*len(packed) - fill
	if bits < 7 {
		return nil
	}
	n := bits / 7
	out, err := gsm7.Unpack(packed, fill, n)
	if err != nil {
		return nil // unreachable: n septets fit by construction
	}
	if bits%7 == 0 && (out[n-1] == 0 || out[n-1] == '\r') {
		out = out[:n-1] // seven bits of padding
	}
	return out
}

// readUDH parses the header at the start of ud and its concatenation IE.
func (s *Segment) readUDH(ud []byte) error {
	if len(ud) == 0 || int(ud[0])+1 > len(ud) {
		return fmt.Errorf("%w: header length exceeds short_message", ErrBadUDH)
	}
	h := ud[1 : 1+int(ud[0])]
	for len(h) > 0 {
		if len(h) < 2 || int(h[1])+2 > len(h) {
			return fmt.Errorf("%w: truncated information element", ErrBadUDH)
		}
		iei, v := h[0], h[2:2+int(h[1])]
		switch {
		case iei == 0x00 && len(v) == 3:
			s.Ref, s.Total, s.Seq = uint16(v[0]), v[1], v[2]
		case iei == 0x08 && len(v) == 4:
			s.Ref, s.Total, s.Seq = binary.BigEndian.Uint16(v), v[2], v[3]
		case iei == 0x00 || iei == 0x08:
			return fmt.Errorf("%w: concatenation IE of %d octets", ErrBadUDH, len(v))
		}
		h = h[2+len(v):]
	}
	s.Header = append([]byte(nil), ud[:1+int(ud[0])]...)
	return nil
}

// readSAR reads the sar_* TLVs, all three or none.
func (s *Segment) readSAR(sm *smpp.ShortMessage) error {
	ref, okRef := sm.TLV(smpp.TagSARMsgRefNum)
	total, okTotal := sm.TLV(smpp.TagSARTotalSegments)
	seq, okSeq := sm.TLV(smpp.TagSARSegmentSeqnum)
	if !okRef && !okTotal && !okSeq {
		return nil
	}
	if len(ref) != 2 || len(total) != 1 || len(seq) != 1 {
		return fmt.Errorf("%w: ref %d, total %d, seqnum %d octets", ErrBadSAR, len(ref), len(total), len(seq))
	}
	s.Ref, s.Total, s.Seq = binary.BigEndian.Uint16(ref), total[0], seq[0]
	return nil
}
