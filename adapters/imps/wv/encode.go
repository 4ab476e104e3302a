package wv

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"reflect"
	"unicode/utf8"
)

const xmlDeclaration = `<?xml version="1.0" encoding="UTF-8"?>` + "\n"

// Marshal encodes m in m.Version; see Encode.
func Marshal(m Message) ([]byte, error) { return Encode(m, m.Version) }

// Encode writes m as a WV-CSP-Message document in version v, with an XML
// declaration, the CSP namespace on the root and the TRC namespace on each
// TransactionContent. m.Version is ignored. It refuses (ErrInvalid) a
// message Decode would refuse: no transaction, a nil primitive, an unknown
// session type or transaction mode, a result code outside 100-999, or text
// that XML 1.0 cannot carry (invalid UTF-8, control characters).
//
// Documents whose primitives are all SendMessage-Request,
// SendMessage-Response or Status are written by a direct encoder
// (encode_direct.go), the others by encoding/xml; both write the same
// bytes.
func Encode(m Message, v Version) ([]byte, error) {
	csp, trc, ok := v.namespaces()
	if !ok {
		return nil, fmt.Errorf("%w: %v", ErrVersion, v)
	}
	if err := validStructure(m); err != nil {
		return nil, err
	}
	if directEncodable(m) {
		return encodeDirect(m, csp, trc)
	}
	if err := validText(reflect.ValueOf(m)); err != nil {
		return nil, err
	}
	return encodeReflect(m, csp, trc)
}

// encodeReflect writes m, validated, with encoding/xml.
func encodeReflect(m Message, csp, trc string) ([]byte, error) {
	s := xmlSession{Descriptor: m.Session, Transactions: make([]xmlTransaction, len(m.Transactions))}
	for i, t := range m.Transactions {
		s.Transactions[i] = xmlTransaction{Descriptor: t.Descriptor,
			Content: xmlContent{namespace: trc, primitive: t.Primitive}}
	}
	var buf bytes.Buffer
	buf.Grow(1024)
	buf.WriteString(xmlDeclaration)
	enc := xml.NewEncoder(&buf)
	root := xml.StartElement{Name: xml.Name{Space: csp, Local: "WV-CSP-Message"}}
	if err := enc.EncodeElement(struct {
		Session xmlSession `xml:"Session"`
	}{s}, root); err != nil {
		return nil, fmt.Errorf("wv: encode: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("wv: encode: %w", err)
	}
	return buf.Bytes(), nil
}

// MarshalXML implements xml.Marshaler.
func (c xmlContent) MarshalXML(e *xml.Encoder, _ xml.StartElement) error {
	start := xml.StartElement{Name: xml.Name{Space: c.namespace, Local: "TransactionContent"}}
	if err := e.EncodeToken(start); err != nil {
		return err
	}
	inner := xml.StartElement{Name: xml.Name{Local: c.primitive.PrimitiveName()}}
	if err := e.EncodeElement(c.primitive, inner); err != nil {
		return err
	}
	return e.EncodeToken(start.End())
}

// validStructure checks what Decode would refuse apart from the text: the
// session type, at least one transaction, and each transaction (see
// validTransaction). The text is checked after it, so that a message
// with both kinds of fault reports the structural one.
func validStructure(m Message) error {
	if err := validSession(m.Session); err != nil {
		return err
	}
	if len(m.Transactions) == 0 {
		return fmt.Errorf("%w: message without transaction", ErrInvalid)
	}
	for _, t := range m.Transactions {
		if err := validTransaction(t); err != nil {
			return err
		}
	}
	return nil
}

func validSession(s SessionDescriptor) error {
	if s.SessionType != SessionInband && s.SessionType != SessionOutband {
		return fmt.Errorf("%w: session type %q", ErrInvalid, s.SessionType)
	}
	return nil
}

func validTransaction(t Transaction) error {
	mode := t.Descriptor.TransactionMode
	if mode != ModeRequest && mode != ModeResponse {
		return fmt.Errorf("%w: transaction mode %q", ErrInvalid, mode)
	}
	pv := reflect.ValueOf(t.Primitive)
	if t.Primitive == nil || pv.Kind() == reflect.Pointer && pv.IsNil() {
		return fmt.Errorf("%w: transaction without primitive", ErrInvalid)
	}
	// Only this package's primitive types are encoded: a foreign type
	// claiming a known name would write whatever its fields say.
	if !modelled(t.Primitive) {
		return fmt.Errorf("%w: primitive %q of type %T", ErrUnknownPrimitive, t.Primitive.PrimitiveName(), t.Primitive)
	}
	if r, ok := resultOf(t.Primitive); ok {
		return r.validate()
	}
	return nil
}

// modelled reports whether p is one of this package's primitive types,
// the types newPrimitive makes.
func modelled(p Primitive) bool {
	switch p.(type) {
	case *LoginRequest, *LoginResponse, *LogoutRequest, *Disconnect,
		*KeepAliveRequest, *KeepAliveResponse, *PollingRequest, *Status,
		*SendMessageRequest, *SendMessageResponse, *NewMessage, *MessageDelivered,
		*DeliveryReportRequest, *GetMessageRequest, *GetMessageResponse, *MessageNotification:
		return true
	}
	return false
}

// resultOf returns the Result of the primitives that carry one.
func resultOf(p Primitive) (Result, bool) {
	switch p := p.(type) {
	case *LoginResponse:
		return p.Result, true
	case *Disconnect:
		return p.Result, true
	case *KeepAliveResponse:
		return p.Result, true
	case *Status:
		return p.Result, true
	case *SendMessageResponse:
		return p.Result, true
	case *DeliveryReportRequest:
		return p.Result, true
	}
	return Result{}, false
}

// validText walks v and refuses any string XML 1.0 cannot carry, so that
// Encode never substitutes a character silently.
func validText(v reflect.Value) error {
	switch v.Kind() {
	case reflect.String:
		return validString(v.String())
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return nil
		}
		return validText(v.Elem())
	case reflect.Slice:
		for i := 0; i < v.Len(); i++ {
			if err := validText(v.Index(i)); err != nil {
				return err
			}
		}
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				if err := validText(v.Field(i)); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func validString(s string) error {
	for i, r := range s {
		if r == utf8.RuneError {
			if _, size := utf8.DecodeRuneInString(s[i:]); size == 1 {
				return fmt.Errorf("%w: invalid UTF-8 at byte %d", ErrInvalid, i)
			}
		}
		if !xmlChar(r) {
			return fmt.Errorf("%w: character %U not allowed in XML", ErrInvalid, r)
		}
	}
	return nil
}

// xmlChar reports whether r is a Char of XML 1.0 (section 2.2).
func xmlChar(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D ||
		r >= 0x20 && r <= 0xD7FF || r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF
}
