package mm7

import (
	"encoding/xml"
	"fmt"
)

// AddressKind is the element an MM7 address is carried in (TS 23.140
// 8.7.1, addressType choice).
type AddressKind string

// The three address forms.
const (
	KindNumber    AddressKind = "Number"         // MSISDN, possibly with /TYPE=PLMN
	KindShortCode AddressKind = "ShortCode"      // service short code
	KindRFC2822   AddressKind = "RFC2822Address" // e-mail address
)

// Address is one MM7 address with its optional attributes.
type Address struct {
	Kind          AddressKind
	Value         string
	DisplayOnly   bool   // displayOnly="true": not to be delivered to
	AddressCoding string // addressCoding: "encrypted" or "obfuscated"
	ID            string // id attribute
}

// AddressList is the content of To, Cc or Bcc: addresses in wire order.
type AddressList []Address

// Recipients is the Recipients element (To, Cc, Bcc).
type Recipients struct {
	To  AddressList `xml:"To,omitempty"`
	Cc  AddressList `xml:"Cc,omitempty"`
	Bcc AddressList `xml:"Bcc,omitempty"`
}

func (k AddressKind) valid() bool {
	return k == KindNumber || k == KindShortCode || k == KindRFC2822
}

// UnmarshalXML reads an address container (Sender, Recipient,
// SenderAddress …) holding exactly one address element.
func (a *Address) UnmarshalXML(d *xml.Decoder, start xml.StartElement) error {
	var list AddressList
	if err := list.UnmarshalXML(d, start); err != nil {
		return err
	}
	if len(list) != 1 {
		return fmt.Errorf("%w: %s holds %d addresses, want 1", ErrInvalid, start.Name.Local, len(list))
	}
	*a = list[0]
	return nil
}

// MarshalXML writes start, the address element, and the end of start.
func (a Address) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	return AddressList{a}.MarshalXML(e, start)
}

// UnmarshalXML reads the address elements of a To/Cc/Bcc container in order.
func (l *AddressList) UnmarshalXML(d *xml.Decoder, start xml.StartElement) error {
	for {
		tok, err := d.Token()
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			a, err := decodeAddress(d, t)
			if err != nil {
				return err
			}
			*l = append(*l, a)
		case xml.EndElement:
			return nil
		}
	}
}

func decodeAddress(d *xml.Decoder, t xml.StartElement) (Address, error) {
	a := Address{Kind: AddressKind(t.Name.Local)}
	if !a.Kind.valid() {
		return a, fmt.Errorf("%w: unknown address element %q", ErrInvalid, t.Name.Local)
	}
	for _, at := range t.Attr {
		switch at.Name.Local {
		case "displayOnly":
			a.DisplayOnly = at.Value == "true" || at.Value == "1"
		case "addressCoding":
			a.AddressCoding = at.Value
		case "id":
			a.ID = at.Value
		}
	}
	var text struct {
		V string `xml:",chardata"`
	}
	if err := d.DecodeElement(&text, &t); err != nil {
		return a, err
	}
	a.Value = text.V
	return a, nil
}

// MarshalXML writes start, each address element, and the end of start.
func (l AddressList) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	if err := e.EncodeToken(start); err != nil {
		return err
	}
	for _, a := range l {
		if !a.Kind.valid() {
			return fmt.Errorf("%w: unknown address kind %q", ErrInvalid, a.Kind)
		}
		el := xml.StartElement{Name: xml.Name{Local: string(a.Kind)}}
		if a.DisplayOnly {
			el.Attr = append(el.Attr, xml.Attr{Name: xml.Name{Local: "displayOnly"}, Value: "true"})
		}
		if a.AddressCoding != "" {
			el.Attr = append(el.Attr, xml.Attr{Name: xml.Name{Local: "addressCoding"}, Value: a.AddressCoding})
		}
		if a.ID != "" {
			el.Attr = append(el.Attr, xml.Attr{Name: xml.Name{Local: "id"}, Value: a.ID})
		}
		if err := e.EncodeElement(a.Value, el); err != nil {
			return err
		}
	}
	return e.EncodeToken(start.End())
}
