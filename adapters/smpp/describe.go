package smpp

import (
	"encoding/hex"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/iwf-gateway/iwf/adapters/smpp/pdu"
)

// DescribedField is one line of a Description: an SMPP field or TLV name
// and its value rendered for people.
type DescribedField struct {
	Name  string
	Value string
}

// Description is a PDU rendered for `iwf decode smpp HEX`.
type Description struct {
	Command  string // e.g. "submit_sm", or "command_0x000000ff"
	Status   string // e.g. "ESME_ROK (0x00000000)"
	Sequence uint32
	Length   uint32
	Fields   []DescribedField // mandatory fields in wire order, sm_length included
	TLVs     []DescribedField // optional parameters in wire order
}

// String renders one "name: value" per line.
func (d Description) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "command_length: %d\ncommand_id: %s\ncommand_status: %s\nsequence_number: %d\n",
		d.Length, d.Command, d.Status, d.Sequence)
	for _, f := range d.Fields {
		fmt.Fprintf(&b, "%s: %s\n", f.Name, f.Value)
	}
	for _, f := range d.TLVs {
		fmt.Fprintf(&b, "%s: %s\n", f.Name, f.Value)
	}
	return b.String()
}

// DescribePDU decodes one whole PDU (header included, command_length equal
// to len(raw)) and names every mandatory field and TLV. A malformed PDU
// gives an error wrapping the pdu package's sentinel.
func DescribePDU(raw []byte) (Description, error) {
	p, err := pdu.Decode(raw)
	if err != nil {
		return Description{}, fmt.Errorf("smpp: describe: %w", err)
	}
	d := Description{
		Command:  p.CommandID.String(),
		Status:   fmt.Sprintf("%s (0x%08x)", pdu.StatusName(p.Status), p.Status),
		Sequence: p.Sequence,
		Length:   p.Length,
	}
	for _, f := range p.Fields {
		switch f.Kind {
		case pdu.KindUint8:
			d.Fields = append(d.Fields, DescribedField{f.Name, fmt.Sprintf("%d (0x%02x)", f.Int, f.Int)})
		case pdu.KindCString:
			d.Fields = append(d.Fields, DescribedField{f.Name, quoteOctets(f.Bytes)})
		default:
			d.Fields = append(d.Fields,
				DescribedField{"sm_length", fmt.Sprint(len(f.Bytes))},
				DescribedField{f.Name, octetsValue(f.Bytes)})
		}
	}
	if p.Raw != nil {
		d.Fields = append(d.Fields, DescribedField{"body", hex.EncodeToString(p.Raw)})
	}
	for _, t := range p.TLVs {
		d.TLVs = append(d.TLVs, DescribedField{TLVName(t.Tag), tlvValue(t)})
	}
	return d, nil
}

// TLVName returns the SMPP name of an optional parameter tag.
func TLVName(tag uint16) string { return pdu.TLVName(tag) }

func quoteOctets(b []byte) string {
	if utf8.Valid(b) {
		return fmt.Sprintf("%q", b)
	}
	return "0x" + hex.EncodeToString(b)
}

// octetsValue shows short_message and octet TLVs as hex, plus the text
// when every octet is printable ASCII.
func octetsValue(b []byte) string {
	if len(b) == 0 {
		return `""`
	}
	for _, c := range b {
		if c < 0x20 || c > 0x7e {
			return "0x" + hex.EncodeToString(b)
		}
	}
	return fmt.Sprintf("%q (0x%s)", b, hex.EncodeToString(b))
}

// tlvValue renders integer TLVs as numbers and C-string TLVs as text.
func tlvValue(t pdu.TLV) string {
	v := t.Value
	switch {
	case t.Tag == TagReceiptedMessageID && len(v) > 0 && v[len(v)-1] == 0:
		return quoteOctets(v[:len(v)-1])
	case len(v) == 1:
		return fmt.Sprintf("%d (0x%02x)", v[0], v[0])
	case len(v) == 2 && t.Tag != TagMessagePayload:
		n := uint16(v[0])<<8 | uint16(v[1])
		return fmt.Sprintf("%d (0x%04x)", n, n)
	}
	return octetsValue(v)
}
