package wv

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
)

// xmlSession is the Session element; the WV-CSP-Message root is written
// and checked around it.
type xmlSession struct {
	Descriptor   SessionDescriptor `xml:"SessionDescriptor"`
	Transactions []xmlTransaction  `xml:"Transaction"`
}

type xmlDocument struct {
	XMLName xml.Name   `xml:"WV-CSP-Message"`
	Session xmlSession `xml:"Session"`
}

type xmlTransaction struct {
	Descriptor TransactionDescriptor `xml:"TransactionDescriptor"`
	Content    xmlContent            `xml:"TransactionContent"`
}

// xmlContent is TransactionContent with its single primitive. namespace
// is the TRC namespace written by MarshalXML; unknown is the name of a
// primitive Decode does not model.
type xmlContent struct {
	namespace string
	primitive Primitive
	unknown   string
}

// Decode parses one WV-CSP-Message under the default Limits.
func Decode(data []byte) (Message, error) { return Limits{}.Decode(data) }

// Unmarshal parses one WV-CSP-Message into m under the default Limits;
// m is unchanged on error.
func Unmarshal(data []byte, m *Message) error {
	msg, err := Decode(data)
	if err != nil {
		return err
	}
	*m = msg
	return nil
}

// Decode parses one WV-CSP-Message within l. The common form of the hot
// primitives is read by a direct decoder (decode_direct.go), everything
// else by encoding/xml, with the same result. Errors wrap ErrSyntax,
// ErrDoctype, ErrTooLarge, ErrVersion, ErrInvalid or ErrUnknownPrimitive
// (as *UnknownPrimitiveError); ResultFor turns them into the CSP Result to
// answer with.
func (l Limits) Decode(data []byte) (Message, error) {
	if err := l.Validate(); err != nil {
		return Message{}, err
	}
	l = l.withDefaults()
	if len(data) > l.MaxSize {
		return Message{}, fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, len(data), l.MaxSize)
	}
	s, v, ok := decodeDirect(data, l)
	if !ok {
		var err error
		if s, v, err = decodeReflect(data, l); err != nil {
			return Message{}, err
		}
	}
	if n := len(s.Transactions); n > l.MaxTransactions {
		return Message{}, fmt.Errorf("%w: %d transactions, limit %d", ErrTooLarge, n, l.MaxTransactions)
	}
	return s.message(v)
}

// decodeReflect parses data with encoding/xml behind the token guard:
// every form of XML the package accepts, and every error it reports.
func decodeReflect(data []byte, l Limits) (xmlSession, Version, error) {
	g := &tokenGuard{in: xml.NewDecoder(bytes.NewReader(data)), limits: l}
	d := xml.NewTokenDecoder(g)
	var doc xmlDocument
	if err := d.Decode(&doc); err != nil {
		return xmlSession{}, 0, classify(err)
	}
	if err := drain(d); err != nil {
		return xmlSession{}, 0, classify(err)
	}
	return doc.Session, g.version, nil
}

// classify keeps errors that already wrap a sentinel of this package and
// wraps every other (XML syntax, number syntax, wrong element) in ErrSyntax.
func classify(err error) error {
	if ours(err) {
		return err
	}
	if errors.Is(err, io.EOF) {
		return fmt.Errorf("%w: no WV-CSP-Message element", ErrSyntax)
	}
	return fmt.Errorf("%w: %v", ErrSyntax, err)
}

// ours reports whether err already wraps a sentinel of this package.
func ours(err error) bool {
	for _, s := range []error{ErrSyntax, ErrDoctype, ErrTooLarge, ErrVersion, ErrInvalid, ErrUnknownPrimitive} {
		if errors.Is(err, s) {
			return true
		}
	}
	return false
}

// drain reads what follows the root element: only comments, processing
// instructions and white space may.
func drain(d *xml.Decoder) error {
	for {
		t, err := d.Token()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if _, ok := t.(xml.StartElement); ok {
			return fmt.Errorf("%w: content after the WV-CSP-Message element", ErrSyntax)
		}
	}
}

func (s xmlSession) message(v Version) (Message, error) {
	m := Message{Version: v, Session: s.Descriptor}
	if err := validSession(s.Descriptor); err != nil {
		return Message{}, err
	}
	if len(s.Transactions) == 0 {
		return Message{}, fmt.Errorf("%w: session without transaction", ErrSyntax)
	}
	m.Transactions = make([]Transaction, 0, len(s.Transactions))
	for _, t := range s.Transactions {
		if t.Content.unknown != "" {
			return Message{}, &UnknownPrimitiveError{Primitive: t.Content.unknown, Version: v,
				Session: s.Descriptor, Transaction: t.Descriptor}
		}
		tr := Transaction{Descriptor: t.Descriptor, Primitive: t.Content.primitive}
		if err := validTransaction(tr); err != nil {
			return Message{}, err
		}
		m.Transactions = append(m.Transactions, tr)
	}
	return m, nil
}

// UnmarshalXML implements xml.Unmarshaler: exactly one child element.
func (c *xmlContent) UnmarshalXML(d *xml.Decoder, start xml.StartElement) error {
	for {
		t, err := d.Token()
		if err != nil {
			return err
		}
		switch t := t.(type) {
		case xml.StartElement:
			if c.primitive != nil || c.unknown != "" {
				return fmt.Errorf("%w: more than one primitive in TransactionContent", ErrSyntax)
			}
			if err := c.decodePrimitive(d, t); err != nil {
				return err
			}
		case xml.EndElement:
			if c.primitive == nil && c.unknown == "" {
				return fmt.Errorf("%w: empty TransactionContent", ErrSyntax)
			}
			return nil
		}
	}
}

func (c *xmlContent) decodePrimitive(d *xml.Decoder, start xml.StartElement) error {
	p := newPrimitive(start.Name.Local)
	if p == nil {
		c.unknown = start.Name.Local
		return d.Skip()
	}
	if err := d.DecodeElement(p, &start); err != nil {
		if ours(err) {
			return err
		}
		return fmt.Errorf("%w: %s: %v", ErrSyntax, start.Name.Local, err)
	}
	c.primitive = p
	return nil
}

// newPrimitive returns a zero primitive for an element name, or nil.
func newPrimitive(name string) Primitive {
	switch name {
	case "Login-Request":
		return new(LoginRequest)
	case "Login-Response":
		return new(LoginResponse)
	case "Logout-Request":
		return new(LogoutRequest)
	case "Disconnect":
		return new(Disconnect)
	case "KeepAlive-Request":
		return new(KeepAliveRequest)
	case "KeepAlive-Response":
		return new(KeepAliveResponse)
	case "Polling-Request":
		return new(PollingRequest)
	case "Status":
		return new(Status)
	case "SendMessage-Request":
		return new(SendMessageRequest)
	case "SendMessage-Response":
		return new(SendMessageResponse)
	case "NewMessage":
		return new(NewMessage)
	case "MessageDelivered":
		return new(MessageDelivered)
	case "DeliveryReport-Request":
		return new(DeliveryReportRequest)
	case "GetMessage-Request":
		return new(GetMessageRequest)
	case "GetMessage-Response":
		return new(GetMessageResponse)
	case "MessageNotification":
		return new(MessageNotification)
	}
	return nil
}
