package mm7

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"reflect"
)

// Operation is one MM7 body element: *SubmitReq, *SubmitRsp, *DeliverReq,
// *DeliverRsp, *DeliveryReportReq, *DeliveryReportRsp, *ReadReplyReq,
// *ReadReplyRsp, *CancelReq, *CancelRsp, *ReplaceReq, *ReplaceRsp,
// *RSErrorRsp or *VASPErrorRsp.
type Operation interface {
	// OperationName is the body element's local name, e.g. "SubmitReq".
	OperationName() string
	// Unmarshal decodes the operation element alone (any namespace).
	Unmarshal(b []byte) error
	// Marshal encodes the operation element alone in namespace v.
	Marshal(v Version) ([]byte, error)
	version() *string
	content() *ContentRef
}

// ContentRef is the Content element: a reference to the MIME part holding
// the multimedia content (href="cid:…").
type ContentRef struct {
	Href             string `xml:"href,attr"`
	AllowAdaptations *bool  `xml:"allowAdaptations,attr,omitempty"`
}

// SenderIdentification identifies the VASP in VASP-originated requests.
type SenderIdentification struct {
	VASPID        string   `xml:"VASPID,omitempty"`
	VASID         string   `xml:"VASID,omitempty"`
	SenderAddress *Address `xml:"SenderAddress,omitempty"`
}

// newOperation returns an empty operation for a body element name, or nil.
func newOperation(name string) Operation {
	switch name {
	case "SubmitReq":
		return &SubmitReq{}
	case "SubmitRsp":
		return &SubmitRsp{}
	case "DeliverReq":
		return &DeliverReq{}
	case "DeliverRsp":
		return &DeliverRsp{}
	case "DeliveryReportReq":
		return &DeliveryReportReq{}
	case "DeliveryReportRsp":
		return &DeliveryReportRsp{}
	case "ReadReplyReq":
		return &ReadReplyReq{}
	case "ReadReplyRsp":
		return &ReadReplyRsp{}
	case "CancelReq":
		return &CancelReq{}
	case "CancelRsp":
		return &CancelRsp{}
	case "ReplaceReq":
		return &ReplaceReq{}
	case "ReplaceRsp":
		return &ReplaceRsp{}
	case "RSErrorRsp":
		return &RSErrorRsp{}
	case "VASPErrorRsp":
		return &VASPErrorRsp{}
	}
	return nil
}

// unmarshalOperation decodes one operation element from b, whose root
// element must be named like op.
func unmarshalOperation(b []byte, op Operation) error {
	if err := checkXML(b, Limits{}.withDefaults()); err != nil {
		return err
	}
	d := newXMLDecoder(bytes.NewReader(b))
	start, err := firstStart(d)
	if err != nil {
		return invalid(fmt.Errorf("%w: %w", ErrBadXML, err))
	}
	if start.Name.Local != op.OperationName() {
		return refuse(StatusUnsupportedOperation, fmt.Errorf("%w: %q", ErrUnknownOperation, start.Name.Local))
	}
	return decodeOperationElement(d, start, op)
}

func decodeOperationElement(d *xml.Decoder, start xml.StartElement, op Operation) error {
	if _, err := ParseVersion(start.Name.Space); err != nil {
		return refuse(StatusUnsupportedVersion, fmt.Errorf("%w: %q", err, start.Name.Space))
	}
	if err := d.DecodeElement(op, &start); err != nil {
		return invalid(fmt.Errorf("%w: %s: %w", ErrInvalid, op.OperationName(), err))
	}
	return nil
}

// marshalOperation writes op as an element in namespace v (default
// namespace style), filling MM7Version from v when empty.
func marshalOperation(buf *bytes.Buffer, op Operation, v Version) error {
	if _, err := ParseVersion(string(v)); err != nil {
		return fmt.Errorf("%w: %q", err, v)
	}
	if *op.version() == "" {
		cp := reflect.New(reflect.TypeOf(op).Elem())
		cp.Elem().Set(reflect.ValueOf(op).Elem())
		op = cp.Interface().(Operation)
		*op.version() = v.MM7Version()
	}
	e := xml.NewEncoder(buf)
	start := xml.StartElement{Name: xml.Name{Space: string(v), Local: op.OperationName()}}
	if err := e.EncodeElement(op, start); err != nil {
		return fmt.Errorf("mm7: encode %s: %w", op.OperationName(), err)
	}
	return e.Close()
}

func marshalStandalone(op Operation, v Version) ([]byte, error) {
	var buf bytes.Buffer
	if err := marshalOperation(&buf, op, v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
