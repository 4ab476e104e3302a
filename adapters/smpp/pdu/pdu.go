package pdu

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// HeaderLength is the size of the PDU header (SMPP 3.4 section 3.2).
const HeaderLength = 16

// MaxLength bounds command_length: the largest body is a 64 KiB
// message_payload plus the mandatory fields, rounded up.
const MaxLength = 70 * 1024

// Errors a caller can branch on.
var (
	ErrShort           = errors.New("pdu: shorter than its header")
	ErrInvalidLength   = errors.New("pdu: invalid command_length")
	ErrUnknownCommand  = errors.New("pdu: unknown command_id")
	ErrTruncated       = errors.New("pdu: body truncated")
	ErrMissingNUL      = errors.New("pdu: C-octet string without NUL terminator")
	ErrFieldTooLong    = errors.New("pdu: field longer than its maximum")
	ErrNotModelled     = errors.New("pdu: body of this command is not modelled")
	ErrFieldCount      = errors.New("pdu: wrong number of mandatory fields")
	ErrInvalidTLV      = errors.New("pdu: invalid TLV")
	ErrShortMessageLen = errors.New("pdu: short_message longer than 255 octets")
)

// FieldError says which field of which command could not be decoded or
// encoded.
type FieldError struct {
	Command CommandID
	Field   string
	Err     error
}

func (e *FieldError) Error() string {
	return fmt.Sprintf("pdu: %s: %s: %v", e.Command, e.Field, e.Err)
}

func (e *FieldError) Unwrap() error { return e.Err }

// Header is the 16-octet PDU header.
type Header struct {
	Length    uint32 // command_length, header included
	CommandID CommandID
	Status    uint32 // command_status
	Sequence  uint32 // sequence_number
}

// Field is the value of one mandatory field: Int for KindUint8, Bytes for
// KindCString (without its NUL) and KindShortMessage (without sm_length).
type Field struct {
	Name  string
	Kind  Kind
	Int   uint8
	Bytes []byte
}

// TLV is one optional parameter (SMPP 3.4 section 3.2.4).
type TLV struct {
	Tag   uint16
	Value []byte
}

// PDU is one decoded PDU. Fields follow the command's FieldSpecs; they are
// nil for a response sent without a body (an error response), and Raw
// holds the body of commands whose fields are not modelled.
type PDU struct {
	Header
	Fields []Field
	TLVs   []TLV
	Raw    []byte
}

// DecodeHeader reads the header of b and checks command_length against
// MinLength/MaxLength; it does not require the whole PDU.
func DecodeHeader(b []byte) (Header, error) {
	if len(b) < HeaderLength {
		return Header{}, ErrShort
	}
	h := Header{
		Length:    binary.BigEndian.Uint32(b[0:4]),
		CommandID: CommandID(binary.BigEndian.Uint32(b[4:8])),
		Status:    binary.BigEndian.Uint32(b[8:12]),
		Sequence:  binary.BigEndian.Uint32(b[12:16]),
	}
	if h.Length < HeaderLength || h.Length > MaxLength {
		return h, fmt.Errorf("%w: %d", ErrInvalidLength, h.Length)
	}
	return h, nil
}

// Decode decodes one whole PDU; len(b) must equal command_length. The
// returned fields alias b.
func Decode(b []byte) (*PDU, error) {
	h, err := DecodeHeader(b)
	if err != nil {
		return nil, err
	}
	if int(h.Length) != len(b) {
		return nil, fmt.Errorf("%w: %d, have %d octets", ErrInvalidLength, h.Length, len(b))
	}
	return DecodeBody(h, b[HeaderLength:])
}

// DecodeBody decodes the body that follows h.
func DecodeBody(h Header, body []byte) (*PDU, error) {
	p := &PDU{Header: h}
	specs, ok := h.CommandID.Fields()
	if !ok {
		if !h.CommandID.Known() {
			return nil, fmt.Errorf("%w: 0x%08x", ErrUnknownCommand, uint32(h.CommandID))
		}
		p.Raw = body
		return p, nil
	}
	if len(body) == 0 && h.CommandID.IsResponse() && len(specs) > 0 {
		return p, nil // error responses may omit the body (SMPP 3.4 section 3.3)
	}
	p.Fields = make([]Field, len(specs))
	rest := body
	for i, s := range specs {
		f, n, err := decodeField(s, rest)
		if err != nil {
			return nil, &FieldError{Command: h.CommandID, Field: s.Name, Err: err}
		}
		p.Fields[i] = f
		rest = rest[n:]
	}
	tlvs, err := decodeTLVs(rest)
	if err != nil {
		return nil, fmt.Errorf("pdu: %s: %w", h.CommandID, err)
	}
	p.TLVs = tlvs
	return p, nil
}

func decodeField(s FieldSpec, b []byte) (Field, int, error) {
	f := Field{Name: s.Name, Kind: s.Kind}
	switch s.Kind {
	case KindUint8:
		if len(b) < 1 {
			return f, 0, ErrTruncated
		}
		f.Int = b[0]
		return f, 1, nil
	case KindCString:
		limit := min(len(b), s.Max)
		for i := 0; i < limit; i++ {
			if b[i] == 0 {
				f.Bytes = b[:i:i]
				return f, i + 1, nil
			}
		}
		if len(b) >= s.Max {
			return f, 0, ErrFieldTooLong
		}
		return f, 0, ErrMissingNUL
	default: // KindShortMessage
		if len(b) < 1 || len(b) < 1+int(b[0]) {
			return f, 0, ErrTruncated
		}
		n := int(b[0])
		f.Bytes = b[1 : 1+n : 1+n]
		return f, 1 + n, nil
	}
}

func decodeTLVs(b []byte) ([]TLV, error) {
	var tlvs []TLV
	for len(b) > 0 {
		if len(b) < 4 {
			return nil, fmt.Errorf("%w: %d trailing octets", ErrInvalidTLV, len(b))
		}
		tag := binary.BigEndian.Uint16(b[0:2])
		n := int(binary.BigEndian.Uint16(b[2:4]))
		if len(b) < 4+n {
			return nil, fmt.Errorf("%w: tag 0x%04x length %d exceeds body", ErrInvalidTLV, tag, n)
		}
		tlvs = append(tlvs, TLV{Tag: tag, Value: b[4 : 4+n : 4+n]})
		b = b[4+n:]
	}
	return tlvs, nil
}

// Append encodes p after dst and returns the extended slice. It computes
// command_length itself (p.Length is ignored) and checks every field
// against its FieldSpec, so what Append writes, Decode reads back.
func (p *PDU) Append(dst []byte) ([]byte, error) {
	start := len(dst)
	dst = binary.BigEndian.AppendUint32(dst, 0)
	dst = binary.BigEndian.AppendUint32(dst, uint32(p.CommandID))
	dst = binary.BigEndian.AppendUint32(dst, p.Status)
	dst = binary.BigEndian.AppendUint32(dst, p.Sequence)
	specs, ok := p.CommandID.Fields()
	switch {
	case !p.CommandID.Known():
		return dst[:start], fmt.Errorf("%w: 0x%08x", ErrUnknownCommand, uint32(p.CommandID))
	case !ok:
		dst = append(dst, p.Raw...)
	case p.Fields == nil && len(p.TLVs) == 0 && len(specs) > 0 && p.CommandID.IsResponse():
		// response without a body
	default:
		var err error
		if dst, err = p.appendBody(dst, specs); err != nil {
			return dst[:start], err
		}
	}
	n := len(dst) - start
	if n > MaxLength {
		return dst[:start], fmt.Errorf("%w: %d", ErrInvalidLength, n)
	}
	binary.BigEndian.PutUint32(dst[start:], uint32(n))
	return dst, nil
}

func (p *PDU) appendBody(dst []byte, specs []FieldSpec) ([]byte, error) {
	if len(p.Fields) != len(specs) {
		return dst, fmt.Errorf("%w: %s has %d, want %d", ErrFieldCount, p.CommandID, len(p.Fields), len(specs))
	}
	for i, s := range specs {
		f := p.Fields[i]
		var err error
		if dst, err = AppendField(dst, s, f); err != nil {
			return dst, &FieldError{Command: p.CommandID, Field: s.Name, Err: err}
		}
	}
	for _, t := range p.TLVs {
		if len(t.Value) > 0xFFFF {
			return dst, fmt.Errorf("%w: tag 0x%04x value of %d octets", ErrInvalidTLV, t.Tag, len(t.Value))
		}
		dst = binary.BigEndian.AppendUint16(dst, t.Tag)
		dst = binary.BigEndian.AppendUint16(dst, uint16(len(t.Value)))
		dst = append(dst, t.Value...)
	}
	return dst, nil
}

// AppendField encodes one mandatory field value according to s.
func AppendField(dst []byte, s FieldSpec, f Field) ([]byte, error) {
	switch s.Kind {
	case KindUint8:
		return append(dst, f.Int), nil
	case KindCString:
		if len(f.Bytes) >= s.Max {
			return dst, ErrFieldTooLong
		}
		for _, c := range f.Bytes {
			if c == 0 {
				return dst, fmt.Errorf("pdu: NUL inside C-octet string")
			}
		}
		return append(append(dst, f.Bytes...), 0), nil
	default:
		if len(f.Bytes) > 255 {
			return dst, ErrShortMessageLen
		}
		return append(append(dst, byte(len(f.Bytes))), f.Bytes...), nil
	}
}

// Field returns the mandatory field with the given SMPP name.
func (p *PDU) Field(name string) (Field, bool) {
	for _, f := range p.Fields {
		if f.Name == name {
			return f, true
		}
	}
	return Field{}, false
}
